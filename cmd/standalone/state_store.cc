#include "cmd/standalone/state_store.h"

#include <cctype>
#include <system_error>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/fs.h"
#include "core/sha256.h"
#include "setters/yaml11.h"

namespace imgauto::cmd::standalone {
namespace fs = std::filesystem;
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool NeedsQuotes(const std::string& s) {
  if (s.empty() || setters::IsYaml11NonString(s)) {
    return true;
  }
  // Leading indicators, surrounding spaces and a few special sequences confuse plain scalars.
  const char first = s.front();
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(first) != std::string_view::npos ||
      std::isspace(static_cast<unsigned char>(first)) ||
      std::isspace(static_cast<unsigned char>(s.back()))) {
    return true;
  }
  return s.find(": ") != std::string::npos || s.find(" #") != std::string::npos ||
         s.find('\n') != std::string::npos || s.find('\t') != std::string::npos;
}

void Emit(YAML::Emitter& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, child] : value.items()) {
        out << YAML::Key;
        if (NeedsQuotes(key)) {
          out << YAML::DoubleQuoted;
        }
        out << key << YAML::Value;
        Emit(out, child);
      }
      out << YAML::EndMap;
      return;
    case nlohmann::json::value_t::array:
      if (value.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const nlohmann::json& child : value) {
        Emit(out, child);
      }
      out << YAML::EndSeq;
      return;
    case nlohmann::json::value_t::string: {
      const std::string& s = value.get_ref<const std::string&>();
      if (NeedsQuotes(s)) {
        out << YAML::DoubleQuoted;
      }
      out << s;
      return;
    }
    case nlohmann::json::value_t::boolean:
      out << (value.get<bool>() ? "true" : "false");
      return;
    case nlohmann::json::value_t::null:
      out << YAML::Null;
      return;
    default:
      out << value.dump();  // numbers
      return;
  }
}

Result<YAML::Node> ParseYaml(std::string_view text, std::string_view what) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Error(ErrorKind::kInvalidSpec, std::string(what) + ": " + e.what());
  }
}

// The spec as canonical text: emitted from the parsed node, so formatting and comments in the
// manifest do not count as changes.
std::string CanonicalSpec(const YAML::Node& doc) {
  YAML::Node spec = doc["spec"];
  if (!spec) {
    return "";
  }
  YAML::Emitter out;
  out << spec;
  return out.c_str();
}

}  // namespace

fs::path StateStore::GitCacheDir(std::string_view ns, std::string_view name) const {
  return root_ / "git" / std::string(ns) / std::string(name);
}

fs::path StateStore::StatusPath(std::string_view kind, std::string_view ns,
                                std::string_view name) const {
  return root_ / "status" / Lower(kind) / std::string(ns) / (std::string(name) + ".yaml");
}

std::string StateStore::SpecHash(const ManifestDocument& doc) {
  Result<YAML::Node> node = ParseYaml(doc.text, "manifest");
  return "sha256:" + Sha256Hex(node ? CanonicalSpec(*node) : doc.text);
}

Result<std::string> StateStore::Restore(const ManifestDocument& doc) const {
  Result<YAML::Node> node = ParseYaml(doc.text, doc.file);
  if (!node) {
    return node.error();
  }
  const std::string hash = SpecHash(doc);
  std::int64_t generation = 1;
  YAML::Node status;
  bool has_status = false;
  fs::path path = StatusPath(doc.kind, doc.ns, doc.name);
  std::error_code ec;
  if (fs::exists(path, ec)) {
    Result<std::string> stored_text = ReadFile(path);
    Result<YAML::Node> stored =
        stored_text ? ParseYaml(*stored_text, path.string()) : Result<YAML::Node>(stored_text.error());
    if (stored && stored->IsMap()) {
      try {
        YAML::Node meta = (*stored)["metadata"];
        std::int64_t stored_generation =
            meta && meta["generation"] ? meta["generation"].as<std::int64_t>() : 0;
        std::string stored_hash = meta && meta["annotations"] && meta["annotations"]["imgauto.io/spec-hash"]
                                      ? meta["annotations"]["imgauto.io/spec-hash"].as<std::string>()
                                      : std::string();
        generation = stored_hash == hash ? std::max<std::int64_t>(stored_generation, 1)
                                         : stored_generation + 1;
        if ((*stored)["status"] && (*stored)["status"].IsMap()) {
          status = (*stored)["status"];
          has_status = true;
        }
      } catch (const YAML::Exception&) {
        generation = 1;  // corrupt: start fresh
      }
    }
  }
  try {
    (*node)["metadata"]["generation"] = generation;
    if (has_status) {
      (*node)["status"] = status;
    }
    YAML::Emitter out;
    out << *node;
    return std::string(out.c_str());
  } catch (const YAML::Exception& e) {
    return Error(ErrorKind::kInvalidSpec, doc.file + ": " + e.what());
  }
}

Result<void> StateStore::Save(const ManifestDocument& doc, std::string_view status_json) const {
  nlohmann::json status = nlohmann::json::parse(status_json, nullptr, false);
  if (status.is_discarded() || !status.is_object()) {
    return Error(ErrorKind::kInternal, "status of " + doc.kind + " " + doc.ns + "/" + doc.name +
                                           " is not a JSON object");
  }
  Result<YAML::Node> node = ParseYaml(doc.text, doc.file);
  std::int64_t generation = 1;
  if (node) {
    try {
      if ((*node)["metadata"]["generation"]) {
        generation = (*node)["metadata"]["generation"].as<std::int64_t>();
      }
    } catch (const YAML::Exception&) {
    }
  }
  nlohmann::json object = {
      {"apiVersion", doc.api_version},
      {"kind", doc.kind},
      {"metadata",
       {{"name", doc.name},
        {"namespace", doc.ns},
        {"generation", generation},
        {"annotations", {{"imgauto.io/spec-hash", SpecHash(doc)}, {"imgauto.io/source", doc.file}}}}},
      {"status", status}};
  Result<std::string> yaml = JsonToYaml(object.dump());
  if (!yaml) {
    return yaml.error();
  }
  fs::path path = StatusPath(doc.kind, doc.ns, doc.name);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return Error(ErrorKind::kTransient, "creating " + path.parent_path().string() + ": " + ec.message());
  }
  return AtomicWriteFile(path, *yaml);
}

Result<void> StateStore::Remove(std::string_view kind, std::string_view ns,
                                std::string_view name) const {
  std::error_code ec;
  fs::remove(StatusPath(kind, ns, name), ec);
  if (ec) {
    return Error(ErrorKind::kTransient, "removing status: " + ec.message());
  }
  return {};
}

Result<std::string> JsonToYaml(std::string_view json) {
  nlohmann::json value = nlohmann::json::parse(json, nullptr, false);
  if (value.is_discarded()) {
    return Error(ErrorKind::kInvalidSpec, "invalid JSON");
  }
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') {
    text += '\n';
  }
  return text;
}

}  // namespace imgauto::cmd::standalone
