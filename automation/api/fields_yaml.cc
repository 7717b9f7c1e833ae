#include "automation/api/fields_yaml.h"

#include <map>
#include <utility>
#include <vector>

#include "reflector/api/object_yaml.h"

namespace imgauto::automation::api::yaml {
namespace {

namespace ryaml = reflector::api::yaml;

Error Invalid(const std::string& path, std::string_view detail) {
  return Error(ErrorKind::kInvalidSpec, path + ": " + std::string(detail));
}

Result<LabelSelectorRequirement> DecodeRequirement(const YAML::Node& item,
                                                   const std::string& path) {
  if (!item.IsMap()) {
    return Invalid(path, "expected a mapping");
  }
  LabelSelectorRequirement req;
  Result<std::string> key = ryaml::RequiredString(item, "key", path);
  if (!key) {
    return key.error();
  }
  Result<std::string> op = ryaml::RequiredString(item, "operator", path);
  if (!op) {
    return op.error();
  }
  Result<std::optional<std::vector<std::string>>> values =
      ryaml::OptionalStringList(item, "values", path);
  if (!values) {
    return values.error();
  }
  req.key = *key;
  req.op = *op;
  req.values = values->value_or(std::vector<std::string>{});
  return req;
}

}  // namespace

Result<void> ReadStrings(const YAML::Node& map, std::string_view path,
                         std::initializer_list<std::pair<std::string_view, std::string*>> fields) {
  for (const auto& [key, target] : fields) {
    Result<std::optional<std::string>> value = ryaml::OptionalString(map, key, path);
    if (!value) {
      return value.error();
    }
    *target = value->value_or("");
  }
  return {};
}

Result<std::map<std::string, std::string>> StringMapOrEmpty(const YAML::Node& map,
                                                            std::string_view key,
                                                            std::string_view path) {
  Result<std::optional<std::map<std::string, std::string>>> value =
      ryaml::OptionalStringMap(map, key, path);
  if (!value) {
    return value.error();
  }
  return value->value_or(std::map<std::string, std::string>{});
}

Result<std::optional<GitRepositoryRef>> OptionalGitRef(const YAML::Node& map, std::string_view key,
                                                       std::string_view path) {
  Result<std::optional<YAML::Node>> node = ryaml::OptionalMap(map, key, path);
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return std::optional<GitRepositoryRef>();
  }
  const std::string full = ryaml::JoinPath(path, key);
  GitRepositoryRef ref;
  if (Result<void> ok = ReadStrings(**node, full,
                                    {{"branch", &ref.branch},
                                     {"tag", &ref.tag},
                                     {"semver", &ref.semver},
                                     {"name", &ref.name},
                                     {"commit", &ref.commit}});
      !ok) {
    return ok.error();
  }
  return std::optional<GitRepositoryRef>(std::move(ref));
}

Result<std::string> OptionalObjectRefName(const YAML::Node& map, std::string_view key,
                                          std::string_view path) {
  Result<std::optional<YAML::Node>> node = ryaml::OptionalMap(map, key, path);
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return std::string();
  }
  return ryaml::RequiredString(**node, "name", ryaml::JoinPath(path, key));
}

Result<LabelSelector> OptionalLabelSelector(const YAML::Node& map, std::string_view key,
                                            std::string_view path) {
  LabelSelector selector;
  Result<std::optional<YAML::Node>> node = ryaml::OptionalMap(map, key, path);
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return selector;
  }
  const std::string full = ryaml::JoinPath(path, key);
  Result<std::optional<std::map<std::string, std::string>>> labels =
      ryaml::OptionalStringMap(**node, "matchLabels", full);
  if (!labels) {
    return labels.error();
  }
  selector.match_labels = labels->value_or(std::map<std::string, std::string>{});
  const std::string list_path = ryaml::JoinPath(full, "matchExpressions");
  const YAML::Node list = (**node)["matchExpressions"];
  if (!list.IsDefined() || list.IsNull()) {
    return selector;
  }
  if (!list.IsSequence()) {
    return Invalid(list_path, "expected a list");
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    Result<LabelSelectorRequirement> req =
        DecodeRequirement(list[i], list_path + "[" + std::to_string(i) + "]");
    if (!req) {
      return req.error();
    }
    selector.match_expressions.push_back(std::move(*req));
  }
  return selector;
}

}  // namespace imgauto::automation::api::yaml
