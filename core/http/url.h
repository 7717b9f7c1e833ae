// URLs as the HTTP client needs them: http/https only, with the default port filled in and the
// request target (path + query) ready for the request line. Also resolves relative references
// (RFC 3986 §5) against a base URL, as needed for Link headers, Location headers and Bearer
// realms.
//
//   Result<Url> url = ParseUrl("https://[::1]:5000/v2/tags/list?n=10");
//   // url->host == "::1", url->port == 5000, url->target == "/v2/tags/list?n=10"
//   Result<Url> next = ResolveReference(*url, "/v2/tags/list?last=b");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace imgauto::http {

struct Url {
  std::string scheme{};    // "http" or "https" (lower case)
  std::string host{};      // lower case; IPv6 literals without brackets ("::1")
  std::uint16_t port = 0;  // never 0 after ParseUrl: the scheme's default when absent
  std::string target{};    // path + optional "?query"; always starts with '/'; no fragment
  // Userinfo from "user:pass@host" (percent-decoded). Only proxies use it; ToString() omits it.
  std::string username{};
  std::string password{};

  bool IsHttps() const { return scheme == "https"; }
  bool IsIpv6() const { return host.find(':') != std::string::npos; }
  bool HasDefaultPort() const;
  // "host:port" with brackets around IPv6 literals and the port always present.
  std::string HostPort() const;
  // The Host header value: like HostPort() but without a default port.
  std::string HostHeader() const;
  // "scheme://host[:port]/target" without userinfo (safe to log).
  std::string ToString() const;

  bool operator==(const Url& other) const = default;
};

// Parses an absolute http(s) URL. Errors (kInvalidSpec): missing or unsupported scheme
// (`unsupported protocol scheme "ftp"`), empty or malformed host, bad port, control characters.
// Bytes that may not appear in a request target (space, non-ASCII, `"<>\^`{|}`) are
// percent-encoded; the fragment is dropped.
Result<Url> ParseUrl(std::string_view text);

// Resolves `reference` against `base` (RFC 3986 §5.2): an absolute URL ("https://h/p"), a
// network-path reference ("//h/p"), an absolute path ("/v2/x?n=1"), a query ("?n=1") or a
// relative path ("../x"). Dot segments are removed. Errors as for ParseUrl.
Result<Url> ResolveReference(const Url& base, std::string_view reference);

// Returns true when `host` is an IPv4 or IPv6 literal (IPv6 without brackets).
bool IsIpLiteral(std::string_view host);

// Percent-decodes `text` ("%41" → "A"); malformed escapes are kept literally.
std::string PercentDecode(std::string_view text);

}  // namespace imgauto::http
