#include "core/http/url.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace imgauto::http {
namespace {

struct ParseCase {
  std::string_view name;
  std::string_view input;
  std::string_view scheme;
  std::string_view host;
  std::uint16_t port;
  std::string_view target;
};

class ParseUrlValidTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseUrlValidTest, ParsesComponents) {
  const ParseCase& c = GetParam();
  Result<Url> url = ParseUrl(c.input);
  ASSERT_TRUE(url) << url.error().message();
  EXPECT_EQ(url->scheme, c.scheme);
  EXPECT_EQ(url->host, c.host);
  EXPECT_EQ(url->port, c.port);
  EXPECT_EQ(url->target, c.target);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseUrlValidTest,
    ::testing::ValuesIn(std::vector<ParseCase>{
        {"HttpDefaultPort", "http://example.com", "http", "example.com", 80, "/"},
        {"HttpsDefaultPort", "https://ghcr.io/v2/", "https", "ghcr.io", 443, "/v2/"},
        {"ExplicitPort", "http://localhost:5000/v2/x?n=1", "http", "localhost", 5000, "/v2/x?n=1"},
        {"Ipv6WithPort", "https://[::1]:5000/v2/", "https", "::1", 5000, "/v2/"},
        {"Ipv6DefaultPort", "http://[2001:db8::1]/", "http", "2001:db8::1", 80, "/"},
        {"CaseFoldsSchemeAndHost", "HTTPS://GHCR.IO/V2/", "https", "ghcr.io", 443, "/V2/"},
        {"QueryWithoutPath", "http://h?x=1", "http", "h", 80, "/?x=1"},
        {"DropsFragment", "http://h/p?q#frag", "http", "h", 80, "/p?q"},
        {"EscapesSpace", "http://h/a b", "http", "h", 80, "/a%20b"},
        {"EscapesNonAscii", "http://h/\xc3\xa9", "http", "h", 80, "/%C3%A9"},
        {"KeepsPercentEscapes", "http://h/a%2Fb", "http", "h", 80, "/a%2Fb"},
        {"EmptyPortUsesDefault", "https://h:/x", "https", "h", 443, "/x"},
        {"Ipv4Host", "http://127.0.0.1:8080/", "http", "127.0.0.1", 8080, "/"},
        {"UserinfoIsNotHost", "http://user:pw@proxy:3128", "http", "proxy", 3128, "/"},
    }),
    [](const auto& info) { return std::string(info.param.name); });

struct InvalidCase {
  std::string_view name;
  std::string_view input;
  std::string_view message;  // substring of the error message
};

class ParseUrlInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ParseUrlInvalidTest, RejectsWithInvalidSpec) {
  const InvalidCase& c = GetParam();
  Result<Url> url = ParseUrl(c.input);
  ASSERT_FALSE(url) << url->ToString();
  EXPECT_EQ(url.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(url.error().message().find(c.message), std::string::npos) << url.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseUrlInvalidTest,
    ::testing::ValuesIn(std::vector<InvalidCase>{
        {"UnsupportedScheme", "ftp://h/", "unsupported protocol scheme \"ftp\""},
        {"MissingScheme", "ghcr.io/v2/", "unsupported protocol scheme \"\""},
        {"MissingSlashes", "http:h/x", "missing host"},
        {"EmptyHost", "http:///x", "missing host"},
        {"PortOnly", "http://:80/", "missing host"},
        {"PortTooLarge", "http://h:99999/", "invalid port \":99999\" after host"},
        {"PortZero", "http://h:0/", "invalid port"},
        {"PortNotNumeric", "http://h:abc/", "invalid port"},
        {"UnclosedIpv6", "http://[::1/", "missing ']'"},
        {"BracketedIpv4", "http://[127.0.0.1]/", "invalid IPv6 host"},
        {"GarbageAfterIpv6", "http://[::1]x/", "invalid port"},
        {"SpaceInHost", "http://ho st/", "invalid character in host"},
        {"UnbracketedIpv6", "http://::1/", "invalid"},
        {"ControlCharacter", "http://h/a\nb", "invalid control character"},
    }),
    [](const auto& info) { return std::string(info.param.name); });

TEST(UrlTest, HostPortBracketsIpv6) {
  Result<Url> url = ParseUrl("https://[::1]/v2/");
  ASSERT_TRUE(url) << url.error().message();
  EXPECT_EQ(url->HostPort(), "[::1]:443");
  EXPECT_EQ(url->HostHeader(), "[::1]");
}

TEST(UrlTest, HostHeaderKeepsNonDefaultPort) {
  Result<Url> url = ParseUrl("http://localhost:5000/");
  ASSERT_TRUE(url) << url.error().message();
  EXPECT_EQ(url->HostHeader(), "localhost:5000");
}

TEST(UrlTest, ToStringOmitsUserinfoAndDefaultPort) {
  Result<Url> url = ParseUrl("https://user:secret@ghcr.io:443/v2/?n=1");
  ASSERT_TRUE(url) << url.error().message();
  EXPECT_EQ(url->ToString(), "https://ghcr.io/v2/?n=1");
}

TEST(UrlTest, DecodesUserinfo) {
  Result<Url> url = ParseUrl("http://us%65r:p%40ss:word@proxy:3128");
  ASSERT_TRUE(url) << url.error().message();
  EXPECT_EQ(url->username, "user");
  EXPECT_EQ(url->password, "p@ss:word");
}

TEST(UrlTest, ToStringRoundTrips) {
  Result<Url> url = ParseUrl("http://[fe80::1]:8080/a%20b?c=d");
  ASSERT_TRUE(url) << url.error().message();
  Result<Url> again = ParseUrl(url->ToString());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, *url);
}

TEST(UrlTest, IsIpLiteralRecognisesAddressesOnly) {
  EXPECT_TRUE(IsIpLiteral("127.0.0.1"));
  EXPECT_TRUE(IsIpLiteral("::1"));
  EXPECT_FALSE(IsIpLiteral("localhost"));
  EXPECT_FALSE(IsIpLiteral("[::1]"));
  EXPECT_FALSE(IsIpLiteral("1.2.3"));
}

TEST(UrlTest, PercentDecodeKeepsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("a%41%zz%4"), "aA%zz%4");
}

struct ResolveCase {
  std::string_view name;
  std::string_view base;
  std::string_view reference;
  std::string_view want;  // ToString() of the result
};

class ResolveReferenceTest : public ::testing::TestWithParam<ResolveCase> {};

TEST_P(ResolveReferenceTest, Resolves) {
  const ResolveCase& c = GetParam();
  Result<Url> base = ParseUrl(c.base);
  ASSERT_TRUE(base) << base.error().message();
  Result<Url> resolved = ResolveReference(*base, c.reference);
  ASSERT_TRUE(resolved) << resolved.error().message();
  EXPECT_EQ(resolved->ToString(), c.want);
}

constexpr std::string_view kRegistryBase = "https://registry.example:5000/v2/app/tags/list?n=10";
constexpr std::string_view kRfcBase = "http://a/b/c/d;p?q";  // RFC 3986 §5.4

INSTANTIATE_TEST_SUITE_P(
    Cases, ResolveReferenceTest,
    ::testing::ValuesIn(std::vector<ResolveCase>{
        {"AbsoluteUrl", kRegistryBase, "https://other.example/v2/x?last=a",
         "https://other.example/v2/x?last=a"},
        {"AbsolutePathLink", kRegistryBase, "/v2/app/tags/list?last=b&n=10",
         "https://registry.example:5000/v2/app/tags/list?last=b&n=10"},
        {"NetworkPath", kRegistryBase, "//cdn.example/blob", "https://cdn.example/blob"},
        {"QueryOnly", kRegistryBase, "?n=20",
         "https://registry.example:5000/v2/app/tags/list?n=20"},
        {"EmptyKeepsBase", kRegistryBase, "", std::string_view(kRegistryBase)},
        {"DropsFragment", kRegistryBase, "/a#b", "https://registry.example:5000/a"},
        {"EscapesSpace", kRegistryBase, "/a b", "https://registry.example:5000/a%20b"},
        {"RfcG", kRfcBase, "g", "http://a/b/c/g"},
        {"RfcDotG", kRfcBase, "./g", "http://a/b/c/g"},
        {"RfcGSlash", kRfcBase, "g/", "http://a/b/c/g/"},
        {"RfcSlashG", kRfcBase, "/g", "http://a/g"},
        {"RfcQuery", kRfcBase, "?y", "http://a/b/c/d;p?y"},
        {"RfcGQuery", kRfcBase, "g?y", "http://a/b/c/g?y"},
        {"RfcSemicolon", kRfcBase, ";x", "http://a/b/c/;x"},
        {"RfcEmpty", kRfcBase, "", "http://a/b/c/d;p?q"},
        {"RfcDot", kRfcBase, ".", "http://a/b/c/"},
        {"RfcDotSlash", kRfcBase, "./", "http://a/b/c/"},
        {"RfcDotDot", kRfcBase, "..", "http://a/b/"},
        {"RfcDotDotSlash", kRfcBase, "../", "http://a/b/"},
        {"RfcDotDotG", kRfcBase, "../g", "http://a/b/g"},
        {"RfcDotDotTwice", kRfcBase, "../..", "http://a/"},
        {"RfcDotDotTwiceG", kRfcBase, "../../g", "http://a/g"},
        {"RfcAboveRoot", kRfcBase, "../../../g", "http://a/g"},
        {"RfcSlashDotG", kRfcBase, "/./g", "http://a/g"},
        {"RfcSlashDotDotG", kRfcBase, "/../g", "http://a/g"},
        {"RfcGDot", kRfcBase, "g.", "http://a/b/c/g."},
        {"RfcDotDotPrefix", kRfcBase, "..g", "http://a/b/c/..g"},
        {"RfcDotThenDotDot", kRfcBase, "./../g", "http://a/b/g"},
        {"RfcTrailingDot", kRfcBase, "./g/.", "http://a/b/c/g/"},
        {"RfcInnerDot", kRfcBase, "g/./h", "http://a/b/c/g/h"},
        {"RfcInnerDotDot", kRfcBase, "g/../h", "http://a/b/c/h"},
    }),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ResolveReferenceTest, RejectsUnsupportedAbsoluteScheme) {
  Result<Url> base = ParseUrl(kRegistryBase);
  ASSERT_TRUE(base) << base.error().message();
  Result<Url> resolved = ResolveReference(*base, "ftp://x/");
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().kind(), ErrorKind::kInvalidSpec);
}

}  // namespace
}  // namespace imgauto::http
