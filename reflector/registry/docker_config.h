// Docker config JSON (the `.dockerconfigjson` key of a kubernetes.io/dockerconfigjson Secret, or
// the legacy `.dockercfg` top-level map) and the credential lookup go-containerregistry's
// Kubernetes keychain performs for an image repository.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "reflector/registry/reference.h"

namespace imgauto::reflector::registry {

// Credentials for one registry. `auth` (base64 "user:pass") is decoded into username/password
// when parsed, and wins over explicit username/password fields, as in go-containerregistry.
struct AuthConfig {
  std::string username;
  std::string password;
  std::string identity_token;  // OAuth2 refresh token: exchanged at the token realm
  std::string registry_token;  // bearer token sent to the registry as is

  // True when no field is set (anonymous access).
  bool Empty() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
  // Returns the value of an "Authorization: Basic …" header for username/password.
  std::string BasicAuthorization() const;

  bool operator==(const AuthConfig& other) const = default;
};

// Standard base64 (RFC 4648 §4) with padding.
std::string Base64Encode(std::string_view data);
// Decodes standard base64, padded or unpadded; surrounding whitespace is ignored. nullopt on
// invalid input.
std::optional<std::string> Base64Decode(std::string_view text);

class DockerConfig {
 public:
  // Parses `{"auths": {"<key>": {…}}}` or the legacy `{"<key>": {…}}`. Field names match
  // case-insensitively (as Go's encoding/json does); "email" and unknown fields are ignored.
  // Errors are kInvalidSpec and name the offending key, never a credential value.
  static Result<DockerConfig> Parse(std::string_view json);

  // Returns the credentials for `registry`/`repository` the way go-containerregistry's
  // Kubernetes keychain resolves them: keys lose their http(s):// scheme and a leading /v1/ or
  // /v2/ path; "docker.io" keys also serve index.docker.io; a key matches when its port equals
  // the target's, every dot-separated host label glob-matches ('*' and '?'), and its path is a
  // prefix of "/<repository>". The most specific key (reverse byte order) wins. Returns nullopt
  // when nothing matches or the match is empty (anonymous).
  std::optional<AuthConfig> Lookup(std::string_view registry,
                                   std::string_view repository = "") const;
  std::optional<AuthConfig> Lookup(const ImageReference& ref) const {
    return Lookup(ref.registry, ref.repository);
  }

  // Adds the entries of `other` (several pull secrets form one keychain); earlier keys win.
  void Merge(const DockerConfig& other);

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string key;   // normalised "host[:port][/path]"
    std::string host;  // without port
    std::string port;
    std::string path;  // "" or "/…"
    AuthConfig auth;
  };
  void SortEntries();

  std::vector<Entry> entries_;
};

}  // namespace imgauto::reflector::registry
