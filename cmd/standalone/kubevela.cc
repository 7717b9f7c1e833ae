#include "cmd/standalone/kubevela.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "setters/yaml11.h"

namespace imgauto::cmd::standalone {
namespace {

constexpr std::string_view kApplicationApiVersion = "core.oam.dev/v1beta1";
constexpr std::string_view kApplicationKind = "Application";
constexpr std::string_view kComponentType = "kustomize";
constexpr char kDefaultInterval[] = "5m";
constexpr char kDefaultBranch[] = "main";
constexpr char kAuthorName[] = "kubevelabot";
constexpr char kAuthorEmail[] = "kubevelabot@users.noreply.github.com";
constexpr char kMessageFirstLine[] = "Update image automatically.";

// A property error before it is given the application and component names.
struct PropertyError {
  std::string field;    // "imageRepository.policy"
  std::string problem;  // "is required"
};

// Reads an optional string property: nullopt when absent or null, an error when not a scalar.
std::optional<PropertyError> ReadString(const YAML::Node& map, const std::string& key,
                                        const std::string& path, std::optional<std::string>* out) {
  YAML::Node value = map[key];
  if (!value || value.IsNull()) {
    *out = std::nullopt;
    return std::nullopt;
  }
  if (!value.IsScalar()) {
    return PropertyError{path + key, "must be a string"};
  }
  *out = value.Scalar();
  return std::nullopt;
}

// Reads a required, non-empty string property.
std::optional<PropertyError> ReadRequired(const YAML::Node& map, const std::string& key,
                                          const std::string& path, std::string* out) {
  std::optional<std::string> value;
  if (std::optional<PropertyError> e = ReadString(map, key, path, &value)) {
    return e;
  }
  if (!value || value->empty()) {
    return PropertyError{path + key, "is required"};
  }
  *out = std::move(*value);
  return std::nullopt;
}

// Reads an optional mapping property: an undefined node when absent or null.
std::optional<PropertyError> ReadMap(const YAML::Node& map, const std::string& key,
                                     const std::string& path, YAML::Node* out) {
  YAML::Node value = map[key];
  if (!value || value.IsNull()) {
    *out = YAML::Node(YAML::NodeType::Undefined);
    return std::nullopt;
  }
  if (!value.IsMap()) {
    return PropertyError{path + key, "must be a mapping"};
  }
  *out = value;
  return std::nullopt;
}

std::optional<PropertyError> CheckOneOf(const std::optional<std::string>& value,
                                        const std::string& field,
                                        std::initializer_list<std::string_view> allowed) {
  if (!value) {
    return std::nullopt;
  }
  for (std::string_view a : allowed) {
    if (*value == a) {
      return std::nullopt;
    }
  }
  std::string list;
  for (std::string_view a : allowed) {
    list += (list.empty() ? "\"" : ", \"") + std::string(a) + "\"";
  }
  return PropertyError{field, "must be one of " + list};
}

// The imageRepository block, validated.
struct ImageProperties {
  std::string image;
  std::optional<std::string> secret_ref;
  std::string interval = kDefaultInterval;
  std::string policy_kind;                  // "semver", "alphabetical", "numerical"
  std::optional<std::string> policy_value;  // range or order
  std::optional<std::string> filter_pattern;
  std::optional<std::string> filter_extract;
  bool has_filter = false;
  std::optional<std::string> commit_message;
};

// The kustomize component's properties that shape the derived objects, validated.
struct ComponentProperties {
  std::string repo_type = "git";
  std::string url;
  std::optional<std::string> secret_ref;
  std::string pull_interval = kDefaultInterval;
  std::optional<std::string> timeout;
  std::optional<std::string> source_name;
  std::string branch = kDefaultBranch;
  std::string path;
  std::optional<ImageProperties> image;
};

std::optional<PropertyError> ParsePolicy(const YAML::Node& policy, ImageProperties* out) {
  const std::string path = "imageRepository.policy";
  constexpr std::array<std::string_view, 3> kKinds = {"semver", "alphabetical", "numerical"};
  int found = 0;
  for (const auto& kv : policy) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    bool known = false;
    for (std::string_view kind : kKinds) {
      known = known || key == kind;
    }
    if (!known) {
      return PropertyError{path, "unknown policy \"" + key +
                                     "\"; exactly one of semver, alphabetical, numerical "
                                     "is required"};
    }
    ++found;
    out->policy_kind = key;
  }
  if (found != 1) {
    return PropertyError{path, "exactly one of semver, alphabetical, numerical is required"};
  }
  YAML::Node body;
  if (std::optional<PropertyError> e = ReadMap(policy, out->policy_kind, path + ".", &body)) {
    return e;
  }
  const std::string body_path = path + "." + out->policy_kind + ".";
  if (out->policy_kind == "semver") {
    std::string range;
    if (!body.IsDefined()) {
      return PropertyError{body_path + "range", "is required"};
    }
    if (std::optional<PropertyError> e = ReadRequired(body, "range", body_path, &range)) {
      return e;
    }
    out->policy_value = std::move(range);
    return std::nullopt;
  }
  std::optional<std::string> order;
  if (body.IsDefined()) {
    if (std::optional<PropertyError> e = ReadString(body, "order", body_path, &order)) {
      return e;
    }
  }
  if (out->policy_kind == "numerical" && !order) {
    return PropertyError{body_path + "order", "is required"};
  }
  if (std::optional<PropertyError> e = CheckOneOf(order, body_path + "order", {"asc", "desc"})) {
    return e;
  }
  out->policy_value = std::move(order);
  return std::nullopt;
}

std::optional<PropertyError> ParseImage(const YAML::Node& block, ImageProperties* out) {
  const std::string path = "imageRepository.";
  if (std::optional<PropertyError> e = ReadRequired(block, "image", path, &out->image)) {
    return e;
  }
  if (std::optional<PropertyError> e = ReadString(block, "secretRef", path, &out->secret_ref)) {
    return e;
  }
  std::optional<std::string> interval;
  if (std::optional<PropertyError> e = ReadString(block, "interval", path, &interval)) {
    return e;
  }
  if (interval && !interval->empty()) {
    out->interval = *interval;
  }
  YAML::Node policy;
  if (std::optional<PropertyError> e = ReadMap(block, "policy", path, &policy)) {
    return e;
  }
  if (!policy.IsDefined()) {
    return PropertyError{path + "policy", "is required"};
  }
  if (std::optional<PropertyError> e = ParsePolicy(policy, out)) {
    return e;
  }
  YAML::Node filter;
  if (std::optional<PropertyError> e = ReadMap(block, "filterTags", path, &filter)) {
    return e;
  }
  if (filter.IsDefined()) {
    out->has_filter = true;
    const std::string filter_path = path + "filterTags.";
    if (std::optional<PropertyError> e =
            ReadString(filter, "pattern", filter_path, &out->filter_pattern)) {
      return e;
    }
    if (std::optional<PropertyError> e =
            ReadString(filter, "extract", filter_path, &out->filter_extract)) {
      return e;
    }
  }
  return ReadString(block, "commitMessage", path, &out->commit_message);
}

std::optional<PropertyError> ParseComponent(const YAML::Node& properties,
                                            ComponentProperties* out) {
  if (!properties || properties.IsNull()) {
    return PropertyError{"properties", "is required"};
  }
  if (!properties.IsMap()) {
    return PropertyError{"properties", "must be a mapping"};
  }
  std::optional<std::string> repo_type;
  if (std::optional<PropertyError> e = ReadString(properties, "repoType", "", &repo_type)) {
    return e;
  }
  if (std::optional<PropertyError> e = CheckOneOf(repo_type, "repoType", {"git", "oss", "oci"})) {
    return e;
  }
  if (repo_type) {
    out->repo_type = *repo_type;
  }
  if (std::optional<PropertyError> e = ReadRequired(properties, "url", "", &out->url)) {
    return e;
  }
  if (std::optional<PropertyError> e = ReadRequired(properties, "path", "", &out->path)) {
    return e;
  }
  if (std::optional<PropertyError> e = ReadString(properties, "secretRef", "", &out->secret_ref)) {
    return e;
  }
  std::optional<std::string> pull_interval;
  if (std::optional<PropertyError> e = ReadString(properties, "pullInterval", "", &pull_interval)) {
    return e;
  }
  if (pull_interval && !pull_interval->empty()) {
    out->pull_interval = *pull_interval;
  }
  if (std::optional<PropertyError> e = ReadString(properties, "timeout", "", &out->timeout)) {
    return e;
  }
  if (std::optional<PropertyError> e =
          ReadString(properties, "sourceName", "", &out->source_name)) {
    return e;
  }
  YAML::Node git;
  if (std::optional<PropertyError> e = ReadMap(properties, "git", "", &git)) {
    return e;
  }
  if (git.IsDefined()) {
    std::optional<std::string> branch;
    if (std::optional<PropertyError> e = ReadString(git, "branch", "git.", &branch)) {
      return e;
    }
    if (branch && !branch->empty()) {
      out->branch = *branch;
    }
  }
  YAML::Node image;
  if (std::optional<PropertyError> e = ReadMap(properties, "imageRepository", "", &image)) {
    return e;
  }
  if (image.IsDefined()) {
    ImageProperties parsed;
    if (std::optional<PropertyError> e = ParseImage(image, &parsed)) {
      return e;
    }
    out->image = std::move(parsed);
  }
  return std::nullopt;
}

// ---- emitting ----

// Emits a string scalar, double-quoted when a YAML 1.1 reader would take it for something else or
// when it spans lines.
void Str(YAML::Emitter& out, const std::string& value) {
  if (value.empty() || setters::IsYaml11NonString(value) || value.find('\n') != std::string::npos) {
    out << YAML::DoubleQuoted;
  }
  out << value;
}

void KeyStr(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value;
  Str(out, value);
}

// Context shared by every object derived from one component.
struct Target {
  std::string app;
  std::string component;
  std::string ns;
  std::string file;
};

void BeginObject(YAML::Emitter& out, const Target& target, const char* api_version,
                 const char* kind) {
  out << YAML::BeginMap;
  KeyStr(out, "apiVersion", api_version);
  KeyStr(out, "kind", kind);
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  KeyStr(out, "name", target.component);
  KeyStr(out, "namespace", target.ns);
  out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
  KeyStr(out, "app.oam.dev/name", target.app);
  KeyStr(out, "app.oam.dev/component", target.component);
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
}

ManifestDocument Finish(YAML::Emitter& out, const Target& target, const char* api_version,
                        const char* kind) {
  out << YAML::EndMap << YAML::EndMap;  // spec, object
  ManifestDocument doc;
  doc.api_version = api_version;
  doc.kind = kind;
  doc.ns = target.ns;
  doc.name = target.component;
  doc.text = std::string(out.c_str()) + "\n";
  doc.file = target.file;
  return doc;
}

ManifestDocument GitRepositoryFor(const Target& target, const ComponentProperties& props) {
  constexpr char kApi[] = "source.toolkit.fluxcd.io/v1";
  YAML::Emitter out;
  BeginObject(out, target, kApi, "GitRepository");
  KeyStr(out, "url", props.url);
  out << YAML::Key << "ref" << YAML::Value << YAML::BeginMap;
  KeyStr(out, "branch", props.branch);
  out << YAML::EndMap;
  if (props.secret_ref) {
    out << YAML::Key << "secretRef" << YAML::Value << YAML::BeginMap;
    KeyStr(out, "name", *props.secret_ref);
    out << YAML::EndMap;
  }
  KeyStr(out, "interval", props.pull_interval);
  if (props.timeout) {
    KeyStr(out, "timeout", *props.timeout);
  }
  return Finish(out, target, kApi, "GitRepository");
}

ManifestDocument ImageRepositoryFor(const Target& target, const ImageProperties& image) {
  constexpr char kApi[] = "image.toolkit.fluxcd.io/v1beta2";
  YAML::Emitter out;
  BeginObject(out, target, kApi, "ImageRepository");
  KeyStr(out, "image", image.image);
  KeyStr(out, "interval", image.interval);
  if (image.secret_ref) {
    out << YAML::Key << "secretRef" << YAML::Value << YAML::BeginMap;
    KeyStr(out, "name", *image.secret_ref);
    out << YAML::EndMap;
  }
  return Finish(out, target, kApi, "ImageRepository");
}

ManifestDocument ImagePolicyFor(const Target& target, const ImageProperties& image) {
  constexpr char kApi[] = "image.toolkit.fluxcd.io/v1beta2";
  YAML::Emitter out;
  BeginObject(out, target, kApi, "ImagePolicy");
  out << YAML::Key << "imageRepositoryRef" << YAML::Value << YAML::BeginMap;
  KeyStr(out, "name", target.component);
  out << YAML::EndMap;
  out << YAML::Key << "policy" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << image.policy_kind << YAML::Value << YAML::BeginMap;
  if (image.policy_value) {
    KeyStr(out, image.policy_kind == "semver" ? "range" : "order", *image.policy_value);
  }
  out << YAML::EndMap << YAML::EndMap;
  if (image.has_filter) {
    out << YAML::Key << "filterTags" << YAML::Value << YAML::BeginMap;
    if (image.filter_pattern) {
      KeyStr(out, "pattern", *image.filter_pattern);
    }
    if (image.filter_extract) {
      KeyStr(out, "extract", *image.filter_extract);
    }
    out << YAML::EndMap;
  }
  return Finish(out, target, kApi, "ImagePolicy");
}

ManifestDocument AutomationFor(const Target& target, const ComponentProperties& props) {
  constexpr char kApi[] = "image.toolkit.fluxcd.io/v1beta1";
  const ImageProperties& image = *props.image;
  YAML::Emitter out;
  BeginObject(out, target, kApi, "ImageUpdateAutomation");
  KeyStr(out, "interval", image.interval);
  out << YAML::Key << "sourceRef" << YAML::Value << YAML::BeginMap;
  KeyStr(out, "kind", "GitRepository");
  KeyStr(out, "name", props.source_name.value_or(target.component));
  out << YAML::EndMap;
  out << YAML::Key << "git" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "checkout" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "ref" << YAML::Value << YAML::BeginMap;
  KeyStr(out, "branch", props.branch);
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "commit" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "author" << YAML::Value << YAML::BeginMap;
  KeyStr(out, "email", kAuthorEmail);
  KeyStr(out, "name", kAuthorName);
  out << YAML::EndMap;
  std::string message = kMessageFirstLine;
  if (image.commit_message) {
    message += "\n" + *image.commit_message;
  }
  KeyStr(out, "messageTemplate", message);
  out << YAML::EndMap;
  out << YAML::Key << "push" << YAML::Value << YAML::BeginMap;
  KeyStr(out, "branch", props.branch);
  out << YAML::EndMap << YAML::EndMap;  // push, git
  out << YAML::Key << "update" << YAML::Value << YAML::BeginMap;
  KeyStr(out, "path", props.path);
  KeyStr(out, "strategy", "Setters");
  out << YAML::EndMap;
  return Finish(out, target, kApi, "ImageUpdateAutomation");
}

Error InvalidApplication(const ManifestDocument& app, const std::string& message) {
  return Error(ErrorKind::kInvalidSpec, "Application " + app.ns + "/" + app.name + ": " + message);
}

}  // namespace

bool IsKubeVelaApplication(const ManifestDocument& doc) {
  return doc.api_version == kApplicationApiVersion && doc.kind == kApplicationKind;
}

Result<std::vector<ManifestDocument>> DeriveFromApplication(const ManifestDocument& app) {
  if (!IsKubeVelaApplication(app)) {
    return Error(ErrorKind::kInvalidSpec, app.kind + " " + app.ns + "/" + app.name +
                                              " is not a core.oam.dev/v1beta1 Application");
  }
  YAML::Node root;
  try {
    root = YAML::Load(app.text);
  } catch (const YAML::Exception& e) {
    return InvalidApplication(app, std::string("invalid yaml: ") + e.what());
  }
  YAML::Node spec = root.IsMap() ? root["spec"] : YAML::Node();
  if (!spec || !spec.IsMap()) {
    return InvalidApplication(app, "spec must be a mapping");
  }
  YAML::Node components = spec["components"];
  std::vector<ManifestDocument> out;
  if (!components || components.IsNull()) {
    return out;
  }
  if (!components.IsSequence()) {
    return InvalidApplication(app, "spec.components must be a list");
  }
  int index = 0;
  for (const YAML::Node& component : components) {
    const std::string where = "spec.components[" + std::to_string(index++) + "]";
    if (!component.IsMap()) {
      return InvalidApplication(app, where + " must be a mapping");
    }
    YAML::Node type = component["type"];
    if (!type || !type.IsScalar() || type.Scalar() != kComponentType) {
      continue;  // other component types render no Flux image objects
    }
    YAML::Node name = component["name"];
    if (!name || !name.IsScalar() || name.Scalar().empty()) {
      return InvalidApplication(app, where + ": name is required");
    }
    const Target target{app.name, name.Scalar(), app.ns, app.file};
    ComponentProperties props;
    std::optional<PropertyError> error;
    try {
      error = ParseComponent(component["properties"], &props);
    } catch (const YAML::Exception& e) {
      error = PropertyError{"properties", std::string("invalid: ") + e.what()};
    }
    if (error) {
      std::string field =
          error->field == "properties" ? error->field : "properties." + error->field;
      return Error(ErrorKind::kInvalidSpec, "Application " + app.ns + "/" + app.name +
                                                ", component " + target.component + ": " + field +
                                                ": " + error->problem);
    }
    if (props.repo_type == "git" && !props.source_name) {
      out.push_back(GitRepositoryFor(target, props));
    }
    if (props.image) {
      out.push_back(ImageRepositoryFor(target, *props.image));
      out.push_back(ImagePolicyFor(target, *props.image));
      out.push_back(AutomationFor(target, props));
    }
  }
  return out;
}

}  // namespace imgauto::cmd::standalone
