#include "core/http/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace imgauto::http {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct ParsedTls {
  std::vector<X509Ptr> cas;
  std::vector<X509Ptr> chain;  // leaf first
  PkeyPtr key;
};

Error Invalid(std::string_view what, std::string_view detail) {
  return Error(ErrorKind::kInvalidSpec, std::string(what) + ": " + std::string(detail));
}

// Refuses to prompt for a passphrase: encrypted keys fail to load instead of blocking on a TTY.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

BioPtr MemoryBio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Reads every certificate of a PEM bundle. The end of the input shows up as PEM_R_NO_START_LINE
// on the error queue; any other queued error means a malformed block.
Result<std::vector<X509Ptr>> ReadCertificates(std::string_view pem, std::string_view what) {
  ERR_clear_error();
  BioPtr bio = MemoryBio(pem);
  if (!bio) {
    return Error(ErrorKind::kInternal, "allocating a memory BIO failed");
  }
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)) {
    certs.emplace_back(cert);
  }
  const unsigned long err = ERR_peek_last_error();
  const bool end_of_input =
      err == 0 || (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE);
  if (!end_of_input) {
    return Invalid(what, TakeOpenSslError("malformed PEM block"));
  }
  ERR_clear_error();
  if (certs.empty()) {
    return Invalid(what, "no PEM certificate found");
  }
  return certs;
}

Result<ParsedTls> Parse(const TlsOptions& options) {
  ParsedTls parsed;
  if (!options.ca_pem.empty()) {
    Result<std::vector<X509Ptr>> cas = ReadCertificates(options.ca_pem, "invalid CA certificate");
    if (!cas) {
      return cas.error();
    }
    parsed.cas = std::move(*cas);
  }
  if (options.cert_pem.empty() != options.key_pem.empty()) {
    return Error(ErrorKind::kInvalidSpec, options.cert_pem.empty()
                                              ? "client key given without a certificate"
                                              : "client certificate given without a key");
  }
  if (options.cert_pem.empty()) {
    return parsed;
  }
  Result<std::vector<X509Ptr>> chain =
      ReadCertificates(options.cert_pem, "invalid client certificate");
  if (!chain) {
    return chain.error();
  }
  parsed.chain = std::move(*chain);
  ERR_clear_error();
  BioPtr bio = MemoryBio(options.key_pem);
  parsed.key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!parsed.key) {
    return Invalid("invalid client key", TakeOpenSslError("no PEM private key found"));
  }
  if (X509_check_private_key(parsed.chain.front().get(), parsed.key.get()) != 1) {
    ERR_clear_error();
    return Error(ErrorKind::kInvalidSpec, "client certificate and key do not match");
  }
  return parsed;
}

}  // namespace

std::string TakeOpenSslError(const std::string& fallback) {
  const unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  if (err == 0) {
    return fallback;
  }
  const char* reason = ERR_reason_error_string(err);
  return reason != nullptr ? std::string(reason) : fallback;
}

Result<void> ValidateTlsOptions(const TlsOptions& options) {
  Result<ParsedTls> parsed = Parse(options);
  if (!parsed) {
    return parsed.error();
  }
  return {};
}

Result<void> ConfigureTlsContext(const TlsOptions& options, ssl_ctx_st* ctx) {
  Result<ParsedTls> parsed = Parse(options);
  if (!parsed) {
    return parsed.error();
  }
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return Error(ErrorKind::kInternal, "setting the minimum TLS version failed");
  }
  // A host without a system CA bundle still works with an explicit ca.crt.
  SSL_CTX_set_default_verify_paths(ctx);
  ERR_clear_error();
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const X509Ptr& ca : parsed->cas) {
    if (X509_STORE_add_cert(store, ca.get()) != 1) {
      return Invalid("invalid CA certificate", TakeOpenSslError("cannot add to the trust store"));
    }
  }
  SSL_CTX_set_verify(ctx, options.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                     nullptr);
  if (parsed->chain.empty()) {
    return {};
  }
  if (SSL_CTX_use_certificate(ctx, parsed->chain.front().get()) != 1) {
    return Invalid("invalid client certificate", TakeOpenSslError("rejected by OpenSSL"));
  }
  for (std::size_t i = 1; i < parsed->chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, parsed->chain[i].get()) != 1) {
      return Invalid("invalid client certificate", TakeOpenSslError("chain rejected by OpenSSL"));
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx, parsed->key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Error(ErrorKind::kInvalidSpec, "client certificate and key do not match");
  }
  return {};
}

}  // namespace imgauto::http
