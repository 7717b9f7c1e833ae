#include "core/http/url.h"

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/strings.h"

namespace imgauto::http {
namespace {

constexpr std::string_view kHexDigits = "0123456789ABCDEF";

Error InvalidUrl(std::string message) { return Error(ErrorKind::kInvalidSpec, std::move(message)); }

bool HasControlCharacter(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return true;
    }
  }
  return false;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Returns the length of a leading "scheme:" (without the colon), or 0 when there is none.
std::size_t SchemeLength(std::string_view text) {
  if (text.empty() || !IsAlpha(text[0])) {
    return 0;
  }
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ':') {
      return i;
    }
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') {
      return 0;
    }
  }
  return 0;
}

bool NeedsEscape(unsigned char byte) {
  constexpr std::string_view kUnsafe = "\"<>\\^`{|}";
  return byte >= 0x80 || byte == ' ' || kUnsafe.find(static_cast<char>(byte)) != kUnsafe.npos;
}

// Percent-encodes the bytes that may not appear in a request target.
std::string EscapeTarget(std::string_view target) {
  std::string out;
  out.reserve(target.size());
  for (char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (NeedsEscape(byte)) {
      out += '%';
      out += kHexDigits[byte >> 4];
      out += kHexDigits[byte & 0x0f];
    } else {
      out += c;
    }
  }
  return out;
}

bool IsHostCharacter(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

Result<std::uint16_t> ParsePort(std::string_view port, std::string_view scheme) {
  if (port.empty()) {
    return static_cast<std::uint16_t>(scheme == "https" ? 443 : 80);
  }
  std::uint32_t value = 0;
  for (char c : port) {
    if (!IsDigit(c) || value > 65535) {
      return InvalidUrl("invalid port " + Quote(std::string(":") + std::string(port)) +
                        " after host");
    }
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) {
    return InvalidUrl("invalid port " + Quote(std::string(":") + std::string(port)) +
                      " after host");
  }
  return static_cast<std::uint16_t>(value);
}

// Parses "[userinfo@]host[:port]" into `url` (scheme already set).
Result<void> ParseAuthority(std::string_view authority, Url& url) {
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    url.username = PercentDecode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) {
      url.password = PercentDecode(userinfo.substr(colon + 1));
    }
    authority.remove_prefix(at + 1);
  }
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidUrl("missing ']' in host");
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return InvalidUrl("invalid port " + Quote(after) + " after host");
    }
    port = after.empty() ? after : after.substr(1);
    if (!IsIpLiteral(host) || host.find(':') == std::string_view::npos) {
      return InvalidUrl("invalid IPv6 host " + Quote(host));
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
    if (host.empty()) {
      return InvalidUrl("missing host in URL");
    }
    for (char c : host) {
      if (!IsHostCharacter(c)) {
        return InvalidUrl("invalid character in host " + Quote(host));
      }
    }
  }
  Result<std::uint16_t> parsed_port = ParsePort(port, url.scheme);
  if (!parsed_port) {
    return parsed_port.error();
  }
  url.host = AsciiLower(host);
  url.port = *parsed_port;
  return {};
}

// Removes "." and ".." segments (RFC 3986 §5.2.4).
std::string RemoveDotSegments(std::string_view in) {
  std::string out;
  auto pop_segment = [&out] {
    const std::size_t slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      out += '/';
      break;
    } else if (in.starts_with("/../")) {
      in.remove_prefix(3);
      pop_segment();
    } else if (in == "/..") {
      pop_segment();
      out += '/';
      break;
    } else if (in == "." || in == "..") {
      break;
    } else {
      const std::size_t next = in.find('/', in.front() == '/' ? 1 : 0);
      out += in.substr(0, next);
      in.remove_prefix(next == std::string_view::npos ? in.size() : next);
    }
  }
  return out;
}

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

bool IsIpLiteral(std::string_view host) {
  if (host.empty() || host.size() > 64) {
    return false;
  }
  const std::string text(host);
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (IsDigit(c)) {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool Url::HasDefaultPort() const {
  return (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
}

std::string Url::HostPort() const {
  const std::string bracketed = IsIpv6() ? "[" + host + "]" : host;
  return bracketed + ":" + std::to_string(port);
}

std::string Url::HostHeader() const {
  if (HasDefaultPort()) {
    return IsIpv6() ? "[" + host + "]" : host;
  }
  return HostPort();
}

std::string Url::ToString() const { return scheme + "://" + HostHeader() + target; }

Result<Url> ParseUrl(std::string_view text) {
  if (HasControlCharacter(text)) {
    return InvalidUrl("invalid control character in URL");
  }
  text = text.substr(0, text.find('#'));
  const std::size_t scheme_length = SchemeLength(text);
  Url url;
  url.scheme = AsciiLower(text.substr(0, scheme_length));
  if (url.scheme != "http" && url.scheme != "https") {
    return InvalidUrl("unsupported protocol scheme " + Quote(url.scheme));
  }
  std::string_view rest = text.substr(scheme_length + 1);
  if (!rest.starts_with("//")) {
    return InvalidUrl("missing host in URL");
  }
  rest.remove_prefix(2);
  const std::size_t authority_end = rest.find_first_of("/?");
  if (Result<void> ok = ParseAuthority(rest.substr(0, authority_end), url); !ok) {
    return ok.error();
  }
  const std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  url.target = EscapeTarget(target.starts_with('/') ? target : "/" + std::string(target));
  return url;
}

Result<Url> ResolveReference(const Url& base, std::string_view reference) {
  if (HasControlCharacter(reference)) {
    return InvalidUrl("invalid control character in URL");
  }
  reference = reference.substr(0, reference.find('#'));
  if (SchemeLength(reference) > 0) {
    return ParseUrl(reference);
  }
  if (reference.starts_with("//")) {
    return ParseUrl(base.scheme + ":" + std::string(reference));
  }
  const std::size_t question = reference.find('?');
  const std::string_view ref_path = reference.substr(0, question);
  const std::size_t base_question = base.target.find('?');
  std::string query;
  if (question != std::string_view::npos) {
    query = std::string(reference.substr(question));
  } else if (ref_path.empty() && base_question != std::string::npos) {
    query = base.target.substr(base_question);
  }
  const std::string_view base_path = PathOf(base.target);
  std::string path;
  if (ref_path.empty()) {
    path = std::string(base_path);
  } else if (ref_path.front() == '/') {
    path = RemoveDotSegments(ref_path);
  } else {
    const std::size_t slash = base_path.rfind('/');
    const std::string merged =
        std::string(base_path.substr(0, slash == std::string_view::npos ? 0 : slash + 1)) +
        std::string(ref_path);
    path = RemoveDotSegments(merged.starts_with('/') ? merged : "/" + merged);
  }
  if (path.empty() || path.front() != '/') {
    path.insert(0, "/");
  }
  Url resolved = base;
  resolved.target = EscapeTarget(path + query);
  return resolved;
}

}  // namespace imgauto::http
