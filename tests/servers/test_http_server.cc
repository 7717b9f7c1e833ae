#include "core/asio.h"
// core/asio.h first: it includes <utility> before Boost (see there).
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/check.h"
#include "core/strings.h"
#include "tests/servers/test_http_server.h"

namespace imgauto::testing {
namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::size_t kRequestBodyLimit = std::size_t{256} << 20;

bool HasHeader(const TestHeaders& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (EqualsIgnoreCase(header.first, name)) {
      return true;
    }
  }
  return false;
}

std::string Hex(std::size_t n) {
  char text[32];
  std::snprintf(text, sizeof(text), "%zx", n);
  return text;
}

// Encodes `body` as three chunks (or fewer when it is short) plus the last chunk.
std::string Chunked(std::string_view body) {
  std::string out;
  const std::size_t step = body.size() / 3 + 1;
  for (std::size_t at = 0; at < body.size(); at += step) {
    const std::string_view chunk = body.substr(at, step);
    out += Hex(chunk.size()) + "\r\n" + std::string(chunk) + "\r\n";
  }
  return out + "0\r\n\r\n";
}

// Renders the whole response, faults included, as the bytes to write.
std::string Serialize(const TestResponse& response, bool head) {
  const auto status = static_cast<unsigned>(response.status);
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(bhttp::obsolete_reason(bhttp::int_to_status(status))) + "\r\n";
  for (const auto& [name, value] : response.headers) {
    out += name + ": " + value + "\r\n";
  }
  const bool explicit_framing = HasHeader(response.headers, "Content-Length") ||
                                HasHeader(response.headers, "Transfer-Encoding");
  if (!explicit_framing && response.chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else if (!explicit_framing) {
    out += "Content-Length: " +
           std::to_string(response.declared_length.value_or(response.body.size())) + "\r\n";
  }
  if (response.close_connection) {
    out += "Connection: close\r\n";
  }
  out += "\r\n";
  if (head) {
    return out;
  }
  std::string body = response.chunked ? Chunked(response.body) : response.body;
  if (response.truncate_body_after && *response.truncate_body_after < body.size()) {
    body.resize(*response.truncate_body_after);
  }
  return out + body;
}

RecordedRequest Record(const bhttp::request<bhttp::string_body>& request, int connection) {
  RecordedRequest recorded;
  recorded.method = std::string(request.method_string());
  recorded.target = std::string(request.target());
  const std::size_t question = recorded.target.find('?');
  recorded.path = recorded.target.substr(0, question);
  recorded.query = question == std::string::npos ? "" : recorded.target.substr(question + 1);
  for (const auto& field : request) {
    recorded.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  recorded.body = request.body();
  recorded.connection = connection;
  return recorded;
}

void DefaultHandler(const RecordedRequest& /*request*/, TestResponse& response) {
  response.body = "ok";
}

}  // namespace

std::optional<std::string> RecordedRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

void TestResponse::SetHeader(std::string name, std::string value) {
  for (auto& header : headers) {
    if (EqualsIgnoreCase(header.first, name)) {
      header.second = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

class TestHttpServer::Impl {
 public:
  explicit Impl(TestServerOptions options) : options_(std::move(options)), acceptor_(io_) {
    if (!options_.handler) {
      options_.handler = DefaultHandler;
    }
    if (!options_.cert_pem.empty()) {
      ConfigureTls();
    }
    beast::error_code ec;
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol(), ec);
    IMGAUTO_CHECK(!ec, "test server: open failed");
    acceptor_.bind(endpoint, ec);
    IMGAUTO_CHECK(!ec, "test server: bind 127.0.0.1:0 failed");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    IMGAUTO_CHECK(!ec, "test server: listen failed");
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(io_, Accept(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  bool tls() const { return ssl_ctx_.has_value(); }
  int accepted() const { return accepted_.load(); }
  int failed_handshakes() const { return failed_handshakes_.load(); }

  void SetHandler(TestHandler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    options_.handler = handler ? std::move(handler) : TestHandler(DefaultHandler);
  }

  std::vector<RecordedRequest> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void ConfigureTls() {
    beast::error_code ec;
    ssl_ctx_.emplace(ssl::context::tls_server);
    ssl_ctx_->use_certificate_chain(net::buffer(options_.cert_pem), ec);
    IMGAUTO_CHECK(!ec, "test server: bad cert_pem");
    ssl_ctx_->use_private_key(net::buffer(options_.key_pem), ssl::context::pem, ec);
    IMGAUTO_CHECK(!ec, "test server: bad key_pem");
    if (!options_.client_ca_pem.empty()) {
      ssl_ctx_->add_certificate_authority(net::buffer(options_.client_ca_pem), ec);
      IMGAUTO_CHECK(!ec, "test server: bad client_ca_pem");
      ssl_ctx_->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
      IMGAUTO_CHECK(!ec, "test server: set_verify_mode failed");
    }
  }

  net::awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      net::ip::tcp::socket socket =
          co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec == net::error::operation_aborted) {
        co_return;
      }
      if (ec) {
        continue;
      }
      const int id = accepted_.fetch_add(1);
      net::co_spawn(io_, Session(std::move(socket), id), net::detached);
    }
  }

  net::awaitable<void> Session(net::ip::tcp::socket socket, int id) {
    beast::tcp_stream stream(std::move(socket));
    if (!ssl_ctx_) {
      co_await Serve(stream, id);
      co_return;
    }
    TlsStream tls_stream(std::move(stream), *ssl_ctx_);
    beast::get_lowest_layer(tls_stream).expires_after(std::chrono::seconds(10));
    beast::error_code ec;
    co_await tls_stream.async_handshake(ssl::stream_base::server,
                                        net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      failed_handshakes_.fetch_add(1);
      co_return;
    }
    co_await Serve(tls_stream, id);
  }

  // Serves requests on one connection until the client or a fault closes it.
  template <typename Stream>
  net::awaitable<void> Serve(Stream& stream, int id) {
    beast::flat_buffer buffer;
    for (;;) {
      beast::error_code ec;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(kRequestBodyLimit);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
      co_await bhttp::async_read(stream, buffer, parser,
                                 net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      const RecordedRequest recorded = Record(parser.get(), id);
      TestResponse response;
      TestHandler handler;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(recorded);
        handler = options_.handler;
      }
      handler(recorded, response);
      if (response.delay_before_headers.count() > 0) {
        net::steady_timer timer(io_, response.delay_before_headers);
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      }
      if (response.close_without_response) {
        co_return;
      }
      const std::string raw = Serialize(response, recorded.method == "HEAD");
      co_await net::async_write(stream, net::buffer(raw),
                                net::redirect_error(net::use_awaitable, ec));
      if (ec || response.truncate_body_after || response.close_connection ||
          response.close_after_response || !parser.get().keep_alive()) {
        co_return;
      }
    }
  }

  TestServerOptions options_;
  std::optional<ssl::context> ssl_ctx_;  // outlives io_: sessions destroyed with io_ use it
  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> accepted_{0};
  std::atomic<int> failed_handshakes_{0};
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
};

TestHttpServer::TestHttpServer(TestServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

TestHttpServer::~TestHttpServer() = default;

std::uint16_t TestHttpServer::port() const { return impl_->port(); }
bool TestHttpServer::tls() const { return impl_->tls(); }
std::string TestHttpServer::host() const { return "127.0.0.1:" + std::to_string(port()); }
std::string TestHttpServer::base_url() const {
  return std::string(tls() ? "https://" : "http://") + host();
}
std::string TestHttpServer::Url(std::string_view target) const {
  return base_url() + std::string(target);
}
void TestHttpServer::SetHandler(TestHandler handler) { impl_->SetHandler(std::move(handler)); }
std::vector<RecordedRequest> TestHttpServer::Requests() const { return impl_->Requests(); }
int TestHttpServer::accepted_connections() const { return impl_->accepted(); }
int TestHttpServer::failed_handshakes() const { return impl_->failed_handshakes(); }

int TestHttpServer::RequestCount(std::string_view path) const {
  int count = 0;
  for (const RecordedRequest& request : Requests()) {
    count += request.path == path ? 1 : 0;
  }
  return count;
}

namespace {

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

PkeyPtr NewKey() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  IMGAUTO_CHECK(key != nullptr, "test certificates: EC key generation failed");
  return key;
}

// Creates a certificate for `key` named `common_name`, signed by `issuer` (self-signed when
// null) with `issuer_key`, carrying the given extensions (NID, OpenSSL config value).
X509Ptr NewCertificate(const char* common_name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                       const std::vector<std::pair<int, std::string>>& extensions) {
  static std::atomic<long> serial{1};
  X509Ptr cert(X509_new());
  IMGAUTO_CHECK(cert != nullptr, "test certificates: X509_new failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()),
                   static_cast<long>(std::time(nullptr) % 100000) * 1000 + serial.fetch_add(1));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    IMGAUTO_CHECK(ext != nullptr, "test certificates: bad extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  IMGAUTO_CHECK(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0,
                "test certificates: signing failed");
  return cert;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  IMGAUTO_CHECK(PEM_write_bio_X509(bio.get(), cert) == 1, "test certificates: PEM write failed");
  return BioText(bio.get());
}

std::string KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  IMGAUTO_CHECK(
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
      "test certificates: PEM write failed");
  return BioText(bio.get());
}

std::string SubjectAltNames(const std::vector<std::string>& names) {
  std::vector<std::string> entries;
  for (const std::string& name : names) {
    unsigned char buffer[16];
    const bool ip = inet_pton(AF_INET, name.c_str(), buffer) == 1 ||
                    inet_pton(AF_INET6, name.c_str(), buffer) == 1;
    entries.push_back((ip ? "IP:" : "DNS:") + name);
  }
  return Join(entries, ",");
}

}  // namespace

TestCertificates TestCertificates::Generate(const std::vector<std::string>& server_names) {
  PkeyPtr ca_key = NewKey();
  X509Ptr ca = NewCertificate("imgauto test CA", ca_key.get(), nullptr, ca_key.get(),
                              {{NID_basic_constraints, "critical,CA:TRUE"},
                               {NID_key_usage, "critical,keyCertSign,cRLSign"},
                               {NID_subject_key_identifier, "hash"}});
  PkeyPtr server_key = NewKey();
  std::vector<std::pair<int, std::string>> server_extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_authority_key_identifier, "keyid:always"}};
  if (!server_names.empty()) {
    server_extensions.emplace_back(NID_subject_alt_name, SubjectAltNames(server_names));
  }
  X509Ptr server = NewCertificate("imgauto test server", server_key.get(), ca.get(), ca_key.get(),
                                  server_extensions);
  PkeyPtr client_key = NewKey();
  X509Ptr client = NewCertificate("imgauto test client", client_key.get(), ca.get(), ca_key.get(),
                                  {{NID_basic_constraints, "critical,CA:FALSE"},
                                   {NID_key_usage, "critical,digitalSignature"},
                                   {NID_ext_key_usage, "clientAuth"},
                                   {NID_authority_key_identifier, "keyid:always"}});
  TestCertificates certs;
  certs.ca_pem = CertPem(ca.get());
  certs.server_cert_pem = CertPem(server.get());
  certs.server_key_pem = KeyPem(server_key.get());
  certs.client_cert_pem = CertPem(client.get());
  certs.client_key_pem = KeyPem(client_key.get());
  return certs;
}

}  // namespace imgauto::testing
