// StreamingHttpClient: one HTTP/1.1 request whose response body is consumed line by line while it
// arrives (Kubernetes watch streams: newline-delimited JSON over chunked transfer encoding).
// Each call opens its own connection (http or https with verified TLS) on the calling thread and
// returns when the body ends, the callback asks to stop, the stop token fires, the connection
// drops, or no byte arrives for `idle_timeout`.
//
//   Result<StreamingHttpClientPtr> client = StreamingHttpClient::Create({.tls = {.ca_pem = ca}});
//   Result<Response> done = (*client)->Stream(
//       {.url = base + "/apis/g/v1/namespaces/a/things?watch=1"},
//       [&](std::string_view line) { Handle(line); return true; }, stop_token);
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/http/client.h"
#include "core/http/tls.h"

namespace imgauto::http {

struct StreamOptions {
  TlsOptions tls{};
  // Resolve + connect + TLS handshake + request + response header.
  std::chrono::milliseconds connect_timeout{15000};
  // Longest silence while reading the body; zero waits forever.
  std::chrono::milliseconds idle_timeout{0};
  // Longest line; a longer one fails the stream (kTransient).
  std::size_t max_line_bytes = std::size_t{16} << 20;
  // Body kept for a non-2xx answer (the Status object), truncated beyond this.
  std::size_t max_error_body_bytes = std::size_t{1} << 20;
  std::string user_agent = "imgauto/0.1";
};

// Called for every line of a 2xx body, without its '\n' (a last line without '\n' is delivered
// when the body ends). Returning false ends the stream.
using LineCallback = std::function<bool(std::string_view line)>;

// Thread-safe: concurrent Stream() calls use separate connections.
class StreamingHttpClient {
 public:
  // Validates the TLS material (kInvalidSpec).
  static Result<std::unique_ptr<StreamingHttpClient>> Create(StreamOptions options);
  ~StreamingHttpClient();
  StreamingHttpClient(const StreamingHttpClient&) = delete;
  StreamingHttpClient& operator=(const StreamingHttpClient&) = delete;

  // Sends `request` (the deadline field is ignored; see StreamOptions). For a 2xx answer the body
  // goes to `on_line` and the returned Response has an empty body; any other status returns the
  // whole (bounded) body without calling `on_line`. Stopping (callback or token) returns the
  // Response normally. Errors (never containing header values): kInvalidSpec for a bad URL,
  // kUnauthorized for TLS verification failures, kTransient for connection failures, timeouts
  // and a body cut short ("stream from host:port ended: …").
  Result<Response> Stream(const Request& request, const LineCallback& on_line,
                          std::stop_token stop = {});

 private:
  class Impl;
  explicit StreamingHttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

using StreamingHttpClientPtr = std::unique_ptr<StreamingHttpClient>;

}  // namespace imgauto::http
