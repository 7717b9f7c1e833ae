#include "reflector/api/image_policy.h"

#include <exception>
#include <utility>

#include "reflector/api/object_yaml.h"

namespace imgauto::reflector::api {
namespace {

constexpr std::string_view kKind = "ImagePolicy";

Result<std::optional<std::string>> OrderOf(const YAML::Node& policy, std::string_view key,
                                           bool& present) {
  Result<std::optional<YAML::Node>> node = yaml::OptionalMap(policy, key, "spec.policy");
  if (!node) {
    return node.error();
  }
  present = node->has_value();
  if (!present) {
    return std::optional<std::string>();
  }
  return yaml::OptionalString(**node, "order", yaml::JoinPath("spec.policy", key));
}

Result<ImagePolicyChoice> DecodeChoice(const YAML::Node& spec) {
  Result<YAML::Node> policy = yaml::RequiredMap(spec, "policy", "spec");
  if (!policy) {
    return policy.error();
  }
  ImagePolicyChoice choice;
  Result<std::optional<YAML::Node>> semver = yaml::OptionalMap(*policy, "semver", "spec.policy");
  if (!semver) {
    return semver.error();
  }
  if (semver->has_value()) {
    Result<std::string> range = yaml::RequiredString(**semver, "range", "spec.policy.semver");
    if (!range) {
      return range.error();
    }
    choice.semver = SemVerPolicy{*range};
  }
  bool present = false;
  Result<std::optional<std::string>> alpha = OrderOf(*policy, "alphabetical", present);
  if (!alpha) {
    return alpha.error();
  }
  if (present) {
    choice.alphabetical = AlphabeticalPolicy{alpha->value_or("")};
  }
  Result<std::optional<std::string>> numeric = OrderOf(*policy, "numerical", present);
  if (!numeric) {
    return numeric.error();
  }
  if (present) {
    choice.numerical = NumericalPolicy{numeric->value_or("")};
  }
  return choice;
}

Result<std::optional<TagFilterSpec>> DecodeFilter(const YAML::Node& spec) {
  Result<std::optional<YAML::Node>> node = yaml::OptionalMap(spec, "filterTags", "spec");
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return std::optional<TagFilterSpec>();
  }
  Result<std::optional<std::string>> pattern =
      yaml::OptionalString(**node, "pattern", "spec.filterTags");
  if (!pattern) {
    return pattern.error();
  }
  Result<std::optional<std::string>> extract =
      yaml::OptionalString(**node, "extract", "spec.filterTags");
  if (!extract) {
    return extract.error();
  }
  return std::optional<TagFilterSpec>(
      TagFilterSpec{pattern->value_or(""), extract->value_or("")});
}

Result<DigestReflectionPolicy> DecodeDigestPolicy(const YAML::Node& spec) {
  Result<std::optional<std::string>> text =
      yaml::OptionalString(spec, "digestReflectionPolicy", "spec");
  if (!text) {
    return text.error();
  }
  const std::string value = text->value_or("Never");
  if (value == "Never") {
    return DigestReflectionPolicy::kNever;
  }
  if (value == "IfNotPresent") {
    return DigestReflectionPolicy::kIfNotPresent;
  }
  if (value == "Always") {
    return DigestReflectionPolicy::kAlways;
  }
  return Error(ErrorKind::kInvalidSpec, "spec.digestReflectionPolicy: unsupported value \"" +
                                            value + "\": must be Always, IfNotPresent or Never");
}

Result<ImagePolicySpec> DecodeSpec(const YAML::Node& root) {
  Result<YAML::Node> spec = yaml::RequiredMap(root, "spec", "");
  if (!spec) {
    return spec.error();
  }
  ImagePolicySpec out;
  Result<YAML::Node> ref = yaml::RequiredMap(*spec, "imageRepositoryRef", "spec");
  if (!ref) {
    return ref.error();
  }
  Result<std::string> ref_name = yaml::RequiredString(*ref, "name", "spec.imageRepositoryRef");
  if (!ref_name) {
    return ref_name.error();
  }
  Result<std::optional<std::string>> ref_ns =
      yaml::OptionalString(*ref, "namespace", "spec.imageRepositoryRef");
  if (!ref_ns) {
    return ref_ns.error();
  }
  out.image_repository_name = *ref_name;
  out.image_repository_namespace = ref_ns->value_or("");

  Result<ImagePolicyChoice> choice = DecodeChoice(*spec);
  if (!choice) {
    return choice.error();
  }
  out.policy = std::move(*choice);
  Result<std::optional<TagFilterSpec>> filter = DecodeFilter(*spec);
  if (!filter) {
    return filter.error();
  }
  out.filter_tags = std::move(*filter);
  Result<DigestReflectionPolicy> digest = DecodeDigestPolicy(*spec);
  if (!digest) {
    return digest.error();
  }
  out.digest_reflection_policy = *digest;
  Result<std::optional<std::chrono::nanoseconds>> interval =
      yaml::OptionalDuration(*spec, "interval", "spec");
  if (!interval) {
    return interval.error();
  }
  out.interval = *interval;
  Result<std::optional<bool>> suspend = yaml::OptionalBool(*spec, "suspend", "spec");
  if (!suspend) {
    return suspend.error();
  }
  out.suspend = suspend->value_or(false);
  return out;
}

Result<std::optional<ImageRef>> DecodeRef(const YAML::Node& status, std::string_view key) {
  Result<std::optional<YAML::Node>> node = yaml::OptionalMap(status, key, "status");
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return std::optional<ImageRef>();
  }
  const std::string path = yaml::JoinPath("status", key);
  ImageRef ref;
  const std::pair<std::string_view, std::string*> fields[] = {
      {"name", &ref.name}, {"tag", &ref.tag}, {"digest", &ref.digest}};
  for (const auto& [field, target] : fields) {
    Result<std::optional<std::string>> value = yaml::OptionalString(**node, field, path);
    if (!value) {
      return value.error();
    }
    *target = value->value_or("");
  }
  return std::optional<ImageRef>(std::move(ref));
}

// Splits a v1beta2 "name:tag[@digest]" image string; the tag separator is the last ':' after
// the last '/', so registry ports are not mistaken for tags.
ImageRef SplitImage(std::string_view image) {
  ImageRef ref;
  std::size_t at = image.find('@');
  if (at != std::string_view::npos) {
    ref.digest = std::string(image.substr(at + 1));
    image = image.substr(0, at);
  }
  std::size_t slash = image.rfind('/');
  std::size_t colon = image.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(image.substr(colon + 1));
    image = image.substr(0, colon);
  }
  ref.name = std::string(image);
  return ref;
}

Result<void> DecodeV1Beta2Images(const YAML::Node& status, ImagePolicyStatus& out) {
  const std::pair<std::string_view, std::optional<ImageRef>*> fields[] = {
      {"latestImage", &out.latest_ref}, {"observedPreviousImage", &out.observed_previous_ref}};
  for (const auto& [field, target] : fields) {
    Result<std::optional<std::string>> image = yaml::OptionalString(status, field, "status");
    if (!image) {
      return image.error();
    }
    if (!target->has_value() && image->has_value() && !(*image)->empty()) {
      *target = SplitImage(**image);
    }
  }
  return {};
}

Result<ImagePolicyStatus> DecodeStatus(const YAML::Node& root, bool v1beta2) {
  ImagePolicyStatus out;
  Result<std::optional<YAML::Node>> status = yaml::OptionalMap(root, "status", "");
  if (!status) {
    return status.error();
  }
  if (!status->has_value()) {
    return out;
  }
  const YAML::Node& s = **status;
  Result<std::optional<ImageRef>> latest = DecodeRef(s, "latestRef");
  if (!latest) {
    return latest.error();
  }
  out.latest_ref = std::move(*latest);
  Result<std::optional<ImageRef>> previous = DecodeRef(s, "observedPreviousRef");
  if (!previous) {
    return previous.error();
  }
  out.observed_previous_ref = std::move(*previous);
  if (v1beta2) {
    if (Result<void> images = DecodeV1Beta2Images(s, out); !images) {
      return images.error();
    }
  }
  Result<std::optional<std::int64_t>> generation =
      yaml::OptionalInt64(s, "observedGeneration", "status");
  if (!generation) {
    return generation.error();
  }
  out.observed_generation = generation->value_or(-1);
  Result<std::vector<kube::Condition>> conditions = yaml::DecodeConditions(s, "status");
  if (!conditions) {
    return conditions.error();
  }
  out.conditions = std::move(*conditions);
  Result<std::optional<std::string>> handled =
      yaml::OptionalString(s, "lastHandledReconcileAt", "status");
  if (!handled) {
    return handled.error();
  }
  out.last_handled_reconcile_at = handled->value_or("");
  return out;
}

Result<ImagePolicy> Decode(std::string_view text) {
  Result<YAML::Node> root = yaml::ParseDocument(text);
  if (!root) {
    return root.error();
  }
  ImagePolicy policy;
  Result<ObjectMeta> meta = yaml::DecodeTypeAndMetadata(*root, kKind);
  if (!meta) {
    return meta.error();
  }
  policy.metadata = std::move(*meta);
  Result<ImagePolicySpec> spec = DecodeSpec(*root);
  if (!spec) {
    return spec.error();
  }
  policy.spec = std::move(*spec);
  Result<ImagePolicyStatus> status = DecodeStatus(*root, yaml::IsV1Beta2(policy.metadata));
  if (!status) {
    return status.error();
  }
  policy.status = std::move(*status);
  return policy;
}

}  // namespace

Result<ImagePolicy> DecodeImagePolicy(std::string_view yaml) {
  try {
    return Decode(yaml);
  } catch (const YAML::Exception& e) {
    return Error(ErrorKind::kInvalidSpec, "invalid yaml: " + e.msg);
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInvalidSpec, std::string("decoding ImagePolicy: ") + e.what());
  }
}

}  // namespace imgauto::reflector::api
