#include "automation/git/ssh_signer.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstdint>
#include <vector>

namespace imgauto::automation::git {

struct SshSigner::Key {
  EVP_PKEY* pkey = nullptr;
  std::string type;                // ssh key type ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa")
  const EVP_MD* digest = nullptr;  // null for ed25519
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";

Error Invalid(std::string_view what) {
  return Error(ErrorKind::kInvalidSpec, "invalid ssh signing key: " + std::string(what));
}

// Reads SSH wire-format fields.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool U32(uint32_t* v) {
    if (data_.size() < 4) {
      return false;
    }
    *v = (uint32_t{static_cast<unsigned char>(data_[0])} << 24) |
         (uint32_t{static_cast<unsigned char>(data_[1])} << 16) |
         (uint32_t{static_cast<unsigned char>(data_[2])} << 8) |
         uint32_t{static_cast<unsigned char>(data_[3])};
    data_.remove_prefix(4);
    return true;
  }
  bool String(std::string_view* s) {
    uint32_t n = 0;
    if (!U32(&n) || data_.size() < n) {
      return false;
    }
    *s = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  bool Raw(size_t n, std::string_view* s) {
    if (data_.size() < n) {
      return false;
    }
    *s = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view data_;
};

void PutU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

void PutMpint(std::string& out, const BIGNUM* bn) {
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  if (!bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80) != 0) {
    bytes.insert(bytes.begin(), '\0');
  }
  PutString(out, bytes);
}

BIGNUM* ToBignum(std::string_view mpint) {
  return BN_bin2bn(reinterpret_cast<const unsigned char*>(mpint.data()),
                   static_cast<int>(mpint.size()), nullptr);
}

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Base64Decode(std::string_view in, std::string* out) {
  std::string clean;
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
      clean.push_back(c);
    }
  }
  if (clean.empty() || clean.size() % 4 != 0) {
    return false;
  }
  std::string buf(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) {
    return false;
  }
  size_t pad = 0;
  for (size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i) {
    ++pad;
  }
  buf.resize(static_cast<size_t>(n) - pad);
  *out = std::move(buf);
  return true;
}

// Builds an EVP_PKEY from OSSL params.
EVP_PKEY* FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (params != nullptr && ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params);
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return pkey;
}

Result<std::unique_ptr<SshSigner::Key>> ParsePrivate(Reader& r, std::string_view type) {
  auto key = std::make_unique<SshSigner::Key>();
  key->type = std::string(type);
  if (type == "ssh-ed25519") {
    std::string_view pub;
    std::string_view priv;
    if (!r.String(&pub) || !r.String(&priv) || priv.size() != 64) {
      return Invalid("malformed ed25519 key");
    }
    key->pkey = EVP_PKEY_new_raw_private_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(priv.data()), 32);
  } else if (type == "ssh-rsa") {
    std::string_view n, e, d, iqmp, p, q;
    if (!r.String(&n) || !r.String(&e) || !r.String(&d) || !r.String(&iqmp) || !r.String(&p) ||
        !r.String(&q)) {
      return Invalid("malformed rsa key");
    }
    BIGNUM* bn_n = ToBignum(n);
    BIGNUM* bn_e = ToBignum(e);
    BIGNUM* bn_d = ToBignum(d);
    if (BN_num_bits(bn_n) < 2048) {
      BN_free(bn_n);
      BN_free(bn_e);
      BN_free(bn_d);
      return Invalid("rsa keys must have at least 2048 bits");
    }
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, bn_d);
    key->pkey = FromParams("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    BN_free(bn_d);
    key->type = "rsa-sha2-512";
    key->digest = EVP_sha512();
  } else if (type.rfind("ecdsa-sha2-nistp", 0) == 0) {
    std::string_view curve, point, d;
    if (!r.String(&curve) || !r.String(&point) || !r.String(&d)) {
      return Invalid("malformed ecdsa key");
    }
    const char* group = nullptr;
    if (curve == "nistp256") {
      group = "P-256";
      key->digest = EVP_sha256();
    } else if (curve == "nistp384") {
      group = "P-384";
      key->digest = EVP_sha384();
    } else if (curve == "nistp521") {
      group = "P-521";
      key->digest = EVP_sha512();
    } else {
      return Invalid("unsupported ecdsa curve");
    }
    BIGNUM* bn_d = ToBignum(d);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn_d);
    key->pkey = FromParams("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bn_d);
  } else {
    return Invalid("unsupported key type '" + std::string(type) + "'");
  }
  if (key->pkey == nullptr) {
    return Invalid("unable to load key");
  }
  return key;
}

// Encodes a raw OpenSSL signature in SSH's signature format.
Result<std::string> EncodeSignature(const SshSigner::Key& key, std::string_view raw) {
  std::string out;
  PutString(out, key.type);
  if (key.type.rfind("ecdsa-", 0) != 0) {
    PutString(out, raw);
    return out;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(raw.size()));
  if (sig == nullptr) {
    return Error(ErrorKind::kInternal, "decoding ecdsa signature failed");
  }
  std::string inner;
  PutMpint(inner, ECDSA_SIG_get0_r(sig));
  PutMpint(inner, ECDSA_SIG_get0_s(sig));
  ECDSA_SIG_free(sig);
  PutString(out, inner);
  return out;
}

}  // namespace

SshSigner::SshSigner(std::unique_ptr<Key> key, std::string public_blob)
    : key_(std::move(key)), public_blob_(std::move(public_blob)) {}

SshSigner::~SshSigner() = default;

Result<SignerPtr> SshSigner::Create(std::string_view private_key, std::string_view passphrase,
                                    std::string_view secret_name) {
  if (private_key.empty()) {
    return Error(ErrorKind::kInvalidSpec, "signing key secret '" + std::string(secret_name) +
                                              "' does not contain an 'identity' key");
  }
  size_t begin = private_key.find(kBegin);
  size_t end = private_key.find(kEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) {
    return Invalid("expected an OpenSSH private key (BEGIN OPENSSH PRIVATE KEY)");
  }
  std::string blob;
  if (!Base64Decode(private_key.substr(begin + kBegin.size(), end - begin - kBegin.size()),
                    &blob)) {
    return Invalid("bad base64");
  }
  constexpr std::string_view kMagic("openssh-key-v1\0", 15);
  if (blob.compare(0, kMagic.size(), kMagic) != 0) {
    return Invalid("not an openssh-key-v1 key");
  }
  Reader r(std::string_view(blob).substr(kMagic.size()));
  std::string_view cipher, kdf, kdf_options, public_blob, section;
  uint32_t count = 0;
  if (!r.String(&cipher) || !r.String(&kdf) || !r.String(&kdf_options) || !r.U32(&count) ||
      count != 1 || !r.String(&public_blob) || !r.String(&section)) {
    return Invalid("malformed key container");
  }
  if (cipher != "none") {
    (void)passphrase;
    // TODO(imgauto): bcrypt-pbkdf + aes256-ctr decryption of passphrase-protected keys.
    return Invalid("passphrase protected (" + std::string(cipher) +
                   ") OpenSSH keys are not supported yet; use an unencrypted key");
  }
  Reader priv(section);
  uint32_t check1 = 0;
  uint32_t check2 = 0;
  std::string_view type;
  if (!priv.U32(&check1) || !priv.U32(&check2) || check1 != check2 || !priv.String(&type)) {
    return Invalid("malformed private section");
  }
  Result<std::unique_ptr<Key>> key = ParsePrivate(priv, type);
  if (!key) {
    return key.error();
  }
  return SignerPtr(new SshSigner(std::move(*key), std::string(public_blob)));
}

Result<std::string> SshSigner::Sign(std::string_view payload) const {
  // The signed data: magic, namespace, reserved, hash algorithm, H(payload) (PROTOCOL.sshsig).
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hash_len = 0;
  if (EVP_Digest(payload.data(), payload.size(), hash, &hash_len, EVP_sha512(), nullptr) != 1) {
    return Error(ErrorKind::kInternal, "sha512 failed");
  }
  std::string signed_data = "SSHSIG";
  PutString(signed_data, "git");
  PutString(signed_data, "");
  PutString(signed_data, "sha512");
  PutString(signed_data, std::string_view(reinterpret_cast<char*>(hash), hash_len));

  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string raw;
  size_t len = 0;
  bool ok =
      ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, key_->digest, nullptr, key_->pkey) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(signed_data.data()),
                     signed_data.size()) == 1;
  if (ok) {
    raw.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(raw.data()), &len,
                        reinterpret_cast<const unsigned char*>(signed_data.data()),
                        signed_data.size()) == 1;
    raw.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    return Error(ErrorKind::kInternal, "ssh signing failed");
  }
  Result<std::string> encoded = EncodeSignature(*key_, raw);
  if (!encoded) {
    return encoded.error();
  }
  std::string blob = "SSHSIG";
  PutU32(blob, 1);
  PutString(blob, public_blob_);
  PutString(blob, "git");
  PutString(blob, "");
  PutString(blob, "sha512");
  PutString(blob, *encoded);
  std::string b64 = Base64(blob);
  std::string armored = "-----BEGIN SSH SIGNATURE-----\n";
  for (size_t i = 0; i < b64.size(); i += 70) {
    armored += b64.substr(i, 70) + "\n";
  }
  armored += "-----END SSH SIGNATURE-----\n";
  return armored;
}

}  // namespace imgauto::automation::git
