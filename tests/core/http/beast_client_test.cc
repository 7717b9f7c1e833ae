#include "core/http/beast_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "core/http/client.h"
#include "core/http/tls.h"
#include "tests/servers/test_http_server.h"

namespace imgauto::http {
namespace {

using imgauto::testing::RecordedRequest;
using imgauto::testing::TestCertificates;
using imgauto::testing::TestHttpServer;
using imgauto::testing::TestResponse;
using imgauto::testing::TestServerOptions;
using std::chrono::milliseconds;

HttpClientPtr MakeClient(ClientOptions options = {}) {
  if (!options.proxy_environment) {
    options.proxy_environment = ProxyEnvironment{};  // hermetic: ignore the caller's proxies
  }
  Result<HttpClientPtr> client = BeastHttpClient::Create(std::move(options));
  EXPECT_TRUE(client) << client.error().message();
  return client ? std::move(*client) : nullptr;
}

testing::TestHandler Reply(int status, std::string body) {
  return [status, body](const RecordedRequest&, TestResponse& response) {
    response.status = status;
    response.body = body;
  };
}

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Returns a loopback port nobody listens on (a server that was just stopped).
std::uint16_t ClosedPort() {
  TestHttpServer server;
  return server.port();
}

TEST(BeastHttpClientTest, SendsGetAndReadsResponse) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.SetHeader("X-Test", "yes");
    response.body = "hello";
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.url = server.Url("/v2/?n=1")});

  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->reason, "OK");
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->Header("x-test"), "yes");
  std::vector<RecordedRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v2/?n=1");
  EXPECT_EQ(requests[0].Header("Host"), server.host());
  EXPECT_EQ(requests[0].Header("User-Agent"), "imgauto/0.1");
}

TEST(BeastHttpClientTest, SendsHeadersAndBody) {
  TestHttpServer server;
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.method = "POST",
                                            .url = server.Url("/token"),
                                            .headers = {{"X-One", "1"}, {"X-One", "2"}},
                                            .body = "grant_type=password"});

  ASSERT_TRUE(response) << response.error().message();
  std::vector<RecordedRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, "grant_type=password");
  EXPECT_EQ(requests[0].Header("Content-Length"), "19");
  EXPECT_EQ(requests[0].Header("X-One"), "1");
}

TEST(BeastHttpClientTest, ReusesKeepAliveConnection) {
  TestHttpServer server;
  HttpClientPtr client = MakeClient();

  for (int i = 0; i < 3; ++i) {
    Result<Response> response = client->Send({.url = server.Url("/v2/")});
    ASSERT_TRUE(response) << response.error().message();
  }

  EXPECT_EQ(server.accepted_connections(), 1);
  EXPECT_EQ(server.RequestCount("/v2/"), 3);
}

TEST(BeastHttpClientTest, ReconnectsWhenIdleConnectionWasClosed) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = "ok";
    response.close_after_response = true;  // the server drops every idle connection
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> first = client->Send({.url = server.Url("/a")});
  ASSERT_TRUE(first) << first.error().message();
  std::this_thread::sleep_for(milliseconds(50));  // let the close reach the client's socket
  Result<Response> second = client->Send({.url = server.Url("/b")});

  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->body, "ok");
  EXPECT_EQ(server.accepted_connections(), 2);
  EXPECT_EQ(server.RequestCount("/b"), 1);
}

TEST(BeastHttpClientTest, ClosesConnectionWhenServerSaysClose) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.close_connection = true;
  }});
  HttpClientPtr client = MakeClient();

  ASSERT_TRUE(client->Send({.url = server.Url("/a")}));
  ASSERT_TRUE(client->Send({.url = server.Url("/a")}));

  EXPECT_EQ(server.accepted_connections(), 2);
}

TEST(BeastHttpClientTest, HeadResponseHasNoBody) {
  TestHttpServer server(
      {.handler = Reply(200, std::string(100, 'x'))});  // HEAD: Content-Length 100, no bytes
  HttpClientPtr client = MakeClient();

  Result<Response> head = client->Send({.method = "HEAD", .url = server.Url("/v2/m")});
  Result<Response> get = client->Send({.url = server.Url("/v2/m")});

  ASSERT_TRUE(head) << head.error().message();
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->Header("Content-Length"), "100");
  ASSERT_TRUE(get) << get.error().message();
  EXPECT_EQ(get->body.size(), 100u);
  EXPECT_EQ(server.accepted_connections(), 1);  // the HEAD response was framed correctly
}

TEST(BeastHttpClientTest, ReadsChunkedBody) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = "abcdefghijklmnopqrstuvwxyz";
    response.chunked = true;
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.url = server.Url("/chunked")});

  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(response->Header("Transfer-Encoding"), "chunked");
}

TEST(BeastHttpClientTest, TimesOutOnSlowServer) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.delay_before_headers = milliseconds(3000);
  }});
  HttpClientPtr client = MakeClient({.timeout = milliseconds(200)});

  const auto started = std::chrono::steady_clock::now();
  Result<Response> response = client->Send({.url = server.Url("/slow")});
  const auto took = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient);
  EXPECT_TRUE(Contains(response.error().message(), "deadline exceeded"))
      << response.error().message();
  EXPECT_LT(took, milliseconds(2000));
}

TEST(BeastHttpClientTest, RequestDeadlineOverridesTimeout) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.delay_before_headers = milliseconds(3000);
  }});
  HttpClientPtr client = MakeClient({.timeout = std::chrono::seconds(60)});

  const auto started = std::chrono::steady_clock::now();
  Result<Response> response =
      client->Send({.url = server.Url("/slow"), .deadline = started + milliseconds(200)});

  ASSERT_FALSE(response);
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(2000));
}

TEST(BeastHttpClientTest, TruncatedBodyIsTransient) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = std::string(100, 'b');
    response.truncate_body_after = 10;
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.url = server.Url("/blob")});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient);
  EXPECT_TRUE(Contains(response.error().message(), "truncated response body (received 10 of 100"))
      << response.error().message();
}

TEST(BeastHttpClientTest, OversizedBodyIsRejected) {
  TestHttpServer server({.handler = Reply(200, std::string(4096, 'z'))});
  HttpClientPtr client = MakeClient({.max_body_bytes = 1024});

  Result<Response> response = client->Send({.url = server.Url("/big")});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient);
  EXPECT_TRUE(Contains(response.error().message(), "response body exceeds 1024 bytes"))
      << response.error().message();
}

TEST(BeastHttpClientTest, OversizedChunkedBodyIsRejected) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = std::string(4096, 'z');
    response.chunked = true;
  }});
  HttpClientPtr client = MakeClient({.max_body_bytes = 1024});

  Result<Response> response = client->Send({.url = server.Url("/big")});

  ASSERT_FALSE(response);
  EXPECT_TRUE(Contains(response.error().message(), "response body exceeds 1024 bytes"))
      << response.error().message();
}

TEST(BeastHttpClientTest, OversizedDeclaredLengthIsRejectedBeforeReading) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = "tiny";
    response.declared_length = std::uint64_t{1} << 40;
  }});
  HttpClientPtr client = MakeClient({.timeout = std::chrono::seconds(5)});

  Result<Response> response = client->Send({.url = server.Url("/big")});

  ASSERT_FALSE(response);
  EXPECT_TRUE(Contains(response.error().message(), "response body exceeds"))
      << response.error().message();
}

TEST(BeastHttpClientTest, CloseWithoutResponseIsTransientAndNotRetried) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.close_without_response = true;
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.url = server.Url("/v2/")});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient);
  EXPECT_TRUE(Contains(response.error().message(), server.host())) << response.error().message();
  EXPECT_EQ(server.RequestCount("/v2/"), 1);
}

TEST(BeastHttpClientTest, ConnectionRefusedNamesOperationAndHost) {
  const std::uint16_t port = ClosedPort();
  HttpClientPtr client = MakeClient();

  Result<Response> response =
      client->Send({.url = "http://127.0.0.1:" + std::to_string(port) + "/v2/",
                    .headers = {{"Authorization", "Bearer tok3n-value"}}});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(response.error().message(),
            "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(BeastHttpClientTest, InvalidUrlIsInvalidSpec) {
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.url = "ftp://example.com/"});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kInvalidSpec);
}

TEST(BeastHttpClientTest, RejectsHeaderInjection) {
  TestHttpServer server;
  HttpClientPtr client = MakeClient();

  Result<Response> response =
      client->Send({.url = server.Url("/"), .headers = {{"X-A", "v\r\nX-Evil: 1"}}});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(server.Requests().size(), 0u);
}

TEST(BeastHttpClientTest, FollowsRelativeRedirect) {
  TestHttpServer server({.handler = [](const RecordedRequest& request, TestResponse& response) {
    if (request.path == "/old") {
      response.status = 302;
      response.SetHeader("Location", "/new?x=1");
    } else {
      response.body = "moved";
    }
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.url = server.Url("/old")});

  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "moved");
  std::vector<RecordedRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].target, "/new?x=1");
}

TEST(BeastHttpClientTest, KeepsAuthorizationOnSameHostRedirect) {
  TestHttpServer server({.handler = [](const RecordedRequest& request, TestResponse& response) {
    if (request.path == "/old") {
      response.status = 307;
      response.SetHeader("Location", "/new");
    }
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> response =
      client->Send({.url = server.Url("/old"), .headers = {{"Authorization", "Bearer abc"}}});

  ASSERT_TRUE(response) << response.error().message();
  std::vector<RecordedRequest> requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].Header("Authorization"), "Bearer abc");
}

TEST(BeastHttpClientTest, DropsAuthorizationOnCrossHostRedirect) {
  TestHttpServer storage;
  const std::string location = "http://localhost:" + std::to_string(storage.port()) + "/blob";
  TestHttpServer registry({.handler = [location](const RecordedRequest&, TestResponse& response) {
    response.status = 307;
    response.SetHeader("Location", location);
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.url = registry.Url("/v2/app/blobs/sha256:1"),
                                            .headers = {{"Authorization", "Bearer abc"}}});

  ASSERT_TRUE(response) << response.error().message();
  std::vector<RecordedRequest> requests = storage.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].Header("Authorization"), std::nullopt);
  EXPECT_EQ(requests[0].Header("Host"), "localhost:" + std::to_string(storage.port()));
}

TEST(BeastHttpClientTest, StopsAfterFiveRedirects) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.status = 302;
    response.SetHeader("Location", "/loop");
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.url = server.Url("/loop")});

  ASSERT_FALSE(response);
  EXPECT_TRUE(Contains(response.error().message(), "stopped after 5 redirects"))
      << response.error().message();
  EXPECT_EQ(server.Requests().size(), 6u);
}

TEST(BeastHttpClientTest, DoesNotFollowFoundForPost) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& response) {
    response.status = 302;
    response.SetHeader("Location", "/elsewhere");
  }});
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.method = "POST", .url = server.Url("/form")});

  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(server.Requests().size(), 1u);
}

TEST(BeastHttpClientTest, SerialisesConcurrentCallers) {
  TestHttpServer server;
  HttpClientPtr client = MakeClient();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};

  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        failures += client->Send({.url = server.Url("/c")}) ? 0 : 1;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server.RequestCount("/c"), 20);
  EXPECT_EQ(server.accepted_connections(), 1);
}

TEST(BeastHttpClientTest, UsesEnvironmentProxyWithAbsoluteForm) {
  TestHttpServer proxy;  // plays the proxy: it records what the client sends
  HttpClientPtr client =
      MakeClient({.proxy_environment = ProxyEnvironment{.http_proxy = proxy.base_url()}});

  Result<Response> response = client->Send({.url = "http://registry.invalid:5000/v2/?n=1"});

  ASSERT_TRUE(response) << response.error().message();
  std::vector<RecordedRequest> requests = proxy.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "http://registry.invalid:5000/v2/?n=1");
  EXPECT_EQ(requests[0].Header("Host"), "registry.invalid:5000");
  EXPECT_EQ(requests[0].Header("Proxy-Authorization"), std::nullopt);
}

TEST(BeastHttpClientTest, LoopbackBypassesEnvironmentProxy) {
  TestHttpServer server;
  const std::string dead_proxy = "http://127.0.0.1:" + std::to_string(ClosedPort());
  HttpClientPtr client =
      MakeClient({.proxy_environment = ProxyEnvironment{.http_proxy = dead_proxy}});

  Result<Response> response = client->Send({.url = server.Url("/direct")});

  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(server.RequestCount("/direct"), 1);
}

TEST(BeastHttpClientTest, ExplicitProxySendsProxyAuthorization) {
  TestHttpServer proxy;
  HttpClientPtr client = MakeClient(
      {.proxy = ProxyConfig{.url = proxy.host(), .username = "user", .password = "pass"}});

  Result<Response> response = client->Send({.url = "http://registry.invalid/v2/"});

  ASSERT_TRUE(response) << response.error().message();
  std::vector<RecordedRequest> requests = proxy.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "http://registry.invalid/v2/");
  EXPECT_EQ(requests[0].Header("Proxy-Authorization"), "Basic dXNlcjpwYXNz");
}

TEST(BeastHttpClientTest, ReportsRejectedConnectTunnel) {
  TestHttpServer proxy({.handler = Reply(407, "")});
  HttpClientPtr client = MakeClient(
      {.proxy = ProxyConfig{.url = proxy.base_url(), .username = "user", .password = "wrong"}});

  Result<Response> response = client->Send({.url = "https://registry.invalid/v2/"});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_TRUE(Contains(response.error().message(), "proxy CONNECT to registry.invalid:443"))
      << response.error().message();
  EXPECT_FALSE(Contains(response.error().message(), "wrong"));
  std::vector<RecordedRequest> requests = proxy.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "CONNECT");
  EXPECT_EQ(requests[0].target, "registry.invalid:443");
  EXPECT_TRUE(requests[0].Header("Proxy-Authorization").has_value());
}

// TLS tests share one generated CA (and server/client certificates) per suite.
class BeastHttpClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = new TestCertificates(TestCertificates::Generate()); }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }

  static TestServerOptions ServerOptions() {
    return {.cert_pem = certs_->server_cert_pem, .key_pem = certs_->server_key_pem};
  }

  static TestCertificates* certs_;
};

TestCertificates* BeastHttpClientTlsTest::certs_ = nullptr;

TEST_F(BeastHttpClientTlsTest, VerifiesServerSignedByConfiguredCa) {
  TestHttpServer server(ServerOptions());
  HttpClientPtr client = MakeClient({.tls = {.ca_pem = certs_->ca_pem}});

  Result<Response> response = client->Send({.url = server.Url("/v2/")});

  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "ok");
}

TEST_F(BeastHttpClientTlsTest, VerifiesDnsNameAndReusesTlsConnection) {
  TestHttpServer server(ServerOptions());
  HttpClientPtr client = MakeClient({.tls = {.ca_pem = certs_->ca_pem}});
  const std::string url = "https://localhost:" + std::to_string(server.port()) + "/v2/";

  ASSERT_TRUE(client->Send({.url = url}));
  Result<Response> second = client->Send({.url = url});

  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(server.accepted_connections(), 1);
}

TEST_F(BeastHttpClientTlsTest, RejectsUnknownAuthority) {
  TestHttpServer server(ServerOptions());
  HttpClientPtr client = MakeClient();

  Result<Response> response = client->Send({.url = server.Url("/v2/")});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_TRUE(Contains(response.error().message(),
                       "tls handshake with " + server.host() + ": certificate verify failed"))
      << response.error().message();
  EXPECT_EQ(server.Requests().size(), 0u);
}

TEST_F(BeastHttpClientTlsTest, RejectsWrongHostName) {
  const TestCertificates other = TestCertificates::Generate({"registry.example"});
  TestHttpServer server({.cert_pem = other.server_cert_pem, .key_pem = other.server_key_pem});
  HttpClientPtr client = MakeClient({.tls = {.ca_pem = other.ca_pem}});

  Result<Response> response = client->Send({.url = server.Url("/v2/")});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_TRUE(Contains(response.error().message(), "not valid for host \"127.0.0.1\""))
      << response.error().message();
}

TEST_F(BeastHttpClientTlsTest, InsecureSkipsVerification) {
  TestHttpServer server(ServerOptions());
  HttpClientPtr client = MakeClient({.tls = {.insecure_skip_verify = true}});

  Result<Response> response = client->Send({.url = server.Url("/v2/")});

  ASSERT_TRUE(response) << response.error().message();
}

TEST_F(BeastHttpClientTlsTest, MutualTlsRejectsClientWithoutCertificate) {
  TestServerOptions options = ServerOptions();
  options.client_ca_pem = certs_->ca_pem;
  TestHttpServer server(options);
  HttpClientPtr client = MakeClient({.tls = {.ca_pem = certs_->ca_pem}});

  Result<Response> response = client->Send({.url = server.Url("/v2/")});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kUnauthorized) << response.error().message();
  EXPECT_EQ(server.Requests().size(), 0u);
}

TEST_F(BeastHttpClientTlsTest, MutualTlsAcceptsClientCertificate) {
  TestServerOptions options = ServerOptions();
  options.client_ca_pem = certs_->ca_pem;
  TestHttpServer server(options);
  HttpClientPtr client = MakeClient({.tls = {.ca_pem = certs_->ca_pem,
                                             .cert_pem = certs_->client_cert_pem,
                                             .key_pem = certs_->client_key_pem}});

  Result<Response> response = client->Send({.url = server.Url("/v2/")});

  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(server.RequestCount("/v2/"), 1);
}

TEST_F(BeastHttpClientTlsTest, TruncatedTlsBodyIsTransient) {
  TestServerOptions options = ServerOptions();
  options.handler = [](const RecordedRequest&, TestResponse& response) {
    response.body = std::string(100, 'b');
    response.truncate_body_after = 10;
  };
  TestHttpServer server(options);
  HttpClientPtr client = MakeClient({.tls = {.ca_pem = certs_->ca_pem}});

  Result<Response> response = client->Send({.url = server.Url("/blob")});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kTransient);
  EXPECT_TRUE(Contains(response.error().message(), "truncated response body"))
      << response.error().message();
}

TEST(BeastHttpClientCreateTest, RejectsMalformedCa) {
  Result<HttpClientPtr> client = BeastHttpClient::Create({.tls = {.ca_pem = "not a certificate"}});

  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_TRUE(Contains(client.error().message(), "invalid CA certificate: "))
      << client.error().message();
}

TEST(BeastHttpClientCreateTest, RejectsMismatchedClientKey) {
  const TestCertificates a = TestCertificates::Generate();
  const TestCertificates b = TestCertificates::Generate();

  Result<HttpClientPtr> client = BeastHttpClient::Create(
      {.tls = {.cert_pem = a.client_cert_pem, .key_pem = b.client_key_pem}});

  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(client.error().message(), "client certificate and key do not match");
}

TEST(BeastHttpClientCreateTest, DoesNotEchoKeyMaterial) {
  const TestCertificates certs = TestCertificates::Generate();
  const std::string key =
      "-----BEGIN PRIVATE KEY-----\nc2VjcmV0bWF0ZXJpYWw=\n-----END PRIVATE KEY-----\n";

  Result<HttpClientPtr> client =
      BeastHttpClient::Create({.tls = {.cert_pem = certs.client_cert_pem, .key_pem = key}});

  ASSERT_FALSE(client);
  EXPECT_TRUE(Contains(client.error().message(), "invalid client key")) << client.error().message();
  EXPECT_FALSE(Contains(client.error().message(), "c2VjcmV0"));
}

TEST(BeastHttpClientCreateTest, RejectsCertificateWithoutKey) {
  const TestCertificates certs = TestCertificates::Generate();

  Result<HttpClientPtr> client =
      BeastHttpClient::Create({.tls = {.cert_pem = certs.client_cert_pem}});

  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().message(), "client certificate given without a key");
}

TEST(BeastHttpClientCreateTest, RejectsInvalidExplicitProxy) {
  Result<HttpClientPtr> client =
      BeastHttpClient::Create({.proxy = ProxyConfig{.url = "socks5://proxy:1080"}});

  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidSpec);
}

TEST(TlsOptionsTest, AcceptsGeneratedMaterial) {
  const TestCertificates certs = TestCertificates::Generate();

  Result<void> ok = ValidateTlsOptions(
      {.ca_pem = certs.ca_pem, .cert_pem = certs.client_cert_pem, .key_pem = certs.client_key_pem});

  EXPECT_TRUE(ok) << ok.error().message();
}

TEST(TlsOptionsTest, RejectsTruncatedPemBlock) {
  const TestCertificates certs = TestCertificates::Generate();
  const std::string truncated = certs.ca_pem.substr(0, certs.ca_pem.size() / 2);

  Result<void> ok = ValidateTlsOptions({.ca_pem = truncated});

  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_TRUE(Contains(ok.error().message(), "invalid CA certificate: ")) << ok.error().message();
}

}  // namespace
}  // namespace imgauto::http
