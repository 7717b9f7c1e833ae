#include "reflector/registry/docker_config.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "core/strings.h"

namespace imgauto::reflector::registry {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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

Error Invalid(const std::string& what) {
  return Error(ErrorKind::kInvalidSpec, "invalid docker config: " + what);
}

struct KeyParts {
  std::string host;
  std::string port;
  std::string path;
};

// Splits "host[:port][/path]" (no scheme) into its parts; IPv6 literals keep their brackets.
KeyParts SplitSchemeless(std::string_view text) {
  KeyParts parts;
  std::size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  if (slash != std::string_view::npos) {
    parts.path = std::string(text.substr(slash));
  }
  std::size_t query = parts.path.find_first_of("?#");
  if (query != std::string::npos) {
    parts.path.resize(query);
  }
  std::size_t colon = authority.rfind(':');
  std::size_t bracket = authority.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    parts.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  parts.host = AsciiLower(authority);
  return parts;
}

// Normalises a config key: drops the scheme and a /v1/ or /v2/ API prefix; maps docker.io.
KeyParts NormaliseKey(std::string_view key) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (key.substr(0, scheme.size()) == scheme) {
      key.remove_prefix(scheme.size());
      break;
    }
  }
  KeyParts parts = SplitSchemeless(key);
  for (std::string_view api : {"/v1", "/v2"}) {
    if (parts.path == api) {
      parts.path.clear();
    } else if (parts.path.substr(0, api.size() + 1) == std::string(api) + "/") {
      parts.path = parts.path.substr(api.size());
    }
  }
  if (parts.path == "/") {
    parts.path.clear();
  }
  if (parts.host == "docker.io") {
    parts.host = std::string(kDockerHubRegistry);
  }
  return parts;
}

// Go filepath.Match restricted to '*' and '?' (enough for registry host labels).
bool GlobMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

bool HostMatches(std::string_view pattern, std::string_view host) {
  std::vector<std::string> pattern_labels = Split(pattern, ".");
  std::vector<std::string> host_labels = Split(host, ".");
  if (pattern_labels.size() != host_labels.size()) {
    return false;
  }
  for (std::size_t i = 0; i < host_labels.size(); ++i) {
    if (!GlobMatch(pattern_labels[i], host_labels[i])) {
      return false;
    }
  }
  return true;
}

Result<AuthConfig> ParseEntry(const std::string& key, const Json& value) {
  if (!value.is_object()) {
    return Invalid("entry '" + key + "' must be an object");
  }
  AuthConfig auth;
  std::string encoded;
  for (const auto& [name, field] : value.items()) {
    std::string lower = AsciiLower(name);
    std::string* target = nullptr;
    if (lower == "username") {
      target = &auth.username;
    } else if (lower == "password") {
      target = &auth.password;
    } else if (lower == "auth") {
      target = &encoded;
    } else if (lower == "identitytoken") {
      target = &auth.identity_token;
    } else if (lower == "registrytoken") {
      target = &auth.registry_token;
    }
    if (target == nullptr || field.is_null()) {
      continue;
    }
    if (!field.is_string()) {
      return Invalid("field '" + name + "' of entry '" + key + "' must be a string");
    }
    *target = field.get<std::string>();
  }
  if (!encoded.empty()) {
    std::optional<std::string> decoded = Base64Decode(encoded);
    std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return Invalid("unable to decode auth field of entry '" + key +
                     "': must be formatted as base64(username:password)");
    }
    auth.username = decoded->substr(0, colon);
    auth.password = decoded->substr(colon + 1);
  }
  return auth;
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    std::uint32_t n = (static_cast<std::uint8_t>(data[i]) << 16) |
                      (static_cast<std::uint8_t>(data[i + 1]) << 8) |
                      static_cast<std::uint8_t>(data[i + 2]);
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(kBase64Alphabet[(n >> 6) & 63]);
    out.push_back(kBase64Alphabet[n & 63]);
  }
  std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[i])) << 16;
    if (rest == 2) {
      n |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[i + 1])) << 8;
    }
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  text = TrimSpace(text);
  std::size_t padding = 0;
  while (!text.empty() && text.back() == '=' && padding < 2) {
    text.remove_suffix(1);
    ++padding;
  }
  if (text.size() % 4 == 1 || (padding > 0 && (text.size() + padding) % 4 != 0)) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = Base64Value(c);
    if (value < 0) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::string AuthConfig::BasicAuthorization() const {
  return "Basic " + Base64Encode(username + ":" + password);
}

Result<DockerConfig> DockerConfig::Parse(std::string_view json) {
  Json document;
  try {
    document = Json::parse(json.begin(), json.end());
  } catch (const Json::parse_error& e) {
    // e.what() may quote the input (credentials); report the position only.
    return Invalid("malformed JSON at byte " + std::to_string(e.byte));
  } catch (const Json::exception&) {
    return Invalid("malformed JSON");
  }
  if (!document.is_object()) {
    return Invalid("expected a JSON object");
  }
  const Json* auths = nullptr;
  for (const auto& [name, value] : document.items()) {
    if (EqualsIgnoreCase(name, "auths")) {
      auths = &value;
      break;
    }
  }
  DockerConfig config;
  bool legacy = auths == nullptr;
  if (auths != nullptr && !auths->is_null() && !auths->is_object()) {
    return Invalid("'auths' must be an object");
  }
  const Json& entries = legacy ? document : *auths;
  if (entries.is_null()) {
    return config;
  }
  for (const auto& [key, value] : entries.items()) {
    if (legacy && !value.is_object()) {
      continue;  // credsStore, credHelpers and similar docker CLI settings
    }
    Result<AuthConfig> auth = ParseEntry(key, value);
    if (!auth) {
      return auth.error();
    }
    KeyParts parts = NormaliseKey(key);
    if (parts.host.empty()) {
      return Invalid("entry '" + key + "' has no registry host");
    }
    Entry entry;
    entry.key = parts.host + (parts.port.empty() ? "" : ":" + parts.port) + parts.path;
    entry.host = std::move(parts.host);
    entry.port = std::move(parts.port);
    entry.path = std::move(parts.path);
    entry.auth = std::move(*auth);
    config.entries_.push_back(std::move(entry));
  }
  config.SortEntries();
  return config;
}

void DockerConfig::SortEntries() {
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.key > b.key; });
}

void DockerConfig::Merge(const DockerConfig& other) {
  entries_.insert(entries_.end(), other.entries_.begin(), other.entries_.end());
  SortEntries();
}

std::optional<AuthConfig> DockerConfig::Lookup(std::string_view registry,
                                               std::string_view repository) const {
  KeyParts target = SplitSchemeless(registry);
  if (target.host == "docker.io") {
    target.host = std::string(kDockerHubRegistry);
  }
  std::string target_path = repository.empty() ? "" : "/" + std::string(repository);
  for (const Entry& entry : entries_) {
    if (entry.port != target.port || !HostMatches(entry.host, target.host)) {
      continue;
    }
    if (target_path.substr(0, entry.path.size()) != entry.path) {
      continue;
    }
    if (entry.auth.Empty()) {
      return std::nullopt;
    }
    return entry.auth;
  }
  return std::nullopt;
}

}  // namespace imgauto::reflector::registry
