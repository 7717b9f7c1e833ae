// BeastHttpClient: the production HttpClient, over Boost.Beast and OpenSSL. HTTP/1.1 with
// keep-alive connection reuse, one deadline per exchange, bounded bodies, verified TLS (system CAs
// plus an optional CA bundle, optional client certificate), explicit or environment proxies
// (CONNECT tunnels for https, absolute-form requests for http), and redirects.
//
//   Result<HttpClientPtr> client = BeastHttpClient::Create({.timeout = std::chrono::seconds(10)});
//   Result<Response> response = (*client)->Send({.url = "https://ghcr.io/v2/"});
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/http/client.h"
#include "core/http/proxy.h"
#include "core/http/tls.h"

namespace imgauto {
class Logger;
}  // namespace imgauto

namespace imgauto::http {

struct ClientOptions {
  // Deadline of a whole exchange (redirects included) when the Request sets none.
  std::chrono::milliseconds timeout{30000};
  // Largest accepted response body; a larger (declared or received) body is kTransient.
  std::size_t max_body_bytes = std::size_t{64} << 20;
  TlsOptions tls{};
  // An explicit proxy (ImageRepository proxySecretRef) used for every URL, loopback included.
  std::optional<ProxyConfig> proxy{};
  // Without an explicit proxy: use HTTP(S)_PROXY / NO_PROXY like Go's ProxyFromEnvironment.
  bool proxy_from_environment = true;
  // Replaces the process environment for proxy selection (tests); read from getenv when unset.
  std::optional<ProxyEnvironment> proxy_environment{};
  std::string user_agent = "imgauto/0.1";
  // Receives one info line when TLS verification is disabled. Borrowed; may be null.
  const Logger* logger = nullptr;
};

// Thread-safe: Send() may be called from several threads; requests are serialised (one exchange
// at a time per client) and run on the calling thread over the client's private io_context.
class BeastHttpClient final : public HttpClient {
 public:
  // Validates the TLS material and the explicit proxy (kInvalidSpec on failure).
  static Result<HttpClientPtr> Create(ClientOptions options);

  ~BeastHttpClient() override;
  BeastHttpClient(const BeastHttpClient&) = delete;
  BeastHttpClient& operator=(const BeastHttpClient&) = delete;

  // Sends `request` and reads the whole response. Follows 307/308 redirects, and 301/302/303 for
  // GET and HEAD, at most 5 times; the Authorization header is dropped when a redirect leaves the
  // original host (and its subdomains). Errors name the operation and the host
  // ("connect 127.0.0.1:5000: Connection refused") and never contain header values:
  //   kInvalidSpec   malformed URL or header, bad proxy address;
  //   kUnauthorized  TLS certificate verification failed, the server rejected our client
  //                  certificate, or the proxy answered 407;
  //   kTransient     resolve/connect/TLS/proxy failures, deadline exceeded, "truncated response
  //                  body", "response body exceeds N bytes", too many redirects.
  // An idle keep-alive connection that turns out closed before any response byte is replaced
  // by a fresh one once, transparently.
  Result<Response> Send(const Request& request) override;

 private:
  class Impl;
  explicit BeastHttpClient(std::unique_ptr<Impl> impl);

  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace imgauto::http
