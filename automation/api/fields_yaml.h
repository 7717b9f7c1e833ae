// yaml-cpp decoding shared by the automation/api decoders: field readers, a GitRepositoryRef
// (GitRepository spec.ref and ImageUpdateAutomation spec.git.checkout.ref), a `{name: …}` Secret
// reference and a LabelSelector. Built on reflector/api/object_yaml.h; errors are kInvalidSpec
// with the field path. Internal to automation_api: include it only from automation/api/*.cc.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "automation/api/git_repository.h"
#include "automation/api/label_selector.h"
#include "core/error.h"

namespace imgauto::automation::api::yaml {

// Reads the string fields `fields` (key → target) of `map`; absent or null leaves "".
Result<void> ReadStrings(const YAML::Node& map, std::string_view path,
                         std::initializer_list<std::pair<std::string_view, std::string*>> fields);

// Decodes `map[key]` as a string map; absent or null gives an empty map.
Result<std::map<std::string, std::string>> StringMapOrEmpty(const YAML::Node& map,
                                                            std::string_view key,
                                                            std::string_view path);

// Decodes `map[key]` as a GitRepositoryRef; nullopt when absent or null.
Result<std::optional<GitRepositoryRef>> OptionalGitRef(const YAML::Node& map, std::string_view key,
                                                       std::string_view path);

// Decodes `map[key]` as `{name: …}`: "" when absent; when present, `name` is required.
Result<std::string> OptionalObjectRefName(const YAML::Node& map, std::string_view key,
                                          std::string_view path);

// Decodes `map[key]` as a LabelSelector (matchLabels, matchExpressions{key, operator, values}).
// Only the structure is checked here; ValidateLabelSelector checks operators and label syntax.
// Absent or null gives the empty selector.
Result<LabelSelector> OptionalLabelSelector(const YAML::Node& map, std::string_view key,
                                            std::string_view path);

}  // namespace imgauto::automation::api::yaml
