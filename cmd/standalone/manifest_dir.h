// ManifestDir: the standalone mode's object source. Reads every `.yaml`/`.yml` file under a
// directory (recursively, sorted, symlinked directories not followed), splits multi-document
// files, and returns one ManifestDocument per object with its type and identity. A file or
// document that cannot be read is reported as an issue and skipped; the rest still load, so one
// bad file never stops the controller.
//
//   Result<ManifestSnapshot> snap = LoadManifestDir("/etc/imgauto/manifests", "flux-system");
//   for (const ManifestDocument& doc : snap->documents) { if (doc.kind == "ImagePolicy") ... }
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace imgauto::cmd::standalone {

struct ManifestDocument {
  std::string api_version;
  std::string kind;
  std::string ns;    // metadata.namespace, or the default namespace
  std::string name;  // metadata.name
  std::string text;  // this document alone, as YAML, with metadata.namespace filled in
  std::string file;  // path relative to the directory, '/'-separated
};

struct ManifestIssue {
  std::string file;
  std::string reason;
};

struct ManifestSnapshot {
  std::vector<ManifestDocument> documents;  // files sorted, documents in file order
  std::vector<ManifestIssue> issues;
};

// Loads `dir`. Documents without apiVersion/kind/metadata.name are issues; empty documents are
// skipped silently; two documents with the same apiVersion group, kind, namespace and name are
// an issue for the second one. kNotFound when `dir` does not exist or is not a directory.
Result<ManifestSnapshot> LoadManifestDir(const std::filesystem::path& dir,
                                         std::string_view default_namespace);

// A cheap fingerprint of the directory (paths, sizes and modification times of the candidate
// files): when it changes, the directory must be loaded again.
std::string ManifestDirFingerprint(const std::filesystem::path& dir);

}  // namespace imgauto::cmd::standalone
