#include "core/http/proxy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/url.h"

namespace imgauto::http {
namespace {

Url MustParse(std::string_view text) {
  Result<Url> url = ParseUrl(text);
  EXPECT_TRUE(url) << url.error().message();
  return url ? *url : Url{};
}

struct BypassCase {
  std::string_view name;
  std::string_view url;
  std::string_view no_proxy;
  bool bypass;
};

class BypassProxyTest : public ::testing::TestWithParam<BypassCase> {};

TEST_P(BypassProxyTest, MatchesLikeGo) {
  const BypassCase& c = GetParam();
  EXPECT_EQ(BypassProxy(MustParse(c.url), c.no_proxy), c.bypass);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BypassProxyTest,
    ::testing::ValuesIn(std::vector<BypassCase>{
        {"LocalhostAlways", "http://localhost:5000/", "", true},
        {"LoopbackIpv4Always", "http://127.0.0.5/", "", true},
        {"LoopbackIpv6Always", "http://[::1]:5000/", "", true},
        {"LocalhostSubdomainIsProxied", "http://app.localhost/", "", false},
        {"NoEntries", "https://ghcr.io/", "", false},
        {"Star", "https://ghcr.io/", "*", true},
        {"ExactDomain", "https://ghcr.io/", "ghcr.io", true},
        {"DomainMatchesSubdomain", "https://pkg.ghcr.io/", "ghcr.io", true},
        {"DomainNeedsDotBoundary", "https://notghcr.io/", "ghcr.io", false},
        {"LeadingDotMatchesSubdomain", "https://pkg.ghcr.io/", ".ghcr.io", true},
        {"LeadingDotExcludesApex", "https://ghcr.io/", ".ghcr.io", false},
        {"WildcardMatchesSubdomain", "https://a.b.ghcr.io/", "*.ghcr.io", true},
        {"WildcardExcludesApex", "https://ghcr.io/", "*.ghcr.io", false},
        {"CaseAndSpacesIgnored", "https://ghcr.io/", " example.com , GHCR.IO ", true},
        {"EmptyEntriesIgnored", "https://example.com/", ",,example.com,", true},
        {"DomainPortMatchesDefault", "https://ghcr.io/", "ghcr.io:443", true},
        {"DomainPortDiffers", "https://ghcr.io/", "ghcr.io:8443", false},
        {"IpExact", "http://10.1.2.3:5000/", "10.1.2.3", true},
        {"IpDiffers", "http://10.1.2.4/", "10.1.2.3", false},
        {"IpPortMatches", "http://10.1.2.3:5000/", "10.1.2.3:5000", true},
        {"IpPortDiffers", "http://10.1.2.3:5000/", "10.1.2.3:80", false},
        {"CidrContains", "http://10.200.1.1/", "10.0.0.0/8", true},
        {"CidrExcludes", "http://11.0.0.1/", "10.0.0.0/8", false},
        {"CidrIgnoresDomains", "http://example.com/", "10.0.0.0/8", false},
        {"Ipv6Cidr", "http://[fd12::1]/", "fd00::/8", true},
        {"Ipv6BracketedWithPort", "http://[fd00::1]:5000/", "[fd00::1]:5000", true},
        {"Ipv6Exact", "http://[fd00::1]/", "fd00::1", true},
        {"PortOnlyEntryIgnored", "http://example.com/", ":80", false},
    }),
    [](const auto& info) { return std::string(info.param.name); });

ProxyEnvironment SampleEnvironment() {
  return ProxyEnvironment{.http_proxy = "http://plain-proxy:3128",
                          .https_proxy = "http://tls-proxy:3129",
                          .no_proxy = "internal.example"};
}

TEST(ProxyForUrlTest, HttpsUsesHttpsProxy) {
  std::optional<ProxyConfig> proxy =
      ProxyForUrl(MustParse("https://ghcr.io/v2/"), SampleEnvironment());
  ASSERT_TRUE(proxy.has_value());
  EXPECT_EQ(proxy->url, "http://tls-proxy:3129");
}

TEST(ProxyForUrlTest, HttpUsesHttpProxy) {
  std::optional<ProxyConfig> proxy =
      ProxyForUrl(MustParse("http://registry.example:5000/"), SampleEnvironment());
  ASSERT_TRUE(proxy.has_value());
  EXPECT_EQ(proxy->url, "http://plain-proxy:3128");
}

TEST(ProxyForUrlTest, HttpsDoesNotFallBackToHttpProxy) {
  ProxyEnvironment env = SampleEnvironment();
  env.https_proxy.clear();
  EXPECT_FALSE(ProxyForUrl(MustParse("https://ghcr.io/"), env).has_value());
}

TEST(ProxyForUrlTest, NoProxyExcludesHost) {
  EXPECT_FALSE(ProxyForUrl(MustParse("https://registry.internal.example/"), SampleEnvironment())
                   .has_value());
}

TEST(ProxyForUrlTest, LoopbackIsNeverProxied) {
  EXPECT_FALSE(ProxyForUrl(MustParse("https://127.0.0.1:5000/"), SampleEnvironment()).has_value());
}

// Sets environment variables for one test and restores them afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name); old != nullptr) {
      old_ = old;
    }
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ProxyEnvironmentTest, UpperCaseWinsOverLowerCase) {
  ScopedEnv upper("HTTPS_PROXY", "http://upper:1");
  ScopedEnv lower("https_proxy", "http://lower:2");
  EXPECT_EQ(ProxyEnvironment::FromProcess().https_proxy, "http://upper:1");
}

TEST(ProxyEnvironmentTest, FallsBackToLowerCase) {
  ScopedEnv upper("NO_PROXY", nullptr);
  ScopedEnv lower("no_proxy", ".example.com");
  ScopedEnv http_upper("HTTP_PROXY", "");
  ScopedEnv http_lower("http_proxy", "http://lower:3");
  const ProxyEnvironment env = ProxyEnvironment::FromProcess();
  EXPECT_EQ(env.no_proxy, ".example.com");
  EXPECT_EQ(env.http_proxy, "http://lower:3");
}

TEST(ResolveProxyTest, AddsHttpSchemeToHostPort) {
  Result<ProxyEndpoint> endpoint = ResolveProxy({.url = "proxy.example:3128"});
  ASSERT_TRUE(endpoint) << endpoint.error().message();
  EXPECT_EQ(endpoint->url.ToString(), "http://proxy.example:3128/");
  EXPECT_EQ(endpoint->authorization, "");
}

TEST(ResolveProxyTest, DefaultsToPort80) {
  Result<ProxyEndpoint> endpoint = ResolveProxy({.url = "http://proxy.example"});
  ASSERT_TRUE(endpoint) << endpoint.error().message();
  EXPECT_EQ(endpoint->url.port, 80);
}

TEST(ResolveProxyTest, TakesCredentialsFromUserinfo) {
  Result<ProxyEndpoint> endpoint = ResolveProxy({.url = "http://user:pass@proxy:3128"});
  ASSERT_TRUE(endpoint) << endpoint.error().message();
  EXPECT_EQ(endpoint->authorization, "Basic dXNlcjpwYXNz");  // base64("user:pass")
  EXPECT_EQ(endpoint->url.username, "");
  EXPECT_EQ(endpoint->url.password, "");
}

TEST(ResolveProxyTest, ExplicitCredentialsWinOverUserinfo) {
  Result<ProxyEndpoint> endpoint =
      ResolveProxy({.url = "http://a:b@proxy:3128", .username = "user", .password = "pass"});
  ASSERT_TRUE(endpoint) << endpoint.error().message();
  EXPECT_EQ(endpoint->authorization, "Basic dXNlcjpwYXNz");
}

TEST(ResolveProxyTest, RejectsHttpsProxy) {
  Result<ProxyEndpoint> endpoint = ResolveProxy({.url = "https://proxy:3128"});
  ASSERT_FALSE(endpoint);
  EXPECT_EQ(endpoint.error().kind(), ErrorKind::kInvalidSpec);
}

TEST(ResolveProxyTest, RejectsSocksProxy) {
  Result<ProxyEndpoint> endpoint = ResolveProxy({.url = "socks5://proxy:1080"});
  ASSERT_FALSE(endpoint);
  EXPECT_NE(endpoint.error().message().find("unsupported protocol scheme \"socks5\""),
            std::string::npos)
      << endpoint.error().message();
}

TEST(ResolveProxyTest, InvalidAddressDoesNotEchoPassword) {
  Result<ProxyEndpoint> endpoint = ResolveProxy({.url = "http://user:s3cret/@proxy"});
  ASSERT_FALSE(endpoint);
  EXPECT_EQ(endpoint.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(endpoint.error().message().find("s3cret"), std::string::npos)
      << endpoint.error().message();
}

}  // namespace
}  // namespace imgauto::http
