#include "reflector/webhook/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>
#include <vector>

#include "core/check.h"
#include "core/strings.h"

namespace imgauto::reflector::webhook {
namespace {

const EVP_MD* Digest(std::string_view algorithm) {
  if (algorithm == "sha1") {
    return EVP_sha1();
  }
  if (algorithm == "sha256") {
    return EVP_sha256();
  }
  if (algorithm == "sha512") {
    return EVP_sha512();
  }
  return nullptr;
}

std::vector<unsigned char> Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  std::vector<unsigned char> out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  // An empty key is legal for HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  const unsigned char* data_bytes =
      data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  const unsigned char* result = HMAC(md, key_data, static_cast<int>(key.size()), data_bytes,
                                     data.size(), out.data(), &length);
  IMGAUTO_CHECK(result != nullptr, "HMAC failed");
  out.resize(length);
  return out;
}

std::optional<std::vector<unsigned char>> DecodeHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::vector<unsigned char> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigitValue(hex[2 * i]);
    const int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

std::string HmacHex(std::string_view algorithm, std::string_view key, std::string_view data) {
  const EVP_MD* md = Digest(algorithm);
  if (md == nullptr) {
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : Hmac(md, key, data)) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return hex;
}

bool VerifyHmacSignature(std::string_view header, std::string_view body, std::string_view key) {
  const std::size_t eq = header.find('=');
  if (eq == std::string_view::npos) {
    return false;
  }
  const EVP_MD* md = Digest(header.substr(0, eq));
  if (md == nullptr) {
    return false;
  }
  std::optional<std::vector<unsigned char>> given = DecodeHex(header.substr(eq + 1));
  const std::vector<unsigned char> want = Hmac(md, key, body);
  // The expected length is public (it is the algorithm's); only the bytes need constant time.
  if (!given.has_value() || given->size() != want.size()) {
    return false;
  }
  return CRYPTO_memcmp(given->data(), want.data(), want.size()) == 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char da[EVP_MAX_MD_SIZE];
  unsigned char db[EVP_MAX_MD_SIZE];
  unsigned int la = 0;
  unsigned int lb = 0;
  IMGAUTO_CHECK(EVP_Digest(a.data(), a.size(), da, &la, EVP_sha256(), nullptr) == 1 &&
                    EVP_Digest(b.data(), b.size(), db, &lb, EVP_sha256(), nullptr) == 1,
                "EVP_Digest(sha256) failed");
  return CRYPTO_memcmp(da, db, la) == 0;
}

}  // namespace imgauto::reflector::webhook
