#include "reflector/api/status_json.h"

#include <exception>
#include <string>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "reflector/api/object_yaml.h"

namespace imgauto::reflector::api {
namespace {

using nlohmann::json;

// Formats a reference the way v1beta2's latestImage held it: "name:tag[@digest]".
std::string ImageString(const ImageRef& ref) {
  std::string out = ref.name;
  if (!ref.tag.empty()) {
    out += ":" + ref.tag;
  }
  if (!ref.digest.empty()) {
    out += "@" + ref.digest;
  }
  return out;
}

void PutIfNotEmpty(json& out, const char* key, const std::string& value) {
  if (!value.empty()) {
    out[key] = value;
  }
}

json ScanResultToJson(const ScanResult& scan, ServedVersion version) {
  json out = json::object();
  if (version == ServedVersion::kV1 || !scan.revision.empty()) {
    out["revision"] = scan.revision;
  }
  out["tagCount"] = scan.tag_count;
  PutIfNotEmpty(out, "scanTime", scan.scan_time);
  if (!scan.latest_tags.empty()) {
    out["latestTags"] = scan.latest_tags;
  }
  return out;
}

// Adds observedGeneration, conditions and lastHandledReconcileAt, common to every kind.
void PutCommon(json& out, std::int64_t observed_generation,
               const std::vector<kube::Condition>& conditions, const std::string& handled) {
  if (observed_generation != 0) {
    out["observedGeneration"] = observed_generation;
  }
  if (!conditions.empty()) {
    out["conditions"] = ConditionsToJson(conditions);
  }
  PutIfNotEmpty(out, "lastHandledReconcileAt", handled);
}

// Puts `status` into a minimal valid object of the given kind and decodes that with the full
// object decoder, so each status field has a single decoding implementation.
template <typename Object>
Result<Object> DecodeWrapped(std::string_view text, std::string_view kind,
                             std::string_view api_version, std::string_view spec_yaml,
                             Result<Object> (*decode)(std::string_view)) {
  try {
    Result<YAML::Node> status = yaml::ParseDocument(text);
    if (!status) {
      return status.error();
    }
    YAML::Node root(YAML::NodeType::Map);
    root["apiVersion"] = std::string(api_version);
    root["kind"] = std::string(kind);
    root["spec"] = YAML::Load(std::string(spec_yaml));
    root["status"] = *status;
    YAML::Emitter out;
    out << root;
    if (!out.good()) {
      return Error(ErrorKind::kInvalidSpec, "status: " + out.GetLastError());
    }
    return decode(out.c_str());
  } catch (const YAML::Exception& e) {
    return Error(ErrorKind::kInvalidSpec, "status: invalid yaml: " + e.msg);
  }
}

// Returns the JSON text of a status value for the text decoders; null becomes "{}".
Result<std::string> StatusText(const json& status) {
  if (status.is_null()) {
    return std::string("{}");
  }
  if (!status.is_object()) {
    return Error(ErrorKind::kInvalidSpec,
                 std::string("status: expected a mapping, got ") + status.type_name());
  }
  return status.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::optional<ServedVersion> ServedVersionOf(std::string_view api_version) {
  const std::string group(yaml::kGroup);
  if (api_version == group + "/v1") {
    return ServedVersion::kV1;
  }
  if (api_version == group + "/v1beta2") {
    return ServedVersion::kV1Beta2;
  }
  return std::nullopt;
}

json ConditionsToJson(const std::vector<kube::Condition>& conditions) {
  json out = json::array();
  for (const kube::Condition& c : conditions) {
    json item = {{"type", c.type}, {"status", c.status}};
    if (c.observed_generation != 0) {
      item["observedGeneration"] = c.observed_generation;
    }
    PutIfNotEmpty(item, "lastTransitionTime", c.last_transition_time);
    item["reason"] = c.reason;
    item["message"] = c.message;
    out.push_back(std::move(item));
  }
  return out;
}

json ImageRefToJson(const ImageRef& ref) {
  json out = {{"name", ref.name}, {"tag", ref.tag}};
  PutIfNotEmpty(out, "digest", ref.digest);
  return out;
}

json ImageRepositoryStatusToJson(const ImageRepositoryStatus& status, ServedVersion version) {
  json out = json::object();
  PutIfNotEmpty(out, "canonicalImageName", status.canonical_image_name);
  if (status.last_scan_result.has_value()) {
    out["lastScanResult"] = ScanResultToJson(*status.last_scan_result, version);
  }
  if (!status.observed_exclusion_list.empty()) {
    out["observedExclusionList"] = status.observed_exclusion_list;
  }
  PutCommon(out, status.observed_generation, status.conditions, status.last_handled_reconcile_at);
  return out;
}

json ImagePolicyStatusToJson(const ImagePolicyStatus& status, ServedVersion version) {
  json out = json::object();
  if (status.latest_ref.has_value()) {
    out["latestRef"] = ImageRefToJson(*status.latest_ref);
  }
  if (status.observed_previous_ref.has_value()) {
    out["observedPreviousRef"] = ImageRefToJson(*status.observed_previous_ref);
  }
  if (version == ServedVersion::kV1Beta2) {
    if (status.latest_ref.has_value()) {
      out["latestImage"] = ImageString(*status.latest_ref);
    }
    if (status.observed_previous_ref.has_value()) {
      out["observedPreviousImage"] = ImageString(*status.observed_previous_ref);
    }
  }
  PutCommon(out, status.observed_generation, status.conditions, status.last_handled_reconcile_at);
  return out;
}

Result<ImageRepositoryStatus> DecodeImageRepositoryStatus(std::string_view text) {
  Result<ImageRepository> repo =
      DecodeWrapped<ImageRepository>(text, "ImageRepository", std::string(yaml::kGroup) + "/v1",
                                     "{image: status-only, interval: 1m}", &DecodeImageRepository);
  if (!repo) {
    return repo.error();
  }
  return std::move(repo->status);
}

Result<ImagePolicyStatus> DecodeImagePolicyStatus(std::string_view text) {
  Result<ImagePolicy> policy = DecodeWrapped<ImagePolicy>(
      text, "ImagePolicy", std::string(yaml::kGroup) + "/v1beta2",
      "{imageRepositoryRef: {name: status-only}, policy: {alphabetical: {}}}", &DecodeImagePolicy);
  if (!policy) {
    return policy.error();
  }
  return std::move(policy->status);
}

Result<ImageRepositoryStatus> ImageRepositoryStatusFromJson(const json& status) {
  Result<std::string> text = StatusText(status);
  if (!text) {
    return text.error();
  }
  return DecodeImageRepositoryStatus(*text);
}

Result<ImagePolicyStatus> ImagePolicyStatusFromJson(const json& status) {
  Result<std::string> text = StatusText(status);
  if (!text) {
    return text.error();
  }
  return DecodeImagePolicyStatus(*text);
}

}  // namespace imgauto::reflector::api
