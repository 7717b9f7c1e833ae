// HttpClient sends one HTTP/1.1 request and reads the whole (bounded) response. It is the seam
// between the registry client and the network: unit tests use a fake, integration tests a
// loopback server. Status codes are data, not errors: callers classify them with
// ErrorKindForStatus().
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace imgauto::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url{};  // absolute: http(s)://host[:port]/path[?query]
  HeaderList headers{};
  std::string body{};
  // Absolute deadline for the whole exchange; the client's default timeout applies when unset.
  std::optional<std::chrono::steady_clock::time_point> deadline{};
};

struct Response {
  int status = 0;
  std::string reason{};
  HeaderList headers{};  // in the order received
  std::string body{};

  // Returns the first value of a header (case-insensitive name), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
  // Returns every value of a header (case-insensitive name), in order.
  std::vector<std::string> Headers(std::string_view name) const;
};

// Maps an HTTP status to the error kind every caller uses: 401/403 → kUnauthorized,
// 404 → kNotFound, 408/429/5xx → kTransient, other 4xx → kInvalidSpec. Statuses that are not
// errors (1xx–3xx) map to kTransient: callers only ask when they did not get what they expected.
ErrorKind ErrorKindForStatus(int status);

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request`. Transport failures (resolve, connect, proxy, TLS, deadline, truncated or
  // oversized body) are errors; kind kTransient except TLS verification (kUnauthorized).
  // Implementations may reuse connections; they are safe to call from several threads.
  virtual Result<Response> Send(const Request& request) = 0;
};

using HttpClientPtr = std::unique_ptr<HttpClient>;

}  // namespace imgauto::http
