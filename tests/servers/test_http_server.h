// TestHttpServer: an in-process HTTP/1.1 server on 127.0.0.1 (port 0) for wire tests of the HTTP
// and registry clients. It runs on its own thread, optionally speaks TLS (and can require client
// certificates), calls a handler for every request, records every request, and can inject faults
// per response (delay, truncated body, close without response, lying Content-Length).
//
//   TestHttpServer server({.handler = [](const RecordedRequest& req, TestResponse& res) {
//     res.status = 200;
//     res.SetHeader("Content-Type", "application/json");
//     res.body = R"({"tags":["v1"]})";
//   }});
//   client->Send({.url = server.Url("/v2/app/tags/list")});
//   EXPECT_EQ(server.RequestCount("/v2/app/tags/list"), 1);
//
// TestCertificates::Generate() makes a throw-away CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate, all in memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgauto::testing {

using TestHeaders = std::vector<std::pair<std::string, std::string>>;

struct RecordedRequest {
  std::string method{};
  std::string target{};   // as received: "/v2/app/tags/list?n=10" (absolute-form when proxied)
  std::string path{};     // target up to '?'
  std::string query{};    // target after '?', "" when none (not decoded)
  TestHeaders headers{};  // in the order received
  std::string body{};
  int connection = 0;  // 0-based index of the accepted connection that carried the request

  // Returns the first value of a header (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

struct TestResponse {
  int status = 200;
  TestHeaders headers{};          // Content-Length / Transfer-Encoding are added unless set here
  std::string body{};             // not sent for HEAD requests (Content-Length still is)
  bool chunked = false;           // send the body with Transfer-Encoding: chunked (3 chunks)
  bool close_connection = false;  // send "Connection: close" and close after the response

  // Fault injection.
  std::chrono::milliseconds delay_before_headers{0};  // wait before sending anything
  std::optional<std::size_t> truncate_body_after{};   // send only N body bytes, then close
  bool close_without_response = false;                // close the connection, send nothing
  std::optional<std::uint64_t> declared_length{};     // Content-Length to announce instead
  bool close_after_response = false;  // close after the response without announcing it

  // Replaces (case-insensitive) or adds a header.
  void SetHeader(std::string name, std::string value);
};

// Called on the server thread for every request; it must not block (use delay_before_headers).
using TestHandler = std::function<void(const RecordedRequest&, TestResponse&)>;

struct TestServerOptions {
  std::string cert_pem{};  // TLS when set, together with key_pem
  std::string key_pem{};
  std::string client_ca_pem{};  // when set, client certificates are required and verified
  TestHandler handler{};        // default: 200 with body "ok"
};

// Starts listening in the constructor and stops (joining its thread) in the destructor. Aborts
// on setup errors (bad PEM, no loopback). All accessors are thread-safe.
class TestHttpServer {
 public:
  explicit TestHttpServer(TestServerOptions options = {});
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::uint16_t port() const;
  bool tls() const;
  // "127.0.0.1:<port>"
  std::string host() const;
  // "http://127.0.0.1:<port>" or "https://…"
  std::string base_url() const;
  // base_url() + target ("/v2/").
  std::string Url(std::string_view target) const;

  void SetHandler(TestHandler handler);
  // Copies of every request received so far, in arrival order.
  std::vector<RecordedRequest> Requests() const;
  // Number of requests whose path equals `path`.
  int RequestCount(std::string_view path) const;
  int accepted_connections() const;
  int failed_handshakes() const;  // TLS handshakes the server rejected or that failed

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

struct TestCertificates {
  std::string ca_pem{};
  std::string server_cert_pem{};
  std::string server_key_pem{};
  std::string client_cert_pem{};  // signed by the same CA, extendedKeyUsage clientAuth
  std::string client_key_pem{};

  // Generates ECDSA P-256 keys and certificates valid for a day. `server_names` become the
  // server certificate's SANs (IP addresses as IP entries, anything else as DNS entries).
  static TestCertificates Generate(const std::vector<std::string>& server_names = {"127.0.0.1",
                                                                                   "localhost"});
};

}  // namespace imgauto::testing
