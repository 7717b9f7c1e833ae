#include "reflector/registry/reference.h"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace imgauto::reflector::registry {
namespace {

constexpr std::string_view kRepositoryChars = "abcdefghijklmnopqrstuvwxyz0123456789_-./";
constexpr std::string_view kTagChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
constexpr std::string_view kDockerHubAlias = "docker.io";
constexpr std::string_view kDefaultNamespace = "library";
constexpr std::size_t kMaxRepositoryLength = 255;
constexpr std::size_t kMaxTagLength = 128;

// Parsed pieces of a name before they become an ImageReference.
struct Parsed {
  std::string registry;
  std::string repository;
  std::string tag;
  std::string digest;
  bool empty_tag = false;  // "name:" (a colon with nothing after it), accepted by weak rules
};

Error BadName(std::string message) { return Error(ErrorKind::kInvalidSpec, std::move(message)); }

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_';
}

// Counts UTF-8 code points the way Go's utf8.RuneCountInString does for valid input.
std::size_t RuneCount(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++count;
    }
  }
  return count;
}

// Matches one path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool IsValidComponent(std::string_view component) {
  std::size_t i = 0;
  const std::size_t n = component.size();
  while (true) {
    std::size_t start = i;
    while (i < n && IsLowerAlnum(component[i])) {
      ++i;
    }
    if (i == start) {
      return false;
    }
    if (i == n) {
      return true;
    }
    char separator = component[i];
    if (separator == '.') {
      ++i;
    } else if (separator == '_') {
      ++i;
      if (i < n && component[i] == '_') {
        ++i;
      }
    } else if (separator == '-') {
      while (i < n && component[i] == '-') {
        ++i;
      }
    } else {
      return false;
    }
  }
}

std::optional<Error> CheckRepository(std::string_view repository) {
  std::size_t runes = RuneCount(repository);
  if (runes < 1 || runes > kMaxRepositoryLength) {
    return BadName("repository must be between 1 and 255 characters in length: " +
                   std::string(repository));
  }
  for (char c : repository) {
    if (kRepositoryChars.find(c) == std::string_view::npos) {
      return BadName("repository can only contain the characters `" +
                     std::string(kRepositoryChars) + "`: " + std::string(repository));
    }
  }
  std::size_t start = 0;
  while (true) {
    std::size_t slash = repository.find('/', start);
    std::string_view component = repository.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!IsValidComponent(component)) {
      return BadName("repository path component '" + std::string(component) +
                     "' must match [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*: " + std::string(repository));
    }
    if (slash == std::string_view::npos) {
      return std::nullopt;
    }
    start = slash + 1;
  }
}

bool IsValidPort(std::string_view port) {
  if (port.empty() || port.size() > 5) {
    return false;
  }
  int value = 0;
  for (char c : port) {
    if (!IsDigit(c)) {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  return value <= 65535;
}

bool IsHostChar(char c) {
  return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_' || c == '~';
}

// host[:port] or [ipv6][:port]; no user info, path, query or fragment.
bool IsValidAuthority(std::string_view authority) {
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close < 2) {
      return false;
    }
    for (char c : authority.substr(1, close - 1)) {
      if (!IsHex(c) && !(c >= 'A' && c <= 'F') && c != ':' && c != '.') {
        return false;
      }
    }
    std::string_view rest = authority.substr(close + 1);
    if (rest.empty()) {
      return true;
    }
    return rest.front() == ':' && IsValidPort(rest.substr(1));
  }
  std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) {
    return false;
  }
  for (char c : host) {
    if (!IsHostChar(c)) {
      return false;
    }
  }
  return !has_port || IsValidPort(port);
}

// go-containerregistry NewRepository: splits off the registry, validates and applies defaults.
Result<Parsed> ParseRepositoryPart(std::string_view name) {
  if (name.empty()) {
    return BadName("a repository name must be specified");
  }
  std::string_view registry;
  std::string_view repository = name;
  std::size_t slash = name.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = name.substr(0, slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      registry = first;
      repository = name.substr(slash + 1);
    }
  }
  if (std::optional<Error> error = CheckRepository(repository)) {
    return *error;
  }
  if (!registry.empty() && !IsValidAuthority(registry)) {
    return BadName("registries must be valid RFC 3986 URI authorities: " + std::string(registry));
  }
  Parsed parsed;
  parsed.registry = std::string(registry);
  if (parsed.registry.empty() || parsed.registry == kDockerHubAlias) {
    parsed.registry = std::string(kDockerHubRegistry);
  }
  parsed.repository = std::string(repository);
  if (parsed.registry == kDockerHubRegistry && parsed.repository.find('/') == std::string::npos) {
    parsed.repository = std::string(kDefaultNamespace) + "/" + parsed.repository;
    if (std::optional<Error> error = CheckRepository(parsed.repository)) {
      return *error;
    }
  }
  return parsed;
}

// go-containerregistry NewTag: an optional ":tag" whose text holds no '/'.
Result<Parsed> ParseTagged(std::string_view name) {
  std::string_view base = name;
  std::string_view tag;
  bool has_colon = false;
  std::size_t colon = name.rfind(':');
  if (colon != std::string_view::npos &&
      name.substr(colon + 1).find('/') == std::string_view::npos) {
    base = name.substr(0, colon);
    tag = name.substr(colon + 1);
    has_colon = true;
  }
  if (!tag.empty()) {
    if (Result<void> valid = ValidateTag(tag); !valid) {
      return valid.error();
    }
  }
  Result<Parsed> parsed = ParseRepositoryPart(base);
  if (!parsed) {
    return parsed.error();
  }
  parsed->tag = std::string(tag);
  parsed->empty_tag = has_colon && tag.empty();
  return parsed;
}

// go-containerregistry NewDigest: exactly one '@', a valid digest, a tagged or plain base.
Result<Parsed> ParseDigested(std::string_view name) {
  std::size_t at = name.find('@');
  if (at == std::string_view::npos || name.find('@', at + 1) != std::string_view::npos) {
    return BadName(
        "a digest must contain exactly one '@' separator (e.g. registry/repository@digest) saw: " +
        std::string(name));
  }
  std::string_view base = name.substr(0, at);
  std::string_view digest = name.substr(at + 1);
  if (Result<void> valid = ValidateDigest(digest); !valid) {
    return valid.error();
  }
  Result<Parsed> parsed = ParseTagged(base);
  if (!parsed) {
    parsed = ParseRepositoryPart(base);
    if (!parsed) {
      return parsed.error();
    }
  }
  parsed->digest = std::string(digest);
  return parsed;
}

// go-containerregistry ParseReference: a tag reference, else a digest reference.
Result<Parsed> ParseWeak(std::string_view name) {
  Result<Parsed> tagged = ParseTagged(name);
  if (tagged) {
    return tagged;
  }
  Result<Parsed> digested = ParseDigested(name);
  if (digested) {
    return digested;
  }
  const Error& detail =
      name.find('@') != std::string_view::npos ? digested.error() : tagged.error();
  return BadName("could not parse reference: " + std::string(name) + ": " + detail.message());
}

std::optional<Error> CheckScheme(std::string_view image) {
  std::size_t scheme_end = image.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::nullopt;
  }
  return BadName("image '" + std::string(image) + "' should not include URL scheme; remove '" +
                 std::string(image.substr(0, scheme_end)) + "://'");
}

ImageReference ToReference(Parsed parsed, bool insecure) {
  ImageReference ref;
  ref.registry = std::move(parsed.registry);
  ref.repository = std::move(parsed.repository);
  ref.tag = std::move(parsed.tag);
  ref.digest = std::move(parsed.digest);
  ref.insecure = insecure;
  return ref;
}

// Parses a dotted-quad IPv4 address ("10.1.2.3") into its four octets.
std::optional<std::array<int, 4>> ParseIpv4(std::string_view text) {
  std::array<int, 4> octets{};
  for (std::size_t i = 0; i < 4; ++i) {
    std::size_t digits = 0;
    int value = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9' && digits < 3) {
      value = value * 10 + (text[digits] - '0');
      ++digits;
    }
    if (digits == 0 || value > 255) {
      return std::nullopt;
    }
    octets[i] = value;
    text.remove_prefix(digits);
    if (i < 3) {
      if (text.empty() || text.front() != '.') {
        return std::nullopt;
      }
      text.remove_prefix(1);
    }
  }
  if (!text.empty()) {
    return std::nullopt;
  }
  return octets;
}

// Splits "host[:port]" / "[v6][:port]" into the host; nullopt when the port is not numeric.
std::optional<std::string_view> HostOf(std::string_view registry) {
  std::string_view host = registry;
  std::string_view rest;
  if (!registry.empty() && registry.front() == '[') {
    std::size_t close = registry.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = registry.substr(0, close + 1);
    rest = registry.substr(close + 1);
  } else if (std::size_t colon = registry.find(':'); colon != std::string_view::npos) {
    host = registry.substr(0, colon);
    rest = registry.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') {
      return std::nullopt;
    }
    rest.remove_prefix(1);
    if (rest.empty() || rest.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
  }
  return host;
}

bool IsLocalOrPrivateRegistry(std::string_view registry) {
  if (registry == "::1") {
    return true;
  }
  std::optional<std::string_view> host = HostOf(registry);
  if (!host) {
    return false;
  }
  if (*host == "localhost" || *host == "[::1]") {
    return true;
  }
  std::optional<std::array<int, 4>> ip = ParseIpv4(*host);
  if (!ip) {
    return false;
  }
  const auto& o = *ip;
  return o[0] == 127 || o[0] == 10 || (o[0] == 172 && o[1] >= 16 && o[1] <= 31) ||
         (o[0] == 192 && o[1] == 168);
}

}  // namespace

bool ImageReference::AllowsHttpFallback() const {
  return insecure || IsLocalOrPrivateRegistry(registry);
}

Result<void> ValidateTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength) {
    return BadName("tag must be between 1 and 128 characters in length: " + std::string(tag));
  }
  for (char c : tag) {
    if (kTagChars.find(c) == std::string_view::npos) {
      return BadName("tag can only contain the characters `" + std::string(kTagChars) +
                     "`: " + std::string(tag));
    }
  }
  if (!IsWordChar(tag.front())) {
    return BadName("tag must start with a letter, a digit or '_': " + std::string(tag));
  }
  return {};
}

Result<void> ValidateDigest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.substr(0, kPrefix.size()) != kPrefix) {
    return BadName("unsupported digest algorithm: " + std::string(digest));
  }
  std::string_view hex = digest.substr(kPrefix.size());
  bool valid = hex.size() == 64;
  for (char c : hex) {
    valid = valid && IsHex(c);
  }
  if (!valid) {
    return BadName("digest must be 'sha256:' followed by 64 lower-case hex characters: " +
                   std::string(digest));
  }
  return {};
}

Result<ImageReference> ParseRepository(std::string_view image, bool insecure) {
  if (std::optional<Error> error = CheckScheme(image)) {
    return *error;
  }
  Result<Parsed> parsed = ParseWeak(image);
  if (!parsed) {
    return parsed.error();
  }
  // Flux strips the resolved registry, then rejects any remaining ':' (tags and digests alike).
  std::string_view name = image;
  if (name.substr(0, parsed->registry.size()) == parsed->registry) {
    name.remove_prefix(parsed->registry.size());
  }
  std::size_t colon = name.find(':');
  if (colon != std::string_view::npos) {
    std::string_view rest = name.substr(colon + 1);
    rest = rest.substr(0, rest.find(':'));
    return BadName("image '" + std::string(image) +
                   "' should not include a tag; remove ':" + std::string(rest) + "'");
  }
  parsed->tag.clear();
  parsed->digest.clear();
  return ToReference(std::move(*parsed), insecure);
}

Result<ImageReference> ParseReference(std::string_view reference, bool insecure) {
  if (std::optional<Error> error = CheckScheme(reference)) {
    return *error;
  }
  Result<Parsed> parsed = ParseWeak(reference);
  if (!parsed) {
    return parsed.error();
  }
  if (parsed->empty_tag) {
    return BadName("could not parse reference: " + std::string(reference) +
                   ": a tag name must follow the colon");
  }
  return ToReference(std::move(*parsed), insecure);
}

}  // namespace imgauto::reflector::registry
