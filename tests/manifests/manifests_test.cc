// Checks the deployable manifests without a cluster: every YAML file under manifests/ (and the
// docker-compose example) parses; the three CRDs serve exactly the versions imgauto implements,
// with structural schemas; Deployments, RBAC, kustomizations and the KubeVela overlay agree with
// one another; samples and examples validate against the CRD schemas. Each checker returns the
// list of problems it found, and the *CheckTest suites feed it broken input to show it can fail.
//
//   build/dev/tests/manifests_test --gtest_filter='Crd*'
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/temp_dir.h"

namespace imgauto {
namespace {

namespace fs = std::filesystem;

using Errors = std::vector<std::string>;

const fs::path kManifestsDir = IMGAUTO_MANIFESTS_DIR;
const fs::path kComposeDir = kManifestsDir.parent_path() / "examples" / "compose";
constexpr std::string_view kGroup = "image.toolkit.fluxcd.io";
constexpr std::string_view kNamespace = "flux-system";
constexpr std::string_view kImage = "ghcr.io/imgauto/imgauto:latest";

// ---------------------------------------------------------------------------------------------
// Loading and navigating YAML.

struct Document {
  fs::path file;
  YAML::Node node;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<fs::path> YamlFilesUnder(const fs::path& root) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every non-empty document of every YAML file under root; parse failures are reported in errors.
std::vector<Document> LoadTree(const fs::path& root, Errors* errors) {
  std::vector<Document> docs;
  for (const auto& file : YamlFilesUnder(root)) {
    try {
      for (const auto& node : YAML::LoadAll(ReadFile(file))) {
        // Plain Prometheus rule files and their promtool tests (manifests/monitoring/rules) are
        // not Kubernetes objects; tests/monitoring/promtool_test.sh checks them.
        const bool prometheus_file =
            node.IsMap() && (node["groups"] || node["rule_files"]) && !node["apiVersion"];
        if (!node.IsNull() && !prometheus_file) {
          docs.push_back({file, node});
        }
      }
    } catch (const YAML::Exception& e) {
      errors->push_back(file.string() + ": " + e.what());
    }
  }
  return docs;
}

const std::vector<Document>& Manifests() {
  static const std::vector<Document> docs = [] {
    Errors ignored;  // EveryYamlFileParses reports these
    return LoadTree(kManifestsDir, &ignored);
  }();
  return docs;
}

const std::vector<Document>& ComposeExample() {
  static const std::vector<Document> docs = [] {
    Errors ignored;
    return LoadTree(kComposeDir, &ignored);
  }();
  return docs;
}

YAML::Node Undefined() { return YAML::Node(YAML::NodeType::Undefined); }

// The value under key of a map; Undefined when node is not a map or lacks the key. Never inserts.
YAML::Node Child(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsMap()) {
    return Undefined();
  }
  const YAML::Node& map = node;
  YAML::Node value = map[key];
  return value.IsDefined() ? value : Undefined();
}

std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : text) {
    if (c == sep) {
      if (!current.empty()) {
        parts.push_back(current);
      }
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) {
    parts.push_back(current);
  }
  return parts;
}

// Follows a dotted path of map keys ("spec.template.spec").
YAML::Node At(const YAML::Node& node, std::string_view path) {
  YAML::Node current = node;
  for (const auto& key : Split(path, '.')) {
    current.reset(Child(current, key));
  }
  return current;
}

std::string Str(const YAML::Node& node) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : "";
}

std::vector<std::string> Strings(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node.IsDefined() && node.IsSequence()) {
    for (const auto& item : node) {
      out.push_back(Str(item));
    }
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string Join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& item : list) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

std::vector<YAML::Node> ObjectsOfKind(const std::vector<Document>& docs, std::string_view kind) {
  std::vector<YAML::Node> out;
  for (const auto& doc : docs) {
    if (doc.node.IsMap() && Str(Child(doc.node, "kind")) == kind) {
      out.push_back(doc.node);
    }
  }
  return out;
}

YAML::Node FindObject(const std::vector<Document>& docs, std::string_view kind,
                      std::string_view name) {
  for (const auto& node : ObjectsOfKind(docs, kind)) {
    if (Str(At(node, "metadata.name")) == name) {
      return node;
    }
  }
  return Undefined();
}

// ---------------------------------------------------------------------------------------------
// CRD schemas.

// The schema of a property path below an openAPIV3Schema ("spec.policy.semver.range"); "[]"
// steps into array items and "{}" into additionalProperties.
YAML::Node SchemaAt(const YAML::Node& schema, std::string_view path) {
  YAML::Node current = schema;
  for (const auto& step : Split(path, '.')) {
    if (step == "[]") {
      current.reset(Child(current, "items"));
    } else if (step == "{}") {
      current.reset(Child(current, "additionalProperties"));
    } else {
      current.reset(Child(Child(current, "properties"), step));
    }
  }
  return current;
}

bool IsTrue(const YAML::Node& node) { return Str(node) == "true"; }

// Structural schema rules (apiextensions.k8s.io/v1): every node has a type unless it preserves
// unknown fields or is int-or-string; arrays have items; a node has properties or
// additionalProperties, never both; required names exist.
void CheckStructural(const YAML::Node& schema, const std::string& where, Errors* errors) {
  if (!schema.IsDefined() || !schema.IsMap()) {
    errors->push_back(where + ": schema is not a map");
    return;
  }
  static const std::set<std::string> kTypes = {"object",  "array",  "string",
                                               "integer", "number", "boolean"};
  const std::string type = Str(Child(schema, "type"));
  const bool untyped_ok = IsTrue(Child(schema, "x-kubernetes-preserve-unknown-fields")) ||
                          IsTrue(Child(schema, "x-kubernetes-int-or-string"));
  if (type.empty() && !untyped_ok) {
    errors->push_back(where + ": no type");
  } else if (!type.empty() && kTypes.count(type) == 0) {
    errors->push_back(where + ": unknown type '" + type + "'");
  }
  const YAML::Node properties = Child(schema, "properties");
  const YAML::Node items = Child(schema, "items");
  const YAML::Node additional = Child(schema, "additionalProperties");
  if (type == "array" && !items.IsDefined()) {
    errors->push_back(where + ": array without items");
  }
  if (properties.IsDefined() && additional.IsDefined()) {
    errors->push_back(where + ": both properties and additionalProperties");
  }
  for (const auto& name : Strings(Child(schema, "required"))) {
    if (!Child(properties, name).IsDefined()) {
      errors->push_back(where + ": required '" + name + "' is not a property");
    }
  }
  if (properties.IsDefined()) {
    if (!properties.IsMap()) {
      errors->push_back(where + ": properties is not a map");
    } else {
      for (const auto& entry : properties) {
        CheckStructural(entry.second, where + "." + entry.first.Scalar(), errors);
      }
    }
  }
  if (items.IsDefined()) {
    CheckStructural(items, where + "[]", errors);
  }
  if (additional.IsDefined() && additional.IsMap()) {
    CheckStructural(additional, where + "{}", errors);
  }
}

void CheckNoPreservedUnknown(const YAML::Node& schema, const std::string& where, Errors* errors) {
  if (!schema.IsDefined() || !schema.IsMap()) {
    return;
  }
  if (IsTrue(Child(schema, "x-kubernetes-preserve-unknown-fields"))) {
    errors->push_back(where + ": x-kubernetes-preserve-unknown-fields in spec");
  }
  for (const auto& entry : Child(schema, "properties")) {
    CheckNoPreservedUnknown(entry.second, where + "." + entry.first.Scalar(), errors);
  }
  CheckNoPreservedUnknown(Child(schema, "items"), where + "[]", errors);
  CheckNoPreservedUnknown(Child(schema, "additionalProperties"), where + "{}", errors);
}

// A printer column's JSONPath as a schema path: ".status.conditions[?(@.type=="Ready")].message"
// becomes "status.conditions.[].message".
std::string ColumnSchemaPath(const std::string& json_path) {
  static const std::regex kFilter(R"(\[\?\([^\]]*\)\])");
  std::string path = std::regex_replace(json_path, kFilter, ".[]");
  return path.rfind('.', 0) == 0 ? path.substr(1) : path;
}

struct EnumWant {
  std::string path;  // below spec
  std::vector<std::string> values;
  std::vector<std::string> versions;  // empty: every served version
};

struct CrdWant {
  std::string plural;
  std::string kind;
  std::vector<std::string> short_names;
  std::vector<std::string> versions;  // served, exactly
  std::vector<std::string> spec_required;
  std::map<std::string, std::vector<std::string>> spec_fields;    // version -> paths below spec
  std::map<std::string, std::vector<std::string>> status_fields;  // version -> paths below status
  std::vector<EnumWant> enums;
};

Errors CheckCrd(const YAML::Node& crd, const CrdWant& want) {
  Errors errors;
  const std::string name = want.plural + "." + std::string(kGroup);
  auto fail = [&](const std::string& message) { errors.push_back(name + ": " + message); };
  if (Str(Child(crd, "apiVersion")) != "apiextensions.k8s.io/v1") {
    fail("apiVersion is not apiextensions.k8s.io/v1");
  }
  if (Str(At(crd, "metadata.name")) != name) {
    fail("metadata.name is '" + Str(At(crd, "metadata.name")) + "'");
  }
  if (Str(At(crd, "spec.group")) != kGroup) {
    fail("group is '" + Str(At(crd, "spec.group")) + "'");
  }
  if (Str(At(crd, "spec.scope")) != "Namespaced") {
    fail("scope is not Namespaced");
  }
  if (Str(At(crd, "spec.names.kind")) != want.kind ||
      Str(At(crd, "spec.names.plural")) != want.plural) {
    fail("names.kind/plural differ");
  }
  const auto short_names = Strings(At(crd, "spec.names.shortNames"));
  for (const auto& short_name : want.short_names) {
    if (!Contains(short_names, short_name)) {
      fail("short name " + short_name + " missing");
    }
  }
  if (!Contains(Strings(At(crd, "spec.names.categories")), "flux")) {
    fail("category flux missing");
  }

  std::set<std::string> served;
  std::vector<std::string> storage;
  const YAML::Node versions = At(crd, "spec.versions");
  if (!versions.IsDefined() || !versions.IsSequence()) {
    fail("no versions");
    return errors;
  }
  for (const auto& version : versions) {
    const std::string v = Str(Child(version, "name"));
    const std::string where = name + "/" + v;
    if (IsTrue(Child(version, "served"))) {
      served.insert(v);
    }
    if (IsTrue(Child(version, "storage"))) {
      storage.push_back(v);
    }
    const YAML::Node status_subresource = At(version, "subresources.status");
    if (!status_subresource.IsDefined() || !status_subresource.IsMap()) {
      fail(v + ": no status subresource");
    }
    const YAML::Node schema = At(version, "schema.openAPIV3Schema");
    if (Str(Child(schema, "type")) != "object") {
      fail(v + ": openAPIV3Schema is not an object");
      continue;
    }
    CheckStructural(schema, where, &errors);
    const YAML::Node metadata = SchemaAt(schema, "metadata");
    if (Str(Child(metadata, "type")) != "object" || metadata.size() != 1) {
      fail(v + ": metadata schema must be just {type: object}");
    }
    const YAML::Node spec = SchemaAt(schema, "spec");
    CheckNoPreservedUnknown(spec, where + ".spec", &errors);
    const auto required = Strings(Child(spec, "required"));
    for (const auto& field : want.spec_required) {
      if (!Contains(required, field)) {
        fail(v + ": spec." + field + " is not required");
      }
    }
    auto fields = want.spec_fields.find(v);
    for (const auto& path :
         fields == want.spec_fields.end() ? std::vector<std::string>{} : fields->second) {
      if (!SchemaAt(spec, path).IsDefined()) {
        fail(v + ": spec." + path + " missing");
      }
    }
    const YAML::Node status = SchemaAt(schema, "status");
    for (const auto& path :
         {"observedGeneration", "conditions.[].type", "conditions.[].status",
          "conditions.[].reason", "conditions.[].message", "conditions.[].lastTransitionTime"}) {
      if (!SchemaAt(status, path).IsDefined()) {
        fail(v + ": status." + path + " missing");
      }
    }
    if (Str(SchemaAt(status, "observedGeneration.type")) == "string") {
      fail(v + ": status.observedGeneration is a string");
    }
    auto status_fields = want.status_fields.find(v);
    for (const auto& path : status_fields == want.status_fields.end() ? std::vector<std::string>{}
                                                                      : status_fields->second) {
      if (!SchemaAt(status, path).IsDefined()) {
        fail(v + ": status." + path + " missing");
      }
    }
    for (const auto& want_enum : want.enums) {
      if (!want_enum.versions.empty() && !Contains(want_enum.versions, v)) {
        continue;
      }
      const auto values = Strings(Child(SchemaAt(spec, want_enum.path), "enum"));
      if (values != want_enum.values) {
        fail(v + ": spec." + want_enum.path + " enum is [" + Join(values) + "], want [" +
             Join(want_enum.values) + "]");
      }
    }
    std::set<std::string> columns;
    for (const auto& column : Child(version, "additionalPrinterColumns")) {
      const std::string column_name = Str(Child(column, "name"));
      const std::string json_path = Str(Child(column, "jsonPath"));
      columns.insert(column_name);
      if (json_path.rfind(".metadata.", 0) == 0) {
        continue;
      }
      if (!SchemaAt(schema, ColumnSchemaPath(json_path)).IsDefined()) {
        fail(v + ": printer column " + column_name + " points at " + json_path +
             ", which the schema lacks");
      }
    }
    for (const auto& column : {"Ready", "Status", "Age"}) {
      if (columns.count(column) == 0) {
        fail(v + ": printer column " + std::string(column) + " missing");
      }
    }
  }
  const std::set<std::string> want_served(want.versions.begin(), want.versions.end());
  if (served != want_served) {
    fail("served versions differ from [" + Join(want.versions) + "]");
  }
  if (storage != std::vector<std::string>{"v1"}) {
    fail("storage versions are [" + Join(storage) + "], want [v1]");
  }
  return errors;
}

CrdWant ImageRepositoryWant() {
  CrdWant want;
  want.plural = "imagerepositories";
  want.kind = "ImageRepository";
  want.short_names = {"imgrepo"};
  want.versions = {"v1", "v1beta2"};
  want.spec_required = {"image", "interval"};
  const std::vector<std::string> spec = {"image",
                                         "interval",
                                         "timeout",
                                         "secretRef.name",
                                         "proxySecretRef.name",
                                         "certSecretRef.name",
                                         "serviceAccountName",
                                         "suspend",
                                         "accessFrom.namespaceSelectors.[].matchLabels",
                                         "exclusionList",
                                         "provider",
                                         "insecure"};
  const std::vector<std::string> status = {"canonicalImageName",       "lastHandledReconcileAt",
                                           "observedExclusionList",    "lastScanResult.revision",
                                           "lastScanResult.tagCount",  "lastScanResult.scanTime",
                                           "lastScanResult.latestTags"};
  for (const auto& v : want.versions) {
    want.spec_fields[v] = spec;
    want.status_fields[v] = status;
  }
  want.enums = {{"provider", {"generic", "aws", "azure", "gcp"}, {}}};
  return want;
}

CrdWant ImagePolicyWant() {
  CrdWant want;
  want.plural = "imagepolicies";
  want.kind = "ImagePolicy";
  want.short_names = {"imgpol"};
  want.versions = {"v1", "v1beta2"};
  want.spec_required = {"imageRepositoryRef"};
  const std::vector<std::string> spec = {
      "imageRepositoryRef.name",   "imageRepositoryRef.namespace", "policy.semver.range",
      "policy.alphabetical.order", "policy.numerical.order",       "filterTags.pattern",
      "filterTags.extract",        "digestReflectionPolicy",       "interval"};
  want.spec_fields = {{"v1", spec}, {"v1beta2", spec}};
  want.spec_fields["v1"].push_back("suspend");
  const std::vector<std::string> status = {
      "lastHandledReconcileAt",    "latestRef.name",           "latestRef.tag",
      "latestRef.digest",          "observedPreviousRef.name", "observedPreviousRef.tag",
      "observedPreviousRef.digest"};
  want.status_fields = {{"v1", status}, {"v1beta2", status}};
  want.status_fields["v1beta2"].push_back("latestImage");
  want.status_fields["v1beta2"].push_back("observedPreviousImage");
  want.enums = {{"policy.alphabetical.order", {"asc", "desc"}, {}},
                {"policy.numerical.order", {"asc", "desc"}, {}},
                {"digestReflectionPolicy", {"Always", "IfNotPresent", "Never"}, {}}};
  return want;
}

CrdWant ImageUpdateAutomationWant() {
  CrdWant want;
  want.plural = "imageupdateautomations";
  want.kind = "ImageUpdateAutomation";
  want.short_names = {"imgupd", "iua"};
  want.versions = {"v1", "v1beta2", "v1beta1"};
  want.spec_required = {"sourceRef", "interval"};
  const std::vector<std::string> common_spec = {"sourceRef.kind",
                                                "sourceRef.name",
                                                "sourceRef.namespace",
                                                "git.checkout.ref.branch",
                                                "git.checkout.ref.tag",
                                                "git.checkout.ref.semver",
                                                "git.checkout.ref.name",
                                                "git.checkout.ref.commit",
                                                "git.commit.author.name",
                                                "git.commit.author.email",
                                                "git.commit.signingKey.secretRef.name",
                                                "git.commit.messageTemplate",
                                                "git.push.branch",
                                                "git.push.refspec",
                                                "git.push.options",
                                                "interval",
                                                "update.path",
                                                "update.strategy",
                                                "suspend"};
  std::vector<std::string> newer_spec = common_spec;
  for (const char* path : {"policySelector.matchLabels", "policySelector.matchExpressions",
                           "git.commit.messageTemplateValues", "git.commit.signingKey.type"}) {
    newer_spec.push_back(path);
  }
  want.spec_fields = {{"v1", newer_spec}, {"v1beta2", newer_spec}, {"v1beta1", common_spec}};
  const std::vector<std::string> common_status = {"lastAutomationRunTime", "lastPushCommit",
                                                  "lastPushTime", "lastHandledReconcileAt"};
  std::vector<std::string> newer_status = common_status;
  for (const char* path : {"observedSourceRevision", "observedPolicies.{}.name",
                           "observedPolicies.{}.tag", "observedPolicies.{}.digest"}) {
    newer_status.push_back(path);
  }
  want.status_fields = {
      {"v1", newer_status}, {"v1beta2", newer_status}, {"v1beta1", common_status}};
  want.enums = {{"sourceRef.kind", {"GitRepository"}, {}},
                {"update.strategy", {"Setters"}, {}},
                {"git.commit.signingKey.type", {"gpg", "ssh"}, {"v1", "v1beta2"}}};
  return want;
}

YAML::Node FindCrd(std::string_view plural) {
  return FindObject(Manifests(), "CustomResourceDefinition",
                    std::string(plural) + "." + std::string(kGroup));
}

bool HasErrorContaining(const Errors& errors, std::string_view text) {
  return std::any_of(errors.begin(), errors.end(), [&](const std::string& error) {
    return error.find(text) != std::string::npos;
  });
}

// ---------------------------------------------------------------------------------------------
// Validating objects against a CRD version's schema (types, required, enum, pattern, unknown).

bool IsPlain(const YAML::Node& node) { return node.Tag() == "?"; }

bool IsPlainNonString(const YAML::Node& node) {
  static const std::regex kNonString(
      R"(^([-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|true|false|True|False|null|~|)$)");
  return IsPlain(node) && std::regex_match(node.Scalar(), kNonString);
}

void Validate(const YAML::Node& schema, const YAML::Node& value, const std::string& where,
              Errors* errors) {
  if (IsTrue(Child(schema, "x-kubernetes-preserve-unknown-fields"))) {
    return;
  }
  const std::string type = Str(Child(schema, "type"));
  if (type == "object") {
    if (!value.IsMap()) {
      errors->push_back(where + ": not an object");
      return;
    }
    const YAML::Node properties = Child(schema, "properties");
    const YAML::Node additional = Child(schema, "additionalProperties");
    for (const auto& entry : value) {
      const std::string key = entry.first.Scalar();
      const YAML::Node property = Child(properties, key);
      if (property.IsDefined()) {
        Validate(property, entry.second, where + "." + key, errors);
      } else if (additional.IsDefined() && additional.IsMap()) {
        Validate(additional, entry.second, where + "." + key, errors);
      } else {
        errors->push_back(where + "." + key + ": unknown field");
      }
    }
    for (const auto& name : Strings(Child(schema, "required"))) {
      if (!Child(value, name).IsDefined()) {
        errors->push_back(where + "." + name + ": required");
      }
    }
  } else if (type == "array") {
    if (!value.IsSequence()) {
      errors->push_back(where + ": not an array");
      return;
    }
    const std::string max_items = Str(Child(schema, "maxItems"));
    if (!max_items.empty() && value.size() > std::stoul(max_items)) {
      errors->push_back(where + ": more than " + max_items + " items");
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      Validate(Child(schema, "items"), value[i], where + "[" + std::to_string(i) + "]", errors);
    }
  } else if (!value.IsScalar()) {
    errors->push_back(where + ": not a " + type);
  } else if (type == "string") {
    if (IsPlainNonString(value)) {
      errors->push_back(where + ": '" + value.Scalar() + "' is not a string (quote it)");
    }
    const auto allowed = Strings(Child(schema, "enum"));
    if (!allowed.empty() && !Contains(allowed, value.Scalar())) {
      errors->push_back(where + ": '" + value.Scalar() + "' not in [" + Join(allowed) + "]");
    }
    const std::string pattern = Str(Child(schema, "pattern"));
    if (!pattern.empty() && !std::regex_search(value.Scalar(), std::regex(pattern))) {
      errors->push_back(where + ": '" + value.Scalar() + "' does not match " + pattern);
    }
  } else if (type == "boolean") {
    if (!IsPlain(value) || (value.Scalar() != "true" && value.Scalar() != "false")) {
      errors->push_back(where + ": not a boolean");
    }
  } else if (type == "integer") {
    if (!IsPlain(value) || !std::regex_match(value.Scalar(), std::regex("^-?[0-9]+$"))) {
      errors->push_back(where + ": not an integer");
    }
  }
}

// Validates an image.toolkit.fluxcd.io object against the CRD version its apiVersion names.
Errors ValidateObject(const YAML::Node& object) {
  const std::string api_version = Str(Child(object, "apiVersion"));
  const std::string kind = Str(Child(object, "kind"));
  const std::string where = kind + "/" + Str(At(object, "metadata.name"));
  for (const auto& crd : ObjectsOfKind(Manifests(), "CustomResourceDefinition")) {
    if (Str(At(crd, "spec.names.kind")) != kind) {
      continue;
    }
    for (const auto& version : At(crd, "spec.versions")) {
      if (api_version == std::string(kGroup) + "/" + Str(Child(version, "name")) &&
          IsTrue(Child(version, "served"))) {
        Errors errors;
        const YAML::Node schema = At(version, "schema.openAPIV3Schema");
        for (const auto& entry : object) {
          const std::string key = entry.first.Scalar();
          if (key != "apiVersion" && key != "kind" && key != "metadata") {
            const YAML::Node property = SchemaAt(schema, key);
            if (!property.IsDefined()) {
              errors.push_back(where + "." + key + ": unknown field");
            } else {
              Validate(property, entry.second, where + "." + key, &errors);
            }
          }
        }
        return errors;
      }
    }
  }
  return {where + ": no CRD serves " + api_version};
}

// ---------------------------------------------------------------------------------------------
// Deployments and RBAC.

struct DeploymentWant {
  std::string name;
  std::string app;  // the `app` label and app.kubernetes.io/component
  std::string service_account;
  std::string mode;  // first argument
  std::vector<std::string> args;
  std::vector<std::string> forbidden_args;
  std::map<std::string, std::string> mounts;  // emptyDir volume -> mount path
};

const std::vector<std::string> kFluxArgs = {
    "--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
    "--watch-all-namespaces=true", "--log-level=info", "--log-encoding=json",
    "--enable-leader-election"};

DeploymentWant ReflectorWant() {
  DeploymentWant want{"image-reflector-controller",
                      "image-reflector-controller",
                      "image-reflector-controller",
                      "reflector",
                      kFluxArgs,
                      {},
                      {}};
  want.args.push_back("--storage-path=/data");
  want.mounts = {{"data", "/data"}};
  return want;
}

DeploymentWant AutomationWant() {
  DeploymentWant want{"image-automation-controller",
                      "image-automation-controller",
                      "image-automation-controller",
                      "automation",
                      kFluxArgs,
                      {},
                      {}};
  want.mounts = {{"temp", "/tmp"}};
  return want;
}

Errors CheckDeployment(const YAML::Node& deployment, const DeploymentWant& want) {
  Errors errors;
  auto fail = [&](const std::string& message) {
    errors.push_back("Deployment " + want.name + ": " + message);
  };
  if (!deployment.IsDefined()) {
    fail("missing");
    return errors;
  }
  if (Str(At(deployment, "metadata.name")) != want.name) {
    fail("named '" + Str(At(deployment, "metadata.name")) + "'");
  }
  if (Str(At(deployment, "metadata.namespace")) != kNamespace) {
    fail("not in flux-system");
  }
  const YAML::Node pod_labels = At(deployment, "spec.template.metadata.labels");
  for (const auto& labels : {At(deployment, "metadata.labels"), pod_labels}) {
    if (Str(Child(labels, "app.kubernetes.io/component")) != want.app ||
        Str(Child(labels, "app.kubernetes.io/part-of")) != "flux" ||
        Str(Child(labels, "control-plane")) != "controller") {
      fail("labels component/part-of/control-plane missing");
    }
  }
  if (Str(Child(pod_labels, "app")) != want.app) {
    fail("pod label app is not " + want.app);
  }
  const YAML::Node selector = At(deployment, "spec.selector.matchLabels");
  if (!selector.IsMap() || selector.size() == 0) {
    fail("no selector");
  } else {
    for (const auto& entry : selector) {
      if (Str(Child(pod_labels, entry.first.Scalar())) != entry.second.Scalar()) {
        fail("selector label " + entry.first.Scalar() + " is not on the pod");
      }
    }
  }
  const YAML::Node pod = At(deployment, "spec.template.spec");
  if (Str(Child(pod, "serviceAccountName")) != want.service_account) {
    fail("serviceAccountName is '" + Str(Child(pod, "serviceAccountName")) + "'");
  }
  const YAML::Node containers = Child(pod, "containers");
  if (!containers.IsSequence() || containers.size() != 1) {
    fail("want exactly one container");
    return errors;
  }
  const YAML::Node container = containers[0];
  if (Str(Child(container, "image")) != kImage) {
    fail("image is '" + Str(Child(container, "image")) + "'");
  }
  const auto args = Strings(Child(container, "args"));
  if (args.empty() || args[0] != want.mode) {
    fail("args do not start with " + want.mode);
  }
  for (const auto& arg : want.args) {
    if (!Contains(args, arg)) {
      fail("arg " + arg + " missing");
    }
  }
  for (const auto& arg : want.forbidden_args) {
    if (Contains(args, arg)) {
      fail("arg " + arg + " present");
    }
  }
  bool runtime_namespace = false;
  for (const auto& env : Child(container, "env")) {
    runtime_namespace |= Str(Child(env, "name")) == "RUNTIME_NAMESPACE" &&
                         Str(At(env, "valueFrom.fieldRef.fieldPath")) == "metadata.namespace";
  }
  if (!runtime_namespace) {
    fail("RUNTIME_NAMESPACE from metadata.namespace missing");
  }
  std::map<std::string, std::string> ports;
  for (const auto& port : Child(container, "ports")) {
    ports[Str(Child(port, "name"))] = Str(Child(port, "containerPort"));
  }
  if (ports["http-prom"] != "8080") {
    fail("port http-prom is not 8080");
  }
  if (ports["healthz"] != "9440") {
    fail("port healthz is not 9440");
  }
  for (const auto& [probe, path] : std::vector<std::pair<std::string, std::string>>{
           {"livenessProbe", "/healthz"}, {"readinessProbe", "/readyz"}}) {
    const YAML::Node get = At(Child(container, probe), "httpGet");
    std::string port = Str(Child(get, "port"));
    if (ports.count(port) != 0) {
      port = ports[port];
    }
    if (Str(Child(get, "path")) != path || port != "9440") {
      fail(probe + " is not GET " + path + " on 9440");
    }
  }
  const YAML::Node security = Child(container, "securityContext");
  if (!IsTrue(Child(security, "runAsNonRoot")) ||
      !IsTrue(Child(security, "readOnlyRootFilesystem")) ||
      Str(Child(security, "allowPrivilegeEscalation")) != "false" ||
      !Contains(Strings(At(security, "capabilities.drop")), "ALL") ||
      Str(At(security, "seccompProfile.type")) != "RuntimeDefault") {
    fail("securityContext is not restricted");
  }
  std::map<std::string, YAML::Node> volumes;
  for (const auto& volume : Child(pod, "volumes")) {
    volumes.emplace(Str(Child(volume, "name")), static_cast<const YAML::Node&>(volume));
  }
  std::map<std::string, std::string> mounts;
  for (const auto& mount : Child(container, "volumeMounts")) {
    const std::string volume = Str(Child(mount, "name"));
    mounts[volume] = Str(Child(mount, "mountPath"));
    if (volumes.count(volume) == 0) {
      fail("volumeMount " + volume + " has no volume");
    }
  }
  for (const auto& [volume, path] : want.mounts) {
    if (mounts[volume] != path) {
      fail("volume " + volume + " is not mounted at " + path);
    }
    if (volumes.count(volume) == 0 || !Child(volumes[volume], "emptyDir").IsDefined()) {
      fail("volume " + volume + " is not an emptyDir");
    }
  }
  return errors;
}

// Whether a list of RBAC rules allows verb on group/resource (wildcards honoured).
bool Grants(const YAML::Node& rules, std::string_view group, std::string_view resource,
            std::string_view verb) {
  for (const auto& rule : rules) {
    const auto groups = Strings(Child(rule, "apiGroups"));
    const auto resources = Strings(Child(rule, "resources"));
    const auto verbs = Strings(Child(rule, "verbs"));
    if ((Contains(groups, group) || Contains(groups, "*")) &&
        (Contains(resources, resource) || Contains(resources, "*")) &&
        (Contains(verbs, verb) || Contains(verbs, "*"))) {
      return true;
    }
  }
  return false;
}

bool BindsServiceAccount(const YAML::Node& binding, std::string_view name,
                         std::string_view namespace_name) {
  for (const auto& subject : Child(binding, "subjects")) {
    if (Str(Child(subject, "kind")) == "ServiceAccount" && Str(Child(subject, "name")) == name &&
        Str(Child(subject, "namespace")) == namespace_name) {
      return true;
    }
  }
  return false;
}

// The rules of every role of `role_kind` bound to the ServiceAccount by a `binding_kind`.
std::vector<YAML::Node> RulesFor(const std::vector<Document>& docs, std::string_view binding_kind,
                                 std::string_view role_kind, std::string_view service_account) {
  std::vector<YAML::Node> rules;
  for (const auto& binding : ObjectsOfKind(docs, binding_kind)) {
    if (!BindsServiceAccount(binding, service_account, kNamespace) ||
        Str(At(binding, "roleRef.kind")) != role_kind) {
      continue;
    }
    const YAML::Node role = FindObject(docs, role_kind, Str(At(binding, "roleRef.name")));
    if (role.IsDefined()) {
      rules.push_back(Child(role, "rules"));
    }
  }
  return rules;
}

bool AnyGrants(const std::vector<YAML::Node>& rule_lists, std::string_view group,
               std::string_view resource, std::string_view verb) {
  return std::any_of(rule_lists.begin(), rule_lists.end(),
                     [&](const YAML::Node& rules) { return Grants(rules, group, resource, verb); });
}

// ---------------------------------------------------------------------------------------------
// Kustomizations.

// Adds every file a kustomization directory pulls in (following directory resources) to files;
// reports entries that do not exist.
void CollectKustomization(const fs::path& dir, std::set<fs::path>* files, Errors* errors) {
  const fs::path kustomization = dir / "kustomization.yaml";
  if (!fs::is_regular_file(kustomization)) {
    errors->push_back(dir.string() + ": no kustomization.yaml");
    return;
  }
  files->insert(fs::weakly_canonical(kustomization));
  YAML::Node root;
  try {
    root = YAML::Load(ReadFile(kustomization));
  } catch (const YAML::Exception& e) {
    errors->push_back(kustomization.string() + ": " + e.what());
    return;
  }
  for (const auto& entry : Strings(Child(root, "resources"))) {
    const fs::path path = fs::weakly_canonical(dir / entry);
    if (fs::is_directory(path)) {
      CollectKustomization(path, files, errors);
    } else if (fs::is_regular_file(path)) {
      files->insert(path);
    } else {
      errors->push_back(kustomization.string() + ": resource " + entry + " does not exist");
    }
  }
  std::vector<std::string> patch_files = Strings(Child(root, "patchesStrategicMerge"));
  for (const auto& patch : Child(root, "patches")) {
    if (Child(patch, "path").IsDefined()) {
      patch_files.push_back(Str(Child(patch, "path")));
    }
  }
  for (const auto& entry : patch_files) {
    const fs::path path = fs::weakly_canonical(dir / entry);
    if (fs::is_regular_file(path)) {
      files->insert(path);
    } else {
      errors->push_back(kustomization.string() + ": patch " + entry + " does not exist");
    }
  }
}

// Applies the `replace` operations of a JSON patch (RFC 6902, as YAML) to a copy of object. The
// replaced path must exist, as kustomize requires.
YAML::Node ApplyReplacePatch(const YAML::Node& object, const YAML::Node& ops, Errors* errors) {
  YAML::Node result = YAML::Clone(object);
  for (const auto& op : ops) {
    const std::string path = Str(Child(op, "path"));
    if (Str(Child(op, "op")) != "replace") {
      errors->push_back("patch op '" + Str(Child(op, "op")) + "' at " + path + " not understood");
      continue;
    }
    std::vector<std::string> tokens = Split(path, '/');
    if (tokens.empty()) {
      errors->push_back("patch path '" + path + "' is empty");
      continue;
    }
    YAML::Node current = result;
    bool found = true;
    for (std::size_t i = 0; i + 1 < tokens.size() && found; ++i) {
      YAML::Node next;
      if (current.IsSequence()) {
        const std::size_t index = std::stoul(tokens[i]);
        found = index < current.size();
        if (found) {
          next.reset(current[index]);
        }
      } else {
        next.reset(Child(current, tokens[i]));
        found = next.IsDefined();
      }
      if (found) {
        current.reset(next);
      }
    }
    const std::string& last = tokens.back();
    if (found && current.IsSequence()) {
      found = std::stoul(last) < current.size();
      if (found) {
        current[std::stoul(last)] = YAML::Clone(Child(op, "value"));
      }
    } else if (found) {
      found = Child(current, last).IsDefined();
      if (found) {
        current[last] = YAML::Clone(Child(op, "value"));
      }
    }
    if (!found) {
      errors->push_back("patch path " + path + " does not exist in the target");
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Tests.

TEST(ManifestsTest, EveryYamlFileParses) {
  Errors errors;
  const auto manifests = LoadTree(kManifestsDir, &errors);
  const auto compose = LoadTree(kComposeDir, &errors);
  EXPECT_TRUE(errors.empty()) << Join(errors);
  EXPECT_GE(manifests.size(), 20u);
  EXPECT_GE(compose.size(), 6u);
}

TEST(ManifestsTest, ObjectsHaveApiVersionKindAndName) {
  for (const auto& doc : Manifests()) {
    if (doc.node.IsSequence()) {
      continue;  // a JSON patch of the KubeVela overlay
    }
    ASSERT_TRUE(doc.node.IsMap()) << doc.file;
    EXPECT_FALSE(Str(Child(doc.node, "apiVersion")).empty()) << doc.file;
    EXPECT_FALSE(Str(Child(doc.node, "kind")).empty()) << doc.file;
    if (Str(Child(doc.node, "kind")) != "Kustomization") {
      EXPECT_FALSE(Str(At(doc.node, "metadata.name")).empty()) << doc.file;
    }
  }
}

TEST(CrdTest, ExactlyTheThreeImageKinds) {
  std::set<std::string> names;
  for (const auto& crd : ObjectsOfKind(Manifests(), "CustomResourceDefinition")) {
    names.insert(Str(At(crd, "metadata.name")));
  }
  EXPECT_EQ(names, (std::set<std::string>{"imagerepositories.image.toolkit.fluxcd.io",
                                          "imagepolicies.image.toolkit.fluxcd.io",
                                          "imageupdateautomations.image.toolkit.fluxcd.io"}));
}

TEST(CrdTest, ImageRepository) {
  const Errors errors = CheckCrd(FindCrd("imagerepositories"), ImageRepositoryWant());
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

TEST(CrdTest, ImagePolicy) {
  const Errors errors = CheckCrd(FindCrd("imagepolicies"), ImagePolicyWant());
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

TEST(CrdTest, ImageUpdateAutomation) {
  const Errors errors = CheckCrd(FindCrd("imageupdateautomations"), ImageUpdateAutomationWant());
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

TEST(CrdTest, StatusDefaultsObservedGenerationToMinusOne) {
  for (const auto& crd : ObjectsOfKind(Manifests(), "CustomResourceDefinition")) {
    for (const auto& version : At(crd, "spec.versions")) {
      const YAML::Node status = SchemaAt(At(version, "schema.openAPIV3Schema"), "status");
      EXPECT_EQ(Str(At(status, "default.observedGeneration")), "-1")
          << Str(At(crd, "metadata.name")) << "/" << Str(Child(version, "name"));
    }
  }
}

// The checker itself: each broken CRD below must be reported.
YAML::Node MutableCrd(std::string_view plural) { return YAML::Clone(FindCrd(plural)); }

TEST(CrdCheckTest, MissingServedVersionFails) {
  YAML::Node crd = MutableCrd("imageupdateautomations");
  YAML::Node kept(YAML::NodeType::Sequence);
  for (const auto& version : crd["spec"]["versions"]) {
    if (Str(Child(version, "name")) != "v1beta1") {
      kept.push_back(static_cast<const YAML::Node&>(version));
    }
  }
  crd["spec"]["versions"] = kept;
  EXPECT_TRUE(
      HasErrorContaining(CheckCrd(crd, ImageUpdateAutomationWant()), "served versions differ"));
}

TEST(CrdCheckTest, UnservedVersionFails) {
  YAML::Node crd = MutableCrd("imagepolicies");
  crd["spec"]["versions"][1]["served"] = false;
  EXPECT_TRUE(HasErrorContaining(CheckCrd(crd, ImagePolicyWant()), "served versions differ"));
}

TEST(CrdCheckTest, SecondStorageVersionFails) {
  YAML::Node crd = MutableCrd("imagerepositories");
  crd["spec"]["versions"][1]["storage"] = true;
  EXPECT_TRUE(HasErrorContaining(CheckCrd(crd, ImageRepositoryWant()), "storage versions"));
}

TEST(CrdCheckTest, UntypedSchemaNodeFails) {
  YAML::Node crd = MutableCrd("imagepolicies");
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
     ["filterTags"]["properties"]["pattern"]
         .remove("type");
  EXPECT_TRUE(HasErrorContaining(CheckCrd(crd, ImagePolicyWant()), "filterTags.pattern: no type"));
}

TEST(CrdCheckTest, PreservedUnknownSpecFails) {
  YAML::Node crd = MutableCrd("imagerepositories");
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
     ["x-kubernetes-preserve-unknown-fields"] = true;
  EXPECT_TRUE(HasErrorContaining(CheckCrd(crd, ImageRepositoryWant()),
                                 "x-kubernetes-preserve-unknown-fields in spec"));
}

TEST(CrdCheckTest, MissingStatusSubresourceFails) {
  YAML::Node crd = MutableCrd("imageupdateautomations");
  crd["spec"]["versions"][2].remove("subresources");
  EXPECT_TRUE(HasErrorContaining(CheckCrd(crd, ImageUpdateAutomationWant()),
                                 "v1beta1: no status subresource"));
}

TEST(CrdCheckTest, OptionalImageFails) {
  YAML::Node crd = MutableCrd("imagerepositories");
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"] =
      YAML::Load("[interval]");
  EXPECT_TRUE(
      HasErrorContaining(CheckCrd(crd, ImageRepositoryWant()), "v1: spec.image is not required"));
}

TEST(CrdCheckTest, WrongEnumFails) {
  YAML::Node crd = MutableCrd("imagepolicies");
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
     ["digestReflectionPolicy"]["enum"] = YAML::Load("[Always, Never]");
  EXPECT_TRUE(HasErrorContaining(CheckCrd(crd, ImagePolicyWant()), "digestReflectionPolicy enum"));
}

TEST(CrdCheckTest, DanglingPrinterColumnFails) {
  YAML::Node crd = MutableCrd("imagerepositories");
  crd["spec"]["versions"][0]["additionalPrinterColumns"][1]["jsonPath"] =
      ".status.lastScanResult.tagCounts";
  EXPECT_TRUE(HasErrorContaining(CheckCrd(crd, ImageRepositoryWant()), "printer column Tags"));
}

TEST(CrdCheckTest, ColumnSchemaPathStripsFilters) {
  EXPECT_EQ(ColumnSchemaPath(R"(.status.conditions[?(@.type=="Ready")].status)"),
            "status.conditions.[].status");
  EXPECT_EQ(ColumnSchemaPath(".spec.image"), "spec.image");
}

TEST(SchemaValidationTest, SamplesAndExamplesMatchTheirCrd) {
  std::size_t checked = 0;
  for (const auto* docs : {&Manifests(), &ComposeExample()}) {
    for (const auto& doc : *docs) {
      if (doc.node.IsMap() &&
          Str(Child(doc.node, "apiVersion")).rfind(std::string(kGroup) + "/", 0) == 0) {
        const Errors errors = ValidateObject(doc.node);
        EXPECT_TRUE(errors.empty()) << doc.file << ": " << Join(errors);
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 6u);
}

YAML::Node ValidPolicy() {
  return YAML::Load(R"(
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: p, namespace: flux-system}
spec:
  imageRepositoryRef: {name: r}
  policy: {numerical: {order: asc}}
  digestReflectionPolicy: Always
  interval: 10m
)");
}

TEST(SchemaValidationTest, AcceptsAValidPolicy) {
  const Errors errors = ValidateObject(ValidPolicy());
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

TEST(SchemaValidationTest, RejectsUnknownField) {
  YAML::Node policy = ValidPolicy();
  policy["spec"]["policy"]["numeric"] = YAML::Load("{order: asc}");
  EXPECT_TRUE(HasErrorContaining(ValidateObject(policy), "spec.policy.numeric: unknown field"));
}

TEST(SchemaValidationTest, RejectsValueOutsideEnum) {
  YAML::Node policy = ValidPolicy();
  policy["spec"]["policy"]["numerical"]["order"] = "ascending";
  EXPECT_TRUE(HasErrorContaining(ValidateObject(policy), "'ascending' not in [asc, desc]"));
}

TEST(SchemaValidationTest, RejectsMissingRequiredAndBadPattern) {
  YAML::Node policy = ValidPolicy();
  policy["spec"].remove("imageRepositoryRef");
  policy["spec"]["interval"] = "10 minutes";
  const Errors errors = ValidateObject(policy);
  EXPECT_TRUE(HasErrorContaining(errors, "spec.imageRepositoryRef: required"));
  EXPECT_TRUE(HasErrorContaining(errors, "does not match"));
}

TEST(SchemaValidationTest, RejectsUnservedVersion) {
  YAML::Node policy = ValidPolicy();
  policy["apiVersion"] = "image.toolkit.fluxcd.io/v1beta1";
  EXPECT_TRUE(HasErrorContaining(ValidateObject(policy), "no CRD serves"));
}

TEST(SchemaValidationTest, V1beta1AutomationAsKubeVelaRendersIt) {
  const YAML::Node automation = YAML::Load(R"(
apiVersion: image.toolkit.fluxcd.io/v1beta1
kind: ImageUpdateAutomation
metadata: {name: web, namespace: apps}
spec:
  interval: 5m
  sourceRef: {kind: GitRepository, name: web}
  git:
    checkout: {ref: {branch: main}}
    commit:
      author: {name: kubevelabot, email: kubevelabot@users.noreply.github.com}
      messageTemplate: "Update image automatically.\n"
    push: {branch: main}
  update: {path: ./envs/prod/web, strategy: Setters}
)");
  const Errors errors = ValidateObject(automation);
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

TEST(DeploymentTest, ImageReflectorController) {
  const Errors errors = CheckDeployment(
      FindObject(Manifests(), "Deployment", "image-reflector-controller"), ReflectorWant());
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

TEST(DeploymentTest, ImageAutomationController) {
  const Errors errors = CheckDeployment(
      FindObject(Manifests(), "Deployment", "image-automation-controller"), AutomationWant());
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

TEST(DeploymentCheckTest, MissingHealthzPortAndWrongModeFail) {
  YAML::Node deployment =
      YAML::Clone(FindObject(Manifests(), "Deployment", "image-reflector-controller"));
  YAML::Node container = deployment["spec"]["template"]["spec"]["containers"][0];
  container["ports"] = YAML::Load("[{name: http-prom, containerPort: 8080}]");
  container["args"][0] = "automation";
  const Errors errors = CheckDeployment(deployment, ReflectorWant());
  EXPECT_TRUE(HasErrorContaining(errors, "port healthz is not 9440"));
  EXPECT_TRUE(HasErrorContaining(errors, "livenessProbe is not GET /healthz on 9440"));
  EXPECT_TRUE(HasErrorContaining(errors, "args do not start with reflector"));
}

TEST(DeploymentCheckTest, MissingDataVolumeFails) {
  YAML::Node deployment =
      YAML::Clone(FindObject(Manifests(), "Deployment", "image-reflector-controller"));
  deployment["spec"]["template"]["spec"]["volumes"] = YAML::Load("[{name: temp, emptyDir: {}}]");
  const Errors errors = CheckDeployment(deployment, ReflectorWant());
  EXPECT_TRUE(HasErrorContaining(errors, "volumeMount data has no volume"));
}

TEST(RbacTest, ControllersAreBoundToWhatTheyNeed) {
  for (const auto& want : {ReflectorWant(), AutomationWant()}) {
    const std::string& sa = want.service_account;
    EXPECT_TRUE(FindObject(Manifests(), "ServiceAccount", sa).IsDefined()) << sa;
    EXPECT_EQ(Str(At(FindObject(Manifests(), "ServiceAccount", sa), "metadata.namespace")),
              kNamespace);
    const auto cluster = RulesFor(Manifests(), "ClusterRoleBinding", "ClusterRole", sa);
    ASSERT_FALSE(cluster.empty()) << sa << " has no ClusterRoleBinding";
    for (const std::string kind :
         {"imagerepositories", "imagepolicies", "imageupdateautomations"}) {
      for (const char* verb : {"get", "list", "watch", "patch"}) {
        EXPECT_TRUE(AnyGrants(cluster, kGroup, kind, verb)) << sa << " " << kind << " " << verb;
      }
      EXPECT_TRUE(AnyGrants(cluster, kGroup, kind + "/status", "patch")) << sa << " " << kind;
      EXPECT_TRUE(AnyGrants(cluster, kGroup, kind + "/finalizers", "update")) << sa << " " << kind;
    }
    for (const char* verb : {"get", "list", "watch"}) {
      EXPECT_TRUE(AnyGrants(cluster, "source.toolkit.fluxcd.io", "gitrepositories", verb));
      for (const char* resource : {"secrets", "serviceaccounts", "namespaces"}) {
        EXPECT_TRUE(AnyGrants(cluster, "", resource, verb)) << sa << " " << resource << " " << verb;
      }
    }
    for (const char* group : {"", "events.k8s.io"}) {
      EXPECT_TRUE(AnyGrants(cluster, group, "events", "create")) << sa << " events " << group;
      EXPECT_TRUE(AnyGrants(cluster, group, "events", "patch")) << sa << " events " << group;
    }
    const auto leader = RulesFor(Manifests(), "RoleBinding", "Role", sa);
    for (const char* verb : {"get", "create", "update"}) {
      EXPECT_TRUE(AnyGrants(leader, "coordination.k8s.io", "leases", verb)) << sa << " " << verb;
    }
  }
}

TEST(RbacTest, ClusterRoleDoesNotGrantWritesOnSecrets) {
  for (const auto& role : ObjectsOfKind(Manifests(), "ClusterRole")) {
    for (const char* verb : {"create", "update", "patch", "delete"}) {
      EXPECT_FALSE(Grants(Child(role, "rules"), "", "secrets", verb)) << verb;
    }
  }
}

TEST(RbacCheckTest, GrantsNeedGroupResourceAndVerb) {
  const YAML::Node rules = YAML::Load(R"(
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
- {apiGroups: [coordination.k8s.io], resources: ["*"], verbs: [create]}
)");
  EXPECT_TRUE(Grants(rules, "", "secrets", "list"));
  EXPECT_FALSE(Grants(rules, "", "secrets", "watch"));
  EXPECT_FALSE(Grants(rules, "apps", "secrets", "get"));
  EXPECT_TRUE(Grants(rules, "coordination.k8s.io", "leases", "create"));
  EXPECT_FALSE(Grants(rules, "coordination.k8s.io", "leases", "update"));
}

TEST(KustomizationTest, EveryKustomizationListsExistingFiles) {
  std::size_t kustomizations = 0;
  for (const auto& file : YamlFilesUnder(kManifestsDir)) {
    if (file.filename() == "kustomization.yaml") {
      std::set<fs::path> files;
      Errors errors;
      CollectKustomization(file.parent_path(), &files, &errors);
      EXPECT_TRUE(errors.empty()) << Join(errors);
      ++kustomizations;
    }
  }
  EXPECT_GE(kustomizations, 5u);
}

TEST(KustomizationTest, RootCoversEveryControllerManifest) {
  std::set<fs::path> listed;
  Errors errors;
  CollectKustomization(kManifestsDir, &listed, &errors);
  EXPECT_TRUE(errors.empty()) << Join(errors);
  for (const char* folder : {"crd", "rbac", "deploy"}) {
    for (const auto& file : YamlFilesUnder(kManifestsDir / folder)) {
      EXPECT_EQ(listed.count(fs::weakly_canonical(file)), 1u) << file << " is not in the build";
    }
  }
  const YAML::Node root = YAML::Load(ReadFile(kManifestsDir / "kustomization.yaml"));
  EXPECT_EQ(Str(Child(root, "namespace")), kNamespace);
}

TEST(KustomizationCheckTest, MissingResourceFails) {
  imgauto::testing::TempDir dir("manifests");
  dir.Write("kustomization.yaml", "resources:\n  - crd.yaml\n  - gone.yaml\n  - sub\n");
  dir.Write("crd.yaml", "kind: X\n");
  dir.Write("sub/kustomization.yaml", "patches:\n  - path: nope.yaml\n");
  std::set<fs::path> files;
  Errors errors;
  CollectKustomization(dir.path(), &files, &errors);
  EXPECT_TRUE(HasErrorContaining(errors, "resource gone.yaml does not exist"));
  EXPECT_TRUE(HasErrorContaining(errors, "patch nope.yaml does not exist"));
  EXPECT_EQ(files.count(fs::weakly_canonical(dir.Path("crd.yaml"))), 1u);
}

// The overlay's patches applied to the base objects give the KubeVela fluxcd addon's names
// (peers.md §2.1): sa-image-* ServiceAccounts, fluxcd-image-* Deployments, no leader election.
TEST(KubeVelaOverlayTest, PatchesGiveTheAddonNames) {
  const fs::path overlay = kManifestsDir / "kubevela";
  const YAML::Node kustomization = YAML::Load(ReadFile(overlay / "kustomization.yaml"));
  EXPECT_EQ(Str(Child(kustomization, "namespace")), kNamespace);
  std::map<std::string, YAML::Node> patched;  // "Kind/name" after patching
  for (const auto& patch : Child(kustomization, "patches")) {
    const std::string kind = Str(At(patch, "target.kind"));
    const YAML::Node base = FindObject(Manifests(), kind, Str(At(patch, "target.name")));
    ASSERT_TRUE(base.IsDefined()) << "patch target " << kind << "/" << At(patch, "target.name");
    Errors errors;
    const YAML::Node result =
        ApplyReplacePatch(base, YAML::Load(ReadFile(overlay / Str(Child(patch, "path")))), &errors);
    EXPECT_TRUE(errors.empty()) << Join(errors);
    patched[kind + "/" + Str(At(result, "metadata.name"))] = result;
  }
  EXPECT_EQ(patched.count("ServiceAccount/sa-image-reflector-controller"), 1u);
  EXPECT_EQ(patched.count("ServiceAccount/sa-image-automation-controller"), 1u);

  DeploymentWant reflector = ReflectorWant();
  reflector.name = "fluxcd-image-reflector-controller";
  reflector.service_account = "sa-image-reflector-controller";
  reflector.args = {"--watch-all-namespaces=true", "--log-encoding=json", "--storage-path=/data"};
  reflector.forbidden_args = {"--enable-leader-election"};
  DeploymentWant automation = AutomationWant();
  automation.name = "fluxcd-image-automation-controller";
  automation.service_account = "sa-image-automation-controller";
  automation.args = {"--watch-all-namespaces=true", "--log-encoding=json"};
  automation.forbidden_args = {"--enable-leader-election"};
  for (const auto& want : {reflector, automation}) {
    const auto it = patched.find("Deployment/" + want.name);
    ASSERT_NE(it, patched.end()) << want.name;
    const Errors errors = CheckDeployment(it->second, want);
    EXPECT_TRUE(errors.empty()) << Join(errors);
  }
}

TEST(KubeVelaOverlayCheckTest, ReplaceOfMissingPathFails) {
  const YAML::Node object = YAML::Load("metadata: {name: a}\nspec: {list: [x, y]}\n");
  Errors errors;
  const YAML::Node result =
      ApplyReplacePatch(object,
                        YAML::Load("[{op: replace, path: /spec/list/1, value: z},"
                                   " {op: replace, path: /spec/gone, value: 1},"
                                   " {op: add, path: /spec/new, value: 1}]"),
                        &errors);
  EXPECT_EQ(Str(At(result, "spec.list")[1]), "z");
  EXPECT_EQ(Str(At(object, "spec.list")[1]), "y");  // the input is untouched
  EXPECT_TRUE(HasErrorContaining(errors, "/spec/gone does not exist"));
  EXPECT_TRUE(HasErrorContaining(errors, "patch op 'add'"));
}

// Both ways of scraping (monitoring/ with its PodMonitor, monitoring-servicemonitor/ with a
// ServiceMonitor) reach exactly the two controllers' http-prom ports and keep the objects'
// namespace label (honorLabels).
TEST(MonitoringTargetsTest, PodMonitorAndServiceMonitorReachBothControllers) {
  const std::set<std::string> controllers = {"image-reflector-controller",
                                             "image-automation-controller"};
  for (const std::string& name : controllers) {
    const YAML::Node deployment = FindObject(Manifests(), "Deployment", name);
    EXPECT_EQ(Str(At(deployment, "spec.template.metadata.labels.app")), name);
    bool has_port = false;
    for (const YAML::Node& container : At(deployment, "spec.template.spec.containers")) {
      for (const YAML::Node& port : Child(container, "ports")) {
        has_port |= Str(Child(port, "name")) == "http-prom";
      }
    }
    EXPECT_TRUE(has_port) << name;
  }

  const YAML::Node pod_monitor = FindObject(Manifests(), "PodMonitor", "imgauto");
  const YAML::Node expression = At(pod_monitor, "spec.selector.matchExpressions")[0];
  EXPECT_EQ(Str(Child(expression, "key")), "app");
  EXPECT_EQ(Str(Child(expression, "operator")), "In");
  const std::vector<std::string> values = Strings(Child(expression, "values"));
  EXPECT_EQ(std::set<std::string>(values.begin(), values.end()), controllers);
  const YAML::Node pod_endpoint = At(pod_monitor, "spec.podMetricsEndpoints")[0];
  EXPECT_EQ(Str(Child(pod_endpoint, "port")), "http-prom");
  EXPECT_EQ(Str(Child(pod_endpoint, "honorLabels")), "true");

  const YAML::Node service_monitor = FindObject(Manifests(), "ServiceMonitor", "imgauto");
  const YAML::Node match = At(service_monitor, "spec.selector.matchLabels");
  ASSERT_TRUE(match.IsMap());
  std::set<std::string> reached;
  for (const YAML::Node& service : ObjectsOfKind(Manifests(), "Service")) {
    bool selected = true;
    for (const auto& label : match) {
      selected &= Str(Child(At(service, "metadata.labels"), label.first.as<std::string>())) ==
                  label.second.as<std::string>();
    }
    if (!selected) continue;
    reached.insert(Str(At(service, "spec.selector.app")));
    const YAML::Node port = At(service, "spec.ports")[0];
    EXPECT_EQ(Str(Child(port, "name")), "http-prom");
    EXPECT_EQ(Str(Child(port, "targetPort")), "http-prom");
  }
  EXPECT_EQ(reached, controllers);
  const YAML::Node service_endpoint = At(service_monitor, "spec.endpoints")[0];
  EXPECT_EQ(Str(Child(service_endpoint, "port")), "http-prom");
  EXPECT_EQ(Str(Child(service_endpoint, "honorLabels")), "true");

  // The ServiceMonitor variant drops the PodMonitor (each pod scraped once).
  const YAML::Node overlay = YAML::Load(
      ReadFile(kManifestsDir / "monitoring-servicemonitor" / "kustomization.yaml"));
  EXPECT_TRUE(Contains(Strings(overlay["resources"]), "../monitoring"));
  const std::string patch = Str(overlay["patches"][0]["patch"]);
  EXPECT_NE(patch.find("$patch: delete"), std::string::npos) << patch;
  EXPECT_NE(patch.find("kind: PodMonitor"), std::string::npos) << patch;
}

TEST(ComposeExampleTest, MarkerAndReferencesResolve) {
  const std::string compose = ReadFile(kComposeDir / "docker-compose.yml");
  const std::regex kMarker(R"re(image: \S+ # \{"\$imagepolicy": "([^":]+):([^":]+)"\})re");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(compose, match, kMarker)) << "no setter marker";
  const YAML::Node policy = FindObject(ComposeExample(), "ImagePolicy", match[2].str());
  ASSERT_TRUE(policy.IsDefined()) << "no ImagePolicy " << match[2];
  EXPECT_EQ(Str(At(policy, "metadata.namespace")), match[1].str());
  EXPECT_TRUE(FindObject(ComposeExample(), "ImageRepository",
                         Str(At(policy, "spec.imageRepositoryRef.name")))
                  .IsDefined());
  for (const auto& repository : ObjectsOfKind(ComposeExample(), "ImageRepository")) {
    const std::string secret = Str(At(repository, "spec.secretRef.name"));
    EXPECT_TRUE(secret.empty() || FindObject(ComposeExample(), "Secret", secret).IsDefined());
  }
  const auto automations = ObjectsOfKind(ComposeExample(), "ImageUpdateAutomation");
  ASSERT_EQ(automations.size(), 1u);
  const YAML::Node git =
      FindObject(ComposeExample(), "GitRepository", Str(At(automations[0], "spec.sourceRef.name")));
  ASSERT_TRUE(git.IsDefined());
  EXPECT_TRUE(
      FindObject(ComposeExample(), "Secret", Str(At(git, "spec.secretRef.name"))).IsDefined());
  // The compose file itself stays valid YAML with the marker as a comment.
  const YAML::Node parsed = YAML::Load(compose);
  EXPECT_EQ(Str(At(parsed, "services.app.image")).rfind("ghcr.io/acme/shop:", 0), 0u);
}

// key=value lines of a systemd unit; continuation lines are joined.
std::multimap<std::string, std::string> ReadUnit(const fs::path& path) {
  std::multimap<std::string, std::string> keys;
  std::istringstream in(ReadFile(path));
  std::string line;
  std::string pending;
  while (std::getline(in, line)) {
    if (!pending.empty()) {
      line = pending + " " + line;
      pending.clear();
    }
    if (line.empty() || line[0] == '#' || line[0] == ';' || line[0] == '[') {
      continue;
    }
    if (line.back() == '\\') {
      pending = line.substr(0, line.size() - 1);
      continue;
    }
    const auto eq = line.find('=');
    if (eq != std::string::npos) {
      keys.emplace(line.substr(0, eq), line.substr(eq + 1));
    }
  }
  return keys;
}

TEST(SystemdUnitTest, RunsStandaloneHardened) {
  const auto unit = ReadUnit(kManifestsDir / "systemd" / "imgauto.service");
  auto value = [&](const std::string& key) {
    auto it = unit.find(key);
    return it == unit.end() ? std::string() : it->second;
  };
  const std::regex kExec(R"(^/usr/local/bin/imgauto run\s+--manifests /etc/imgauto/manifests\s+)"
                         R"(--state-dir /var/lib/imgauto\s+--metrics-addr 127\.0\.0\.1:8080\s+)"
                         R"(--health-addr 127\.0\.0\.1:9440\s*$)");
  EXPECT_TRUE(std::regex_match(value("ExecStart"), kExec)) << value("ExecStart");
  const std::map<std::string, std::string> want = {{"DynamicUser", "yes"},
                                                   {"StateDirectory", "imgauto"},
                                                   {"Restart", "on-failure"},
                                                   {"ProtectSystem", "strict"},
                                                   {"ProtectHome", "yes"},
                                                   {"NoNewPrivileges", "yes"},
                                                   {"PrivateTmp", "yes"},
                                                   {"CapabilityBoundingSet", ""},
                                                   {"WantedBy", "multi-user.target"}};
  for (const auto& [key, expected] : want) {
    EXPECT_EQ(unit.count(key), 1u) << key;
    EXPECT_EQ(value(key), expected) << key;
  }
  EXPECT_NE(ReadFile(kManifestsDir / "systemd" / "imgauto.service").find("#EnvironmentFile="),
            std::string::npos);
}

}  // namespace
}  // namespace imgauto
