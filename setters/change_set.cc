#include "setters/change_set.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace imgauto::setters {

void ChangeSet::Add(std::string_view file, const ObjectId& object, Change change) {
  files_[std::string(file)][object].push_back(std::move(change));
}

std::vector<std::string> ChangeSet::Files() const {
  std::vector<std::string> out;
  out.reserve(files_.size());
  for (const auto& [file, objects] : files_) {
    out.push_back(file);
  }
  return out;
}

std::vector<Change> ChangeSet::Changes() const {
  std::vector<Change> out;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const auto& [file, objects] : files_) {
    for (const auto& [object, changes] : objects) {
      for (const Change& change : changes) {
        if (seen.emplace(change.old_value, change.new_value, change.setter).second) {
          out.push_back(change);
        }
      }
    }
  }
  return out;
}

ObjectChanges ChangeSet::Objects() const {
  ObjectChanges out;
  for (const auto& [file, objects] : files_) {
    for (const auto& [object, changes] : objects) {
      std::vector<Change>& merged = out[object];
      merged.insert(merged.end(), changes.begin(), changes.end());
    }
  }
  return out;
}

}  // namespace imgauto::setters
