// Parsers for the bodies and headers a registry answers with, used by HttpRegistryClient and
// exposed for unit tests and the registry_response_fuzz target. They never throw and never
// abort, whatever the input; defined in http_registry_client.cc.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace imgauto::reflector::registry::internal {

// Parses one page of GET /v2/<repo>/tags/list: {"tags":[…]}; a missing or null "tags" is an
// empty page. Malformed JSON, a non-object, a non-array "tags" or a non-string entry is
// kTransient "invalid tag list response from <registry>: <what>".
Result<std::vector<std::string>> ParseTagPage(const std::string& body,
                                              const std::string& registry);

// Returns the first non-empty string of "access_token" or "token" from a token server's JSON
// answer; otherwise kTransient "invalid token response from <url>: no token" (url redacted).
Result<std::string> ParseTokenResponse(const std::string& body, const std::string& url);

// Summarises a distribution error body: "CODE: message[; detail]" per entry joined by "; ",
// or a one-line excerpt of at most 256 bytes (control characters blanked). "" for "".
std::string RegistryErrorDetail(const std::string& body);

// Parses Retry-After as delta-seconds (capped at 999999999) or an IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT", never negative relative to `now`); nullopt otherwise.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now);

// What ImageCreated reads from a GET /v2/<repo>/manifests/<ref> body. The kind comes from the
// body's "mediaType", else `content_type` (parameters ignored), else the body's shape.
struct ManifestSummary {
  enum class Kind {
    kIndex,    // OCI image index or Docker manifest list
    kImage,    // OCI image manifest or Docker image manifest v2
    kSchema1,  // Docker image manifest v1 (signed or not): no config blob
  };
  Kind kind = Kind::kImage;
  // kIndex: the digest of the first linux/amd64 entry, else of the first entry; "" when the
  // index lists no manifests.
  std::string child_digest;
  std::string config_digest;  // kImage: config.digest (always present)
  // kSchema1: "created" of history[0].v1Compatibility; "" when absent.
  std::string created;
  // annotations["org.opencontainers.image.created"] of an index or image manifest; "" if absent.
  std::string annotation_created;
};

// Parses a manifest, image index or manifest list for ImageCreated. Malformed JSON, a
// non-object, an unsupported media type, a kImage without config.digest, or a digest that is
// not "<algorithm>:<hex or base64url>" is kTransient "invalid manifest from <registry>: <what>".
Result<ManifestSummary> ParseManifestSummary(const std::string& body, std::string_view content_type,
                                             const std::string& registry);

// Returns the image config's "created" string; "" when absent, null or empty. Malformed JSON, a
// non-object or a non-string "created" is kTransient "invalid image config from <registry>: …".
Result<std::string> ParseConfigCreated(const std::string& body, const std::string& registry);

}  // namespace imgauto::reflector::registry::internal
