// TLS settings for HTTP clients: extra trusted CAs, an optional client certificate for mutual
// TLS, and the (logged) escape hatch that disables verification. Mirrors the material of an
// ImageRepository `certSecretRef` (ca.crt, tls.crt, tls.key) and `spec.insecure`.
//
// The OpenSSL context is configured through its native handle so that this header stays free of
// Asio and OpenSSL includes:
//   ssl::context ctx(ssl::context::tls_client);
//   Result<void> ok = ConfigureTlsContext(options, ctx.native_handle());
#pragma once

#include <string>

#include "core/error.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace imgauto::http {

struct TlsOptions {
  std::string ca_pem{};  // extra trusted CA certificates (PEM, one or more), added to the system's
  std::string cert_pem{};  // client certificate chain (PEM, leaf first) for mutual TLS
  std::string key_pem{};   // private key of cert_pem (PEM)
  // Disables certificate and host name verification. Only `insecure: true` may set this, and
  // the client logs it.
  bool insecure_skip_verify = false;
};

// Checks that the PEM material parses and that the key matches the certificate, without touching
// an SSL context. Errors are kInvalidSpec ("invalid CA certificate: …", "invalid client
// certificate: …", "invalid client key: …", "client certificate and key do not match",
// "client certificate given without a key"); messages never contain key material.
Result<void> ValidateTlsOptions(const TlsOptions& options);

// Configures `ctx` for a client: TLS 1.2 or newer, the system default verify paths plus
// options.ca_pem, peer verification (unless insecure_skip_verify), and the client certificate
// and key when given. Host name verification and SNI are per connection (the client sets them).
// Errors as for ValidateTlsOptions.
Result<void> ConfigureTlsContext(const TlsOptions& options, ssl_ctx_st* ctx);

// Returns OpenSSL's description of the most recent error on this thread's error queue (and
// clears the queue), or `fallback` when the queue is empty.
std::string TakeOpenSslError(const std::string& fallback);

}  // namespace imgauto::http
