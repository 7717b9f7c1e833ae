// HttpRegistryClient speaks the OCI distribution API over an http::HttpClient:
//   ListTags       GET  <base>/v2/<repo>/tags/list, following Link: <…>; rel="next"
//   ResolveDigest  HEAD <base>/v2/<repo>/manifests/<tag> (GET and hash the body as fallback)
//   ImageCreated   GET  <base>/v2/<repo>/manifests/<tag>; for an index or manifest list, GET the
//                  linux/amd64 (else first) entry's manifest; then GET <base>/v2/<repo>/blobs/
//                  <config digest> (redirects to blob storage are followed by the HttpClient,
//                  which drops Authorization on another host) and read `created`
// Authentication follows go-containerregistry: every request is sent anonymously (or with what
// earlier challenges taught) first; a 401 carrying `WWW-Authenticate: Basic` switches to basic
// credentials, one carrying `Bearer realm=…,service=…,scope=…` fetches a token from the realm
// (scope repository:<repo>:pull plus the challenge's scope; basic credentials, an identity
// token via an OAuth2 refresh_token POST, or a registry token used as is). Tokens are cached per
// registry and scope and refreshed once when a request with a cached token gets a 401.
//
// Retries: transport errors (kTransient only), 408, 429, 500, 502, 503 and 504 are retried up to
// `max_attempts` with exponential backoff from `initial_backoff`; 429 and 503 honour
// Retry-After (seconds or HTTP-date) capped at `max_retry_after`. No attempt starts and no
// sleep runs past the call's deadline (`timeout` spans a whole ListTags/ResolveDigest/ImageCreated
// call, token requests included, and is passed to the HttpClient as Request::deadline).
//
// Observer: `on_response(registry, code)` runs once per attempt sent to the registry host
// (ImageReference::registry, "ghcr.io", "localhost:5000"): code is the HTTP status, or 0 when the
// attempt failed at the transport level. Token server requests are not reported; an https probe
// that fails and is resent at once over http (see Scheme) counts as one attempt.
//
//   RegistryOptions options;
//   options.on_response = [&metrics](std::string_view registry, int code) {
//     metrics.CountRegistryRequest(registry, code);
//   };
//   HttpRegistryClient client(*http, std::move(options));
//   Result<std::chrono::system_clock::time_point> created =
//       client.ImageCreated(*ParseRepository("ghcr.io/org/app"), "v1.2.3");
//
// Scheme: registries that AllowsHttpFallback() (`insecure`, localhost, loopback, RFC 1918 IPv4)
// are tried over https first; when that attempt fails at the transport level (kTransient:
// connection refused/reset, TLS handshake protocol errors such as a plain-HTTP server) the same
// request is sent at once over http, like go-containerregistry's ping. The first scheme that gets
// any HTTP response is remembered per registry for the client's lifetime. A TLS verification
// failure (kUnauthorized from the HttpClient: bad/unknown certificate, wrong host, rejected
// client certificate) never falls back: plain HTTP would hide a security error. Other
// registries are https only.
//
// Errors follow registry_client.h; messages read like go-containerregistry's
// ("GET https://ghcr.io/v2/org/app/tags/list: 401 Unauthorized: UNAUTHORIZED: authentication
// required") and never contain credentials or tokens.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/http/client.h"
#include "reflector/registry/docker_config.h"
#include "reflector/registry/reference.h"
#include "reflector/registry/registry_client.h"

namespace imgauto::reflector::registry {

struct RegistryOptions {
  std::optional<AuthConfig> auth;  // nullopt or Empty(): anonymous
  // Whole-call deadline; zero or negative leaves the HttpClient's own per-request timeout.
  std::chrono::nanoseconds timeout{0};
  int max_pages = 1000;
  // Total tags accepted from one listing; more is kTransient "tag list of <repo> exceeds <N> tags".
  std::size_t max_tags = 1000000;
  int max_attempts = 4;  // attempts per request, the first one included
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::seconds max_retry_after{60};
  // Largest manifest, index or image config body ImageCreated accepts; more is kTransient.
  std::size_t max_metadata_bytes = std::size_t{4} << 20;
  const Clock* clock = nullptr;                          // borrowed; SystemClock when null
  std::function<void(std::chrono::milliseconds)> sleep;  // std::this_thread::sleep_for if empty
  // Called once per registry response (see the file comment); may run concurrently from
  // concurrent calls and must not call back into the client. Nothing is reported when empty.
  std::function<void(std::string_view registry, int code)> on_response;
};

// Thread-safe: calls may run concurrently; the token cache is shared.
class HttpRegistryClient final : public RegistryClient {
 public:
  // `http` is borrowed and must outlive this client.
  HttpRegistryClient(http::HttpClient& http, RegistryOptions options);

  Result<std::vector<std::string>> ListTags(const ImageReference& repo) override;
  Result<std::string> ResolveDigest(const ImageReference& repo, std::string_view tag) override;
  // Errors: those of ResolveDigest, kNotFound "image config has no created time", and kTransient
  // for malformed or oversized (max_metadata_bytes) manifests and configs, a digest mismatch, an
  // unparsable `created`, or an image index nested more than twice.
  Result<std::chrono::system_clock::time_point> ImageCreated(const ImageReference& repo,
                                                             std::string_view tag) override;

 private:
  // What 401 challenges taught about one registry origin ("https://ghcr.io").
  struct OriginAuth {
    bool basic = false;
    bool bearer = false;
    std::string realm;
    std::string service;
  };
  struct Call;
  // Who a request goes to: only registry requests reach RegistryOptions::on_response.
  enum class Peer { kRegistry, kTokenServer };

  // Sends `request` with authentication for `scope`, answering one 401 challenge.
  Result<http::Response> SendAuthorized(Call& call, http::Request request);
  // Sends `request` with retries and backoff; responses with any status are values.
  Result<http::Response> SendWithRetry(Call& call, http::Request request, Peer peer);
  // GETs `path` (below /v2/<repo>/) expecting 200 and a body of at most max_metadata_bytes; a
  // "sha256:" `digest` is checked against the body. `what` names the body in errors.
  Result<http::Response> FetchMetadata(Call& call, const std::string& path, std::string_view accept,
                                       std::string_view digest, std::string_view what);
  // Sends `request` once; while the registry's scheme is unsettled, an https transport failure
  // switches `call` (and `request`) to http and resends at once. Settles the scheme on a response.
  Result<http::Response> Exchange(Call& call, http::Request& request);
  // Starts a call for `ref`: scope, deadline and the base URL (settled scheme or https).
  Call NewCall(const ImageReference& ref) const;
  Result<std::string> FetchToken(Call& call, const OriginAuth& origin,
                                 const std::vector<std::string>& scopes);
  void ApplyAuthorization(const Call& call, http::Request& request) const;

  std::chrono::steady_clock::time_point Now() const;
  void Sleep(std::chrono::milliseconds delay) const;

  http::HttpClient& http_;
  RegistryOptions options_;
  const Clock* clock_;

  mutable std::mutex mu_;
  std::map<std::string, OriginAuth> origins_;  // by origin
  std::map<std::string, std::string> tokens_;  // by origin + " " + scope
  std::map<std::string, std::string> schemes_;  // settled "http"/"https" by registry
};

}  // namespace imgauto::reflector::registry
