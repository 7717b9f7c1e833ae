#include "core/asio.h"
// core/asio.h first: it includes <utility> before Boost (see there).
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http/beast_client.h"
#include "core/http/url.h"
#include "core/log.h"
#include "core/strings.h"

namespace imgauto::http {
namespace {

using Deadline = std::chrono::steady_clock::time_point;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr int kMaxRedirects = 5;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

// One transport connection: plain TCP, or TLS over TCP (possibly through a CONNECT tunnel).
struct Connection {
  explicit Connection(net::io_context& io) : plain(std::in_place, io) {}

  beast::tcp_stream& Lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  std::optional<beast::tcp_stream> plain;  // empty once moved under `tls`
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
  bool host_mismatch = false;  // set by the verify callback
};
using ConnectionPtr = std::unique_ptr<Connection>;

// What one request/response exchange on a connection produced.
struct Exchanged {
  std::optional<Response> response;
  std::optional<Error> error;
  bool nothing_received = false;  // failed before any response byte: safe to retry once
  bool keep_alive = false;
};

std::string Detail(const beast::error_code& ec) {
  if (ec == beast::error::timeout) {
    return "deadline exceeded";
  }
  if (ec == bhttp::error::end_of_stream) {
    return "connection closed before a response";
  }
  return ec.message();
}

// True for TLS alerts by which the server rejects our (missing or untrusted) client certificate.
bool IsClientCertificateRejection(const beast::error_code& ec) {
  if (ec.category() != net::error::get_ssl_category()) {
    return false;
  }
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
      return true;
    default:
      return false;
  }
}

Error NetError(std::string_view operation, std::string_view where, const beast::error_code& ec) {
  return Error(IsClientCertificateRejection(ec) ? ErrorKind::kUnauthorized : ErrorKind::kTransient,
               std::string(operation) + " " + std::string(where) + ": " + Detail(ec));
}

bool IsClosedBeforeResponse(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool SameOrSubdomain(std::string_view host, std::string_view original) {
  return host == original || (host.size() > original.size() && host.ends_with(original) &&
                              host[host.size() - original.size() - 1] == '.');
}

bool IsFollowedRedirect(int status, std::string_view method) {
  if (status == 307 || status == 308) {
    return true;
  }
  return (status == 301 || status == 302 || status == 303) && (method == "GET" || method == "HEAD");
}

Response ToResponse(bhttp::response<bhttp::string_body>&& message) {
  Response response;
  response.status = static_cast<int>(message.result_int());
  response.reason = std::string(message.reason());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  return response;
}

// Writes `request` and reads one response with a bounded parser.
template <typename Stream>
net::awaitable<Exchanged> Exchange(Stream& stream, Connection& conn,
                                   const bhttp::request<bhttp::string_body>& request,
                                   std::size_t max_body, std::string_view where) {
  Exchanged out;
  beast::error_code ec;
  co_await bhttp::async_write(stream, request, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.nothing_received = ec != beast::error::timeout;
    out.error = NetError("write request to", where, ec);
    co_return out;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body);
  parser.header_limit(kHeaderLimit);
  parser.skip(request.method() == bhttp::verb::head);
  // Header first: Beast 1.74's eager parser skips the Content-Length vs body_limit check when
  // the body arrives in the same read as the header (and string_body would then reserve it).
  co_await bhttp::async_read_header(stream, conn.buffer, parser,
                                    net::redirect_error(net::use_awaitable, ec));
  if (!ec && parser.content_length() && *parser.content_length() > max_body) {
    ec = bhttp::error::body_limit;
  }
  if (!ec && !parser.is_done()) {
    co_await bhttp::async_read(stream, conn.buffer, parser,
                               net::redirect_error(net::use_awaitable, ec));
  }
  // A TLS peer that closes without close_notify ends an EOF-delimited body this way.
  if (ec == ssl::error::stream_truncated && parser.is_header_done() && !parser.chunked() &&
      !parser.content_length()) {
    ec = {};
    parser.put_eof(ec);
  }
  if (!ec) {
    out.keep_alive = parser.get().keep_alive() && !parser.get().need_eof();
    out.response = ToResponse(parser.release());
    co_return out;
  }
  const std::string w(where);
  if (ec == bhttp::error::body_limit) {
    out.error =
        Error(ErrorKind::kTransient, "read response from " + w + ": response body exceeds " +
                                         std::to_string(max_body) + " bytes");
  } else if (ec != beast::error::timeout && parser.is_header_done()) {
    std::string declared =
        parser.content_length() ? " of " + std::to_string(*parser.content_length()) : std::string();
    out.error = Error(ErrorKind::kTransient, "read response from " + w +
                                                 ": truncated response body (received " +
                                                 std::to_string(parser.get().body().size()) +
                                                 declared + " bytes: " + ec.message() + ")");
  } else {
    out.nothing_received = !parser.got_some() && IsClosedBeforeResponse(ec);
    out.error = NetError("read response from", w, ec);
  }
  co_return out;
}

}  // namespace

class BeastHttpClient::Impl {
 public:
  explicit Impl(ClientOptions options)
      : options_(std::move(options)),
        ssl_ctx_(ssl::context::tls_client),
        resolver_(io_),
        resolve_timer_(io_),
        environment_(options_.proxy_environment.value_or(ProxyEnvironment::FromProcess())) {}

  Result<void> Init() {
    if (Result<void> ok = ConfigureTlsContext(options_.tls, ssl_ctx_.native_handle()); !ok) {
      return ok;
    }
    if (options_.proxy) {
      Result<ProxyEndpoint> proxy = ResolveProxy(*options_.proxy);
      if (!proxy) {
        return proxy.error();
      }
      explicit_proxy_ = std::move(*proxy);
    }
    if (options_.tls.insecure_skip_verify && options_.logger != nullptr) {
      options_.logger->Info("TLS certificate verification is disabled (insecure)");
    }
    return {};
  }

  Result<Response> Send(const Request& request) {
    std::optional<Result<Response>> out;
    std::exception_ptr failure;
    try {
      io_.restart();
      net::co_spawn(io_, Run(request, out), [&failure](std::exception_ptr e) { failure = e; });
      io_.run();
    } catch (const std::exception& e) {
      idle_.clear();
      return Error(ErrorKind::kInternal, std::string("http client: ") + e.what());
    }
    if (failure) {
      idle_.clear();
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        return Error(ErrorKind::kInternal, std::string("http client: ") + e.what());
      } catch (...) {
        return Error(ErrorKind::kInternal, "http client: unknown exception");
      }
    }
    if (!out) {
      return Error(ErrorKind::kInternal, "http client: request did not complete");
    }
    return std::move(*out);
  }

 private:
  net::awaitable<void> Run(const Request& request, std::optional<Result<Response>>& out) {
    const Deadline deadline =
        request.deadline.value_or(std::chrono::steady_clock::now() + options_.timeout);
    out = co_await SendFollowingRedirects(request, deadline);
  }

  net::awaitable<Result<Response>> SendFollowingRedirects(Request request, Deadline deadline) {
    Result<Url> url = ParseUrl(request.url);
    if (!url) {
      co_return url.error();
    }
    const std::string original_host = url->host;
    for (int redirects = 0;; ++redirects) {
      Result<Response> response = co_await SendOnce(request, *url, deadline);
      if (!response || !IsFollowedRedirect(response->status, request.method)) {
        co_return response;
      }
      const std::optional<std::string> location = response->Header("Location");
      if (!location) {
        co_return response;
      }
      if (redirects == kMaxRedirects) {
        co_return Error(ErrorKind::kTransient, "stopped after " + std::to_string(kMaxRedirects) +
                                                   " redirects at " + url->ToString());
      }
      Result<Url> next = ResolveReference(*url, *location);
      if (!next) {
        co_return Error(ErrorKind::kTransient,
                        "redirect from " + url->ToString() + ": " + next.error().message());
      }
      url = std::move(*next);
      if (!SameOrSubdomain(url->host, original_host)) {
        std::erase_if(request.headers, [](const auto& header) {
          return EqualsIgnoreCase(header.first, "Authorization");
        });
      }
    }
  }

  // One exchange with `url`, over an idle keep-alive connection when there is one.
  net::awaitable<Result<Response>> SendOnce(const Request& request, const Url& url,
                                            Deadline deadline) {
    std::optional<ProxyEndpoint> proxy = explicit_proxy_;
    if (!proxy && options_.proxy_from_environment) {
      if (std::optional<ProxyConfig> config = ProxyForUrl(url, environment_)) {
        Result<ProxyEndpoint> resolved = ResolveProxy(*config);
        if (!resolved) {
          co_return resolved.error();
        }
        proxy = std::move(*resolved);
      }
    }
    Result<bhttp::request<bhttp::string_body>> message = BuildRequest(request, url, proxy);
    if (!message) {
      co_return message.error();
    }
    const std::string key = url.scheme + "://" + url.HostPort() + " " +
                            (proxy ? proxy->url.HostPort() + " " + proxy->authorization : "");
    const std::string where = url.HostPort();
    for (int attempt = 0; attempt < 2; ++attempt) {
      ConnectionPtr conn;
      if (auto idle = idle_.find(key); idle != idle_.end() && attempt == 0) {
        conn = std::move(idle->second);
        idle_.erase(idle);
      }
      const bool reused = conn != nullptr;
      if (!conn) {
        Result<ConnectionPtr> fresh = co_await Connect(url, proxy, deadline);
        if (!fresh) {
          co_return fresh.error();
        }
        conn = std::move(*fresh);
      }
      conn->Lowest().expires_at(deadline);
      // (GCC 12 mishandles co_await inside a conditional expression: keep them in statements.)
      Exchanged exchanged;
      if (conn->tls) {
        exchanged = co_await Exchange(*conn->tls, *conn, *message, options_.max_body_bytes, where);
      } else {
        exchanged =
            co_await Exchange(*conn->plain, *conn, *message, options_.max_body_bytes, where);
      }
      if (exchanged.error) {
        if (reused && exchanged.nothing_received) {
          continue;  // the server closed the idle connection; retry once on a fresh one
        }
        co_return *exchanged.error;
      }
      if (exchanged.keep_alive && conn->buffer.size() == 0) {
        conn->Lowest().expires_never();
        idle_[key] = std::move(conn);
      }
      co_return std::move(*exchanged.response);
    }
    co_return Error(ErrorKind::kTransient, "send to " + where + ": connection closed");
  }

  Result<bhttp::request<bhttp::string_body>> BuildRequest(
      const Request& request, const Url& url, const std::optional<ProxyEndpoint>& proxy) const {
    bhttp::request<bhttp::string_body> message;
    if (request.method.empty() || HasLineBreak(request.method) ||
        request.method.find(' ') != std::string::npos) {
      return Error(ErrorKind::kInvalidSpec, "invalid HTTP method " + Quote(request.method));
    }
    message.method_string({request.method.data(), request.method.size()});
    const bool absolute_form = proxy && !url.IsHttps();
    message.target(absolute_form ? url.ToString() : url.target);
    message.version(11);
    message.set(bhttp::field::host, url.HostHeader());
    message.set(bhttp::field::user_agent, options_.user_agent);
    for (const auto& [name, value] : request.headers) {
      if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
          name.find_first_of(" :") != std::string::npos) {
        return Error(ErrorKind::kInvalidSpec, "invalid HTTP header " + Quote(name));
      }
      if (EqualsIgnoreCase(name, "Host") || EqualsIgnoreCase(name, "User-Agent")) {
        message.set({name.data(), name.size()}, {value.data(), value.size()});
      } else {
        message.insert({name.data(), name.size()}, {value.data(), value.size()});
      }
    }
    if (absolute_form && !proxy->authorization.empty()) {
      message.set(bhttp::field::proxy_authorization, proxy->authorization);
    }
    message.body() = request.body;
    message.prepare_payload();
    return message;
  }

  // Resolves and connects to the server (or the proxy), then tunnels and handshakes as needed.
  net::awaitable<Result<ConnectionPtr>> Connect(const Url& url,
                                                const std::optional<ProxyEndpoint>& proxy,
                                                Deadline deadline) {
    const Url& hop = proxy ? proxy->url : url;
    const std::string where = (proxy ? "proxy " : "") + hop.HostPort();
    auto conn = std::make_unique<Connection>(io_);
    beast::error_code ec;
    resolve_timed_out_ = false;
    resolve_timer_.expires_at(deadline);
    resolve_timer_.async_wait([this](const beast::error_code& wait_ec) {
      if (!wait_ec) {
        resolve_timed_out_ = true;
        resolver_.cancel();
      }
    });
    auto endpoints = co_await resolver_.async_resolve(hop.host, std::to_string(hop.port),
                                                      net::ip::resolver_base::numeric_service,
                                                      net::redirect_error(net::use_awaitable, ec));
    resolve_timer_.cancel();
    if (ec) {
      co_return NetError("resolve", where, resolve_timed_out_ ? beast::error::timeout : ec);
    }
    conn->Lowest().expires_at(deadline);
    co_await conn->Lowest().async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return NetError("connect", where, ec);
    }
    if (!url.IsHttps()) {
      co_return conn;
    }
    if (proxy) {
      Result<void> tunnel = co_await Tunnel(*conn, url, *proxy);
      if (!tunnel) {
        co_return tunnel.error();
      }
    }
    Result<void> handshake = co_await Handshake(*conn, url);
    if (!handshake) {
      co_return handshake.error();
    }
    co_return conn;
  }

  // Opens a CONNECT tunnel to `url` through the proxy `conn` is connected to.
  net::awaitable<Result<void>> Tunnel(Connection& conn, const Url& url,
                                      const ProxyEndpoint& proxy) {
    const std::string where = url.HostPort() + " via proxy " + proxy.url.HostPort();
    bhttp::request<bhttp::empty_body> request{bhttp::verb::connect, url.HostPort(), 11};
    request.set(bhttp::field::host, url.HostPort());
    request.set(bhttp::field::user_agent, options_.user_agent);
    if (!proxy.authorization.empty()) {
      request.set(bhttp::field::proxy_authorization, proxy.authorization);
    }
    beast::error_code ec;
    co_await bhttp::async_write(*conn.plain, request, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return NetError("proxy CONNECT to", where, ec);
    }
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);  // a 2xx answer to CONNECT has no body: the tunnel starts after the header
    parser.header_limit(kHeaderLimit);
    co_await bhttp::async_read(*conn.plain, conn.buffer, parser,
                               net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return NetError("proxy CONNECT to", where, ec);
    }
    const unsigned status = parser.get().result_int();
    if (status != 200) {
      co_return Error(status == 407 ? ErrorKind::kUnauthorized : ErrorKind::kTransient,
                      "proxy CONNECT to " + where + ": " + std::to_string(status) + " " +
                          std::string(parser.get().reason()));
    }
    if (conn.buffer.size() != 0) {
      co_return Error(ErrorKind::kTransient,
                      "proxy CONNECT to " + where + ": unexpected data after the response");
    }
    co_return Result<void>();
  }

  // Moves the TCP stream under TLS, sets SNI and host name verification, and handshakes.
  net::awaitable<Result<void>> Handshake(Connection& conn, const Url& url) {
    const std::string where = "tls handshake with " + url.HostPort();
    conn.tls = std::make_unique<TlsStream>(std::move(*conn.plain), ssl_ctx_);
    conn.plain.reset();
    // SNI carries DNS names only (RFC 6066); IP literals are verified against IP SANs.
    if (!IsIpLiteral(url.host) &&
        SSL_set_tlsext_host_name(conn.tls->native_handle(), url.host.c_str()) != 1) {
      co_return Error(ErrorKind::kInvalidSpec, where + ": invalid server name");
    }
    beast::error_code ec;
    if (!options_.tls.insecure_skip_verify) {
      conn.tls->set_verify_mode(ssl::verify_peer, ec);
      conn.tls->set_verify_callback(
          [verify = ssl::host_name_verification(url.host), mismatch = &conn.host_mismatch](
              bool preverified, ssl::verify_context& context) {
            const bool ok = verify(preverified, context);
            if (preverified && !ok) {
              *mismatch = true;
            }
            return ok;
          },
          ec);
      if (ec) {
        co_return Error(ErrorKind::kInternal, where + ": " + ec.message());
      }
    }
    co_await conn.tls->async_handshake(ssl::stream_base::client,
                                       net::redirect_error(net::use_awaitable, ec));
    if (!ec) {
      co_return Result<void>();
    }
    if (conn.host_mismatch) {
      co_return Error(ErrorKind::kUnauthorized,
                      where + ": certificate is not valid for host " + Quote(url.host));
    }
    const long verify_result = SSL_get_verify_result(conn.tls->native_handle());
    if (ec != beast::error::timeout && verify_result != X509_V_OK) {
      co_return Error(ErrorKind::kUnauthorized, where + ": certificate verify failed: " +
                                                    X509_verify_cert_error_string(verify_result));
    }
    co_return NetError("tls handshake with", url.HostPort(), ec);
  }

  ClientOptions options_;
  ssl::context ssl_ctx_;  // outlives io_ and every connection
  net::io_context io_;
  net::ip::tcp::resolver resolver_;
  net::steady_timer resolve_timer_;
  bool resolve_timed_out_ = false;
  ProxyEnvironment environment_;
  std::optional<ProxyEndpoint> explicit_proxy_;
  std::map<std::string, ConnectionPtr> idle_;  // one idle connection per scheme+host+port+proxy
};

Result<HttpClientPtr> BeastHttpClient::Create(ClientOptions options) {
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(std::move(options));
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInternal, std::string("creating the TLS context: ") + e.what());
  }
  if (Result<void> ok = impl->Init(); !ok) {
    return ok.error();
  }
  return HttpClientPtr(new BeastHttpClient(std::move(impl)));
}

BeastHttpClient::BeastHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

BeastHttpClient::~BeastHttpClient() = default;

Result<Response> BeastHttpClient::Send(const Request& request) {
  std::lock_guard<std::mutex> lock(mu_);
  return impl_->Send(request);
}

}  // namespace imgauto::http
