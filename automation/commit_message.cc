#include "automation/commit_message.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "automation/template/format.h"
#include "automation/template/sprig.h"
#include "reflector/registry/reference.h"

namespace imgauto::automation {
namespace {

using gotemplate::List;
using gotemplate::Map;
using gotemplate::Object;
using gotemplate::Value;
using Json = nlohmann::json;

constexpr char kChangeListType[] = "[]update.Change";
constexpr char kImageRefListType[] = "[]update.ImageRef";
constexpr char kImageResultMarker[] = "can't evaluate field ImageResult";
constexpr std::string_view kRemovedFieldPrefix = "template uses removed ";

// update.ObjectIdentifier{yaml.ResourceIdentifier{TypeMeta{APIVersion, Kind},
// NameMeta{Name, Namespace}}}, all embedded so `.Kind` and `.Name` resolve.
Value ObjectIdentifierValue(const setters::ObjectId& id) {
  Value type_meta =
      Value::MakeObject("yaml.TypeMeta", {{"APIVersion", id.api_version}, {"Kind", id.kind}});
  Value name_meta = Value::MakeObject("yaml.NameMeta", {{"Name", id.name}, {"Namespace", id.ns}});
  Value resource(Object("yaml.ResourceIdentifier",
                        {{"TypeMeta", type_meta, true}, {"NameMeta", name_meta, true}}));
  return Value(Object("update.ObjectIdentifier", {{"ResourceIdentifier", resource, true}}));
}

Value ChangeValue(const setters::Change& change) {
  return Value::MakeObject(
      "update.Change",
      {{"OldValue", change.old_value}, {"NewValue", change.new_value}, {"Setter", change.setter}});
}

Value ChangeList(const std::vector<setters::Change>& changes) {
  List items;
  items.reserve(changes.size());
  for (const setters::Change& change : changes) {
    items.push_back(ChangeValue(change));
  }
  return Value(std::move(items), kChangeListType);
}

Value ObjectChangesValue(const setters::ObjectChanges& objects) {
  Map map("update.ObjectChanges", Value(), false);
  for (const auto& [id, changes] : objects) {
    map.Set(ObjectIdentifierValue(id), ChangeList(changes));
  }
  return Value(std::move(map));
}

Value NamespacedName(const std::string& ns, const std::string& name) {
  return Value::MakeObject("types.NamespacedName", {{"Namespace", ns}, {"Name", name}},
                           ns + "/" + name);
}

// A Go struct whose %v form shows only `shown` (the real struct's fields), although the value
// also carries fields modelling its methods.
Value StructWithMethods(const std::string& type_name,
                        std::vector<std::pair<std::string, Value>> shown,
                        std::vector<std::pair<std::string, Value>> methods) {
  const std::string printed = gotemplate::FormatValue(Value::MakeObject(type_name, shown));
  for (auto& method : methods) {
    shown.push_back(std::move(method));
  }
  return Value::MakeObject(type_name, std::move(shown), printed);
}

// "ns:name[:suffix]" → {"ns:name", suffix}; nullopt when the setter has fewer than two parts.
std::optional<std::pair<std::string, std::string>> SplitSetter(const std::string& setter) {
  const std::size_t first = setter.find(':');
  if (first == std::string::npos) {
    return std::nullopt;
  }
  const std::size_t second = setter.find(':', first + 1);
  if (second == std::string::npos) {
    return std::make_pair(setter, std::string());
  }
  return std::make_pair(setter.substr(0, second), setter.substr(second + 1));
}

// The full reference of every policy named by a changed setter.
std::map<std::string, std::string> PolicyReferences(
    const setters::ChangeSet& changes, std::span<const setters::PolicyValue> policies) {
  std::map<std::string, std::string> refs;
  if (!policies.empty()) {
    for (const setters::PolicyValue& policy : policies) {
      std::string ref = policy.image;
      if (!policy.tag.empty()) {
        ref += ":" + policy.tag;
      }
      if (!policy.digest.empty()) {
        ref += "@" + policy.digest;
      }
      refs[policy.ns + ":" + policy.name] = ref;
    }
    return refs;
  }
  struct Parts {
    std::optional<std::string> full, name, tag, digest;
  };
  std::map<std::string, Parts> parts;
  for (const setters::Change& change : changes.Changes()) {
    std::optional<std::pair<std::string, std::string>> split = SplitSetter(change.setter);
    if (!split) {
      continue;
    }
    Parts& p = parts[split->first];
    if (split->second.empty()) {
      p.full = change.new_value;
    } else if (split->second == "name") {
      p.name = change.new_value;
    } else if (split->second == "tag") {
      p.tag = change.new_value;
    } else if (split->second == "digest") {
      p.digest = change.new_value;
    }
  }
  for (const auto& [key, p] : parts) {
    if (p.full) {
      refs[key] = *p.full;
    } else if (p.name) {
      std::string ref = *p.name;
      if (p.tag && !p.tag->empty()) {
        ref += ":" + *p.tag;
      }
      if (p.digest && !p.digest->empty()) {
        ref += "@" + *p.digest;
      }
      refs[key] = ref;
    }
  }
  return refs;
}

// v1beta1's update.imageRef for `ref` (go-containerregistry name.Reference semantics).
std::optional<Value> ImageRefValue(const std::string& policy_key, const std::string& ref) {
  Result<reflector::registry::ImageReference> parsed = reflector::registry::ParseReference(ref);
  if (!parsed) {
    return std::nullopt;
  }
  const std::string tag = parsed->tag.empty() ? "latest" : parsed->tag;
  const std::string identifier = parsed->digest.empty() ? tag : parsed->digest;
  const std::string name = parsed->registry + "/" + parsed->repository +
                           (parsed->digest.empty() ? ":" + tag : "@" + parsed->digest);
  const std::size_t colon = policy_key.find(':');
  return Value::MakeObject(
      "update.imageRef",
      {{"Repository", parsed->repository},
       {"Identifier", identifier},
       {"Registry", parsed->registry},
       {"Name", name},
       {"String", ref},
       {"Policy", NamespacedName(policy_key.substr(0, colon), policy_key.substr(colon + 1))}},
      ref);
}

Value UpdatedValue(const setters::ChangeSet& changes,
                   std::span<const setters::PolicyValue> policies) {
  const std::map<std::string, std::string> refs = PolicyReferences(changes, policies);
  std::map<std::string, std::optional<Value>> images;  // policy key → ImageRef
  auto image_for = [&](const std::string& setter) -> std::optional<std::pair<std::string, Value>> {
    std::optional<std::pair<std::string, std::string>> split = SplitSetter(setter);
    if (!split) {
      return std::nullopt;
    }
    const auto ref = refs.find(split->first);
    if (ref == refs.end()) {
      return std::nullopt;
    }
    auto [it, inserted] = images.try_emplace(split->first);
    if (inserted) {
      it->second = ImageRefValue(split->first, ref->second);
    }
    if (!it->second) {
      return std::nullopt;
    }
    return std::make_pair(split->first, *it->second);
  };

  Map files("map[string]update.FileResult", Value());
  std::map<setters::ObjectId, List> all_objects;
  List all_images;
  std::set<std::string> seen_images;
  for (const auto& [file, objects] : changes.FileChanges()) {
    Map file_objects("map[update.ObjectIdentifier][]update.ImageRef", Value(), false);
    for (const auto& [id, object_changes] : objects) {
      List refs_here;
      std::set<std::string> seen_here;
      for (const setters::Change& change : object_changes) {
        std::optional<std::pair<std::string, Value>> image = image_for(change.setter);
        if (!image || !seen_here.insert(image->first).second) {
          continue;
        }
        refs_here.push_back(image->second);
        if (seen_images.insert(image->first).second) {
          all_images.push_back(image->second);
        }
      }
      if (refs_here.empty()) {
        continue;
      }
      List& merged = all_objects[id];
      merged.insert(merged.end(), refs_here.begin(), refs_here.end());
      file_objects.Set(ObjectIdentifierValue(id), Value(std::move(refs_here), kImageRefListType));
    }
    if (file_objects.size() > 0) {
      files.Set(file, Value::MakeObject("update.FileResult",
                                        {{"Objects", Value(std::move(file_objects))}}));
    }
  }
  Map objects("map[update.ObjectIdentifier][]update.ImageRef", Value(), false);
  for (auto& [id, refs_list] : all_objects) {
    objects.Set(ObjectIdentifierValue(id), Value(std::move(refs_list), kImageRefListType));
  }
  return StructWithMethods("update.Result", {{"Files", Value(std::move(files))}},
                           {{"Objects", Value(std::move(objects))},
                            {"Images", Value(std::move(all_images), kImageRefListType)}});
}

// JSON helpers: every accessor reports the path of the element it failed on.
Result<std::string> StringField(const Json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return Error(ErrorKind::kInvalidSpec,
                 "invalid change set: " + where + "." + key + ": expected a string");
  }
  return it->get<std::string>();
}

Result<const Json*> ArrayField(const Json& object, const char* key, const std::string& where,
                               bool required) {
  static const Json kEmpty = Json::array();
  const auto it = object.find(key);
  if (it == object.end() || (!required && it->is_null())) {
    if (required) {
      return Error(ErrorKind::kInvalidSpec,
                   "invalid change set: " + where + (where.empty() ? "" : ".") + key + ": missing");
    }
    return &kEmpty;
  }
  if (!it->is_array()) {
    return Error(
        ErrorKind::kInvalidSpec,
        "invalid change set: " + where + (where.empty() ? "" : ".") + key + ": expected an array");
  }
  return &*it;
}

Result<void> ExpectObject(const Json& value, const std::string& where) {
  if (!value.is_object()) {
    return Error(ErrorKind::kInvalidSpec, "invalid change set: " + where + ": expected an object");
  }
  return {};
}

Result<void> ReadObject(const Json& object, const std::string& file, const std::string& where,
                        setters::ChangeSet& out) {
  setters::ObjectId id;
  std::string* targets[] = {&id.api_version, &id.kind, &id.name, &id.ns};
  const char* keys[] = {"apiVersion", "kind", "name", "namespace"};
  for (std::size_t i = 0; i < 4; ++i) {
    Result<std::string> value = StringField(object, keys[i], where);
    if (!value) {
      return value.error();
    }
    *targets[i] = std::move(*value);
  }
  Result<const Json*> changes = ArrayField(object, "changes", where, false);
  if (!changes) {
    return changes.error();
  }
  for (std::size_t i = 0; i < (*changes)->size(); ++i) {
    const std::string at = where + ".changes[" + std::to_string(i) + "]";
    const Json& item = (**changes)[i];
    if (Result<void> ok = ExpectObject(item, at); !ok) {
      return ok.error();
    }
    Result<std::string> old_value = StringField(item, "oldValue", at);
    Result<std::string> new_value = StringField(item, "newValue", at);
    Result<std::string> setter = StringField(item, "setter", at);
    for (const Result<std::string>* r : {&old_value, &new_value, &setter}) {
      if (!*r) {
        return r->error();
      }
    }
    out.Add(file, id, setters::Change{*old_value, *new_value, *setter});
  }
  return {};
}

}  // namespace

gotemplate::Value BuildTemplateData(const kube::ObjectKey& automation,
                                    const setters::ChangeSet& changes,
                                    const std::map<std::string, std::string>& values,
                                    std::span<const setters::PolicyValue> policies) {
  Map files("map[string]update.ObjectChanges", Value());
  for (const auto& [file, objects] : changes.FileChanges()) {
    files.Set(file, ObjectChangesValue(objects));
  }
  Value changed = StructWithMethods("update.ResultV2", {{"FileChanges", Value(std::move(files))}},
                                    {{"Objects", ObjectChangesValue(changes.Objects())},
                                     {"Changes", ChangeList(changes.Changes())}});
  Map values_map("map[string]string", Value(""));
  for (const auto& [key, value] : values) {
    values_map.Set(key, value);
  }
  return Value::MakeObject("source.TemplateData",
                           {{"AutomationObject", NamespacedName(automation.ns, automation.name)},
                            {"Updated", UpdatedValue(changes, policies)},
                            {"Changed", changed},
                            {"Values", Value(std::move(values_map))}});
}

Result<std::string> RenderMessage(std::string_view tmpl, const gotemplate::Value& data) {
  Result<std::string> message = gotemplate::RenderCommitMessage(tmpl, data);
  if (!message && message.error().message().find(kImageResultMarker) != std::string::npos) {
    return Error(ErrorKind::kInvalidSpec, std::string(kRemovedImageResultMessage));
  }
  return message;
}

bool IsRemovedTemplateField(const Error& error) {
  return error.kind() == ErrorKind::kInvalidSpec &&
         std::string_view(error.message()).starts_with(kRemovedFieldPrefix);
}

std::string ChangeSetToJson(const setters::ChangeSet& changes,
                            std::span<const setters::FileIssue> problems) {
  Json files = Json::array();
  for (const auto& [file, objects] : changes.FileChanges()) {
    Json object_list = Json::array();
    for (const auto& [id, object_changes] : objects) {
      Json change_list = Json::array();
      for (const setters::Change& change : object_changes) {
        change_list.push_back({{"oldValue", change.old_value},
                               {"newValue", change.new_value},
                               {"setter", change.setter}});
      }
      object_list.push_back({{"apiVersion", id.api_version},
                             {"kind", id.kind},
                             {"name", id.name},
                             {"namespace", id.ns},
                             {"changes", std::move(change_list)}});
    }
    files.push_back({{"file", file}, {"objects", std::move(object_list)}});
  }
  Json problem_list = Json::array();
  for (const setters::FileIssue& problem : problems) {
    problem_list.push_back({{"file", problem.file}, {"reason", problem.reason}});
  }
  Json doc = Json::object();
  doc["files"] = std::move(files);
  doc["problems"] = std::move(problem_list);
  // Replace invalid UTF-8 (file names, reasons) instead of throwing.
  return doc.dump(2, ' ', false, Json::error_handler_t::replace);
}

Result<ChangeSetDocument> ChangeSetFromJson(std::string_view json) {
  const Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Error(ErrorKind::kInvalidSpec, "invalid change set: not valid JSON");
  }
  if (Result<void> ok = ExpectObject(doc, "document"); !ok) {
    return ok.error();
  }
  ChangeSetDocument out;
  Result<const Json*> files = ArrayField(doc, "files", "", true);
  if (!files) {
    return files.error();
  }
  for (std::size_t i = 0; i < (*files)->size(); ++i) {
    const std::string at = "files[" + std::to_string(i) + "]";
    const Json& entry = (**files)[i];
    if (Result<void> ok = ExpectObject(entry, at); !ok) {
      return ok.error();
    }
    Result<std::string> file = StringField(entry, "file", at);
    if (!file) {
      return file.error();
    }
    if (file->empty()) {
      return Error(ErrorKind::kInvalidSpec, "invalid change set: " + at + ".file: missing");
    }
    Result<const Json*> objects = ArrayField(entry, "objects", at, false);
    if (!objects) {
      return objects.error();
    }
    for (std::size_t j = 0; j < (*objects)->size(); ++j) {
      const std::string object_at = at + ".objects[" + std::to_string(j) + "]";
      const Json& object = (**objects)[j];
      if (Result<void> ok = ExpectObject(object, object_at); !ok) {
        return ok.error();
      }
      if (Result<void> ok = ReadObject(object, *file, object_at, out.changes); !ok) {
        return ok.error();
      }
    }
  }
  Result<const Json*> problems = ArrayField(doc, "problems", "", false);
  if (!problems) {
    return problems.error();
  }
  for (std::size_t i = 0; i < (*problems)->size(); ++i) {
    const std::string at = "problems[" + std::to_string(i) + "]";
    const Json& entry = (**problems)[i];
    if (Result<void> ok = ExpectObject(entry, at); !ok) {
      return ok.error();
    }
    Result<std::string> file = StringField(entry, "file", at);
    Result<std::string> reason = StringField(entry, "reason", at);
    if (!file) {
      return file.error();
    }
    if (!reason) {
      return reason.error();
    }
    out.problems.push_back({*file, *reason});
  }
  return out;
}

}  // namespace imgauto::automation
