#include "reflector/webhook/receiver.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <utility>

#include "core/sha256.h"
// Reused for its yaml-cpp 0.7 termination guard and path-aware messages; this library links
// yaml-cpp itself, and nothing from yaml-cpp appears in receiver.h.
#include "reflector/api/object_yaml.h"

namespace imgauto::reflector::webhook {
namespace {

namespace yaml = ::imgauto::reflector::api::yaml;

constexpr std::string_view kKind = "Receiver";
constexpr std::string_view kImageRepositoryKind = "ImageRepository";
constexpr std::string_view kImageGroup = "image.toolkit.fluxcd.io/";

constexpr std::array<std::pair<ReceiverType, std::string_view>, 7> kTypeNames = {{
    {ReceiverType::kDistribution, "distribution"},
    {ReceiverType::kDockerHub, "dockerhub"},
    {ReceiverType::kGitHub, "github"},
    {ReceiverType::kHarbor, "harbor"},
    {ReceiverType::kQuay, "quay"},
    {ReceiverType::kGeneric, "generic"},
    {ReceiverType::kGenericHmac, "generic-hmac"},
}};

Error Invalid(std::string path, std::string_view detail) {
  return Error(ErrorKind::kInvalidSpec, std::move(path) + ": " + std::string(detail));
}

Result<ResourceRef> DecodeResource(const YAML::Node& item, const std::string& path) {
  if (!item.IsMap()) {
    return Invalid(path, "expected a mapping");
  }
  ResourceRef out;
  Result<std::optional<std::string>> api_version = yaml::OptionalString(item, "apiVersion", path);
  if (!api_version) {
    return api_version.error();
  }
  out.api_version = api_version->value_or("");
  Result<std::string> kind = yaml::RequiredString(item, "kind", path);
  if (!kind) {
    return kind.error();
  }
  if (*kind != kImageRepositoryKind) {
    return Invalid(yaml::JoinPath(path, "kind"),
                   "unsupported kind \"" + *kind +
                       "\": only ImageRepository resources are scanned by imgauto");
  }
  out.kind = *kind;
  if (!out.api_version.empty() && !out.api_version.starts_with(kImageGroup)) {
    return Invalid(yaml::JoinPath(path, "apiVersion"),
                   "expected an image.toolkit.fluxcd.io version for kind ImageRepository, got \"" +
                       out.api_version + "\"");
  }
  Result<std::string> name = yaml::RequiredString(item, "name", path);
  if (!name) {
    return name.error();
  }
  out.name = *name;
  Result<std::optional<std::string>> ns = yaml::OptionalString(item, "namespace", path);
  if (!ns) {
    return ns.error();
  }
  out.ns = ns->value_or("");
  Result<std::optional<std::map<std::string, std::string>>> labels =
      yaml::OptionalStringMap(item, "matchLabels", path);
  if (!labels) {
    return labels.error();
  }
  out.match_labels = labels->value_or(std::map<std::string, std::string>{});
  if (out.name == "*" && out.match_labels.empty()) {
    return Invalid(yaml::JoinPath(path, "matchLabels"),
                   "required when name is \"*\" (select ImageRepositories by label)");
  }
  return out;
}

Result<std::vector<ResourceRef>> DecodeResources(const YAML::Node& spec) {
  const std::string path = "spec.resources";
  const YAML::Node node = spec["resources"];
  if (!node.IsDefined() || node.IsNull() || (node.IsSequence() && node.size() == 0)) {
    return Invalid(path, "at least one ImageRepository resource is required");
  }
  if (!node.IsSequence()) {
    return Invalid(path, "expected a list");
  }
  std::vector<ResourceRef> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    Result<ResourceRef> ref = DecodeResource(node[i], path + "[" + std::to_string(i) + "]");
    if (!ref) {
      return ref.error();
    }
    out.push_back(std::move(*ref));
  }
  return out;
}

Result<void> DecodeSpec(const YAML::Node& root, Receiver& out) {
  Result<YAML::Node> spec = yaml::RequiredMap(root, "spec", "");
  if (!spec) {
    return spec.error();
  }
  Result<std::string> type = yaml::RequiredString(*spec, "type", "spec");
  if (!type) {
    return type.error();
  }
  std::optional<ReceiverType> parsed = ParseReceiverType(*type);
  if (!parsed.has_value()) {
    return Invalid("spec.type", "unsupported receiver type \"" + *type +
                                    "\"; supported types are " + SupportedReceiverTypes());
  }
  out.type = *parsed;
  Result<std::optional<YAML::Node>> secret_ref = yaml::OptionalMap(*spec, "secretRef", "spec");
  if (!secret_ref) {
    return secret_ref.error();
  }
  if (!secret_ref->has_value()) {
    return Invalid("spec.secretRef.name", "required field is missing");
  }
  Result<std::string> secret = yaml::RequiredString(**secret_ref, "name", "spec.secretRef");
  if (!secret) {
    return secret.error();
  }
  out.secret_name = *secret;
  Result<std::optional<std::vector<std::string>>> events =
      yaml::OptionalStringList(*spec, "events", "spec");
  if (!events) {
    return events.error();
  }
  out.events = events->value_or(std::vector<std::string>{});
  Result<std::optional<bool>> suspend = yaml::OptionalBool(*spec, "suspend", "spec");
  if (!suspend) {
    return suspend.error();
  }
  out.suspend = suspend->value_or(false);
  Result<std::vector<ResourceRef>> resources = DecodeResources(*spec);
  if (!resources) {
    return resources.error();
  }
  out.resources = std::move(*resources);
  return {};
}

}  // namespace

std::string_view ReceiverTypeName(ReceiverType type) {
  for (const auto& [value, name] : kTypeNames) {
    if (value == type) {
      return name;
    }
  }
  return "unknown";
}

std::optional<ReceiverType> ParseReceiverType(std::string_view name) {
  for (const auto& [value, spelling] : kTypeNames) {
    if (spelling == name) {
      return value;
    }
  }
  return std::nullopt;
}

std::string SupportedReceiverTypes() {
  std::string out;
  for (const auto& [value, name] : kTypeNames) {
    out += (out.empty() ? "" : ", ") + std::string(name);
  }
  return out;
}

Result<Receiver> DecodeReceiver(std::string_view yaml_text, std::string_view default_namespace) {
  Result<YAML::Node> root = yaml::ParseDocument(yaml_text);
  if (!root) {
    return root.error();
  }
  static constexpr std::array<std::string_view, 3> kVersions = {
      "notification.toolkit.fluxcd.io/v1", "notification.toolkit.fluxcd.io/v1beta2",
      "notification.toolkit.fluxcd.io/v1beta3"};
  Result<api::ObjectMeta> meta = yaml::DecodeTypeAndMetadata(*root, kKind, kVersions);
  if (!meta) {
    return meta.error();
  }
  Receiver out;
  if (meta->name.empty()) {
    return Invalid("metadata.name", "required field is missing");
  }
  out.name = meta->name;
  out.ns = meta->ns.empty() ? std::string(default_namespace) : meta->ns;
  // Every yaml-cpp access goes through the helpers above, which convert exceptions; the guard
  // here covers node indexing in DecodeResources.
  try {
    if (Result<void> ok = DecodeSpec(*root, out); !ok) {
      return ok.error();
    }
  } catch (const YAML::Exception& e) {
    return Error(ErrorKind::kInvalidSpec, "spec: invalid yaml: " + e.msg);
  }
  return out;
}

std::string WebhookPath(const Receiver& receiver, std::string_view token) {
  std::string input(token);
  input += receiver.name;
  input += receiver.ns;
  return "/hook/" + Sha256Hex(input);
}

}  // namespace imgauto::reflector::webhook
