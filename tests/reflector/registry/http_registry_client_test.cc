#include "reflector/registry/http_registry_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/http/beast_client.h"
#include "core/sha256.h"
#include "core/strings.h"
#include "reflector/registry/registry_responses.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_http_client.h"
#include "tests/servers/test_http_server.h"

namespace imgauto::reflector::registry {
namespace {

using imgauto::testing::FakeClock;
using imgauto::testing::FakeHttpClient;
using imgauto::testing::Reply;
using imgauto::testing::RequestHeader;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kTags[] = "https://r.io/v2/org/app/tags/list";
constexpr char kRealm[] = "https://auth.r.io/token";
constexpr char kTokenUrl[] =
    "https://auth.r.io/token?scope=repository%3Aorg%2Fapp%3Apull&service=r.io";
constexpr char kManifest[] = "https://r.io/v2/org/app/manifests/v1";
constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

http::HeaderList BearerChallenge(const std::string& scope = "repository:org/app:pull") {
  return {{"WWW-Authenticate", std::string("Bearer realm=\"") + kRealm +
                                   "\",service=\"r.io\",scope=\"" + scope + "\""}};
}

std::string Header(const http::Request& request, const std::string& name) {
  return RequestHeader(request, name).value_or("");
}

class HttpRegistryClientTest : public ::testing::Test {
 protected:
  RegistryOptions Options() {
    RegistryOptions options;
    options.clock = &clock_;
    options.sleep = [this](milliseconds delay) {
      sleeps_.push_back(delay);
      clock_.Advance(delay);
    };
    return options;
  }
  static ImageReference Ref(const std::string& image = "r.io/org/app", bool insecure = false) {
    return *ParseRepository(image, insecure);
  }
  static AuthConfig UserPass() {
    AuthConfig auth;
    auth.username = "user";
    auth.password = "s3cr3tpass";
    return auth;
  }

  FakeHttpClient http_;
  FakeClock clock_;
  std::vector<milliseconds> sleeps_;
};

TEST_F(HttpRegistryClientTest, ListsSinglePageAnonymously) {
  http_.Enqueue("GET", kTags, Reply(200, R"({"name":"org/app","tags":["b","a"]})"));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, (std::vector<std::string>{"b", "a"}));
  ASSERT_EQ(http_.requests().size(), 1u);
  EXPECT_EQ(http_.requests()[0].url, kTags);  // no ?n= on the first page, like ggcr
  EXPECT_FALSE(RequestHeader(http_.requests()[0], "Authorization"));
}

TEST_F(HttpRegistryClientTest, NullTagsIsEmpty) {
  http_.Enqueue("GET", kTags, Reply(200, R"({"name":"org/app","tags":null})"));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_TRUE(tags);
  EXPECT_TRUE(tags->empty());
}

TEST_F(HttpRegistryClientTest, FollowsLinkPagination) {
  http_.Enqueue("GET", kTags,
                Reply(200, R"({"tags":["a","b"]})",
                      {{"Link", R"(</v2/org/app/tags/list?last=b&n=2>; rel="next")"}}));
  http_.Enqueue("GET", std::string(kTags) + "?last=b&n=2",
                Reply(200, R"({"tags":["c","d"]})", {{"Link", R"(<?last=d&n=2>; rel="next")"}}));
  http_.Enqueue("GET", std::string(kTags) + "?last=d&n=2", Reply(200, R"({"tags":["e"]})"));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(http_.requests().size(), 3u);
}

TEST_F(HttpRegistryClientTest, DetectsPaginationLoop) {
  http_.Enqueue("GET", kTags,
                Reply(200, R"({"tags":["a"]})", {{"Link", R"(<?last=a>; rel="next")"}}));
  http_.Enqueue(
      "GET", std::string(kTags) + "?last=a",
      Reply(200, R"({"tags":["b"]})", {{"Link", R"(</v2/org/app/tags/list>; rel="next")"}}));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(tags.error().message(), std::string("tag list pagination loops back to ") + kTags);
}

TEST_F(HttpRegistryClientTest, CapsPageCount) {
  std::atomic<int> page{0};
  http_.SetHandler([&page](const http::Request&) -> Result<http::Response> {
    int n = ++page;
    return Reply(200, R"({"tags":["t)" + std::to_string(n) + R"("]})",
                 {{"Link", "<?last=t" + std::to_string(n) + ">; rel=\"next\""}});
  });
  RegistryOptions options = Options();
  options.max_pages = 3;
  HttpRegistryClient client(http_, options);
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(tags.error().message(), "tag list exceeds 3 pages");
  EXPECT_EQ(http_.requests().size(), 3u);
}

TEST_F(HttpRegistryClientTest, GarbageJsonIsTransient) {
  for (std::string body : {"<html>oops</html>", R"({"tags":"a"})", R"({"tags":[1]})", "[]", ""}) {
    FakeHttpClient http;
    http.Enqueue("GET", kTags, Reply(200, body));
    HttpRegistryClient client(http, Options());
    Result<std::vector<std::string>> tags = client.ListTags(Ref());
    ASSERT_FALSE(tags) << body;
    EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
    EXPECT_EQ(tags.error().message().rfind("invalid tag list response from r.io: ", 0), 0u)
        << tags.error().message();
  }
}

TEST_F(HttpRegistryClientTest, MalformedLinkHeaderIsTransient) {
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":["a"]})", {{"Link", "garbage"}}));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(tags.error().message().find("invalid Link header"), std::string::npos);
}

TEST_F(HttpRegistryClientTest, BearerFlowWithToken) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("GET", kTokenUrl, Reply(200, R"({"token":"t1"})"));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":["a"]})"));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_TRUE(tags) << tags.error().message();
  std::vector<http::Request> requests = http_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(RequestHeader(requests[1], "Authorization"));  // anonymous token
  EXPECT_EQ(Header(requests[2], "Authorization"), "Bearer t1");
}

TEST_F(HttpRegistryClientTest, BearerFlowPrefersAccessTokenAndSendsBasic) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("GET", kTokenUrl, Reply(200, R"({"token":"ignored","access_token":"a1"})"));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":["a"]})"));
  RegistryOptions options = Options();
  options.auth = UserPass();
  HttpRegistryClient client(http_, options);
  ASSERT_TRUE(client.ListTags(Ref()));
  std::vector<http::Request> requests = http_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(RequestHeader(requests[0], "Authorization"));  // anonymous first
  EXPECT_EQ(Header(requests[1], "Authorization"), UserPass().BasicAuthorization());
  EXPECT_EQ(Header(requests[2], "Authorization"), "Bearer a1");
}

TEST_F(HttpRegistryClientTest, ReusesTokenAcrossPagesAndDigests) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("GET", kTokenUrl, Reply(200, R"({"token":"t1"})"));
  http_.Enqueue("GET", kTags,
                Reply(200, R"({"tags":["a"]})", {{"Link", R"(<?last=a>; rel="next")"}}));
  http_.Enqueue("GET", std::string(kTags) + "?last=a", Reply(200, R"({"tags":["b"]})"));
  http_.Enqueue("HEAD", kManifest, Reply(200, "", {{"Docker-Content-Digest", kDigest}}));
  HttpRegistryClient client(http_, Options());
  ASSERT_TRUE(client.ListTags(Ref()));
  ASSERT_TRUE(client.ResolveDigest(Ref(), "v1"));
  EXPECT_EQ(http_.Count("GET", kRealm), 1);
  std::vector<http::Request> requests = http_.requests();
  ASSERT_EQ(requests.size(), 5u);
  for (std::size_t i = 2; i < requests.size(); ++i) {
    EXPECT_EQ(Header(requests[i], "Authorization"), "Bearer t1") << requests[i].url;
  }
}

TEST_F(HttpRegistryClientTest, FetchesTokenUpFrontForNewScope) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("GET", kTokenUrl, Reply(200, R"({"token":"t1"})"));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":[]})"));
  http_.Enqueue("GET", "https://auth.r.io/token?scope=repository%3Aorg%2Fother%3Apull&service=r.io",
                Reply(200, R"({"token":"t2"})"));
  http_.Enqueue("HEAD", "https://r.io/v2/org/other/manifests/v1",
                Reply(200, "", {{"Docker-Content-Digest", kDigest}}));
  HttpRegistryClient client(http_, Options());
  ASSERT_TRUE(client.ListTags(Ref()));
  Result<std::string> digest = client.ResolveDigest(Ref("r.io/org/other"), "v1");
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(Header(http_.requests().back(), "Authorization"), "Bearer t2");
  EXPECT_EQ(http_.requests().size(), 5u);
}

TEST_F(HttpRegistryClientTest, RefreshesTokenOnceOn401) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("GET", kTokenUrl, Reply(200, R"({"token":"t1"})"));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":["a"]})"));
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));  // t1 expired
  http_.Enqueue("GET", kTokenUrl, Reply(200, R"({"token":"t2"})"));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":["a","b"]})"));
  HttpRegistryClient client(http_, Options());
  ASSERT_TRUE(client.ListTags(Ref()));
  Result<std::vector<std::string>> second = client.ListTags(Ref());
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->size(), 2u);
  std::vector<http::Request> requests = http_.requests();
  ASSERT_EQ(requests.size(), 6u);
  EXPECT_EQ(Header(requests[3], "Authorization"), "Bearer t1");
  EXPECT_EQ(Header(requests[5], "Authorization"), "Bearer t2");
}

TEST_F(HttpRegistryClientTest, SecondUnauthorizedIsFinalWithoutSecrets) {
  const std::string body =
      R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required",)"
      R"("detail":[{"Type":"repository","Name":"org/app","Action":"pull"}]}]})";
  http_.Enqueue("GET", kTags, Reply(401, body, BearerChallenge()));
  http_.Enqueue("GET", kTokenUrl, Reply(200, R"({"token":"tok-s3cr3t"})"));
  http_.Enqueue("GET", kTags, Reply(401, body, BearerChallenge()));
  RegistryOptions options = Options();
  options.auth = UserPass();
  HttpRegistryClient client(http_, options);
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_EQ(tags.error().message(),
            std::string("GET ") + kTags +
                ": 401 Unauthorized: UNAUTHORIZED: authentication required; "
                R"([{"Action":"pull","Name":"org/app","Type":"repository"}])");
  EXPECT_EQ(tags.error().message().find("s3cr3t"), std::string::npos);
  EXPECT_EQ(http_.requests().size(), 3u);
}

TEST_F(HttpRegistryClientTest, AddsChallengeScopeFirst) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge("repository:org/app:pull,push")));
  http_.Enqueue("GET",
                "https://auth.r.io/token?scope=repository%3Aorg%2Fapp%3Apull%2Cpush&"
                "scope=repository%3Aorg%2Fapp%3Apull&service=r.io",
                Reply(200, R"({"token":"t1"})"));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":[]})"));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_TRUE(tags) << tags.error().message();
}

TEST_F(HttpRegistryClientTest, BearerChallengeWithoutRealmIsUnauthorized) {
  http_.Enqueue("GET", kTags, Reply(401, "", {{"WWW-Authenticate", R"(Bearer service="r.io")"}}));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_NE(tags.error().message().find("missing realm"), std::string::npos);
}

TEST_F(HttpRegistryClientTest, TokenServerRejectionIsUnauthorized) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("GET", kTokenUrl,
                Reply(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]})"));
  RegistryOptions options = Options();
  options.auth = UserPass();
  HttpRegistryClient client(http_, options);
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_EQ(tags.error().message(),
            std::string("GET ") + kTokenUrl + ": 401 Unauthorized: UNAUTHORIZED: bad credentials");
}

TEST_F(HttpRegistryClientTest, GarbageTokenResponseIsTransient) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("GET", kTokenUrl, Reply(200, "not json"));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(tags.error().message(),
            std::string("invalid token response from ") + kTokenUrl + ": no token");
}

TEST_F(HttpRegistryClientTest, RegistryTokenIsUsedAsIs) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":[]})"));
  RegistryOptions options = Options();
  options.auth = AuthConfig{};
  options.auth->registry_token = "rt";
  HttpRegistryClient client(http_, options);
  ASSERT_TRUE(client.ListTags(Ref()));
  EXPECT_EQ(http_.Count("GET", kRealm), 0);
  EXPECT_EQ(Header(http_.requests().back(), "Authorization"), "Bearer rt");
}

TEST_F(HttpRegistryClientTest, IdentityTokenUsesOauthRefreshGrant) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("POST", kRealm, Reply(200, R"({"access_token":"o1","refresh_token":"r2"})"));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":[]})"));
  RegistryOptions options = Options();
  options.auth = AuthConfig{};
  options.auth->identity_token = "refresh/1";
  HttpRegistryClient client(http_, options);
  ASSERT_TRUE(client.ListTags(Ref()));
  std::vector<http::Request> requests = http_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].body,
            "client_id=imgauto&grant_type=refresh_token&refresh_token=refresh%2F1&"
            "scope=repository%3Aorg%2Fapp%3Apull&service=r.io");
  EXPECT_EQ(Header(requests[1], "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(Header(requests[2], "Authorization"), "Bearer o1");
}

TEST_F(HttpRegistryClientTest, IdentityTokenFallsBackToGetOn404) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.Enqueue("POST", kRealm, Reply(404));
  http_.Enqueue("GET", kTokenUrl, Reply(200, R"({"token":"g1"})"));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":[]})"));
  RegistryOptions options = Options();
  options.auth = AuthConfig{};
  options.auth->identity_token = "refresh";
  HttpRegistryClient client(http_, options);
  ASSERT_TRUE(client.ListTags(Ref()));
  EXPECT_EQ(Header(http_.requests().back(), "Authorization"), "Bearer g1");
}

TEST_F(HttpRegistryClientTest, BasicChallengeUsesCredentials) {
  http_.Enqueue("GET", kTags, Reply(401, "", {{"WWW-Authenticate", R"(Basic realm="r")"}}));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":["a"]})"));
  RegistryOptions options = Options();
  options.auth = UserPass();
  HttpRegistryClient client(http_, options);
  ASSERT_TRUE(client.ListTags(Ref()));
  EXPECT_EQ(Header(http_.requests().back(), "Authorization"), UserPass().BasicAuthorization());
}

TEST_F(HttpRegistryClientTest, BasicChallengeWithoutCredentialsIsUnauthorized) {
  http_.Enqueue(
      "GET", kTags,
      Reply(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
            {{"WWW-Authenticate", R"(Basic realm="r")"}}));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_EQ(
      tags.error().message(),
      std::string("GET ") + kTags + ": 401 Unauthorized: UNAUTHORIZED: authentication required");
  EXPECT_EQ(http_.requests().size(), 1u);
}

struct StatusCase {
  int status;
  ErrorKind kind;
  std::string text;
};

class HttpRegistryStatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(HttpRegistryStatusTest, ClassifiesStatus) {
  const StatusCase param = GetParam();
  FakeHttpClient http;
  http.SetHandler([param](const http::Request&) -> Result<http::Response> {
    return Reply(param.status,
                 R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]})");
  });
  FakeClock clock;
  RegistryOptions options;
  options.clock = &clock;
  options.sleep = [](milliseconds) {};
  HttpRegistryClient client(http, options);
  Result<std::vector<std::string>> tags = client.ListTags(*ParseRepository("r.io/org/app"));
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), GetParam().kind);
  EXPECT_EQ(tags.error().message(), std::string("GET ") + kTags + ": " + GetParam().text +
                                        ": NAME_UNKNOWN: repository name not known");
}

INSTANTIATE_TEST_SUITE_P(
    Table, HttpRegistryStatusTest,
    ::testing::Values(StatusCase{404, ErrorKind::kNotFound, "404 Not Found"},
                      StatusCase{403, ErrorKind::kUnauthorized, "403 Forbidden"},
                      StatusCase{401, ErrorKind::kUnauthorized, "401 Unauthorized"},
                      StatusCase{400, ErrorKind::kInvalidSpec, "400 Bad Request"},
                      StatusCase{429, ErrorKind::kTransient, "429 Too Many Requests"},
                      StatusCase{500, ErrorKind::kTransient, "500 Internal Server Error"},
                      StatusCase{503, ErrorKind::kTransient, "503 Service Unavailable"}),
    [](const ::testing::TestParamInfo<StatusCase>& info) {
      return "Status" + std::to_string(info.param.status);
    });

TEST_F(HttpRegistryClientTest, RetriesServerErrorsWithExponentialBackoff) {
  http_.Enqueue("GET", kTags, Reply(503));
  http_.Enqueue("GET", kTags, Reply(502));
  http_.Enqueue("GET", kTags, Reply(500));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":["a"]})"));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(sleeps_,
            (std::vector<milliseconds>{milliseconds(200), milliseconds(400), milliseconds(800)}));
}

TEST_F(HttpRegistryClientTest, GivesUpAfterMaxAttempts) {
  http_.SetHandler([](const http::Request&) -> Result<http::Response> { return Reply(503); });
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(tags.error().message(), std::string("GET ") + kTags + ": 503 Service Unavailable");
  EXPECT_EQ(http_.requests().size(), 4u);
  EXPECT_EQ(sleeps_.size(), 3u);
}

TEST_F(HttpRegistryClientTest, DoesNotRetryClientErrors) {
  http_.SetHandler([](const http::Request&) -> Result<http::Response> { return Reply(400); });
  HttpRegistryClient client(http_, Options());
  ASSERT_FALSE(client.ListTags(Ref()));
  EXPECT_EQ(http_.requests().size(), 1u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(HttpRegistryClientTest, RetriesTransportErrors) {
  http_.Enqueue("GET", kTags, Error(ErrorKind::kTransient, "connect r.io:443: Connection refused"));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":["a"]})"));
  HttpRegistryClient client(http_, Options());
  ASSERT_TRUE(client.ListTags(Ref()));
  EXPECT_EQ(sleeps_.size(), 1u);
}

TEST_F(HttpRegistryClientTest, DoesNotRetryTlsVerificationFailures) {
  http_.SetHandler([](const http::Request&) -> Result<http::Response> {
    return Error(ErrorKind::kUnauthorized, "tls handshake r.io:443: certificate verify failed");
  });
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_EQ(tags.error().message(),
            std::string("GET ") + kTags + ": tls handshake r.io:443: certificate verify failed");
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(HttpRegistryClientTest, HonoursRetryAfterSeconds) {
  http_.Enqueue("GET", kTags, Reply(429, "", {{"Retry-After", "7"}}));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":[]})"));
  HttpRegistryClient client(http_, Options());
  ASSERT_TRUE(client.ListTags(Ref()));
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(7000)}));
}

TEST_F(HttpRegistryClientTest, HonoursRetryAfterHttpDate) {
  // FakeClock starts at 2024-05-01T10:00:00Z.
  http_.Enqueue("GET", kTags, Reply(429, "", {{"Retry-After", "Wed, 01 May 2024 10:00:05 GMT"}}));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":[]})"));
  HttpRegistryClient client(http_, Options());
  ASSERT_TRUE(client.ListTags(Ref()));
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(5000)}));
}

TEST_F(HttpRegistryClientTest, CapsRetryAfter) {
  http_.Enqueue("GET", kTags, Reply(429, "", {{"Retry-After", "3600"}}));
  http_.Enqueue("GET", kTags, Reply(200, R"({"tags":[]})"));
  RegistryOptions options = Options();
  options.max_retry_after = seconds(10);
  HttpRegistryClient client(http_, options);
  ASSERT_TRUE(client.ListTags(Ref()));
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(10000)}));
}

TEST_F(HttpRegistryClientTest, NeverSleepsPastDeadline) {
  http_.SetHandler([this](const http::Request& request) -> Result<http::Response> {
    EXPECT_EQ(request.deadline, std::chrono::steady_clock::time_point{} + seconds(1));
    clock_.Advance(milliseconds(600));
    return Reply(503);
  });
  RegistryOptions options = Options();
  options.timeout = seconds(1);
  HttpRegistryClient client(http_, options);
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(http_.requests().size(), 2u);  // 0.6s, sleep 0.2s, 1.4s: no time for another
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(200)}));
}

TEST_F(HttpRegistryClientTest, RetryAfterBeyondDeadlineFailsFast) {
  http_.SetHandler([](const http::Request&) -> Result<http::Response> {
    return Reply(429, "", {{"Retry-After", "30"}});
  });
  RegistryOptions options = Options();
  options.timeout = seconds(5);
  HttpRegistryClient client(http_, options);
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_NE(tags.error().message().find("429 Too Many Requests"), std::string::npos);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(HttpRegistryClientTest, DeadlineSpansTokenFetch) {
  http_.Enqueue("GET", kTags, Reply(401, "", BearerChallenge()));
  http_.SetOnSend([this](const http::Request&) { clock_.Advance(seconds(3)); });
  RegistryOptions options = Options();
  options.timeout = seconds(2);
  HttpRegistryClient client(http_, options);
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(tags.error().message(),
            std::string("GET ") + kTokenUrl + ": context deadline exceeded");
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(HttpRegistryClientTest, ResolvesDigestFromHead) {
  http_.Enqueue("HEAD", kManifest, Reply(200, "", {{"Docker-Content-Digest", kDigest}}));
  HttpRegistryClient client(http_, Options());
  Result<std::string> digest = client.ResolveDigest(Ref(), "v1");
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(*digest, kDigest);
  std::string accept = Header(http_.requests()[0], "Accept");
  for (const char* type :
       {"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json"}) {
    EXPECT_NE(accept.find(type), std::string::npos) << type;
  }
}

TEST_F(HttpRegistryClientTest, HashesBodyWhenHeadHasNoDigest) {
  const std::string manifest = R"({"schemaVersion":2})";
  http_.Enqueue("HEAD", kManifest, Reply(200));
  http_.Enqueue("GET", kManifest, Reply(200, manifest));
  HttpRegistryClient client(http_, Options());
  Result<std::string> digest = client.ResolveDigest(Ref(), "v1");
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(*digest, "sha256:" + Sha256Hex(manifest));
}

TEST_F(HttpRegistryClientTest, FallsBackToGetWhenHeadNotAllowed) {
  const std::string manifest = R"({"schemaVersion":2})";
  http_.Enqueue("HEAD", kManifest, Reply(405));
  http_.Enqueue("GET", kManifest,
                Reply(200, manifest, {{"Docker-Content-Digest", "sha256:" + Sha256Hex(manifest)}}));
  HttpRegistryClient client(http_, Options());
  Result<std::string> digest = client.ResolveDigest(Ref(), "v1");
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(*digest, "sha256:" + Sha256Hex(manifest));
}

TEST_F(HttpRegistryClientTest, RejectsDigestMismatch) {
  http_.Enqueue("HEAD", kManifest, Reply(405));
  http_.Enqueue("GET", kManifest, Reply(200, "tampered", {{"Docker-Content-Digest", kDigest}}));
  HttpRegistryClient client(http_, Options());
  Result<std::string> digest = client.ResolveDigest(Ref(), "v1");
  ASSERT_FALSE(digest);
  EXPECT_EQ(digest.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(digest.error().message().find("manifest digest mismatch"), std::string::npos);
}

TEST_F(HttpRegistryClientTest, MissingManifestIsNotFound) {
  http_.Enqueue("HEAD", kManifest, Reply(404));
  HttpRegistryClient client(http_, Options());
  Result<std::string> digest = client.ResolveDigest(Ref(), "v1");
  ASSERT_FALSE(digest);
  EXPECT_EQ(digest.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(digest.error().message(), std::string("HEAD ") + kManifest + ": 404 Not Found");
}

TEST_F(HttpRegistryClientTest, RejectsInvalidTagWithoutRequest) {
  HttpRegistryClient client(http_, Options());
  Result<std::string> digest = client.ResolveDigest(Ref(), "../../etc");
  ASSERT_FALSE(digest);
  EXPECT_EQ(digest.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(HttpRegistryClientTest, InsecureTriesHttpsFirstThenPlainHttp) {
  http_.Enqueue("GET", "https://r.io:5000/v2/app/tags/list",
                Error(ErrorKind::kTransient, "tls handshake with r.io:5000: wrong version number"));
  http_.Enqueue("GET", "http://r.io:5000/v2/app/tags/list", Reply(200, R"({"tags":["a"]})"));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref("r.io:5000/app", /*insecure=*/true));
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, std::vector<std::string>{"a"});
  ASSERT_EQ(http_.requests().size(), 2u);
  EXPECT_TRUE(sleeps_.empty());  // the fallback is immediate, not a retry
}

TEST_F(HttpRegistryClientTest, LocalRegistryRemembersHttpFallback) {
  const std::string https = "https://localhost:5000/v2/app/tags/list";
  const std::string plain = "http://localhost:5000/v2/app/tags/list";
  http_.Enqueue("GET", https, Error(ErrorKind::kTransient, "connect: Connection refused"));
  http_.Enqueue("GET", plain, Reply(200, R"({"tags":["a"]})"));
  http_.Enqueue("GET", plain, Reply(200, R"({"tags":["b"]})"));
  http_.Enqueue("HEAD", "http://localhost:5000/v2/app/manifests/v1",
                Reply(200, "", {{"Docker-Content-Digest", kDigest}}));
  HttpRegistryClient client(http_, Options());
  ASSERT_TRUE(client.ListTags(Ref("localhost:5000/app")));
  Result<std::vector<std::string>> again = client.ListTags(Ref("localhost:5000/app"));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, std::vector<std::string>{"b"});
  Result<std::string> digest = client.ResolveDigest(Ref("localhost:5000/app"), "v1");
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(*digest, kDigest);
  EXPECT_EQ(http_.requests().size(), 4u);  // https probed once, then http remembered
  EXPECT_EQ(http_.Count("GET", "https://"), 1);
}

TEST_F(HttpRegistryClientTest, FallbackFollowsRelativeLinksOverHttp) {
  http_.Enqueue("GET", "https://10.0.0.5/v2/app/tags/list",
                Error(ErrorKind::kTransient, "tls handshake: wrong version number"));
  http_.Enqueue("GET", "http://10.0.0.5/v2/app/tags/list",
                Reply(200, R"({"tags":["a"]})", {{"Link", R"(<?last=a>; rel="next")"}}));
  http_.Enqueue("GET", "http://10.0.0.5/v2/app/tags/list?last=a", Reply(200, R"({"tags":["b"]})"));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref("10.0.0.5/app"));
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(http_.requests().size(), 3u);
}

TEST_F(HttpRegistryClientTest, PublicRegistryNeverFallsBackToHttp) {
  http_.SetHandler([](const http::Request&) -> Result<http::Response> {
    return Error(ErrorKind::kTransient, "connect r.io:443: Connection refused");
  });
  RegistryOptions options = Options();
  options.max_attempts = 2;
  HttpRegistryClient client(http_, options);
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(http_.Count("GET", "http://"), 0);
  EXPECT_EQ(http_.Count("GET", "https://"), 2);
}

TEST_F(HttpRegistryClientTest, TlsVerificationFailureNeverFallsBackToHttp) {
  http_.SetHandler([](const http::Request& request) -> Result<http::Response> {
    if (request.url.rfind("https://", 0) == 0) {
      return Error(ErrorKind::kUnauthorized, "tls handshake: certificate verify failed");
    }
    return Reply(200, R"({"tags":["a"]})");
  });
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref("127.0.0.1:5000/app", true));
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_EQ(http_.Count("GET", "http://"), 0);
}

TEST_F(HttpRegistryClientTest, HttpsStatusErrorDoesNotFallBack) {
  http_.Enqueue("GET", "https://localhost:5000/v2/app/tags/list", Reply(404, ""));
  HttpRegistryClient client(http_, Options());
  Result<std::vector<std::string>> tags = client.ListTags(Ref("localhost:5000/app"));
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(HttpRegistryClientTest, CapsTotalTagCount) {
  http_.Enqueue("GET", kTags,
                Reply(200, R"({"tags":["a","b"]})", {{"Link", "<?last=b>; rel=next"}}));
  http_.Enqueue("GET", std::string(kTags) + "?last=b", Reply(200, R"({"tags":["c","d"]})"));
  RegistryOptions options = Options();
  options.max_tags = 3;
  HttpRegistryClient client(http_, options);
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(tags.error().message(), "tag list of r.io/org/app exceeds 3 tags");
}

TEST_F(HttpRegistryClientTest, AcceptsTagCountAtTheCap) {
  http_.Enqueue("GET", kTags,
                Reply(200, R"({"tags":["a","b"]})", {{"Link", "<?last=b>; rel=next"}}));
  http_.Enqueue("GET", std::string(kTags) + "?last=b", Reply(200, R"({"tags":["c"]})"));
  RegistryOptions options = Options();
  options.max_tags = 3;
  HttpRegistryClient client(http_, options);
  Result<std::vector<std::string>> tags = client.ListTags(Ref());
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(tags->size(), 3u);
}

TEST_F(HttpRegistryClientTest, NeverSendsCredentialsToOtherHosts) {
  http_.Enqueue("GET", kTags, Reply(401, "", {{"WWW-Authenticate", R"(Basic realm="r")"}}));
  http_.Enqueue(
      "GET", kTags,
      Reply(200, R"({"tags":["a"]})",
            {{"Link", R"(<https://evil.example/v2/org/app/tags/list?last=a>; rel=next)"}}));
  http_.Enqueue("GET", "https://evil.example/v2/org/app/tags/list?last=a",
                Reply(200, R"({"tags":["b"]})"));
  RegistryOptions options = Options();
  options.auth = UserPass();
  HttpRegistryClient client(http_, options);
  ASSERT_TRUE(client.ListTags(Ref()));
  EXPECT_FALSE(RequestHeader(http_.requests().back(), "Authorization"));
}

// ---------------------------------------------------------------------------------------------
// Loopback registries on TestHttpServer, spoken to by the real BeastHttpClient.

using imgauto::testing::RecordedRequest;
using imgauto::testing::TestHttpServer;
using imgauto::testing::TestResponse;
using imgauto::testing::TestServerOptions;

constexpr char kLoopbackTags[] = "/v2/team/app/tags/list";

http::HttpClientPtr LoopbackClient(std::size_t max_body_bytes = std::size_t{64} << 20) {
  http::ClientOptions options;
  options.timeout = milliseconds(5000);
  options.max_body_bytes = max_body_bytes;
  options.proxy_from_environment = false;
  Result<http::HttpClientPtr> client = http::BeastHttpClient::Create(options);
  EXPECT_TRUE(client) << client.error().message();
  return std::move(*client);
}

ImageReference LoopbackRef(const TestHttpServer& server) {
  return *ParseRepository(server.host() + "/team/app", /*insecure=*/true);
}

// Records sleeps instead of sleeping; retries start at 1ms.
struct RecordingSleep {
  std::shared_ptr<std::vector<milliseconds>> sleeps = std::make_shared<std::vector<milliseconds>>();
  RegistryOptions Options() const {
    RegistryOptions options;
    options.initial_backoff = milliseconds(1);
    auto recorded = sleeps;
    options.sleep = [recorded](milliseconds delay) { recorded->push_back(delay); };
    return options;
  }
};

std::string QueryValue(const std::string& query, const std::string& name) {
  for (const std::string& pair : Split(query, "&")) {
    if (pair.rfind(name + "=", 0) == 0) {
      return pair.substr(name.size() + 1);
    }
  }
  return "";
}

// Serves `tags` 100 per page with relative Link headers, as CNCF Distribution does with n=100.
void ServeTagPages(const std::vector<std::string>& tags, const RecordedRequest& request,
                   TestResponse& response) {
  if (request.path != kLoopbackTags) {
    response.status = 404;
    response.body =
        R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})";
    return;
  }
  std::string last = QueryValue(request.query, "last");
  std::size_t start = 0;
  if (!last.empty()) {
    start = static_cast<std::size_t>(std::find(tags.begin(), tags.end(), last) - tags.begin()) + 1;
  }
  std::size_t end = std::min(tags.size(), start + 100);
  std::string body = R"({"name":"team/app","tags":[)";
  for (std::size_t i = start; i < end; ++i) {
    body += (i > start ? ",\"" : "\"") + tags[i] + "\"";
  }
  response.body = body + "]}";
  response.SetHeader("Content-Type", "application/json");
  if (end < tags.size()) {
    response.SetHeader("Link", "<" + std::string(kLoopbackTags) + "?last=" + tags[end - 1] +
                                   "&n=100>; rel=\"next\"");
  }
}

std::vector<std::string> NumberedTags(int count) {
  std::vector<std::string> tags;
  for (int i = 0; i < count; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "t%03d", i);
    tags.emplace_back(name);
  }
  return tags;
}

TEST(LoopbackRegistryTest, PaginatesRelativeLinksOver250Tags) {
  const std::vector<std::string> all = NumberedTags(250);
  TestHttpServer server({.handler = [&all](const RecordedRequest& request, TestResponse& response) {
    ServeTagPages(all, request, response);
  }});
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());
  Result<std::vector<std::string>> tags = client.ListTags(LoopbackRef(server));
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, all);
  EXPECT_EQ(server.RequestCount(kLoopbackTags), 3);
  EXPECT_EQ(server.Requests()[0].query, "");
}

TEST(LoopbackRegistryTest, MissingRepositoryIs404NotFound) {
  TestHttpServer server({.handler = [](const RecordedRequest& request, TestResponse& response) {
    ServeTagPages({}, request, response);
  }});
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());
  Result<std::vector<std::string>> tags =
      client.ListTags(*ParseRepository(server.host() + "/team/missing", true));
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(tags.error().message().find("404 Not Found"), std::string::npos)
      << tags.error().message();
}

TEST(LoopbackRegistryTest, FetchesBearerTokenFromRealmServer) {
  const std::string basic = "Basic " + Base64Encode("user:pass");
  TestHttpServer token_server(
      {.handler = [basic](const RecordedRequest& request, TestResponse& response) {
        bool scoped = QueryValue(request.query, "scope") == "repository%3Ateam%2Fapp%3Apull" &&
                      QueryValue(request.query, "service") == "loopback";
        if (request.path != "/token" || request.Header("Authorization") != basic || !scoped) {
          response.status = 401;
          response.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]})";
          return;
        }
        response.body = R"({"token":"good-token","expires_in":300})";
      }});
  const std::vector<std::string> all = NumberedTags(150);
  const std::string realm = token_server.Url("/token");
  TestHttpServer registry({.handler = [&all, realm](const RecordedRequest& request,
                                                    TestResponse& response) {
    if (request.Header("Authorization") != "Bearer good-token") {
      response.status = 401;
      response.SetHeader("WWW-Authenticate", "Bearer realm=\"" + realm +
                                                 "\",service=\"loopback\",scope=\"repository:team/"
                                                 "app:pull\"");
      response.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})";
      return;
    }
    ServeTagPages(all, request, response);
  }});
  http::HttpClientPtr http = LoopbackClient();
  RegistryOptions options = RecordingSleep().Options();
  options.auth = AuthConfig{"user", "pass", "", ""};
  HttpRegistryClient client(*http, options);
  Result<std::vector<std::string>> tags = client.ListTags(LoopbackRef(registry));
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, all);
  EXPECT_EQ(token_server.RequestCount("/token"), 1);
  EXPECT_EQ(registry.RequestCount(kLoopbackTags), 3);  // 401, page 1, page 2

  RegistryOptions wrong = RecordingSleep().Options();
  wrong.auth = AuthConfig{"user", "wrong-s3cr3t", "", ""};
  HttpRegistryClient rejected(*http, wrong);
  Result<std::vector<std::string>> denied = rejected.ListTags(LoopbackRef(registry));
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_NE(denied.error().message().find("401 Unauthorized: UNAUTHORIZED: bad credentials"),
            std::string::npos)
      << denied.error().message();
  EXPECT_EQ(denied.error().message().find("s3cr3t"), std::string::npos);
}

TEST(LoopbackRegistryTest, SlowResponseHitsDeadline) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.delay_before_headers = milliseconds(1500);
    response.body = R"({"tags":["late"]})";
  }});
  http::HttpClientPtr http = LoopbackClient();
  RegistryOptions options;
  options.timeout = milliseconds(300);
  options.initial_backoff = milliseconds(1);
  HttpRegistryClient client(*http, options);
  auto start = std::chrono::steady_clock::now();
  Result<std::vector<std::string>> tags = client.ListTags(LoopbackRef(server));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_LT(elapsed, milliseconds(1200)) << tags.error().message();
  EXPECT_EQ(server.RequestCount(kLoopbackTags), 1);
}

TEST(LoopbackRegistryTest, TruncatedBodyIsRetriedThenTransient) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = R"({"name":"team/app","tags":["a","b","c"]})";
    response.truncate_body_after = 10;
  }});
  http::HttpClientPtr http = LoopbackClient();
  RecordingSleep sleep;
  HttpRegistryClient client(*http, sleep.Options());
  Result<std::vector<std::string>> tags = client.ListTags(LoopbackRef(server));
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(tags.error().message().rfind("GET " + server.Url(kLoopbackTags) + ": ", 0), 0u)
      << tags.error().message();
  EXPECT_EQ(server.RequestCount(kLoopbackTags), 4);
  EXPECT_EQ(*sleep.sleeps,
            (std::vector<milliseconds>{milliseconds(1), milliseconds(2), milliseconds(4)}));
}

TEST(LoopbackRegistryTest, OversizedBodyIsTransient) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = R"({"tags":[")" + std::string(4096, 'a') + R"("]})";
  }});
  http::HttpClientPtr http = LoopbackClient(/*max_body_bytes=*/1024);
  HttpRegistryClient client(*http, RecordingSleep().Options());
  Result<std::vector<std::string>> tags = client.ListTags(LoopbackRef(server));
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(tags.error().message().find("1024"), std::string::npos) << tags.error().message();
}

TEST(LoopbackRegistryTest, GarbageJsonIsTransient) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = "{\"tags\": [\"a\", ";
    response.chunked = true;
  }});
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());
  Result<std::vector<std::string>> tags = client.ListTags(LoopbackRef(server));
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(tags.error().message(),
            "invalid tag list response from " + server.host() + ": malformed JSON");
}

TEST(LoopbackRegistryTest, TooManyRequestsHonoursRetryAfter) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  TestHttpServer server({.handler = [calls](const RecordedRequest&, TestResponse& response) {
    if (++*calls == 1) {
      response.status = 429;
      response.SetHeader("Retry-After", "2");
      response.body = R"({"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]})";
      return;
    }
    response.body = R"({"tags":["a"]})";
  }});
  http::HttpClientPtr http = LoopbackClient();
  RecordingSleep sleep;
  HttpRegistryClient client(*http, sleep.Options());
  Result<std::vector<std::string>> tags = client.ListTags(LoopbackRef(server));
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, std::vector<std::string>{"a"});
  EXPECT_EQ(*sleep.sleeps, std::vector<milliseconds>{milliseconds(2000)});
  EXPECT_EQ(server.RequestCount(kLoopbackTags), 2);
}

TEST(LoopbackRegistryTest, ResolvesDigestFromHeadOrBody) {
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";
  const std::string digest = "sha256:" + Sha256Hex(manifest);
  TestHttpServer server(
      {.handler = [manifest, digest](const RecordedRequest& request, TestResponse& response) {
        response.SetHeader("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        response.body = manifest;
        if (request.path == "/v2/team/app/manifests/with-header") {
          response.SetHeader("Docker-Content-Digest", digest);
        } else if (request.path != "/v2/team/app/manifests/no-header") {
          response.status = 404;
          response.body.clear();
        }
      }});
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());
  Result<std::string> from_head = client.ResolveDigest(LoopbackRef(server), "with-header");
  ASSERT_TRUE(from_head) << from_head.error().message();
  EXPECT_EQ(*from_head, digest);
  EXPECT_EQ(server.Requests().back().method, "HEAD");
  Result<std::string> from_body = client.ResolveDigest(LoopbackRef(server), "no-header");
  ASSERT_TRUE(from_body) << from_body.error().message();
  EXPECT_EQ(*from_body, digest);
  EXPECT_EQ(server.Requests().back().method, "GET");
  Result<std::string> missing = client.ResolveDigest(LoopbackRef(server), "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
}

TEST(LoopbackRegistryTest, PlainServerWithoutInsecureFallsBackToHttp) {
  TestHttpServer server({.handler = [](const RecordedRequest& request, TestResponse& response) {
    ServeTagPages({"a", "b"}, request, response);
  }});
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());
  ImageReference ref = *ParseRepository(server.host() + "/team/app", /*insecure=*/false);
  Result<std::vector<std::string>> tags = client.ListTags(ref);
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, (std::vector<std::string>{"a", "b"}));
  const int connections = server.accepted_connections();
  ASSERT_TRUE(client.ListTags(ref));
  EXPECT_EQ(server.RequestCount(kLoopbackTags), 2);
  EXPECT_EQ(server.accepted_connections(), connections);  // no second https probe
}

TEST(LoopbackRegistryTest, TlsServerWithTrustedCaStaysHttps) {
  imgauto::testing::TestCertificates certs = imgauto::testing::TestCertificates::Generate();
  TestHttpServer server({.cert_pem = certs.server_cert_pem,
                         .key_pem = certs.server_key_pem,
                         .handler = [](const RecordedRequest& request, TestResponse& response) {
                           ServeTagPages({"v1"}, request, response);
                         }});
  http::ClientOptions options;
  options.timeout = milliseconds(5000);
  options.proxy_from_environment = false;
  options.tls.ca_pem = certs.ca_pem;
  Result<http::HttpClientPtr> http = http::BeastHttpClient::Create(options);
  ASSERT_TRUE(http) << http.error().message();
  HttpRegistryClient client(**http, RecordingSleep().Options());
  Result<std::vector<std::string>> tags =
      client.ListTags(*ParseRepository(server.host() + "/team/app"));
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});
  EXPECT_EQ(server.RequestCount(kLoopbackTags), 1);
  EXPECT_EQ(server.failed_handshakes(), 0);
}

TEST(LoopbackRegistryTest, TlsServerWithUntrustedCertificateDoesNotFallBack) {
  imgauto::testing::TestCertificates certs = imgauto::testing::TestCertificates::Generate();
  TestHttpServer server({.cert_pem = certs.server_cert_pem,
                         .key_pem = certs.server_key_pem,
                         .handler = [](const RecordedRequest& request, TestResponse& response) {
                           ServeTagPages({"v1"}, request, response);
                         }});
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());
  Result<std::vector<std::string>> tags =
      client.ListTags(*ParseRepository(server.host() + "/team/app", /*insecure=*/true));
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_NE(tags.error().message().find("certificate verify failed"), std::string::npos)
      << tags.error().message();
  EXPECT_EQ(server.RequestCount(kLoopbackTags), 0);
}

TEST(LoopbackRegistryTest, ServiceUnavailableIsRetriedUntilSuccess) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  TestHttpServer server({.handler = [calls](const RecordedRequest&, TestResponse& response) {
    if (++*calls <= 2) {
      response.status = 503;
      response.body = R"({"errors":[{"code":"UNAVAILABLE","message":"try later"}]})";
      return;
    }
    response.body = R"({"tags":["a"]})";
  }});
  http::HttpClientPtr http = LoopbackClient();
  RecordingSleep sleep;
  HttpRegistryClient client(*http, sleep.Options());
  Result<std::vector<std::string>> tags = client.ListTags(LoopbackRef(server));
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, std::vector<std::string>{"a"});
  EXPECT_EQ(server.RequestCount(kLoopbackTags), 3);
  EXPECT_EQ(*sleep.sleeps, (std::vector<milliseconds>{milliseconds(1), milliseconds(2)}));
}

TEST(LoopbackRegistryTest, PersistentServerErrorFailsAfterMaxAttempts) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.status = 500;
    response.body = "boom";
  }});
  http::HttpClientPtr http = LoopbackClient();
  RegistryOptions options = RecordingSleep().Options();
  options.max_attempts = 3;
  HttpRegistryClient client(*http, options);
  Result<std::vector<std::string>> tags = client.ListTags(LoopbackRef(server));
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(tags.error().message().find("500 Internal Server Error"), std::string::npos)
      << tags.error().message();
  EXPECT_EQ(server.RequestCount(kLoopbackTags), 3);
}

// ---------------------------------------------------------------------------------------------
// ImageCreated and the response observer.

using std::chrono::system_clock;

constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kDockerManifest[] = "application/vnd.docker.distribution.manifest.v2+json";
constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
constexpr char kDockerList[] = "application/vnd.docker.distribution.manifest.list.v2+json";

// 2024-05-01T10:00:00.123456789Z
system_clock::time_point May1() {
  using namespace std::chrono;
  return time_point_cast<system_clock::duration>(sys_days(year(2024) / 5 / 1) + hours(10) +
                                                 nanoseconds(123456789));
}

std::string DigestOf(const std::string& body) { return "sha256:" + Sha256Hex(body); }

// An image config; `created` is the raw JSON member ("" for none).
std::string ConfigJson(const std::string& created, const std::string& padding = "") {
  return R"({"architecture":"amd64","os":"linux",)" + created + (created.empty() ? "" : ",") +
         R"("rootfs":{"type":"layers","diff_ids":[]})" +
         (padding.empty() ? "" : R"(,"padding":")" + padding + "\"") + "}";
}

std::string ManifestJson(const std::string& media_type, const std::string& config,
                         const std::string& annotations = "") {
  return R"({"schemaVersion":2,"mediaType":")" + media_type +
         R"(","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         DigestOf(config) + R"(","size":)" + std::to_string(config.size()) + R"(},"layers":[])" +
         (annotations.empty() ? "" : R"(,"annotations":)" + annotations) + "}";
}

// An index of (os/architecture, manifest) entries.
std::string IndexJson(const std::string& media_type,
                      const std::vector<std::pair<std::string, std::string>>& entries,
                      const std::string& annotations = "") {
  std::string body = R"({"schemaVersion":2,"mediaType":")" + media_type + R"(","manifests":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& [platform, manifest] = entries[i];
    const std::size_t slash = platform.find('/');
    body += (i > 0 ? "," : "") + std::string(R"({"mediaType":")") + kOciManifest +
            R"(","digest":")" + DigestOf(manifest) + R"(","size":)" +
            std::to_string(manifest.size()) + R"(,"platform":{"os":")" + platform.substr(0, slash) +
            R"(","architecture":")" + platform.substr(slash + 1) + R"("}})";
  }
  return body + "]" + (annotations.empty() ? "" : R"(,"annotations":)" + annotations) + "}";
}

struct Document {
  std::string content_type;
  std::string body;
};

// A loopback registry serving `documents` by path (below /v2/team/app/); 404 otherwise.
class DocumentRegistry {
 public:
  DocumentRegistry() {
    server_.SetHandler(
        [documents = documents_](const RecordedRequest& request, TestResponse& response) {
          std::lock_guard<std::mutex> lock(documents->mu);
          auto it = documents->by_path.find(request.path);
          if (it == documents->by_path.end()) {
            response.status = 404;
            response.SetHeader("Content-Type", "application/json");
            response.body = request.path.find("/blobs/") != std::string::npos
                                ? R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]})"
                                : R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]})";
            return;
          }
          response.SetHeader("Content-Type", it->second.content_type);
          response.body = it->second.body;
        });
  }
  // Serves `body` at /v2/team/app/manifests/<tag> (and at its digest).
  void Manifest(const std::string& tag, const std::string& media_type, const std::string& body) {
    std::lock_guard<std::mutex> lock(documents_->mu);
    documents_->by_path["/v2/team/app/manifests/" + tag] = {media_type, body};
    documents_->by_path["/v2/team/app/manifests/" + DigestOf(body)] = {media_type, body};
  }
  // Serves `body` at /v2/team/app/blobs/<digest of body>.
  void Blob(const std::string& body) { BlobAt(DigestOf(body), body); }
  void BlobAt(const std::string& digest, const std::string& body) {
    std::lock_guard<std::mutex> lock(documents_->mu);
    documents_->by_path["/v2/team/app/blobs/" + digest] = {"application/octet-stream", body};
  }
  TestHttpServer& server() { return server_; }
  ImageReference Ref() const { return LoopbackRef(server_); }
  std::vector<std::string> Paths() const {
    std::vector<std::string> paths;
    for (const RecordedRequest& request : server_.Requests()) {
      paths.push_back(request.method + " " + request.path);
    }
    return paths;
  }

 private:
  struct Documents {
    std::mutex mu;
    std::map<std::string, Document> by_path;
  };
  std::shared_ptr<Documents> documents_ = std::make_shared<Documents>();
  TestHttpServer server_;
};

TEST(ImageCreatedTest, ReadsCreatedFromTheConfigOfASingleManifest) {
  DocumentRegistry registry;
  const std::string config = ConfigJson(R"("created":"2024-05-01T10:00:00.123456789Z")");
  const std::string manifest = ManifestJson(kDockerManifest, config);
  registry.Manifest("v1", kDockerManifest, manifest);
  registry.Blob(config);
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "v1");

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, May1());
  EXPECT_EQ(registry.Paths(),
            (std::vector<std::string>{"GET /v2/team/app/manifests/v1",
                                      "GET /v2/team/app/blobs/" + DigestOf(config)}));
  const std::string accept = registry.server().Requests()[0].Header("Accept").value_or("");
  for (const char* type : {kOciManifest, kDockerManifest, kOciIndex, kDockerList}) {
    EXPECT_NE(accept.find(type), std::string::npos) << accept;
  }
}

TEST(ImageCreatedTest, AcceptsADigestReferenceAndAnOffset) {
  DocumentRegistry registry;
  const std::string config = ConfigJson(R"("created":"2024-05-01T12:00:00.123456789+02:00")");
  const std::string manifest = ManifestJson(kOciManifest, config);
  registry.Manifest("v1", kOciManifest, manifest);
  registry.Blob(config);
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created =
      client.ImageCreated(registry.Ref(), DigestOf(manifest));

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, May1());
}

TEST(ImageCreatedTest, IndexPicksTheLinuxAmd64Image) {
  for (const char* index_type : {kOciIndex, kDockerList}) {
    DocumentRegistry registry;
    const std::string arm_config = ConfigJson(R"("created":"2020-01-01T00:00:00Z")");
    const std::string amd_config = ConfigJson(R"("created":"2024-05-01T10:00:00.123456789Z")");
    const std::string arm = ManifestJson(kOciManifest, arm_config);
    const std::string amd = ManifestJson(kOciManifest, amd_config);
    registry.Manifest("arm", kOciManifest, arm);
    registry.Manifest("amd", kOciManifest, amd);
    registry.Blob(arm_config);
    registry.Blob(amd_config);
    registry.Manifest("multi", index_type,
                      IndexJson(index_type, {{"linux/arm64", arm}, {"linux/amd64", amd}}));
    http::HttpClientPtr http = LoopbackClient();
    HttpRegistryClient client(*http, RecordingSleep().Options());

    Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "multi");

    ASSERT_TRUE(created) << index_type << ": " << created.error().message();
    EXPECT_EQ(*created, May1()) << index_type;
    EXPECT_EQ(registry.Paths(),
              (std::vector<std::string>{"GET /v2/team/app/manifests/multi",
                                        "GET /v2/team/app/manifests/" + DigestOf(amd),
                                        "GET /v2/team/app/blobs/" + DigestOf(amd_config)}))
        << index_type;
  }
}

TEST(ImageCreatedTest, IndexWithoutLinuxAmd64UsesTheFirstEntry) {
  DocumentRegistry registry;
  const std::string first_config = ConfigJson(R"("created":"2024-05-01T10:00:00.123456789Z")");
  const std::string second_config = ConfigJson(R"("created":"2020-01-01T00:00:00Z")");
  const std::string first = ManifestJson(kOciManifest, first_config);
  const std::string second = ManifestJson(kOciManifest, second_config);
  registry.Manifest("a", kOciManifest, first);
  registry.Manifest("b", kOciManifest, second);
  registry.Blob(first_config);
  registry.Blob(second_config);
  registry.Manifest("multi", kOciIndex,
                    IndexJson(kOciIndex, {{"linux/arm64", first}, {"windows/amd64", second}}));
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "multi");

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, May1());
}

TEST(ImageCreatedTest, FallsBackToTheManifestAnnotation) {
  // No created, a null one, and Go's zero time all mean "unset".
  for (std::string created_member : {std::string(), std::string(R"("created":null)"),
                                     std::string(R"("created":"0001-01-01T00:00:00Z")")}) {
    DocumentRegistry registry;
    const std::string config = ConfigJson(created_member);
    registry.Manifest(
        "v1", kOciManifest,
        ManifestJson(kOciManifest, config,
                     R"({"org.opencontainers.image.created":"2024-05-01T10:00:00.123456789Z"})"));
    registry.Blob(config);
    http::HttpClientPtr http = LoopbackClient();
    HttpRegistryClient client(*http, RecordingSleep().Options());

    Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "v1");

    ASSERT_TRUE(created) << created_member << ": " << created.error().message();
    EXPECT_EQ(*created, May1()) << created_member;
  }
}

TEST(ImageCreatedTest, ConfigCreatedWinsOverTheAnnotation) {
  DocumentRegistry registry;
  const std::string config = ConfigJson(R"("created":"2024-05-01T10:00:00.123456789Z")");
  registry.Manifest("v1", kOciManifest,
                    ManifestJson(kOciManifest, config,
                                 R"({"org.opencontainers.image.created":"2001-01-01T00:00:00Z"})"));
  registry.Blob(config);
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "v1");

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, May1());
}

TEST(ImageCreatedTest, FallsBackToTheIndexAnnotation) {
  DocumentRegistry registry;
  const std::string config = ConfigJson("");
  const std::string image = ManifestJson(kOciManifest, config);
  registry.Manifest("amd", kOciManifest, image);
  registry.Blob(config);
  registry.Manifest(
      "multi", kOciIndex,
      IndexJson(kOciIndex, {{"linux/amd64", image}},
                R"({"org.opencontainers.image.created":"2024-05-01T10:00:00.123456789Z"})"));
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "multi");

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, May1());
}

TEST(ImageCreatedTest, MissingCreatedIsNotFound) {
  DocumentRegistry registry;
  const std::string config = ConfigJson("");
  registry.Manifest("v1", kOciManifest,
                    ManifestJson(kOciManifest, config, R"({"org.example":"x"})"));
  registry.Blob(config);
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "v1");

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(created.error().message(), "image config has no created time");
}

TEST(ImageCreatedTest, UnparsableCreatedIsTransient) {
  DocumentRegistry registry;
  const std::string config = ConfigJson(R"("created":"yesterday")");
  registry.Manifest("v1", kOciManifest, ManifestJson(kOciManifest, config));
  registry.Blob(config);
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "v1");

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(created.error().message(), "invalid created time 'yesterday' in image config of " +
                                           registry.server().host() + "/team/app:v1");
}

TEST(ImageCreatedTest, OversizedConfigIsTransient) {
  DocumentRegistry registry;
  // Just over the default 4 MiB cap.
  const std::string config =
      ConfigJson(R"("created":"2024-05-01T10:00:00Z")", std::string(std::size_t{4} << 20, 'x'));
  registry.Manifest("v1", kOciManifest, ManifestJson(kOciManifest, config));
  registry.Blob(config);
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "v1");

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(created.error().message(),
            "GET " + registry.server().Url("/v2/team/app/blobs/" + DigestOf(config)) +
                ": image config exceeds 4194304 bytes");

  // The cap is an option and covers manifests too.
  RegistryOptions small = RecordingSleep().Options();
  small.max_metadata_bytes = 64;
  HttpRegistryClient strict(*http, small);
  Result<system_clock::time_point> capped = strict.ImageCreated(registry.Ref(), "v1");
  ASSERT_FALSE(capped);
  EXPECT_NE(capped.error().message().find("manifest exceeds 64 bytes"), std::string::npos)
      << capped.error().message();
}

TEST(ImageCreatedTest, MissingConfigBlobIsNotFound) {
  DocumentRegistry registry;
  const std::string config = ConfigJson(R"("created":"2024-05-01T10:00:00Z")");
  registry.Manifest("v1", kOciManifest, ManifestJson(kOciManifest, config));
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "v1");

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(created.error().message(),
            "GET " + registry.server().Url("/v2/team/app/blobs/" + DigestOf(config)) +
                ": 404 Not Found: BLOB_UNKNOWN: blob unknown");
}

TEST(ImageCreatedTest, MissingManifestIsNotFound) {
  DocumentRegistry registry;
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "nope");

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(created.error().message().find("manifests/nope: 404 Not Found"), std::string::npos)
      << created.error().message();
}

TEST(ImageCreatedTest, ConfigDigestMismatchIsTransient) {
  DocumentRegistry registry;
  const std::string config = ConfigJson(R"("created":"2024-05-01T10:00:00Z")");
  registry.Manifest("v1", kOciManifest, ManifestJson(kOciManifest, config));
  registry.BlobAt(DigestOf(config), ConfigJson(R"("created":"2030-01-01T00:00:00Z")"));
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "v1");

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(created.error().message().find("image config digest mismatch"), std::string::npos)
      << created.error().message();
}

TEST(ImageCreatedTest, FollowsBlobRedirectToStorageWithoutCredentials) {
  const std::string config = ConfigJson(R"("created":"2024-05-01T10:00:00.123456789Z")");
  TestHttpServer storage({.handler = [config](const RecordedRequest&, TestResponse& response) {
    response.body = config;
  }});
  const std::string manifest = ManifestJson(kOciManifest, config);
  const std::string basic = "Basic " + Base64Encode("user:pass");
  // Another host name for the same loopback server: the HttpClient drops Authorization.
  const std::string location =
      "http://localhost:" + std::to_string(storage.port()) + "/bucket/config?signature=abc";
  TestHttpServer registry({.handler = [&](const RecordedRequest& request, TestResponse& response) {
    if (request.Header("Authorization") != basic) {
      response.status = 401;
      response.SetHeader("WWW-Authenticate", "Basic realm=\"registry\"");
      return;
    }
    if (request.path == "/v2/team/app/manifests/v1") {
      response.SetHeader("Content-Type", kOciManifest);
      response.body = manifest;
    } else if (request.path == "/v2/team/app/blobs/" + DigestOf(config)) {
      response.status = 307;
      response.SetHeader("Location", location);
    } else {
      response.status = 404;
    }
  }});
  http::HttpClientPtr http = LoopbackClient();
  RegistryOptions options = RecordingSleep().Options();
  options.auth = AuthConfig{"user", "pass", "", ""};
  HttpRegistryClient client(*http, options);

  Result<system_clock::time_point> created = client.ImageCreated(LoopbackRef(registry), "v1");

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, May1());
  std::vector<RecordedRequest> fetched = storage.Requests();
  ASSERT_EQ(fetched.size(), 1u);
  EXPECT_EQ(fetched[0].query, "signature=abc");
  EXPECT_FALSE(fetched[0].Header("Authorization"));
}

TEST(ImageCreatedTest, RejectsAnInvalidTagWithoutARequest) {
  DocumentRegistry registry;
  http::HttpClientPtr http = LoopbackClient();
  HttpRegistryClient client(*http, RecordingSleep().Options());

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "bad tag");

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_TRUE(registry.server().Requests().empty());
}

TEST_F(HttpRegistryClientTest, ImageCreatedReadsSchema1History) {
  const std::string manifest =
      R"({"schemaVersion":1,"name":"org/app","tag":"v1","history":[{"v1Compatibility":)"
      R"("{\"created\":\"2024-05-01T10:00:00.123456789Z\"}"}]})";
  http_.Enqueue(
      "GET", kManifest,
      Reply(200, manifest,
            {{"Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws"}}));
  HttpRegistryClient client(http_, Options());

  Result<system_clock::time_point> created = client.ImageCreated(Ref(), "v1");

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, May1());
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(HttpRegistryClientTest, ImageCreatedStopsAtDeeplyNestedIndexes) {
  // Every index points at another index.
  std::string inner = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                      R"("manifests":[]})";
  std::vector<std::string> chain{inner};
  for (int i = 0; i < 3; ++i) {
    chain.push_back(std::string(R"({"schemaVersion":2,"mediaType":")") + kOciIndex +
                    R"(","manifests":[{"mediaType":")" + kOciIndex + R"(","digest":")" +
                    DigestOf(chain.back()) + R"(","size":1}]})");
  }
  http_.Enqueue("GET", kManifest, Reply(200, chain[3]));
  for (int i = 2; i >= 0; --i) {
    http_.Enqueue("GET", "https://r.io/v2/org/app/manifests/" + DigestOf(chain[i]),
                  Reply(200, chain[i]));
  }
  HttpRegistryClient client(http_, Options());

  Result<system_clock::time_point> created = client.ImageCreated(Ref(), "v1");

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(created.error().message(), "image index of r.io/org/app:v1 nests more than 2 levels");
  EXPECT_EQ(http_.requests().size(), 3u);
}

TEST(ManifestSummaryTest, KindFromMediaTypeContentTypeOrShape) {
  const std::string config_digest = DigestOf("{}");
  const std::string config = R"("config":{"digest":")" + config_digest + R"("})";
  Result<internal::ManifestSummary> by_body = internal::ParseManifestSummary(
      std::string(R"({"mediaType":")") + kDockerManifest + "\"," + config + "}", "text/plain",
      "r.io");
  ASSERT_TRUE(by_body) << by_body.error().message();
  EXPECT_EQ(by_body->kind, internal::ManifestSummary::Kind::kImage);
  EXPECT_EQ(by_body->config_digest, config_digest);

  Result<internal::ManifestSummary> by_header = internal::ParseManifestSummary(
      R"({"manifests":[]})", std::string(kDockerList) + "; charset=utf-8", "r.io");
  ASSERT_TRUE(by_header) << by_header.error().message();
  EXPECT_EQ(by_header->kind, internal::ManifestSummary::Kind::kIndex);
  EXPECT_EQ(by_header->child_digest, "");

  Result<internal::ManifestSummary> by_shape =
      internal::ParseManifestSummary("{" + config + "}", "application/json", "r.io");
  ASSERT_TRUE(by_shape) << by_shape.error().message();
  EXPECT_EQ(by_shape->kind, internal::ManifestSummary::Kind::kImage);
}

TEST(ManifestSummaryTest, RejectsUnusableDocuments) {
  struct Case {
    std::string body;
    std::string what;
  };
  const std::vector<Case> cases = {
      {"{", "malformed JSON"},
      {"[]", "expected a JSON object"},
      {R"({"mediaType":"application/vnd.oci.artifact.manifest.v1+json","blobs":[]})",
       "unsupported media type 'application/vnd.oci.artifact.manifest.v1+json'"},
      {std::string(R"({"mediaType":")") + kOciManifest + R"("})", "no config descriptor"},
      {std::string(R"({"mediaType":")") + kOciManifest + R"(","config":{"digest":"../x"}})",
       "invalid config digest '../x'"},
      {std::string(R"({"mediaType":")") + kOciIndex + R"(","manifests":[{"digest":"a:/b"}]})",
       "invalid manifest digest 'a:/b'"},
      {std::string(R"({"mediaType":")") + kOciIndex + R"(","manifests":{}})",
       "'manifests' is not a list"},
  };
  for (const Case& c : cases) {
    Result<internal::ManifestSummary> summary = internal::ParseManifestSummary(c.body, "", "r.io");
    ASSERT_FALSE(summary) << c.body;
    EXPECT_EQ(summary.error().kind(), ErrorKind::kTransient);
    EXPECT_EQ(summary.error().message(), "invalid manifest from r.io: " + c.what);
  }
}

TEST(ManifestSummaryTest, ConfigCreated) {
  EXPECT_EQ(*internal::ParseConfigCreated(R"({"created":"2024-05-01T10:00:00Z"})", "r.io"),
            "2024-05-01T10:00:00Z");
  EXPECT_EQ(*internal::ParseConfigCreated(R"({"created":null})", "r.io"), "");
  EXPECT_EQ(*internal::ParseConfigCreated(R"({})", "r.io"), "");
  Result<std::string> bad = internal::ParseConfigCreated(R"({"created":5})", "r.io");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "invalid image config from r.io: 'created' is not a string");
  EXPECT_FALSE(internal::ParseConfigCreated("nope", "r.io"));
}

TEST(RegistryClientTest, ImageCreatedDefaultsToNotSupported) {
  class Minimal final : public RegistryClient {
   public:
    Result<std::vector<std::string>> ListTags(const ImageReference&) override {
      return std::vector<std::string>{};
    }
    Result<std::string> ResolveDigest(const ImageReference&, std::string_view) override {
      return std::string();
    }
  };
  Minimal client;
  Result<system_clock::time_point> created = client.ImageCreated(ImageReference{}, "v1");
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kInternal);
}

// Records every on_response call.
struct ResponseLog {
  std::shared_ptr<std::mutex> mu = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::pair<std::string, int>>> calls =
      std::make_shared<std::vector<std::pair<std::string, int>>>();
  void Attach(RegistryOptions& options) const {
    options.on_response = [mu = mu, calls = calls](std::string_view registry, int code) {
      std::lock_guard<std::mutex> lock(*mu);
      calls->emplace_back(std::string(registry), code);
    };
  }
  std::vector<std::pair<std::string, int>> Calls() const {
    std::lock_guard<std::mutex> lock(*mu);
    return *calls;
  }
};

TEST(RegistryObserverTest, SeesEveryRegistryResponseIncludingRetries) {
  DocumentRegistry registry;
  const std::string config = ConfigJson(R"("created":"2024-05-01T10:00:00.123456789Z")");
  const std::string manifest = ManifestJson(kOciManifest, config);
  registry.Blob(config);
  auto calls = std::make_shared<std::atomic<int>>(0);
  registry.server().SetHandler([&](const RecordedRequest& request, TestResponse& response) {
    if (++*calls == 1) {
      response.status = 429;
      response.SetHeader("Retry-After", "1");
      return;
    }
    if (request.path == "/v2/team/app/manifests/v1") {
      response.SetHeader("Content-Type", kOciManifest);
      response.body = manifest;
    } else if (request.path == "/v2/team/app/blobs/" + DigestOf(config)) {
      response.body = config;
    } else {
      response.status = 404;
    }
  });
  http::HttpClientPtr http = LoopbackClient();
  RecordingSleep sleep;
  RegistryOptions options = sleep.Options();
  ResponseLog log;
  log.Attach(options);
  HttpRegistryClient client(*http, options);

  Result<system_clock::time_point> created = client.ImageCreated(registry.Ref(), "v1");
  Result<std::string> missing = client.ResolveDigest(registry.Ref(), "nope");

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, May1());
  ASSERT_FALSE(missing);
  const std::string host = registry.server().host();
  EXPECT_EQ(log.Calls(), (std::vector<std::pair<std::string, int>>{
                             {host, 429}, {host, 200}, {host, 200}, {host, 404}}));
  EXPECT_EQ(*sleep.sleeps, std::vector<milliseconds>{milliseconds(1000)});
}

TEST(RegistryObserverTest, IgnoresTokenServerResponses) {
  TestHttpServer token_server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = R"({"token":"good-token"})";
  }});
  const std::string realm = token_server.Url("/token");
  TestHttpServer registry(
      {.handler = [realm](const RecordedRequest& request, TestResponse& response) {
        if (request.Header("Authorization") != "Bearer good-token") {
          response.status = 401;
          response.SetHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"x\"");
          return;
        }
        response.body = R"({"tags":["a"]})";
      }});
  http::HttpClientPtr http = LoopbackClient();
  RegistryOptions options = RecordingSleep().Options();
  ResponseLog log;
  log.Attach(options);
  HttpRegistryClient client(*http, options);

  ASSERT_TRUE(client.ListTags(LoopbackRef(registry)));

  EXPECT_EQ(token_server.RequestCount("/token"), 1);
  EXPECT_EQ(log.Calls(), (std::vector<std::pair<std::string, int>>{{registry.host(), 401},
                                                                   {registry.host(), 200}}));
}

TEST(RegistryObserverTest, TransportFailureIsCodeZero) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.close_without_response = true;
  }});
  http::HttpClientPtr http = LoopbackClient();
  RegistryOptions options = RecordingSleep().Options();
  options.max_attempts = 3;
  ResponseLog log;
  log.Attach(options);
  HttpRegistryClient client(*http, options);

  Result<system_clock::time_point> created = client.ImageCreated(LoopbackRef(server), "v1");

  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().kind(), ErrorKind::kTransient);
  // The https probe and its immediate http resend count as one attempt.
  EXPECT_EQ(log.Calls(), (std::vector<std::pair<std::string, int>>{
                             {server.host(), 0}, {server.host(), 0}, {server.host(), 0}}));
}

TEST_F(HttpRegistryClientTest, ObserverNamesTheRegistryAsWritten) {
  http_.Enqueue(
      "GET", "https://localhost:5000/v2/org/app/tags/list",
      Result<http::Response>(Error(ErrorKind::kUnauthorized, "certificate verify failed")));
  RegistryOptions options = Options();
  ResponseLog log;
  log.Attach(options);
  HttpRegistryClient client(http_, options);

  ASSERT_FALSE(client.ListTags(Ref("localhost:5000/org/app")));

  EXPECT_EQ(log.Calls(), (std::vector<std::pair<std::string, int>>{{"localhost:5000", 0}}));
}

}  // namespace
}  // namespace imgauto::reflector::registry
