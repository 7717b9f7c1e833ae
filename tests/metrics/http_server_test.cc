#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/http/beast_client.h"

namespace imgauto::metrics {
namespace {

// A raw socket, for requests a well-behaved client would never send.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& data) { (void)::send(fd_, data.data(), data.size(), MSG_NOSIGNAL); }
  // Reads until the peer closes or the 5 s receive timeout.
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    options.address = "127.0.0.1:0";
    std::vector<Route> routes = {
        {"GET", "/healthz", [](const ServerRequest&) { return ServerResponse{.body = "ok"}; }},
        {"POST", "/hook/",
         [this](const ServerRequest& r) {
           last_body_ = r.body;
           last_path_ = r.path;
           return ServerResponse{.status = 202, .body = "accepted"};
         },
         true},
        {"GET", "/boom", [](const ServerRequest&) -> ServerResponse { throw std::runtime_error("x"); }},
    };
    Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, std::move(routes));
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
    Result<http::HttpClientPtr> client = http::BeastHttpClient::Create({});
    ASSERT_TRUE(client);
    client_ = std::move(*client);
  }

  Result<http::Response> Send(std::string method, std::string path, std::string body = "") {
    return client_->Send({.method = std::move(method),
                          .url = "http://127.0.0.1:" + std::to_string(server_->port()) + path,
                          .headers = {},
                          .body = std::move(body),
                          .deadline = std::nullopt});
  }

  std::unique_ptr<HttpServer> server_;
  http::HttpClientPtr client_;
  std::string last_body_;
  std::string last_path_;
};

TEST_F(HttpServerTest, ServesRoutesWithKeepAlive) {
  Start();
  for (int i = 0; i < 3; ++i) {
    Result<http::Response> r = Send("GET", "/healthz");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok");
  }
  Result<http::Response> hook = Send("POST", "/hook/abc123", "{\"x\":1}");
  ASSERT_TRUE(hook);
  EXPECT_EQ(hook->status, 202);
  EXPECT_EQ(last_body_, "{\"x\":1}");
  EXPECT_EQ(last_path_, "/hook/abc123");
}

TEST_F(HttpServerTest, UnknownPathWrongMethodAndThrowingHandler) {
  Start();
  EXPECT_EQ(Send("GET", "/nope")->status, 404);
  Result<http::Response> wrong = Send("POST", "/healthz", "x");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->Header("Allow"), "GET");
  EXPECT_EQ(Send("GET", "/boom")->status, 500);
  EXPECT_EQ(Send("GET", "/healthz")->status, 200);  // still serving
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  Start(options);
  Result<http::Response> r = Send("POST", "/hook/x", std::string(4096, 'a'));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(last_body_.empty());
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  HttpServerOptions options;
  options.max_header_bytes = 512;
  Start(options);
  RawConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2048, 'b') + "\r\n\r\n");
  EXPECT_NE(c.ReadAll().find("431"), std::string::npos);
}

TEST_F(HttpServerTest, SlowClientIsCutOff) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  Start(options);
  RawConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finishes the headers
  auto start = std::chrono::steady_clock::now();
  std::string reply = c.ReadAll();  // returns when the server closes (or after 5 s)
  EXPECT_EQ(reply, "");
  // Closed by the server's deadline, not by our 5 s receive timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(Send("GET", "/healthz")->status, 200);
}

TEST_F(HttpServerTest, GarbageIs400) {
  Start();
  RawConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  c.Send("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_NE(c.ReadAll().find("400"), std::string::npos);
}

TEST_F(HttpServerTest, ConnectionCapClosesExtraConnections) {
  HttpServerOptions options;
  options.max_connections = 2;
  Start(options);
  RawConnection a(server_->port());
  RawConnection b(server_->port());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  RawConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.ReadAll(), "");  // closed without a response
}

// Routes with a token bucket: /hook/ (prefix, rate and burst from the test), /other (its own
// bucket) and /healthz (unlimited).
class RateLimitTest : public ::testing::Test {
 protected:
  void Start(double rate, int burst) {
    std::vector<Route> routes = {
        {"GET", "/healthz", [](const ServerRequest&) { return ServerResponse{.body = "ok"}; }},
        {"POST", "/hook/",
         [this](const ServerRequest&) {
           ++handled_;
           return ServerResponse{.status = 200, .body = "accepted"};
         },
         true, rate, burst},
        {"GET", "/other", [](const ServerRequest&) { return ServerResponse{.body = "other"}; },
         false, rate, burst},
    };
    Result<std::unique_ptr<HttpServer>> server =
        HttpServer::Start({.address = "127.0.0.1:0"}, std::move(routes));
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
    Result<http::HttpClientPtr> client = http::BeastHttpClient::Create({});
    ASSERT_TRUE(client);
    client_ = std::move(*client);
  }

  http::Response Send(std::string method, std::string path, std::string body = "") {
    Result<http::Response> r =
        client_->Send({.method = std::move(method),
                       .url = "http://127.0.0.1:" + std::to_string(server_->port()) + path,
                       .headers = {},
                       .body = std::move(body),
                       .deadline = std::nullopt});
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : http::Response{};
  }

  std::unique_ptr<HttpServer> server_;
  http::HttpClientPtr client_;
  std::atomic<int> handled_{0};
};

TEST_F(RateLimitTest, BurstBeyondLimitIs429WithRetryAfter) {
  // 0.5 requests a second refills one token every 2 s: far slower than this loop.
  Start(0.5, 3);
  int accepted = 0;
  int limited = 0;
  for (int i = 0; i < 8; ++i) {
    http::Response r = Send("POST", "/hook/abc", "{\"n\":" + std::to_string(i) + "}");
    if (r.status == 200) {
      ++accepted;
      continue;
    }
    ASSERT_EQ(r.status, 429) << r.body;
    ++limited;
    std::optional<std::string> retry = r.Header("Retry-After");
    ASSERT_TRUE(retry.has_value());
    EXPECT_GE(std::stoi(*retry), 1);
    EXPECT_LE(std::stoi(*retry), 2);
  }
  EXPECT_GE(accepted, 3);
  EXPECT_LE(accepted, 4);  // one refill at most if the machine stalls for 2 s
  EXPECT_EQ(accepted + limited, 8);
  EXPECT_EQ(handled_.load(), accepted);  // limited requests never reach the handler
}

TEST_F(RateLimitTest, LimitIsPerRouteAndUnlimitedRoutesAreUnaffected) {
  Start(0.5, 1);
  EXPECT_EQ(Send("POST", "/hook/a", "x").status, 200);
  EXPECT_EQ(Send("POST", "/hook/b", "x").status, 429);  // the bucket is the route's, not the path's
  EXPECT_EQ(Send("GET", "/other").status, 200);
  EXPECT_EQ(Send("GET", "/other").status, 429);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Send("GET", "/healthz").status, 200);
  }
  EXPECT_EQ(Send("GET", "/nope").status, 404);  // unrouted requests are not limited
  EXPECT_EQ(Send("GET", "/hook/a").status, 405);
}

TEST_F(RateLimitTest, BucketRefills) {
  Start(20, 1);
  bool saw_limit = false;
  for (int i = 0; i < 20 && !saw_limit; ++i) {
    saw_limit = Send("POST", "/hook/x", "x").status == 429;
  }
  ASSERT_TRUE(saw_limit);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // four tokens' worth
  EXPECT_EQ(Send("POST", "/hook/x", "x").status, 200);
}

TEST_F(RateLimitTest, LimitedRequestIsAnsweredBeforeItsBodyArrives) {
  Start(0.5, 1);
  ASSERT_EQ(Send("POST", "/hook/first", "x").status, 200);
  RawConnection c(server_->port());
  ASSERT_TRUE(c.connected());
  // Announces 100000 bytes and sends 10: a handler would only run after the read timeout.
  c.Send("POST /hook/second HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n0123456789");
  auto start = std::chrono::steady_clock::now();
  std::string reply = c.ReadAll();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 429")) << reply;
  EXPECT_NE(reply.find("Retry-After: "), std::string::npos) << reply;
  EXPECT_EQ(handled_.load(), 1);
}

TEST(ListenAddressTest, Parses) {
  EXPECT_EQ(*ParseListenAddress(":8080"), std::make_pair(std::string(), 8080));
  EXPECT_EQ(*ParseListenAddress("127.0.0.1:9440"), std::make_pair(std::string("127.0.0.1"), 9440));
  EXPECT_EQ(*ParseListenAddress("[::1]:80"), std::make_pair(std::string("::1"), 80));
  EXPECT_FALSE(ParseListenAddress("8080"));
  EXPECT_FALSE(ParseListenAddress(":http"));
  EXPECT_FALSE(ParseListenAddress(":70000"));
}

TEST(HttpServerStartTest, BadOrTakenAddressIsClearError) {
  Result<std::unique_ptr<HttpServer>> bad = HttpServer::Start({.address = "nohost:1"}, {});
  ASSERT_FALSE(bad);
  Result<std::unique_ptr<HttpServer>> first = HttpServer::Start({.address = "127.0.0.1:0"}, {});
  ASSERT_TRUE(first);
  Result<std::unique_ptr<HttpServer>> second = HttpServer::Start(
      {.address = "127.0.0.1:" + std::to_string((*first)->port())}, {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind(), ErrorKind::kTransient);
}

}  // namespace
}  // namespace imgauto::metrics
