#include "core/http/proxy.h"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"

namespace imgauto::http {
namespace {

// An IP address in canonical form: IPv4 (including IPv4-mapped IPv6) as 4 bytes, IPv6 as 16.
struct IpAddress {
  std::array<unsigned char, 16> bytes{};
  std::size_t size = 0;

  bool operator==(const IpAddress& other) const = default;
};

std::optional<IpAddress> ParseIp(std::string_view text) {
  if (text.empty() || text.size() > 64) {
    return std::nullopt;
  }
  const std::string copy(text);
  IpAddress ip;
  if (inet_pton(AF_INET, copy.c_str(), ip.bytes.data()) == 1) {
    ip.size = 4;
    return ip;
  }
  if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) != 1) {
    return std::nullopt;
  }
  ip.size = 16;
  static constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0,    0,
                                                               0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), ip.bytes.begin())) {
    std::copy(ip.bytes.begin() + 12, ip.bytes.end(), ip.bytes.begin());
    std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
    ip.size = 4;
  }
  return ip;
}

bool IsLoopback(const IpAddress& ip) {
  if (ip.size == 4) {
    return ip.bytes[0] == 127;
  }
  for (std::size_t i = 0; i < 15; ++i) {
    if (ip.bytes[i] != 0) {
      return false;
    }
  }
  return ip.bytes[15] == 1;
}

// Returns true when `ip` lies in the CIDR block `cidr` ("10.0.0.0/8"); nullopt when `cidr` is
// not a valid CIDR.
std::optional<bool> CidrContains(std::string_view cidr, const std::optional<IpAddress>& ip) {
  const std::size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  const std::optional<IpAddress> network = ParseIp(cidr.substr(0, slash));
  const std::string_view bits_text = cidr.substr(slash + 1);
  if (!network || bits_text.empty() || bits_text.size() > 3) {
    return std::nullopt;
  }
  std::size_t bits = 0;
  for (char c : bits_text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    bits = bits * 10 + static_cast<std::size_t>(c - '0');
  }
  if (bits > network->size * 8) {
    return std::nullopt;
  }
  if (!ip || ip->size != network->size) {
    return false;
  }
  for (std::size_t i = 0; i < bits; ++i) {
    const unsigned char mask = static_cast<unsigned char>(0x80u >> (i % 8));
    if ((ip->bytes[i / 8] & mask) != (network->bytes[i / 8] & mask)) {
      return false;
    }
  }
  return true;
}

// Splits a NO_PROXY entry into host and port like Go's net.SplitHostPort, falling back to the
// whole entry as host when it has no usable port.
std::pair<std::string_view, std::string_view> SplitEntry(std::string_view entry) {
  if (entry.starts_with('[')) {
    const std::size_t close = entry.find(']');
    if (close != std::string_view::npos) {
      std::string_view after = entry.substr(close + 1);
      return {entry.substr(1, close - 1), after.starts_with(':') ? after.substr(1) : ""};
    }
    return {entry, ""};
  }
  const std::size_t colon = entry.find(':');
  if (colon == std::string_view::npos || entry.find(':', colon + 1) != std::string_view::npos) {
    return {entry, ""};
  }
  return {entry.substr(0, colon), entry.substr(colon + 1)};
}

// Applies one lower-cased, trimmed NO_PROXY entry.
bool EntryMatches(std::string_view entry, std::string_view host, std::string_view port,
                  const std::optional<IpAddress>& ip) {
  if (std::optional<bool> in_block = CidrContains(entry, ip); in_block.has_value()) {
    return *in_block;
  }
  auto [entry_host, entry_port] = SplitEntry(entry);
  if (entry_host.empty()) {
    return false;
  }
  const bool port_ok = entry_port.empty() || entry_port == port;
  if (const std::optional<IpAddress> entry_ip = ParseIp(entry_host); entry_ip.has_value()) {
    return ip.has_value() && *ip == *entry_ip && port_ok;
  }
  if (entry_host.starts_with("*.")) {
    entry_host.remove_prefix(1);
  }
  if (entry_host.starts_with('.')) {
    return host.ends_with(entry_host) && port_ok;
  }
  const bool subdomain = host.size() > entry_host.size() && host.ends_with(entry_host) &&
                         host[host.size() - entry_host.size() - 1] == '.';
  return (host == entry_host || subdomain) && port_ok;
}

std::string FirstNonEmptyEnv(const char* upper, const char* lower) {
  for (const char* name : {upper, lower}) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at startup
    if (value != nullptr && *value != '\0') {
      return value;
    }
  }
  return "";
}

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

ProxyEnvironment ProxyEnvironment::FromProcess() {
  ProxyEnvironment env;
  env.http_proxy = FirstNonEmptyEnv("HTTP_PROXY", "http_proxy");
  env.https_proxy = FirstNonEmptyEnv("HTTPS_PROXY", "https_proxy");
  env.no_proxy = FirstNonEmptyEnv("NO_PROXY", "no_proxy");
  return env;
}

bool BypassProxy(const Url& url, std::string_view no_proxy) {
  const std::string host = AsciiLower(url.host);
  const std::optional<IpAddress> ip = ParseIp(host);
  if (host == "localhost" || (ip && IsLoopback(*ip))) {
    return true;
  }
  const std::string port = std::to_string(url.port);
  for (const std::string& raw : Split(no_proxy, ",")) {
    const std::string entry = AsciiLower(TrimSpace(raw));
    if (entry.empty()) {
      continue;
    }
    if (entry == "*") {
      return true;
    }
    if (EntryMatches(entry, host, port, ip)) {
      return true;
    }
  }
  return false;
}

std::optional<ProxyConfig> ProxyForUrl(const Url& url, const ProxyEnvironment& env) {
  const std::string& proxy = url.IsHttps() ? env.https_proxy : env.http_proxy;
  if (proxy.empty() || BypassProxy(url, env.no_proxy)) {
    return std::nullopt;
  }
  return ProxyConfig{.url = proxy, .username = "", .password = ""};
}

Result<ProxyEndpoint> ResolveProxy(const ProxyConfig& config) {
  const std::string_view address = TrimSpace(config.url);
  const bool has_scheme = address.find("://") != std::string_view::npos;
  Result<Url> parsed =
      ParseUrl(has_scheme ? std::string(address) : "http://" + std::string(address));
  if (!parsed) {
    // A malformed address with userinfo could put the password into the parser's message.
    if (address.find('@') != std::string_view::npos) {
      return Error(ErrorKind::kInvalidSpec, "invalid proxy address (it contains credentials)");
    }
    return Error(ErrorKind::kInvalidSpec, "invalid proxy address: " + parsed.error().message());
  }
  if (parsed->IsHttps()) {
    return Error(ErrorKind::kInvalidSpec, "unsupported proxy scheme \"https\"");
  }
  ProxyEndpoint endpoint;
  endpoint.url = *parsed;
  std::string username = endpoint.url.username;
  std::string password = endpoint.url.password;
  if (!config.username.empty()) {
    username = config.username;
    password = config.password;
  }
  endpoint.url.username.clear();
  endpoint.url.password.clear();
  endpoint.url.target = "/";
  if (!username.empty()) {
    endpoint.authorization = "Basic " + Base64(username + ":" + password);
  }
  return endpoint;
}

}  // namespace imgauto::http
