#include "cmd/status_command.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "core/fs.h"

namespace imgauto::cmd {
namespace {

namespace fs = std::filesystem;

// Status files are small; anything larger is not ours.
constexpr std::size_t kMaxStatusBytes = std::size_t{4} << 20;

struct KindInfo {
  std::string_view dir;  // status/<dir>/
  std::vector<std::string_view> columns;
};

const std::vector<KindInfo>& Kinds() {
  static const std::vector<KindInfo> kinds = {
      {"imagerepository", {"NAME", "LAST SCAN", "TAGS", "READY", "MESSAGE"}},
      {"imagepolicy", {"NAME", "IMAGE", "TAG", "READY", "MESSAGE"}},
      {"imageupdateautomation", {"NAME", "LAST RUN", "READY", "MESSAGE"}},
  };
  return kinds;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string DefaultStateDir() {
  if (const char* dir = std::getenv("STATE_DIRECTORY"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return "imgauto-state";
}

// Converts a parsed YAML node to JSON. Plain scalars that read as integers, floats, booleans or
// null become those; quoted scalars stay strings (the state store quotes what YAML would misread).
nlohmann::json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) {
        out[kv.first.Scalar()] = ToJson(kv.second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& child : node) {
        out.push_back(ToJson(child));
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "?") {  // plain
        if (s == "true" || s == "false") return s == "true";
        if (s == "null" || s == "~") return nullptr;
        long long i = 0;
        if (YAML::convert<long long>::decode(node, i)) return i;
        double d = 0;
        if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-') &&
            YAML::convert<double>::decode(node, d)) {
          return d;
        }
      }
      return s;
    }
    default:
      return nullptr;
  }
}

// One status file as read.
struct StatusObject {
  std::string kind_dir;
  std::string file;                      // path relative to the state directory
  std::string name;                      // <kind>/<ns>/<name>, from the path
  std::optional<nlohmann::json> object;  // nullopt: unreadable
  std::string error;
};

// Reads status/<kind_dir>/<ns>/<name>.yaml files, sorted by path.
std::vector<StatusObject> ReadKind(const fs::path& state_dir, std::string_view kind_dir) {
  std::vector<fs::path> files;
  const fs::path root = state_dir / "status" / std::string(kind_dir);
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && it->path().extension() == ".yaml") {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<StatusObject> out;
  for (const fs::path& path : files) {
    StatusObject o;
    o.kind_dir = std::string(kind_dir);
    o.file = path.lexically_relative(state_dir).generic_string();
    fs::path rel = path.lexically_relative(root);
    rel.replace_extension();
    o.name = o.kind_dir + "/" + rel.generic_string();
    Result<std::string> text = ReadFile(path, kMaxStatusBytes);
    if (!text) {
      o.error = text.error().message();
      out.push_back(std::move(o));
      continue;
    }
    try {
      YAML::Node node = YAML::Load(*text);
      if (!node.IsMap()) {
        o.error = "not a YAML mapping";
      } else {
        o.object = ToJson(node);
      }
    } catch (const YAML::Exception& e) {
      o.error = e.what();
    }
    out.push_back(std::move(o));
  }
  return out;
}

// Returns the string at a JSON pointer-like path of keys, or "".
std::string Field(const nlohmann::json& object, std::initializer_list<std::string_view> keys) {
  const nlohmann::json* at = &object;
  for (std::string_view key : keys) {
    if (!at->is_object()) return "";
    auto it = at->find(std::string(key));
    if (it == at->end()) return "";
    at = &*it;
  }
  if (at->is_string()) return at->get<std::string>();
  if (at->is_number_integer()) return std::to_string(at->get<long long>());
  if (at->is_boolean()) return at->get<bool>() ? "true" : "false";
  return "";
}

// The Ready condition's status and message ("Unknown", "" when there is none).
std::pair<std::string, std::string> Ready(const nlohmann::json& object) {
  auto status = object.find("status");
  if (status != object.end() && status->is_object()) {
    auto conditions = status->find("conditions");
    if (conditions != status->end() && conditions->is_array()) {
      for (const nlohmann::json& c : *conditions) {
        if (Field(c, {"type"}) == "Ready") {
          std::string s = Field(c, {"status"});
          return {s.empty() ? "Unknown" : s, Field(c, {"message"})};
        }
      }
    }
  }
  return {"Unknown", ""};
}

// Splits v1beta2's latestImage "name:tag[@digest]" into name and tag.
std::pair<std::string, std::string> SplitImage(std::string ref) {
  if (std::size_t at = ref.find('@'); at != std::string::npos) {
    ref.resize(at);
  }
  const std::size_t slash = ref.rfind('/');
  const std::size_t colon = ref.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return {ref, ""};
  }
  return {ref.substr(0, colon), ref.substr(colon + 1)};
}

std::vector<std::string> Row(const StatusObject& o) {
  if (!o.object) {
    const std::string message = "unreadable status file " + o.file + ": " + o.error;
    if (o.kind_dir == "imageupdateautomation") return {o.name, "", "Unknown", message};
    return {o.name, "", "", "Unknown", message};
  }
  const nlohmann::json& obj = *o.object;
  auto [ready, message] = Ready(obj);
  if (o.kind_dir == "imagerepository") {
    return {o.name, Field(obj, {"status", "lastScanResult", "scanTime"}),
            Field(obj, {"status", "lastScanResult", "tagCount"}), ready, message};
  }
  if (o.kind_dir == "imagepolicy") {
    std::string image = Field(obj, {"status", "latestRef", "name"});
    std::string tag = Field(obj, {"status", "latestRef", "tag"});
    if (image.empty()) {
      std::tie(image, tag) = SplitImage(Field(obj, {"status", "latestImage"}));
    }
    return {o.name, image, tag, ready, message};
  }
  return {o.name, Field(obj, {"status", "lastAutomationRunTime"}), ready, message};
}

// Prints rows under `columns`, each column as wide as its widest cell plus three spaces.
void PrintTable(const std::vector<std::string_view>& columns,
                std::vector<std::vector<std::string>> rows, std::ostream& out) {
  std::vector<std::size_t> widths(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) widths[i] = columns[i].size();
  for (std::vector<std::string>& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::replace(row[i].begin(), row[i].end(), '\n', ' ');
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  auto print = [&](const auto& cells) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      line += cells[i];
      if (i + 1 < cells.size()) line += std::string(widths[i] - cells[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print(columns);
  for (const std::vector<std::string>& row : rows) print(row);
}

}  // namespace

Result<std::string> ParseStatusKind(std::string_view value) {
  const std::string v = Lower(value);
  if (v == "imagerepository" || v == "imagerepositories" || v == "repository") {
    return std::string("imagerepository");
  }
  if (v == "imagepolicy" || v == "imagepolicies" || v == "policy") {
    return std::string("imagepolicy");
  }
  if (v == "imageupdateautomation" || v == "imageupdateautomations" || v == "update") {
    return std::string("imageupdateautomation");
  }
  return Error(ErrorKind::kInvalidSpec,
               "invalid --kind \"" + std::string(value) +
                   "\": expected ImageRepository, ImagePolicy or ImageUpdateAutomation");
}

FlagSet StatusFlags() {
  FlagSet flags("status");
  flags.String("state-dir", "DIR", "the state directory of 'imgauto run'",
               "$STATE_DIRECTORY or ./imgauto-state");
  flags.String("kind", "KIND",
               "only this kind: ImageRepository, ImagePolicy or "
               "ImageUpdateAutomation");
  flags.Bool("json", "print the status objects as JSON");
  return flags;
}

Command StatusCommand() {
  return Command{
      "status",
      "imgauto status [--state-dir DIR] [--kind KIND] [--json]",
      "print the objects of a standalone controller, like 'flux get images "
      "all'",
      "Reads <state-dir>/status/<kind>/<ns>/<name>.yaml as 'imgauto run' "
      "writes them and\n"
      "prints one table per kind: repositories (LAST SCAN, TAGS), policies "
      "(IMAGE, TAG) and\n"
      "automations (LAST RUN), each with READY and MESSAGE from the Ready "
      "condition. A file\n"
      "that cannot be read is listed as unreadable. --json prints {\"items\": "
      "[...],\n"
      "\"unreadable\": [...]}. Exit 2 when the state directory does not exist.",
      StatusFlags,
      RunStatus,
  };
}

int RunStatus(const ParsedFlags& flags, CommandContext& ctx) {
  if (!flags.positional().empty()) {
    return Fail(ctx.err, "unexpected argument " + flags.positional().front(), kExitUsage);
  }
  std::optional<std::string> only;
  if (std::optional<std::string> kind = flags.GetString("kind")) {
    Result<std::string> parsed = ParseStatusKind(*kind);
    if (!parsed) {
      return Fail(ctx.err, parsed.error().message(), kExitUsage);
    }
    only = *parsed;
  }
  const fs::path state_dir = flags.GetString("state-dir").value_or(DefaultStateDir());
  std::error_code ec;
  if (!fs::is_directory(state_dir, ec)) {
    return Fail(ctx.err, "state directory " + state_dir.string() + " does not exist", kExitUsage);
  }
  const bool json = flags.GetBool("json");
  nlohmann::json items = nlohmann::json::array();
  nlohmann::json unreadable = nlohmann::json::array();
  bool printed = false;
  for (const KindInfo& kind : Kinds()) {
    if (only && *only != kind.dir) continue;
    std::vector<StatusObject> objects = ReadKind(state_dir, kind.dir);
    if (json) {
      for (StatusObject& o : objects) {
        if (o.object) {
          items.push_back(std::move(*o.object));
        } else {
          unreadable.push_back({{"file", o.file}, {"error", o.error}});
        }
      }
      continue;
    }
    if (objects.empty()) continue;
    std::vector<std::vector<std::string>> rows;
    for (const StatusObject& o : objects) rows.push_back(Row(o));
    if (printed) ctx.out << "\n";
    PrintTable(kind.columns, std::move(rows), ctx.out);
    printed = true;
  }
  if (json) {
    ctx.out << nlohmann::json{{"items", items}, {"unreadable", unreadable}}.dump(2) << "\n";
  } else if (!printed) {
    ctx.err << "no objects found in " << (state_dir / "status").string() << "\n";
  }
  return kExitOk;
}

}  // namespace imgauto::cmd
