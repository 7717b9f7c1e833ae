#include "core/asio.h"
// core/asio.h first: it includes <utility> before Boost (see there).
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "core/http/stream_client.h"
#include "core/http/url.h"
#include "core/strings.h"

namespace imgauto::http {
namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

Error StreamError(std::string_view what, const std::string& where, const beast::error_code& ec) {
  const std::string detail = ec == beast::error::timeout ? "deadline exceeded" : ec.message();
  return Error(ErrorKind::kTransient, std::string(what) + " " + where + ": " + detail);
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// State shared with the stop callback: the socket to close, guarded by the io_context's thread.
struct Cancel {
  beast::tcp_stream* lowest = nullptr;
  bool stopped = false;
};

}  // namespace

class StreamingHttpClient::Impl {
 public:
  explicit Impl(StreamOptions options)
      : options_(std::move(options)), ssl_ctx_(ssl::context::tls_client) {}

  Result<void> Init() { return ConfigureTlsContext(options_.tls, ssl_ctx_.native_handle()); }

  Result<Response> Stream(const Request& request, const LineCallback& on_line,
                          std::stop_token stop) {
    Result<Url> url = ParseUrl(request.url);
    if (!url) {
      return url.error();
    }
    if (request.method.empty() || HasLineBreak(request.method) ||
        request.method.find(' ') != std::string::npos) {
      return Error(ErrorKind::kInvalidSpec, "invalid HTTP method " + Quote(request.method));
    }
    for (const auto& [name, value] : request.headers) {
      if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
          name.find_first_of(" :") != std::string::npos) {
        return Error(ErrorKind::kInvalidSpec, "invalid HTTP header " + Quote(name));
      }
    }
    net::io_context io;
    Cancel cancel;
    std::optional<Result<Response>> out;
    std::exception_ptr failure;
    std::stop_callback on_stop(stop, [&io, &cancel] {
      net::post(io, [&cancel] {
        cancel.stopped = true;
        if (cancel.lowest != nullptr) {
          beast::error_code ignored;
          cancel.lowest->socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
          cancel.lowest->cancel();
        }
      });
    });
    if (stop.stop_requested()) {
      return Response{};
    }
    try {
      net::co_spawn(io, Run(io, request, *url, on_line, cancel, out),
                    [&failure](std::exception_ptr e) { failure = e; });
      io.run();
    } catch (const std::exception& e) {
      return Error(ErrorKind::kInternal, std::string("stream client: ") + e.what());
    }
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        return Error(ErrorKind::kInternal, std::string("stream client: ") + e.what());
      } catch (...) {
        return Error(ErrorKind::kInternal, "stream client: unknown exception");
      }
    }
    if (!out) {
      return Error(ErrorKind::kInternal, "stream client: request did not complete");
    }
    return std::move(*out);
  }

 private:
  net::awaitable<void> Run(net::io_context& io, const Request& request, const Url& url,
                           const LineCallback& on_line, Cancel& cancel,
                           std::optional<Result<Response>>& out) {
    const std::string where = url.HostPort();
    beast::error_code ec;
    net::ip::tcp::resolver resolver(io);
    auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                     net::ip::resolver_base::numeric_service,
                                                     net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      out = StreamError("resolve", where, ec);
      co_return;
    }
    beast::tcp_stream plain(io);
    // A stop handler that runs after this frame is gone must not touch the socket.
    struct Forget {
      Cancel& cancel;
      ~Forget() { cancel.lowest = nullptr; }
    } forget{cancel};
    cancel.lowest = &plain;
    if (cancel.stopped) {
      out = Response{};
      co_return;
    }
    plain.expires_after(options_.connect_timeout);
    co_await plain.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      out = cancel.stopped ? Result<Response>(Response{}) : StreamError("connect", where, ec);
      co_return;
    }
    if (!url.IsHttps()) {
      out = co_await Exchange(plain, plain, request, url, on_line, cancel);
      co_return;
    }
    TlsStream tls(std::move(plain), ssl_ctx_);
    cancel.lowest = &beast::get_lowest_layer(tls);
    if (!IsIpLiteral(url.host)) {
      SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str());
    }
    if (!options_.tls.insecure_skip_verify) {
      tls.set_verify_mode(ssl::verify_peer, ec);
      tls.set_verify_callback(ssl::host_name_verification(url.host), ec);
    }
    co_await tls.async_handshake(ssl::stream_base::client,
                                 net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      const long verify = SSL_get_verify_result(tls.native_handle());
      if (verify != X509_V_OK) {
        out = Error(ErrorKind::kUnauthorized, "tls handshake with " + where +
                                                  ": certificate verify failed: " +
                                                  X509_verify_cert_error_string(verify));
      } else {
        out = StreamError("tls handshake with", where, ec);
      }
      co_return;
    }
    out = co_await Exchange(tls, beast::get_lowest_layer(tls), request, url, on_line, cancel);
  }

  template <typename Stream>
  net::awaitable<Result<Response>> Exchange(Stream& stream, beast::tcp_stream& lowest,
                                            const Request& request, const Url& url,
                                            const LineCallback& on_line, Cancel& cancel) {
    const std::string where = url.HostPort();
    bhttp::request<bhttp::string_body> message;
    message.method_string({request.method.data(), request.method.size()});
    message.target(url.target);
    message.version(11);
    message.set(bhttp::field::host, url.HostHeader());
    message.set(bhttp::field::user_agent, options_.user_agent);
    for (const auto& [name, value] : request.headers) {
      message.insert({name.data(), name.size()}, {value.data(), value.size()});
    }
    message.body() = request.body;
    message.prepare_payload();
    beast::error_code ec;
    co_await bhttp::async_write(stream, message, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return cancel.stopped ? Result<Response>(Response{})
                               : StreamError("write request to", where, ec);
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::buffer_body> parser;
    // Not boost::none: Beast 1.74 compares a Content-Length against an empty optional as
    // "exceeded".
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    co_await bhttp::async_read_header(stream, buffer, parser,
                                      net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return cancel.stopped ? Result<Response>(Response{})
                               : StreamError("read response from", where, ec);
    }
    Response response;
    response.status = static_cast<int>(parser.get().result_int());
    response.reason = std::string(parser.get().reason());
    for (const auto& field : parser.get()) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    const bool success = response.status >= 200 && response.status < 300;
    std::string pending;
    char chunk[16384];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof(chunk);
      if (success && options_.idle_timeout.count() > 0) {
        lowest.expires_after(options_.idle_timeout);
      } else if (success) {
        lowest.expires_never();
      } else {
        lowest.expires_after(options_.connect_timeout);
      }
      // read_some: returns as soon as some body bytes arrived (a watch event is small).
      co_await bhttp::async_read_some(stream, buffer, parser,
                                      net::redirect_error(net::use_awaitable, ec));
      if (ec == bhttp::error::need_buffer) {
        ec = {};
      }
      const std::size_t got = sizeof(chunk) - parser.get().body().size;
      if (!success) {
        if (response.body.size() < options_.max_error_body_bytes) {
          response.body.append(chunk, std::min(got, options_.max_error_body_bytes -
                                                        response.body.size()));
        }
      } else {
        pending.append(chunk, got);
        std::size_t start = 0;
        for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos;
             start = nl + 1) {
          if (!on_line(std::string_view(pending).substr(start, nl - start))) {
            co_return response;
          }
        }
        pending.erase(0, start);
        if (pending.size() > options_.max_line_bytes) {
          co_return Error(ErrorKind::kTransient,
                          "stream from " + where + ": line exceeds " +
                              std::to_string(options_.max_line_bytes) + " bytes");
        }
      }
      if (cancel.stopped) {
        co_return response;
      }
      if (ec) {
        co_return StreamError("stream from", where + " ended", ec);
      }
    }
    if (success && !pending.empty()) {
      on_line(pending);
    }
    co_return response;
  }

  StreamOptions options_;
  ssl::context ssl_ctx_;
};

Result<std::unique_ptr<StreamingHttpClient>> StreamingHttpClient::Create(StreamOptions options) {
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(std::move(options));
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInternal, std::string("creating the TLS context: ") + e.what());
  }
  if (Result<void> ok = impl->Init(); !ok) {
    return ok.error();
  }
  return std::unique_ptr<StreamingHttpClient>(new StreamingHttpClient(std::move(impl)));
}

StreamingHttpClient::StreamingHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamingHttpClient::~StreamingHttpClient() = default;

Result<Response> StreamingHttpClient::Stream(const Request& request, const LineCallback& on_line,
                                             std::stop_token stop) {
  return impl_->Stream(request, on_line, std::move(stop));
}

}  // namespace imgauto::http
