// HTTP proxies: an explicit proxy (ImageRepository `proxySecretRef`: address, username,
// password) or the environment, following Go's http.ProxyFromEnvironment: HTTPS_PROXY for https
// URLs, HTTP_PROXY for http URLs, NO_PROXY exclusions, and never a proxy from the environment for
// "localhost" or loopback IPs. An explicit proxy applies to every URL.
//
//   ProxyEnvironment env = ProxyEnvironment::FromProcess();
//   std::optional<ProxyConfig> proxy = ProxyForUrl(*url, env);
//   if (proxy) { Result<ProxyEndpoint> endpoint = ResolveProxy(*proxy); ... }
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/http/url.h"

namespace imgauto::http {

struct ProxyConfig {
  // "http://host:port" or "host:port"; may carry "user:pass@" userinfo.
  std::string url{};
  // Explicit credentials; when username is set they win over the URL's userinfo.
  std::string username{};
  std::string password{};

  bool operator==(const ProxyConfig& other) const = default;
};

// The proxy-related environment. Values are taken verbatim; empty means unset.
struct ProxyEnvironment {
  std::string http_proxy{};
  std::string https_proxy{};
  std::string no_proxy{};

  // Reads HTTP_PROXY/http_proxy, HTTPS_PROXY/https_proxy and NO_PROXY/no_proxy (for each, the
  // upper-case name wins when both are set and non-empty). Not thread-safe against setenv.
  static ProxyEnvironment FromProcess();
};

// Returns the proxy the environment selects for `url`, or nullopt for a direct connection.
// HTTPS_PROXY serves https URLs only and HTTP_PROXY http URLs only.
std::optional<ProxyConfig> ProxyForUrl(const Url& url, const ProxyEnvironment& env);

// Returns true when `url` must not use an environment proxy: its host is "localhost" or a
// loopback IP, or it matches an entry of the comma-separated `no_proxy` list. Entries (case- and
// space-insensitive): "*" (everything); an IP ("10.1.2.3", "::1"); a CIDR ("10.0.0.0/8"); a
// domain, which matches itself and its subdomains ("example.com"); a leading-dot or "*." domain,
// which matches subdomains only (".example.com", "*.example.com"); any IP or domain entry may
// carry ":port", which then must equal the URL's (default-filled) port.
bool BypassProxy(const Url& url, std::string_view no_proxy);

// A proxy ready to dial.
struct ProxyEndpoint {
  Url url{};                    // the proxy itself: http://host:port (userinfo cleared)
  std::string authorization{};  // Proxy-Authorization value ("Basic …"), empty without credentials
};

// Parses `config`: "host:port" gets an "http://" prefix (as Go does); credentials come from
// username/password when username is set, else from the URL's userinfo. Errors (kInvalidSpec):
// `invalid proxy address: …` (the message never repeats the address, which may hold a password),
// `unsupported proxy scheme "https"` (only plain-HTTP proxies are supported).
Result<ProxyEndpoint> ResolveProxy(const ProxyConfig& config);

}  // namespace imgauto::http
