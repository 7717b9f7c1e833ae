// A core v1 Secret as the standalone store reads it from manifests: `data` (base64) and
// `stringData` (plain) merged the way the API server does, plus `type`. No I/O.
//
// Secret values never appear in an error message: errors name the key and, for base64, the byte
// offset, never the text.
//
//   Result<Secret> secret = DecodeSecret(text);
//   if (!secret) return secret.error().Wrap("reading secret " + path);
//   if (const std::string* key = secret->Find("identity")) UseSshKey(*key);
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "reflector/api/image_policy.h"

namespace imgauto::automation::api {

using reflector::api::ObjectMeta;

inline constexpr std::string_view kDefaultSecretType = "Opaque";

struct Secret {
  ObjectMeta metadata;
  std::string type = std::string(kDefaultSecretType);
  // Decoded values (arbitrary bytes). A stringData entry replaces the data entry of the same key.
  std::map<std::string, std::string> data;

  // Returns the value of `key`, or nullptr.
  const std::string* Find(std::string_view key) const;
};

// Decodes one Secret document (apiVersion v1). Errors are kInvalidSpec: a malformed document
// ("invalid yaml at line L, column C", without the parser's detail, which may quote the text),
// a key outside [-._a-zA-Z0-9] ("data: invalid key \"a b\""), a value that is not a string
// ("data.token: expected a string, got a list"), or invalid base64
// ("data.token: illegal base64 data at input byte 8").
Result<Secret> DecodeSecret(std::string_view yaml);

// Decodes standard padded base64 (RFC 4648 §4) as Go's base64.StdEncoding does, which is what
// Kubernetes applies to Secret data: '\r' and '\n' are skipped, padding is required. On failure
// returns the offset of the first bad input byte in `error_offset`.
std::optional<std::string> DecodeSecretBase64(std::string_view text, std::size_t& error_offset);

}  // namespace imgauto::automation::api
