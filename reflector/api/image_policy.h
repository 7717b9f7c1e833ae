// ImagePolicy (image.toolkit.fluxcd.io v1 and v1beta2): spec and status as plain data, and the
// YAML decoder. No I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/kube/object.h"

namespace imgauto::reflector::api {

struct ObjectMeta {
  std::string api_version;  // "image.toolkit.fluxcd.io/v1"
  std::string kind;
  std::string name;
  std::string ns;  // empty when the document has none
  std::int64_t generation = 0;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> annotations;
};

struct SemVerPolicy {
  std::string range;
};
struct AlphabeticalPolicy {
  std::string order;  // "", "asc", "desc"
};
struct NumericalPolicy {
  std::string order;
};

// Exactly one member should be set; CreatePolicy() picks semver, then alphabetical, then
// numerical, as Flux does, and fails when none is set.
struct ImagePolicyChoice {
  std::optional<SemVerPolicy> semver;
  std::optional<AlphabeticalPolicy> alphabetical;
  std::optional<NumericalPolicy> numerical;
};

struct TagFilterSpec {
  std::string pattern;
  std::string extract;
};

enum class DigestReflectionPolicy { kNever, kIfNotPresent, kAlways };

struct ImageRef {
  std::string name;
  std::string tag;
  std::string digest;
  bool operator==(const ImageRef&) const = default;
};

struct ImagePolicySpec {
  std::string image_repository_name;
  std::string image_repository_namespace;  // empty → the policy's namespace
  ImagePolicyChoice policy;
  std::optional<TagFilterSpec> filter_tags;
  DigestReflectionPolicy digest_reflection_policy = DigestReflectionPolicy::kNever;
  std::optional<std::chrono::nanoseconds> interval;
  bool suspend = false;
};

struct ImagePolicyStatus {
  std::optional<ImageRef> latest_ref;
  std::optional<ImageRef> observed_previous_ref;
  std::int64_t observed_generation = -1;
  std::vector<kube::Condition> conditions;
  std::string last_handled_reconcile_at;
};

struct ImagePolicy {
  ObjectMeta metadata;
  ImagePolicySpec spec;
  ImagePolicyStatus status;
};

// Decodes one ImagePolicy document (v1 or v1beta2). Errors are kInvalidSpec with the field path:
// "spec.policy.semver.range: expected a string".
Result<ImagePolicy> DecodeImagePolicy(std::string_view yaml);

}  // namespace imgauto::reflector::api
