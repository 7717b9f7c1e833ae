// Shared yaml-cpp decoding helpers for the image.toolkit.fluxcd.io objects: document parsing,
// typed field access with path-aware messages ("spec.interval: expected a string") and the
// common metadata / conditions / type-meta parts. Every function catches YAML::Exception and
// returns kInvalidSpec; nothing here throws. Shared by the api libraries (reflector_api and
// automation_api, which both link yaml-cpp privately) and by the webhook library's Receiver
// decoding: include it only from reflector/api/*.cc, automation/api/*.cc and
// reflector/webhook/*.cc, never from a public header.
//
// Conventions: a key whose value is YAML null (`key:`, `key: ~`) is treated as absent, like
// Kubernetes' JSON decoding; any scalar is accepted where a string is expected; unknown keys
// are ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/api/image_policy.h"

namespace imgauto::reflector::api::yaml {

inline constexpr std::string_view kGroup = "image.toolkit.fluxcd.io";

// Parses exactly one YAML document (a leading "---" is fine; a second non-empty document is an
// error). Malformed input → kInvalidSpec "invalid yaml at line L, column C: <detail>" (1-based).
Result<YAML::Node> ParseDocument(std::string_view text);

// Returns "parent.key" (or "key" when parent is empty).
std::string JoinPath(std::string_view parent, std::string_view key);

// Returns the child mapping at `key`, nullopt when absent/null; not a mapping → error.
Result<std::optional<YAML::Node>> OptionalMap(const YAML::Node& map, std::string_view key,
                                              std::string_view path);
// Like OptionalMap, but an absent key is "<path>.<key>: required field is missing".
Result<YAML::Node> RequiredMap(const YAML::Node& map, std::string_view key, std::string_view path);

Result<std::optional<std::string>> OptionalString(const YAML::Node& map, std::string_view key,
                                                  std::string_view path);
// Absent or empty → "<path>.<key>: required field is missing".
Result<std::string> RequiredString(const YAML::Node& map, std::string_view key,
                                   std::string_view path);
Result<std::optional<bool>> OptionalBool(const YAML::Node& map, std::string_view key,
                                         std::string_view path);
Result<std::optional<std::int64_t>> OptionalInt64(const YAML::Node& map, std::string_view key,
                                                  std::string_view path);
// A Kubernetes metav1.Duration as the CRDs constrain it: Go syntax matching
// ^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$ (without "h" when !allow_hours); never negative.
Result<std::optional<std::chrono::nanoseconds>> OptionalDuration(const YAML::Node& map,
                                                                 std::string_view key,
                                                                 std::string_view path,
                                                                 bool allow_hours = true);
Result<std::optional<std::vector<std::string>>> OptionalStringList(const YAML::Node& map,
                                                                   std::string_view key,
                                                                   std::string_view path);
Result<std::optional<std::map<std::string, std::string>>> OptionalStringMap(
    const YAML::Node& map, std::string_view key, std::string_view path);

// Checks apiVersion (image.toolkit.fluxcd.io/v1 or /v1beta2) and kind == `kind`, and decodes
// metadata (name, namespace, generation, labels, annotations; all optional).
Result<ObjectMeta> DecodeTypeAndMetadata(const YAML::Node& root, std::string_view kind);

// Like the overload above, but accepts exactly the apiVersions in `api_versions` (any group,
// "v1" for the core group); the error lists them: "expected A, B or C".
Result<ObjectMeta> DecodeTypeAndMetadata(const YAML::Node& root, std::string_view kind,
                                         std::span<const std::string_view> api_versions);

// Decodes a status.conditions list.
Result<std::vector<kube::Condition>> DecodeConditions(const YAML::Node& status,
                                                      std::string_view path);

// Returns true for apiVersion image.toolkit.fluxcd.io/v1beta2.
bool IsV1Beta2(const ObjectMeta& meta);

}  // namespace imgauto::reflector::api::yaml
