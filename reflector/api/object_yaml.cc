#include "reflector/api/object_yaml.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <sstream>
#include <utility>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include "core/duration.h"

namespace imgauto::reflector::api::yaml {
namespace {

Error Invalid(std::string_view path, std::string_view detail) {
  return Error(ErrorKind::kInvalidSpec, std::string(path) + ": " + std::string(detail));
}

std::string MarkText(const YAML::Mark& mark) {
  if (mark.is_null()) {
    return "";
  }
  return " at line " + std::to_string(mark.line + 1) + ", column " +
         std::to_string(mark.column + 1);
}

Error FromException(const YAML::Exception& e, std::string_view path) {
  std::string where = path.empty() ? "invalid yaml" : std::string(path) + ": invalid yaml";
  std::string detail = e.msg;
  if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr) {
    detail = "nesting too deep";
  }
  return Error(ErrorKind::kInvalidSpec, where + MarkText(e.mark) + ": " + detail);
}

// Runs `fn`, converting any yaml-cpp exception into kInvalidSpec for `path`.
template <typename Fn>
auto Guard(std::string_view path, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const YAML::Exception& e) {
    return FromException(e, path);
  } catch (const std::exception& e) {
    return Invalid(path, e.what());
  }
}

// Returns the child at `key` when present and not null.
std::optional<YAML::Node> Child(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) {
    return std::nullopt;
  }
  YAML::Node child = map[std::string(key)];
  if (!child.IsDefined() || child.IsNull()) {
    return std::nullopt;
  }
  return child;
}

std::string_view NodeTypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "null";
  }
}

Error WrongType(std::string_view path, std::string_view want, const YAML::Node& got) {
  return Invalid(path, "expected " + std::string(want) + ", got " + std::string(NodeTypeName(got)));
}

// Checks a Kubernetes duration string against the CRD pattern ^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$.
bool MatchesDurationPattern(std::string_view text, bool allow_hours) {
  if (text.empty()) {
    return false;
  }
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    return i > start;
  };
  while (i < text.size()) {
    if (!digits()) {
      return false;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      if (!digits()) {
        return false;
      }
    }
    if (text.substr(i, 2) == "ms") {
      i += 2;
    } else if (i < text.size() && (text[i] == 's' || text[i] == 'm')) {
      ++i;
    } else if (allow_hours && i < text.size() && text[i] == 'h') {
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

// Thrown by EventBudget when the parser emits more events than the input can justify.
class EventBudgetExceeded final : public std::exception {
 public:
  const char* what() const noexcept override { return "parser did not terminate"; }
};

// Counts parser events and stops the parse past a budget. yaml-cpp 0.7 loops forever, creating
// nodes without bound, on some malformed inputs (", a", "&x ,", "[b], c" at the top level);
// every well-formed document emits at most a few events per input byte.
class EventBudget final : public YAML::EventHandler {
 public:
  explicit EventBudget(std::size_t input_bytes) : left_(input_bytes * 8 + 64) {}

  void OnDocumentStart(const YAML::Mark&) override { Spend(); }
  void OnDocumentEnd() override { Spend(); }
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { Spend(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { Spend(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Spend();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Spend();
  }
  void OnSequenceEnd() override { Spend(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Spend();
  }
  void OnMapEnd() override { Spend(); }

 private:
  void Spend() {
    if (left_ == 0) {
      throw EventBudgetExceeded();
    }
    --left_;
  }
  std::size_t left_;
};

// Runs the event parser once over `text` with a budget; YAML::Exception propagates.
Result<void> CheckTerminates(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  EventBudget budget(text.size());
  try {
    while (parser.HandleNextDocument(budget)) {
    }
  } catch (const EventBudgetExceeded&) {
    return Error(ErrorKind::kInvalidSpec, "invalid yaml: malformed document");
  }
  return {};
}

// Returns "a", "a or b", "a, b or c".
std::string JoinAlternatives(std::span<const std::string_view> items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += i + 1 == items.size() ? " or " : ", ";
    }
    out += items[i];
  }
  return out;
}

}  // namespace

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) {
    return std::string(key);
  }
  return std::string(parent) + "." + std::string(key);
}

Result<YAML::Node> ParseDocument(std::string_view text) {
  return Guard("", [&]() -> Result<YAML::Node> {
    const std::string copy(text);
    if (Result<void> ok = CheckTerminates(copy); !ok) {
      return ok.error();
    }
    std::vector<YAML::Node> docs = YAML::LoadAll(copy);
    std::optional<YAML::Node> found;
    for (const YAML::Node& doc : docs) {
      if (!doc.IsDefined() || doc.IsNull()) {
        continue;
      }
      if (found.has_value()) {
        return Error(ErrorKind::kInvalidSpec,
                     "invalid yaml" + MarkText(doc.Mark()) + ": expected a single document");
      }
      found = doc;
    }
    if (!found.has_value()) {
      return Error(ErrorKind::kInvalidSpec, "invalid yaml: empty document");
    }
    if (!found->IsMap()) {
      return Error(ErrorKind::kInvalidSpec, "invalid yaml" + MarkText(found->Mark()) +
                                                ": expected a mapping at the top level");
    }
    return *found;
  });
}

Result<std::optional<YAML::Node>> OptionalMap(const YAML::Node& map, std::string_view key,
                                              std::string_view path) {
  std::string full = JoinPath(path, key);
  return Guard(full, [&]() -> Result<std::optional<YAML::Node>> {
    std::optional<YAML::Node> child = Child(map, key);
    if (!child.has_value()) {
      return std::optional<YAML::Node>();
    }
    if (!child->IsMap()) {
      return WrongType(full, "a mapping", *child);
    }
    return child;
  });
}

Result<YAML::Node> RequiredMap(const YAML::Node& map, std::string_view key,
                               std::string_view path) {
  Result<std::optional<YAML::Node>> child = OptionalMap(map, key, path);
  if (!child) {
    return child.error();
  }
  if (!child->has_value()) {
    return Invalid(JoinPath(path, key), "required field is missing");
  }
  return **child;
}

Result<std::optional<std::string>> OptionalString(const YAML::Node& map, std::string_view key,
                                                  std::string_view path) {
  std::string full = JoinPath(path, key);
  return Guard(full, [&]() -> Result<std::optional<std::string>> {
    std::optional<YAML::Node> child = Child(map, key);
    if (!child.has_value()) {
      return std::optional<std::string>();
    }
    if (!child->IsScalar()) {
      return WrongType(full, "a string", *child);
    }
    return std::optional<std::string>(child->Scalar());
  });
}

Result<std::string> RequiredString(const YAML::Node& map, std::string_view key,
                                   std::string_view path) {
  Result<std::optional<std::string>> value = OptionalString(map, key, path);
  if (!value) {
    return value.error();
  }
  if (!value->has_value() || (*value)->empty()) {
    return Invalid(JoinPath(path, key), "required field is missing");
  }
  return **value;
}

Result<std::optional<bool>> OptionalBool(const YAML::Node& map, std::string_view key,
                                         std::string_view path) {
  std::string full = JoinPath(path, key);
  return Guard(full, [&]() -> Result<std::optional<bool>> {
    std::optional<YAML::Node> child = Child(map, key);
    if (!child.has_value()) {
      return std::optional<bool>();
    }
    bool value = false;
    if (!child->IsScalar() || !YAML::convert<bool>::decode(*child, value)) {
      return Invalid(full, "expected a boolean");
    }
    return std::optional<bool>(value);
  });
}

Result<std::optional<std::int64_t>> OptionalInt64(const YAML::Node& map, std::string_view key,
                                                  std::string_view path) {
  std::string full = JoinPath(path, key);
  return Guard(full, [&]() -> Result<std::optional<std::int64_t>> {
    std::optional<YAML::Node> child = Child(map, key);
    if (!child.has_value()) {
      return std::optional<std::int64_t>();
    }
    if (!child->IsScalar()) {
      return WrongType(full, "an integer", *child);
    }
    const std::string& text = child->Scalar();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      return Invalid(full, "expected an integer, got \"" + text + "\"");
    }
    return std::optional<std::int64_t>(value);
  });
}

Result<std::optional<std::chrono::nanoseconds>> OptionalDuration(const YAML::Node& map,
                                                                 std::string_view key,
                                                                 std::string_view path,
                                                                 bool allow_hours) {
  std::string full = JoinPath(path, key);
  Result<std::optional<std::string>> text = OptionalString(map, key, path);
  if (!text) {
    return text.error();
  }
  if (!text->has_value()) {
    return std::optional<std::chrono::nanoseconds>();
  }
  Result<std::chrono::nanoseconds> parsed = ParseGoDuration(**text);
  if (!parsed) {
    return Invalid(full, parsed.error().message());
  }
  if (!MatchesDurationPattern(**text, allow_hours)) {
    std::string units = allow_hours ? "ms|s|m|h" : "ms|s|m";
    return Invalid(full, "invalid duration \"" + **text + "\": must match ^([0-9]+(\\.[0-9]+)?(" +
                             units + "))+$");
  }
  return std::optional<std::chrono::nanoseconds>(*parsed);
}

Result<std::optional<std::vector<std::string>>> OptionalStringList(const YAML::Node& map,
                                                                   std::string_view key,
                                                                   std::string_view path) {
  std::string full = JoinPath(path, key);
  return Guard(full, [&]() -> Result<std::optional<std::vector<std::string>>> {
    std::optional<YAML::Node> child = Child(map, key);
    if (!child.has_value()) {
      return std::optional<std::vector<std::string>>();
    }
    if (!child->IsSequence()) {
      return WrongType(full, "a list", *child);
    }
    std::vector<std::string> out;
    out.reserve(child->size());
    for (std::size_t i = 0; i < child->size(); ++i) {
      YAML::Node item = (*child)[i];
      if (!item.IsScalar()) {
        return WrongType(full + "[" + std::to_string(i) + "]", "a string", item);
      }
      out.push_back(item.Scalar());
    }
    return std::optional<std::vector<std::string>>(std::move(out));
  });
}

Result<std::optional<std::map<std::string, std::string>>> OptionalStringMap(
    const YAML::Node& map, std::string_view key, std::string_view path) {
  using Out = std::optional<std::map<std::string, std::string>>;
  std::string full = JoinPath(path, key);
  return Guard(full, [&]() -> Result<Out> {
    std::optional<YAML::Node> child = Child(map, key);
    if (!child.has_value()) {
      return Out();
    }
    if (!child->IsMap()) {
      return WrongType(full, "a mapping", *child);
    }
    std::map<std::string, std::string> out;
    for (const auto& entry : *child) {
      if (!entry.first.IsScalar()) {
        return Invalid(full, "keys must be strings");
      }
      const std::string& name = entry.first.Scalar();
      if (entry.second.IsNull()) {
        out[name] = "";
        continue;
      }
      if (!entry.second.IsScalar()) {
        return WrongType(JoinPath(full, name), "a string", entry.second);
      }
      out[name] = entry.second.Scalar();
    }
    return Out(std::move(out));
  });
}

Result<ObjectMeta> DecodeTypeAndMetadata(const YAML::Node& root, std::string_view kind) {
  const std::string v1 = std::string(kGroup) + "/v1";
  const std::string v1beta2 = std::string(kGroup) + "/v1beta2";
  const std::string_view versions[] = {v1, v1beta2};
  return DecodeTypeAndMetadata(root, kind, versions);
}

Result<ObjectMeta> DecodeTypeAndMetadata(const YAML::Node& root, std::string_view kind,
                                         std::span<const std::string_view> api_versions) {
  ObjectMeta meta;
  Result<std::string> api_version = RequiredString(root, "apiVersion", "");
  if (!api_version) {
    return api_version.error();
  }
  Result<std::string> got_kind = RequiredString(root, "kind", "");
  if (!got_kind) {
    return got_kind.error();
  }
  if (std::find(api_versions.begin(), api_versions.end(), *api_version) == api_versions.end()) {
    return Error(ErrorKind::kInvalidSpec, "apiVersion: unsupported \"" + *api_version +
                                              "\" for kind " + *got_kind + "; expected " +
                                              JoinAlternatives(api_versions));
  }
  if (*got_kind != kind) {
    return Error(ErrorKind::kInvalidSpec, "kind: expected " + std::string(kind) + ", got \"" +
                                              *got_kind + "\"");
  }
  meta.api_version = *api_version;
  meta.kind = *got_kind;

  Result<std::optional<YAML::Node>> metadata = OptionalMap(root, "metadata", "");
  if (!metadata) {
    return metadata.error();
  }
  if (!metadata->has_value()) {
    return meta;
  }
  const YAML::Node& m = **metadata;
  Result<std::optional<std::string>> name = OptionalString(m, "name", "metadata");
  Result<std::optional<std::string>> ns = OptionalString(m, "namespace", "metadata");
  Result<std::optional<std::int64_t>> generation = OptionalInt64(m, "generation", "metadata");
  Result<std::optional<std::map<std::string, std::string>>> labels =
      OptionalStringMap(m, "labels", "metadata");
  Result<std::optional<std::map<std::string, std::string>>> annotations =
      OptionalStringMap(m, "annotations", "metadata");
  if (!name) {
    return name.error();
  }
  if (!ns) {
    return ns.error();
  }
  if (!generation) {
    return generation.error();
  }
  if (!labels) {
    return labels.error();
  }
  if (!annotations) {
    return annotations.error();
  }
  meta.name = name->value_or("");
  meta.ns = ns->value_or("");
  meta.generation = generation->value_or(0);
  if (labels->has_value()) {
    meta.labels.assign((*labels)->begin(), (*labels)->end());
  }
  if (annotations->has_value()) {
    meta.annotations.assign((*annotations)->begin(), (*annotations)->end());
  }
  return meta;
}

Result<std::vector<kube::Condition>> DecodeConditions(const YAML::Node& status,
                                                      std::string_view path) {
  std::string full = JoinPath(path, "conditions");
  return Guard(full, [&]() -> Result<std::vector<kube::Condition>> {
    std::vector<kube::Condition> out;
    std::optional<YAML::Node> list = Child(status, "conditions");
    if (!list.has_value()) {
      return out;
    }
    if (!list->IsSequence()) {
      return WrongType(full, "a list", *list);
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::string item_path = full + "[" + std::to_string(i) + "]";
      YAML::Node item = (*list)[i];
      if (!item.IsMap()) {
        return WrongType(item_path, "a mapping", item);
      }
      kube::Condition c;
      const std::pair<std::string_view, std::string*> fields[] = {
          {"type", &c.type},
          {"status", &c.status},
          {"reason", &c.reason},
          {"message", &c.message},
          {"lastTransitionTime", &c.last_transition_time}};
      for (const auto& [field, target] : fields) {
        Result<std::optional<std::string>> value = OptionalString(item, field, item_path);
        if (!value) {
          return value.error();
        }
        *target = value->value_or("");
      }
      Result<std::optional<std::int64_t>> gen = OptionalInt64(item, "observedGeneration",
                                                              item_path);
      if (!gen) {
        return gen.error();
      }
      c.observed_generation = gen->value_or(0);
      out.push_back(std::move(c));
    }
    return out;
  });
}

bool IsV1Beta2(const ObjectMeta& meta) {
  return meta.api_version == std::string(kGroup) + "/v1beta2";
}

}  // namespace imgauto::reflector::api::yaml
