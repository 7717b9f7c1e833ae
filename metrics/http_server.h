// HttpServer: the controllers' own HTTP endpoint (health probes now; /metrics and registry
// webhooks register routes on it too). Boost.Beast on one Asio io_context running on its own
// thread; handlers run on that thread and must be quick (enqueue work, render text).
//
// Defences: request header and body size limits (431 / 413), a read deadline per request so slow
// clients cannot hold a connection (it is closed when the deadline passes),
// an idle keep-alive timeout, a connection cap (excess connections are closed at once), 404 for
// unknown paths and 405 (with Allow) for known paths with another method, and an optional
// per-route rate limit (429 with Retry-After).
//
// Rate limiting: a token bucket per route (`rate_limit_per_second` tokens a second, at most
// `rate_limit_burst` saved up), shared by every client. It is checked once the request headers
// are read and before the body is read or the handler runs, so a flood costs neither body reads
// nor handler work (webhook scans); the limited connection is answered 429 with Retry-After
// (whole seconds until a token is available) and closed. The bucket is global rather than per
// remote address on purpose: webhook callers reach the controller through an ingress or load
// balancer, so the remote address is mostly the proxy's and per-address buckets would not
// separate clients, while a per-address table grows with every spoofable source and needs
// eviction. What the limit protects is the work behind the route; a starved registry still gets
// its images picked up by the ImageRepository's regular polling.
//
//   Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(
//       {.address = ":9440"},
//       {{"GET", "/healthz", [](const ServerRequest&) { return ServerResponse{.body = "ok"}; }}});
//   int port = (*server)->port();
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace imgauto::metrics {

struct ServerRequest {
  std::string method;
  std::string target;  // as received
  std::string path;    // target up to '?'
  std::string query;   // after '?', not decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;

  // First value of a header (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
};

using Handler = std::function<ServerResponse(const ServerRequest&)>;

struct Route {
  std::string method;  // "GET", "POST", …; HEAD is served by GET routes
  std::string path;    // exact path, or a prefix when it ends with '/' and `prefix` is set
  Handler handler;
  bool prefix = false;
  // Requests a second this route accepts on average; 0 (or less) means unlimited.
  double rate_limit_per_second = 0;
  // Requests the route accepts at once after being idle; 0 means max(1, ceil(rate)).
  int rate_limit_burst = 0;
};

struct HttpServerOptions {
  // "host:port", ":port" (all interfaces) or "127.0.0.1:0" (an ephemeral port).
  std::string address = ":9440";
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds read_timeout{10000};  // whole request, headers and body
  std::chrono::milliseconds idle_timeout{60000};  // between keep-alive requests
  int max_connections = 256;
};

// The probe routes both modes serve: /healthz always "ok"; /readyz 200 "ok" while `ready()`
// holds, else 503 with `not_ready_message`.
std::vector<Route> HealthRoutes(std::function<bool()> ready, std::string not_ready_message);

// Parses "host:port" / ":port" into a host ("" for any) and port. kInvalidSpec when malformed.
Result<std::pair<std::string, int>> ParseListenAddress(std::string_view address);

class HttpServer {
 public:
  // Binds and starts serving on a background thread. Errors: kInvalidSpec for a bad address,
  // kTransient when the address cannot be bound ("address already in use").
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                   std::vector<Route> routes);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Stops accepting, closes connections, joins the thread. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imgauto::metrics
