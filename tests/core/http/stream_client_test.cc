#include "core/http/stream_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "tests/servers/test_http_server.h"

namespace imgauto::http {
namespace {

using imgauto::testing::RecordedRequest;
using imgauto::testing::TestHttpServer;
using imgauto::testing::TestResponse;
using std::chrono::milliseconds;

StreamingHttpClientPtr NewClient(StreamOptions options = {}) {
  Result<StreamingHttpClientPtr> client = StreamingHttpClient::Create(std::move(options));
  EXPECT_TRUE(client) << client.error().message();
  return client ? std::move(*client) : nullptr;
}

TEST(StreamingHttpClientTest, DeliversChunkedBodyLineByLine) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& res) {
    res.chunked = true;  // split across chunk boundaries inside lines
    res.body = "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\nlast-without-newline";
  }});
  std::vector<std::string> lines;
  Result<Response> done = NewClient()->Stream(
      {.url = server.Url("/watch"), .headers = {{"Authorization", "Bearer x"}}},
      [&](std::string_view line) {
        lines.emplace_back(line);
        return true;
      });
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(done->status, 200);
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}", "{\"n\":3}",
                                             "last-without-newline"}));
  EXPECT_EQ(server.Requests().at(0).Header("Authorization"), "Bearer x");
}

TEST(StreamingHttpClientTest, CallbackCanEndTheStream) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& res) {
    res.body = "a\nb\nc\n";
  }});
  int calls = 0;
  Result<Response> done = NewClient()->Stream({.url = server.Url("/")}, [&](std::string_view) {
    return ++calls < 2;
  });
  ASSERT_TRUE(done);
  EXPECT_EQ(calls, 2);
}

TEST(StreamingHttpClientTest, ErrorStatusReturnsTheBodyWithoutCallingBack) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& res) {
    res.status = 410;
    res.body = "{\"kind\":\"Status\",\"code\":410}\n";
  }});
  bool called = false;
  Result<Response> done = NewClient()->Stream({.url = server.Url("/")}, [&](std::string_view) {
    called = true;
    return true;
  });
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 410);
  EXPECT_EQ(done->body, "{\"kind\":\"Status\",\"code\":410}\n");
  EXPECT_FALSE(called);
}

TEST(StreamingHttpClientTest, TruncatedBodyIsATransientError) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& res) {
    res.chunked = true;
    res.body = "line one\nline two\n";
    res.truncate_body_after = 12;
  }});
  Result<Response> done =
      NewClient()->Stream({.url = server.Url("/")}, [](std::string_view) { return true; });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind(), ErrorKind::kTransient);
}

TEST(StreamingHttpClientTest, StopTokenAndIdleTimeoutEndAQuietStream) {
  TestHttpServer server({.handler = [](const RecordedRequest&, TestResponse& res) {
    res.delay_before_headers = milliseconds(0);
    res.SetHeader("Transfer-Encoding", "chunked");
    res.body = "";  // headers only: the body never ends
  }});
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  Result<Response> stopped = NewClient()->Stream(
      {.url = server.Url("/")}, [](std::string_view) { return true; }, stop.get_token());
  ASSERT_TRUE(stopped) << stopped.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));

  Result<Response> idle = NewClient({.idle_timeout = milliseconds(200)})
                              ->Stream({.url = server.Url("/")},
                                       [](std::string_view) { return true; });
  ASSERT_FALSE(idle);
  EXPECT_EQ(idle.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(idle.error().message().find("deadline exceeded"), std::string::npos)
      << idle.error().message();
}

TEST(StreamingHttpClientTest, VerifiesTls) {
  const auto certs = imgauto::testing::TestCertificates::Generate();
  TestHttpServer server({.cert_pem = certs.server_cert_pem,
                         .key_pem = certs.server_key_pem,
                         .handler = [](const RecordedRequest&, TestResponse& res) {
                           res.body = "x\n";
                         }});
  Result<Response> trusted = NewClient({.tls = {.ca_pem = certs.ca_pem}})
                                 ->Stream({.url = server.Url("/")},
                                          [](std::string_view) { return true; });
  ASSERT_TRUE(trusted) << trusted.error().message();
  Result<Response> untrusted =
      NewClient()->Stream({.url = server.Url("/")}, [](std::string_view) { return true; });
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(untrusted.error().kind(), ErrorKind::kUnauthorized);
}

}  // namespace
}  // namespace imgauto::http
