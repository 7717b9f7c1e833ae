// The result of a setters run (§3.5, Flux's update.Result): file → object → [Change], iterated in
// a deterministic order (files by byte order, objects field by field), feeding the commit message
// template (.Changed) and the change-set JSON of `imgauto setters --json`.
//
//   ChangeSet set;
//   set.Add("deploy.yaml", ObjectId{"apps/v1", "Deployment", "app", "default"},
//           Change{"app:1.0", "app:1.1", "flux-system:app"});
//   for (const Change& c : set.Changes()) { ... }
#pragma once

#include <compare>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace imgauto::setters {

// Identifies the object a document describes; fields are empty when absent (a kustomization
// file has no name). Ordered field by field: APIVersion, Kind, Name, Namespace.
struct ObjectId {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string ns;

  auto operator<=>(const ObjectId&) const = default;
  bool operator==(const ObjectId&) const = default;
};

// One replaced scalar. `setter` is the full marker value, e.g. "flux-system:app:tag".
struct Change {
  std::string old_value;
  std::string new_value;
  std::string setter;

  bool operator==(const Change&) const = default;
};

using ObjectChanges = std::map<ObjectId, std::vector<Change>>;

// Accumulates changes. Not thread-safe; copyable value type.
class ChangeSet {
 public:
  // Appends `change` to `file`/`object`, after the changes already recorded there.
  void Add(std::string_view file, const ObjectId& object, Change change);

  bool empty() const { return files_.empty(); }

  // Returns file → object → changes; files and objects sorted, changes in walk order.
  const std::map<std::string, ObjectChanges>& FileChanges() const { return files_; }

  // Returns the changed files, sorted.
  std::vector<std::string> Files() const;

  // Returns every change across files (sorted) and objects (sorted), de-duplicated on
  // (old, new, setter), in first-seen order.
  std::vector<Change> Changes() const;

  // Returns per object the concatenation of its changes from every file, files in sorted order.
  ObjectChanges Objects() const;

  bool operator==(const ChangeSet&) const = default;

 private:
  std::map<std::string, ObjectChanges> files_;
};

}  // namespace imgauto::setters
