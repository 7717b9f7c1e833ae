#include "automation/api/secret.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "reflector/api/object_yaml.h"

namespace imgauto::automation::api {
namespace {

namespace ryaml = reflector::api::yaml;

constexpr std::string_view kKind = "Secret";
constexpr std::size_t kMaxKeyLength = 253;

// Returns the 6-bit value of a base64 alphabet character, or -1.
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

bool IsLineBreak(char c) { return c == '\r' || c == '\n'; }

// Returns the index of the next byte at or after `i` that is not a line break.
std::size_t SkipLineBreaks(std::string_view text, std::size_t i) {
  while (i < text.size() && IsLineBreak(text[i])) {
    ++i;
  }
  return i;
}

// Keeps ParseDocument's position but drops yaml-cpp's detail, which can quote input bytes
// (an unknown escape, a tag), unless the detail is one of ours and quotes nothing.
Error WithoutParserDetail(const Error& error) {
  const std::string& message = error.message();
  std::size_t colon = message.find(": ");
  if (colon == std::string::npos) {
    return error;
  }
  const std::string_view detail = std::string_view(message).substr(colon + 2);
  for (std::string_view safe :
       {"empty document", "expected a single document", "expected a mapping at the top level",
        "malformed document", "nesting too deep"}) {
    if (detail == safe) {
      return error;
    }
  }
  return Error(error.kind(), message.substr(0, colon) + ": malformed document");
}

Result<void> CheckKey(std::string_view field, const std::string& key) {
  const bool valid = !key.empty() && key.size() <= kMaxKeyLength && key != "." && key != ".." &&
                     std::all_of(key.begin(), key.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
                     });
  if (!valid) {
    return Error(ErrorKind::kInvalidSpec,
                 std::string(field) + ": invalid key \"" + key +
                     "\": must consist of alphanumeric characters, '-', '_' or '.'");
  }
  return {};
}

Result<std::map<std::string, std::string>> DecodeData(const YAML::Node& root) {
  std::map<std::string, std::string> out;
  Result<std::optional<std::map<std::string, std::string>>> data =
      ryaml::OptionalStringMap(root, "data", "");
  if (!data) {
    return data.error();
  }
  for (const auto& [key, encoded] : data->value_or(std::map<std::string, std::string>{})) {
    if (Result<void> ok = CheckKey("data", key); !ok) {
      return ok.error();
    }
    std::size_t offset = 0;
    std::optional<std::string> decoded = DecodeSecretBase64(encoded, offset);
    if (!decoded.has_value()) {
      return Error(ErrorKind::kInvalidSpec, ryaml::JoinPath("data", key) +
                                                ": illegal base64 data at input byte " +
                                                std::to_string(offset));
    }
    out[key] = std::move(*decoded);
  }
  Result<std::optional<std::map<std::string, std::string>>> string_data =
      ryaml::OptionalStringMap(root, "stringData", "");
  if (!string_data) {
    return string_data.error();
  }
  for (auto& [key, value] : string_data->value_or(std::map<std::string, std::string>{})) {
    if (Result<void> ok = CheckKey("stringData", key); !ok) {
      return ok.error();
    }
    out[key] = std::move(value);  // stringData wins, as in the API server
  }
  return out;
}

Result<Secret> Decode(std::string_view text) {
  Result<YAML::Node> root = ryaml::ParseDocument(text);
  if (!root) {
    return WithoutParserDetail(root.error());
  }
  const std::string_view versions[] = {"v1"};
  Result<ObjectMeta> meta = ryaml::DecodeTypeAndMetadata(*root, kKind, versions);
  if (!meta) {
    return meta.error();
  }
  Secret secret;
  secret.metadata = std::move(*meta);
  Result<std::optional<std::string>> type = ryaml::OptionalString(*root, "type", "");
  if (!type) {
    return type.error();
  }
  if (type->has_value() && !(*type)->empty()) {
    secret.type = **type;
  }
  Result<std::map<std::string, std::string>> data = DecodeData(*root);
  if (!data) {
    return data.error();
  }
  secret.data = std::move(*data);
  return secret;
}

}  // namespace

const std::string* Secret::Find(std::string_view key) const {
  auto it = data.find(std::string(key));
  return it == data.end() ? nullptr : &it->second;
}

std::optional<std::string> DecodeSecretBase64(std::string_view text, std::size_t& error_offset) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::array<int, 4> quantum{};
  std::size_t count = 0;
  std::size_t quantum_start = 0;
  std::size_t i = SkipLineBreaks(text, 0);
  while (i < text.size()) {
    if (count == 0) {
      quantum_start = i;
    }
    const char c = text[i];
    if (c == '=') {
      // Padding completes a quantum of 2 ("xx==") or 3 ("xxx=") characters and ends the input.
      if (count < 2) {
        error_offset = i;
        return std::nullopt;
      }
      if (count == 2) {
        i = SkipLineBreaks(text, i + 1);
        if (i >= text.size() || text[i] != '=') {
          error_offset = i;
          return std::nullopt;
        }
      }
      i = SkipLineBreaks(text, i + 1);
      if (i < text.size()) {
        error_offset = i;
        return std::nullopt;
      }
      const std::uint32_t bits = (static_cast<std::uint32_t>(quantum[0]) << 18) |
                                 (static_cast<std::uint32_t>(quantum[1]) << 12) |
                                 (static_cast<std::uint32_t>(quantum[2]) << 6);
      out.push_back(static_cast<char>((bits >> 16) & 0xff));
      if (count == 3) {
        out.push_back(static_cast<char>((bits >> 8) & 0xff));
      }
      return out;
    }
    const int value = Base64Value(c);
    if (value < 0) {
      error_offset = i;
      return std::nullopt;
    }
    quantum[count++] = value;
    if (count == 4) {
      const std::uint32_t bits = (static_cast<std::uint32_t>(quantum[0]) << 18) |
                                 (static_cast<std::uint32_t>(quantum[1]) << 12) |
                                 (static_cast<std::uint32_t>(quantum[2]) << 6) |
                                 static_cast<std::uint32_t>(quantum[3]);
      out.push_back(static_cast<char>((bits >> 16) & 0xff));
      out.push_back(static_cast<char>((bits >> 8) & 0xff));
      out.push_back(static_cast<char>(bits & 0xff));
      count = 0;
    }
    i = SkipLineBreaks(text, i + 1);
  }
  if (count != 0) {
    error_offset = quantum_start;
    return std::nullopt;
  }
  return out;
}

Result<Secret> DecodeSecret(std::string_view yaml) {
  try {
    return Decode(yaml);
  } catch (const std::exception&) {
    // The exception text may quote the document; keep it out of the message.
    return Error(ErrorKind::kInvalidSpec, "invalid yaml: malformed Secret document");
  }
}

}  // namespace imgauto::automation::api
