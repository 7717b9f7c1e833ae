// Image references as go-containerregistry's name package understands them (weak validation),
// with Docker Hub defaults: "alpine" → registry index.docker.io, repository library/alpine.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace imgauto::reflector::registry {

// The Docker Hub registry host every implicit or "docker.io" registry resolves to.
inline constexpr std::string_view kDockerHubRegistry = "index.docker.io";

struct ImageReference {
  std::string registry;    // "index.docker.io", "ghcr.io", "localhost:5000"
  std::string repository;  // "library/alpine", "org/app"
  std::string tag;         // may be empty
  std::string digest;      // "sha256:…", may be empty
  bool insecure = false;   // allow plain HTTP (https is still tried first)

  // Returns "registry/repository" (Flux's status.canonicalImageName).
  std::string Canonical() const { return registry + "/" + repository; }
  // True when the registry may be spoken to in plain HTTP after https failed at the transport
  // level (go-containerregistry's rule): `insecure`, "localhost[:port]", a loopback address
  // (127.x.x.x, [::1], with or without port) or an RFC 1918 IPv4 address (10/8, 172.16/12,
  // 192.168/16). Every other registry is https only.
  bool AllowsHttpFallback() const;
  // Like go-containerregistry's name.Registry.Scheme(): "http" when AllowsHttpFallback(), else
  // "https". It names the least secure scheme the client may end up using; HttpRegistryClient
  // always tries https first.
  std::string Scheme() const { return AllowsHttpFallback() ? "http" : "https"; }
  // Returns the registry API base for Scheme(), e.g. "https://ghcr.io".
  std::string BaseUrl() const { return BaseUrl(Scheme()); }
  // Returns the registry API base for `scheme` ("http" or "https").
  std::string BaseUrl(std::string_view scheme) const {
    return std::string(scheme) + "://" + registry;
  }
  // Returns the token scope for `action` ("pull"): "repository:library/alpine:pull".
  std::string Scope(std::string_view action) const {
    return "repository:" + repository + ":" + std::string(action);
  }
};

// Parses a repository address as ImageRepository.spec.image allows it (§2.1 of the Flux
// reference): rejects "://" (`image '<x>' should not include URL scheme; remove '<scheme>://'`),
// a tag or digest (`image '<x>' should not include a tag; remove ':<rest>'`), upper-case or
// otherwise invalid repository components (go-containerregistry's messages). All errors are
// kInvalidSpec and map to the ImageURLInvalid reason.
//
// Rules (go-containerregistry weak validation, plus the §2.1 component grammar):
//  * the first '/'-separated component is the registry when it contains '.' or ':' or is
//    "localhost"; otherwise the registry is index.docker.io ("docker.io" is rewritten to it);
//  * the registry must be host[:port] (RFC 3986 authority without user info);
//  * the repository is 1–255 characters of [a-z0-9_-./], every '/'-separated component matching
//    [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*; Docker Hub single-component names get "library/".
// Parse failures read "could not parse reference: <x>: <detail>".
Result<ImageReference> ParseRepository(std::string_view image, bool insecure = false);

// Parses a full reference with optional ":tag" and/or "@digest" (used by `imgauto digest` and
// by setters to validate policy results). `tag` stays empty when the reference has none (callers
// decide whether "latest" applies). Errors are kInvalidSpec.
Result<ImageReference> ParseReference(std::string_view reference, bool insecure = false);

// Returns an error (kInvalidSpec) unless `tag` matches [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
Result<void> ValidateTag(std::string_view tag);

// Returns an error (kInvalidSpec) unless `digest` is "sha256:" followed by 64 lower-case hex.
Result<void> ValidateDigest(std::string_view digest);

}  // namespace imgauto::reflector::registry
