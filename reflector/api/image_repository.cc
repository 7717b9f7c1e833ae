#include "reflector/api/image_repository.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "reflector/api/object_yaml.h"

namespace imgauto::reflector::api {
namespace {

constexpr std::string_view kKind = "ImageRepository";
constexpr std::size_t kMaxExclusions = 25;
constexpr std::size_t kMaxServiceAccountName = 253;

Result<std::string> SecretRefName(const YAML::Node& spec, std::string_view key) {
  Result<std::optional<YAML::Node>> ref = yaml::OptionalMap(spec, key, "spec");
  if (!ref) {
    return ref.error();
  }
  if (!ref->has_value()) {
    return std::string();
  }
  return yaml::RequiredString(**ref, "name", yaml::JoinPath("spec", key));
}

Result<std::optional<std::vector<NamespaceSelector>>> DecodeAccessFrom(const YAML::Node& spec) {
  using Out = std::optional<std::vector<NamespaceSelector>>;
  Result<std::optional<YAML::Node>> access = yaml::OptionalMap(spec, "accessFrom", "spec");
  if (!access) {
    return access.error();
  }
  if (!access->has_value()) {
    return Out();
  }
  const std::string path = "spec.accessFrom.namespaceSelectors";
  const YAML::Node& access_node = **access;
  const YAML::Node selectors = access_node["namespaceSelectors"];
  std::vector<NamespaceSelector> out;
  if (!selectors.IsDefined() || selectors.IsNull()) {
    return Out(std::move(out));
  }
  if (!selectors.IsSequence()) {
    return Error(ErrorKind::kInvalidSpec, path + ": expected a list");
  }
  for (std::size_t i = 0; i < selectors.size(); ++i) {
    std::string item_path = path + "[" + std::to_string(i) + "]";
    YAML::Node item = selectors[i];
    NamespaceSelector selector;
    if (item.IsNull()) {
      out.push_back(std::move(selector));
      continue;
    }
    if (!item.IsMap()) {
      return Error(ErrorKind::kInvalidSpec, item_path + ": expected a mapping");
    }
    Result<std::optional<std::map<std::string, std::string>>> labels =
        yaml::OptionalStringMap(item, "matchLabels", item_path);
    if (!labels) {
      return labels.error();
    }
    selector.match_labels = labels->value_or(std::map<std::string, std::string>{});
    out.push_back(std::move(selector));
  }
  return Out(std::move(out));
}

Result<void> DecodeStrings(const YAML::Node& spec, ImageRepositorySpec& out) {
  Result<std::string> image = yaml::RequiredString(spec, "image", "spec");
  if (!image) {
    return image.error();
  }
  out.image = *image;
  const std::pair<std::string_view, std::string*> refs[] = {
      {"secretRef", &out.secret_ref},
      {"certSecretRef", &out.cert_secret_ref},
      {"proxySecretRef", &out.proxy_secret_ref}};
  for (const auto& [key, target] : refs) {
    Result<std::string> name = SecretRefName(spec, key);
    if (!name) {
      return name.error();
    }
    *target = *name;
  }
  Result<std::optional<std::string>> sa = yaml::OptionalString(spec, "serviceAccountName", "spec");
  if (!sa) {
    return sa.error();
  }
  out.service_account_name = sa->value_or("");
  if (out.service_account_name.size() > kMaxServiceAccountName) {
    return Error(ErrorKind::kInvalidSpec,
                 "spec.serviceAccountName: must be at most 253 characters");
  }
  Result<std::optional<std::string>> provider = yaml::OptionalString(spec, "provider", "spec");
  if (!provider) {
    return provider.error();
  }
  out.provider = provider->value_or("generic");
  if (out.provider != "generic" && out.provider != "aws" && out.provider != "azure" &&
      out.provider != "gcp") {
    return Error(ErrorKind::kInvalidSpec, "spec.provider: unsupported value \"" + out.provider +
                                              "\": must be generic, aws, azure or gcp");
  }
  return {};
}

Result<void> DecodeScalars(const YAML::Node& spec, ImageRepositorySpec& out) {
  Result<std::optional<std::chrono::nanoseconds>> interval =
      yaml::OptionalDuration(spec, "interval", "spec");
  if (!interval) {
    return interval.error();
  }
  if (!interval->has_value()) {
    return Error(ErrorKind::kInvalidSpec, "spec.interval: required field is missing");
  }
  out.interval = **interval;
  Result<std::optional<std::chrono::nanoseconds>> timeout =
      yaml::OptionalDuration(spec, "timeout", "spec", /*allow_hours=*/false);
  if (!timeout) {
    return timeout.error();
  }
  out.timeout = *timeout;
  const std::pair<std::string_view, bool*> flags[] = {{"suspend", &out.suspend},
                                                      {"insecure", &out.insecure}};
  for (const auto& [key, target] : flags) {
    Result<std::optional<bool>> value = yaml::OptionalBool(spec, key, "spec");
    if (!value) {
      return value.error();
    }
    *target = value->value_or(false);
  }
  Result<std::optional<std::vector<std::string>>> exclusions =
      yaml::OptionalStringList(spec, "exclusionList", "spec");
  if (!exclusions) {
    return exclusions.error();
  }
  out.exclusion_list = exclusions->value_or(std::vector<std::string>{});
  if (out.exclusion_list.size() > kMaxExclusions) {
    return Error(ErrorKind::kInvalidSpec, "spec.exclusionList: must have at most 25 items");
  }
  return {};
}

Result<ImageRepositorySpec> DecodeSpec(const YAML::Node& root) {
  Result<YAML::Node> spec = yaml::RequiredMap(root, "spec", "");
  if (!spec) {
    return spec.error();
  }
  ImageRepositorySpec out;
  if (Result<void> ok = DecodeStrings(*spec, out); !ok) {
    return ok.error();
  }
  if (Result<void> ok = DecodeScalars(*spec, out); !ok) {
    return ok.error();
  }
  Result<std::optional<std::vector<NamespaceSelector>>> access = DecodeAccessFrom(*spec);
  if (!access) {
    return access.error();
  }
  out.access_from = std::move(*access);
  return out;
}

Result<std::optional<ScanResult>> DecodeScanResult(const YAML::Node& status) {
  const std::string path = "status.lastScanResult";
  Result<std::optional<YAML::Node>> node = yaml::OptionalMap(status, "lastScanResult", "status");
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return std::optional<ScanResult>();
  }
  ScanResult out;
  Result<std::optional<std::string>> revision = yaml::OptionalString(**node, "revision", path);
  Result<std::optional<std::int64_t>> count = yaml::OptionalInt64(**node, "tagCount", path);
  Result<std::optional<std::string>> time = yaml::OptionalString(**node, "scanTime", path);
  Result<std::optional<std::vector<std::string>>> latest =
      yaml::OptionalStringList(**node, "latestTags", path);
  if (!revision) {
    return revision.error();
  }
  if (!count) {
    return count.error();
  }
  if (!time) {
    return time.error();
  }
  if (!latest) {
    return latest.error();
  }
  out.revision = revision->value_or("");
  out.tag_count = count->value_or(0);
  out.scan_time = time->value_or("");
  out.latest_tags = latest->value_or(std::vector<std::string>{});
  return std::optional<ScanResult>(std::move(out));
}

Result<ImageRepositoryStatus> DecodeStatus(const YAML::Node& root) {
  ImageRepositoryStatus out;
  Result<std::optional<YAML::Node>> status = yaml::OptionalMap(root, "status", "");
  if (!status) {
    return status.error();
  }
  if (!status->has_value()) {
    return out;
  }
  const YAML::Node& s = **status;
  const std::pair<std::string_view, std::string*> strings[] = {
      {"canonicalImageName", &out.canonical_image_name},
      {"lastHandledReconcileAt", &out.last_handled_reconcile_at}};
  for (const auto& [key, target] : strings) {
    Result<std::optional<std::string>> value = yaml::OptionalString(s, key, "status");
    if (!value) {
      return value.error();
    }
    *target = value->value_or("");
  }
  Result<std::optional<ScanResult>> scan = DecodeScanResult(s);
  if (!scan) {
    return scan.error();
  }
  out.last_scan_result = std::move(*scan);
  Result<std::optional<std::vector<std::string>>> observed =
      yaml::OptionalStringList(s, "observedExclusionList", "status");
  if (!observed) {
    return observed.error();
  }
  out.observed_exclusion_list = observed->value_or(std::vector<std::string>{});
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
  return out;
}

Result<ImageRepository> Decode(std::string_view text) {
  Result<YAML::Node> root = yaml::ParseDocument(text);
  if (!root) {
    return root.error();
  }
  ImageRepository repo;
  Result<ObjectMeta> meta = yaml::DecodeTypeAndMetadata(*root, kKind);
  if (!meta) {
    return meta.error();
  }
  repo.metadata = std::move(*meta);
  Result<ImageRepositorySpec> spec = DecodeSpec(*root);
  if (!spec) {
    return spec.error();
  }
  repo.spec = std::move(*spec);
  Result<ImageRepositoryStatus> status = DecodeStatus(*root);
  if (!status) {
    return status.error();
  }
  repo.status = std::move(*status);
  return repo;
}

}  // namespace

std::vector<std::string> ImageRepositorySpec::EffectiveExclusionList() const {
  if (exclusion_list.empty()) {
    return {std::string(kDefaultExclusion)};
  }
  return exclusion_list;
}

std::chrono::nanoseconds ImageRepositorySpec::EffectiveTimeout() const {
  return std::max<std::chrono::nanoseconds>(timeout.value_or(interval), std::chrono::seconds(1));
}

Result<ImageRepository> DecodeImageRepository(std::string_view yaml) {
  try {
    return Decode(yaml);
  } catch (const YAML::Exception& e) {
    return Error(ErrorKind::kInvalidSpec, "invalid yaml: " + e.msg);
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInvalidSpec, std::string("decoding ImageRepository: ") + e.what());
  }
}

}  // namespace imgauto::reflector::api
