// StateStore: what the standalone mode keeps between runs, under one state directory:
//   status/<kind>/<ns>/<name>.yaml   each object's status, in the served version's shape, with
//                                    metadata.generation and the hash of the spec it belongs to
//   tags/                            the ImageRepository tag store
//   git/<ns>/<name>/                 the ImageUpdateAutomation clone caches
// Every write is atomic (temporary file, fsync, rename), so `kill -9` at any point leaves either
// the old or the new file. Standalone mode has no API server to bump metadata.generation, so the
// store derives it: it increases whenever the spec's hash changes.
//
//   StateStore store(state_dir);
//   Result<std::string> object = store.Restore(doc);     // manifest + persisted status + generation
//   ... decode, reconcile ...
//   store.Save(doc, status_json);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "cmd/standalone/manifest_dir.h"
#include "core/error.h"

namespace imgauto::cmd::standalone {

class StateStore {
 public:
  explicit StateStore(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path TagsDir() const { return root_ / "tags"; }
  std::filesystem::path GitCacheDir(std::string_view ns, std::string_view name) const;
  // status/<lower-case kind>/<ns>/<name>.yaml
  std::filesystem::path StatusPath(std::string_view kind, std::string_view ns,
                                   std::string_view name) const;

  // Returns the document's YAML with metadata.generation set (the stored generation, plus one
  // when the spec changed since) and the persisted status merged in (when the spec's generation
  // is the stored one or the status exists at all: status fields such as lastScanResult survive
  // spec edits, as they do on a cluster). A corrupt status file is ignored (the object starts
  // fresh) rather than failing.
  Result<std::string> Restore(const ManifestDocument& doc) const;

  // Writes the status file for `doc` with `status_json` (a JSON object) as its status.
  Result<void> Save(const ManifestDocument& doc, std::string_view status_json) const;

  // Removes status files of objects that no longer exist is left to the caller; this removes one.
  Result<void> Remove(std::string_view kind, std::string_view ns, std::string_view name) const;

  // The hash of a document's spec (its canonical YAML), as stored.
  static std::string SpecHash(const ManifestDocument& doc);

 private:
  std::filesystem::path root_;
};

// Converts a JSON document to block-style YAML (strings quoted when YAML would misread them).
// kInvalidSpec when `json` does not parse.
Result<std::string> JsonToYaml(std::string_view json);

}  // namespace imgauto::cmd::standalone
