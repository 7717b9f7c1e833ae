#include "core/asio.h"  // first: the Asio/Beast prelude

#include <boost/asio/ip/v6_only.hpp>

#include "metrics/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <mutex>
#include <set>
#include <thread>

#include "core/strings.h"

namespace imgauto::metrics {
namespace {

using tcp = net::ip::tcp;

ServerResponse Plain(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A token bucket: `rate` tokens a second, at most `burst` saved, full at start. Thread-safe.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst)
      : rate_(rate), burst_(burst), tokens_(burst), last_(std::chrono::steady_clock::now()) {}

  // Takes a token and returns 0, or returns the whole seconds (at least 1) until one is
  // available.
  int TryTake() {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return 0;
    }
    const double wait = std::ceil((1.0 - tokens_) / rate_);
    return wait < 1.0 ? 1 : wait > 86400.0 ? 86400 : static_cast<int>(wait);
  }

 private:
  std::mutex mu_;
  const double rate_;
  const double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

// Closes the socket when the session ends and keeps the connection count.
struct ConnectionSlot {
  explicit ConnectionSlot(std::atomic<int>& count) : count_(count) {}
  ~ConnectionSlot() { --count_; }
  std::atomic<int>& count_;
};

}  // namespace

std::string ServerRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) {
      return v;
    }
  }
  return {};
}

std::vector<Route> HealthRoutes(std::function<bool()> ready, std::string not_ready_message) {
  return {{"GET", "/healthz", [](const ServerRequest&) { return Plain(200, "ok"); }},
          {"GET", "/readyz",
           [ready = std::move(ready), message = std::move(not_ready_message)](
               const ServerRequest&) { return ready() ? Plain(200, "ok") : Plain(503, message); }}};
}

Result<std::pair<std::string, int>> ParseListenAddress(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return Error(ErrorKind::kInvalidSpec,
                 "invalid listen address \"" + std::string(address) + "\": expected host:port");
  }
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string_view port_text = address.substr(colon + 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 ||
      port > 65535) {
    return Error(ErrorKind::kInvalidSpec,
                 "invalid listen address \"" + std::string(address) + "\": bad port");
  }
  return std::make_pair(host, port);
}

struct HttpServer::Impl {
  HttpServerOptions options;
  std::vector<Route> routes;
  // Parallel to routes: the route's bucket, or null when it is not rate limited.
  std::vector<std::unique_ptr<TokenBucket>> buckets;
  // Declared before io: sessions torn down with io_context still decrement it.
  std::atomic<int> connections{0};
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<bool> stopped{false};
  int port = 0;

  // Returns 0 when a request for `method` and `path` may proceed, else the Retry-After seconds.
  // Requests that match no route (404 / 405) are not limited: they cost nothing.
  int Admit(std::string_view method_in, std::string_view path) {
    const std::string_view method = method_in == "HEAD" ? "GET" : method_in;
    for (std::size_t i = 0; i < routes.size(); ++i) {
      const Route& route = routes[i];
      const bool match = route.prefix ? path.starts_with(route.path) : path == route.path;
      if (match && route.method == method) {
        return buckets[i] == nullptr ? 0 : buckets[i]->TryTake();
      }
    }
    return 0;
  }

  // After answering a request whose body was not read: stops sending, then reads and discards
  // what the client still sends (bounded in bytes and time) so that closing the socket does not
  // reset the connection before the client has read the answer.
  net::awaitable<void> DiscardUnread(beast::tcp_stream& stream) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(
        std::min<std::chrono::milliseconds>(options.read_timeout, std::chrono::seconds(1)));
    std::array<char, 4096> scratch;
    std::size_t total = 0;
    while (!ec && total <= options.max_body_bytes + options.max_header_bytes) {
      total += co_await stream.async_read_some(net::buffer(scratch),
                                               net::redirect_error(net::use_awaitable, ec));
    }
  }

  ServerResponse Dispatch(const ServerRequest& request) const {
    std::set<std::string> allowed;
    const std::string method = request.method == "HEAD" ? "GET" : request.method;
    for (const Route& route : routes) {
      const bool match = route.prefix ? request.path.starts_with(route.path)
                                      : request.path == route.path;
      if (!match) {
        continue;
      }
      if (route.method == method) {
        return route.handler(request);
      }
      allowed.insert(route.method);
    }
    if (allowed.empty()) {
      return Plain(404, "404 page not found\n");
    }
    ServerResponse r = Plain(405, "method not allowed\n");
    std::string allow;
    for (const std::string& m : allowed) {
      allow += (allow.empty() ? "" : ", ") + m;
    }
    r.headers.push_back({"Allow", allow});
    return r;
  }

  net::awaitable<void> WriteResponse(beast::tcp_stream& stream, const ServerResponse& out,
                                     unsigned version, bool keep_alive, bool head,
                                     beast::error_code& ec) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), version};
    res.set(bhttp::field::server, "imgauto");
    res.set(bhttp::field::content_type, out.content_type);
    for (const auto& [k, v] : out.headers) {
      res.set(k, v);
    }
    res.keep_alive(keep_alive);
    res.body() = head ? std::string() : out.body;
    res.prepare_payload();
    if (head) {
      res.content_length(out.body.size());
    }
    stream.expires_after(options.read_timeout);
    co_await bhttp::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
  }

  net::awaitable<void> Session(tcp::socket socket) {
    ConnectionSlot slot(connections);
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::string remote;
    {
      beast::error_code ec;
      tcp::endpoint ep = stream.socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    bool first = true;
    for (;;) {
      beast::error_code ec;
      if (!first && buffer.size() == 0) {
        // Idle keep-alive: wait for the next request's first bytes.
        stream.expires_after(options.idle_timeout);
        auto buf = buffer.prepare(1024);
        std::size_t n =
            co_await stream.async_read_some(buf, net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
        buffer.commit(n);
      }
      first = false;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      stream.expires_after(options.read_timeout);  // covers the headers and the body
      co_await bhttp::async_read_header(stream, buffer, parser,
                                        net::redirect_error(net::use_awaitable, ec));
      if (!ec) {
        // The rate limit applies before the body is read and before the handler runs.
        const auto& head = parser.get();
        const std::string_view target(head.target().data(), head.target().size());
        const std::string_view method(head.method_string().data(), head.method_string().size());
        if (const int retry_after = Admit(method, target.substr(0, target.find('?')));
            retry_after > 0) {
          ServerResponse limited = Plain(429, "rate limit exceeded\n");
          limited.headers.push_back({"Retry-After", std::to_string(retry_after)});
          beast::error_code write_ec;
          co_await WriteResponse(stream, limited, head.version(), false, method == "HEAD",
                                 write_ec);
          if (!write_ec) {
            co_await DiscardUnread(stream);
          }
          break;
        }
        co_await bhttp::async_read(stream, buffer, parser,
                                   net::redirect_error(net::use_awaitable, ec));
      }
      if (ec) {
        int status = 0;
        if (ec == bhttp::error::body_limit) {
          status = 413;
        } else if (ec == bhttp::error::header_limit) {
          status = 431;
        } else if (ec == beast::error::timeout) {
          status = 0;  // beast::tcp_stream closed the socket: nothing can be sent
        } else if (ec != bhttp::error::end_of_stream && ec != net::error::eof &&
                   ec != net::error::connection_reset && ec != net::error::operation_aborted) {
          status = 400;
        }
        if (status != 0) {
          beast::error_code write_ec;
          ServerResponse r = Plain(status, status == 413   ? "request body too large\n"
                                           : status == 431 ? "request headers too large\n"
                                                           : "bad request\n");
          co_await WriteResponse(stream, r, 11, false, false, write_ec);
        }
        break;
      }
      const auto& req = parser.get();
      ServerRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      size_t q = request.target.find('?');
      request.path = request.target.substr(0, q);
      request.query = q == std::string::npos ? "" : request.target.substr(q + 1);
      for (const auto& field : req) {
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      request.body = req.body();
      request.remote_address = remote;
      ServerResponse response;
      try {
        response = Dispatch(request);
      } catch (const std::exception&) {
        response = Plain(500, "internal error\n");
      }
      const bool keep_alive = req.keep_alive();
      co_await WriteResponse(stream, response, req.version(), keep_alive, request.method == "HEAD",
                             ec);
      if (ec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  net::awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (ec == net::error::operation_aborted || stopped.load()) co_return;
        continue;
      }
      if (connections.load() >= options.max_connections) {
        socket.close(ec);
        continue;
      }
      ++connections;
      net::co_spawn(io, Session(std::move(socket)), net::detached);
    }
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped.exchange(true)) {
    return;
  }
  net::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
    impl->io.stop();
  });
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      std::vector<Route> routes) {
  Result<std::pair<std::string, int>> address = ParseListenAddress(options.address);
  if (!address) {
    return address.error();
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->routes = std::move(routes);
  for (const Route& route : impl->routes) {
    std::unique_ptr<TokenBucket> bucket;
    if (route.rate_limit_per_second > 0 && std::isfinite(route.rate_limit_per_second)) {
      const double burst = route.rate_limit_burst > 0
                               ? static_cast<double>(route.rate_limit_burst)
                               : std::max(1.0, std::ceil(route.rate_limit_per_second));
      bucket = std::make_unique<TokenBucket>(route.rate_limit_per_second, burst);
    }
    impl->buckets.push_back(std::move(bucket));
  }
  beast::error_code ec;
  tcp::endpoint endpoint;
  if (address->first.empty()) {
    // ":port" listens on every interface, IPv6 and IPv4 when the host has IPv6 (like Go).
    endpoint = tcp::endpoint(net::ip::address_v6::any(), static_cast<unsigned short>(address->second));
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl->acceptor.set_option(net::ip::v6_only(false), ec);
    if (ec) {
      beast::error_code ignored;
      impl->acceptor.close(ignored);
      endpoint = tcp::endpoint(net::ip::address_v4::any(), endpoint.port());
      ec = {};
      impl->acceptor.open(endpoint.protocol(), ec);
    }
  } else {
    net::ip::address ip = net::ip::make_address(address->first, ec);
    if (ec) {
      return Error(ErrorKind::kInvalidSpec, "invalid listen address \"" + impl->options.address +
                                                "\": " + ec.message());
    }
    endpoint = tcp::endpoint(ip, static_cast<unsigned short>(address->second));
    impl->acceptor.open(endpoint.protocol(), ec);
  }
  if (ec) {
    return Error(ErrorKind::kTransient, "listening on " + impl->options.address + ": " + ec.message());
  }
  impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error(ErrorKind::kTransient, "listening on " + impl->options.address + ": " + ec.message());
  }
  impl->port = impl->acceptor.local_endpoint().port();
  Impl* raw = impl.get();
  net::co_spawn(raw->io, raw->Accept(), net::detached);
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace imgauto::metrics
