#include "cmd/standalone/manifest_dir.h"

#include <algorithm>
#include <set>
#include <system_error>
#include <tuple>

#include <yaml-cpp/yaml.h>

#include "core/fs.h"
#include "core/sha256.h"

namespace imgauto::cmd::standalone {
namespace fs = std::filesystem;
namespace {

bool IsManifestFile(const fs::path& path) {
  std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// Candidate files relative to `dir`, sorted; symlinked directories are not descended.
std::vector<fs::path> ListFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code type_ec;
    if (entry.is_symlink(type_ec) && entry.is_directory(type_ec)) {
      it.disable_recursion_pending();
      continue;
    }
    std::string base = entry.path().filename().string();
    if (!base.empty() && base.front() == '.') {
      if (entry.is_directory(type_ec)) {
        it.disable_recursion_pending();
      }
      continue;  // .git, editor swap files, ...
    }
    if (entry.is_regular_file(type_ec) && IsManifestFile(entry.path())) {
      files.push_back(entry.path().lexically_relative(dir));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Scalar(const YAML::Node& map, const char* key) {
  if (!map.IsMap()) {
    return {};
  }
  YAML::Node value = map[key];
  return value && value.IsScalar() ? value.Scalar() : std::string();
}

std::string Group(std::string_view api_version) {
  size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(api_version.substr(0, slash));
}

}  // namespace

Result<ManifestSnapshot> LoadManifestDir(const fs::path& dir, std::string_view default_namespace) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Error(ErrorKind::kNotFound, "manifests directory " + dir.string() + " does not exist");
  }
  ManifestSnapshot snapshot;
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
  for (const fs::path& rel : ListFiles(dir)) {
    const std::string file = rel.generic_string();
    Result<std::string> text = ReadFile(dir / rel);
    if (!text) {
      snapshot.issues.push_back({file, text.error().message()});
      continue;
    }
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(*text);
    } catch (const YAML::Exception& e) {
      snapshot.issues.push_back(
          {file, "invalid yaml at line " + std::to_string(e.mark.line + 1) + ", column " +
                     std::to_string(e.mark.column + 1) + ": " + e.msg});
      continue;
    }
    int index = 0;
    for (YAML::Node& doc : docs) {
      ++index;
      if (!doc || doc.IsNull()) {
        continue;
      }
      const std::string where = file + " (document " + std::to_string(index) + ")";
      if (!doc.IsMap()) {
        snapshot.issues.push_back({where, "a manifest must be a mapping"});
        continue;
      }
      try {
        ManifestDocument out;
        out.api_version = Scalar(doc, "apiVersion");
        out.kind = Scalar(doc, "kind");
        YAML::Node meta = doc["metadata"];
        out.name = meta ? Scalar(meta, "name") : std::string();
        out.ns = meta ? Scalar(meta, "namespace") : std::string();
        if (out.api_version.empty() || out.kind.empty() || out.name.empty()) {
          snapshot.issues.push_back(
              {where, "apiVersion, kind and metadata.name are required"});
          continue;
        }
        if (out.ns.empty()) {
          out.ns = std::string(default_namespace);
          doc["metadata"]["namespace"] = out.ns;
        }
        auto identity = std::make_tuple(Group(out.api_version), out.kind, out.ns, out.name);
        if (!seen.insert(identity).second) {
          snapshot.issues.push_back({where, out.kind + " " + out.ns + "/" + out.name +
                                                " is defined more than once; ignoring this one"});
          continue;
        }
        YAML::Emitter emitter;
        emitter << doc;
        out.text = emitter.c_str();
        out.file = file;
        snapshot.documents.push_back(std::move(out));
      } catch (const YAML::Exception& e) {
        snapshot.issues.push_back({where, std::string("invalid manifest: ") + e.what()});
      }
    }
  }
  return snapshot;
}

std::string ManifestDirFingerprint(const fs::path& dir) {
  std::string data;
  for (const fs::path& rel : ListFiles(dir)) {
    std::error_code ec;
    auto size = fs::file_size(dir / rel, ec);
    auto mtime = fs::last_write_time(dir / rel, ec);
    data += rel.generic_string();
    data += '\0';
    data += std::to_string(ec ? 0 : size);
    data += '\0';
    data += std::to_string(mtime.time_since_epoch().count());
    data += '\n';
  }
  return Sha256Hex(data);
}

}  // namespace imgauto::cmd::standalone
