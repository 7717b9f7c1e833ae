// InMemoryTagStore: a TagStore in a map, with FileTagStore's revisions, for reconciler tests.
// Reads and writes can be made to fail, and the next reads to come back empty (a write not yet
// visible).
//
//   InMemoryTagStore store;
//   store.SetTags({"apps", "app"}, {"1.1.0", "1.0.0"});
//   store.FailReadsWith(Error(ErrorKind::kTransient, "read error"));
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "reflector/store/file_tag_store.h"
#include "reflector/store/tag_store.h"

namespace imgauto::testing {

class InMemoryTagStore final : public reflector::store::TagStore {
 public:
  Result<std::string> SetTags(const kube::ObjectKey& repo,
                              std::span<const std::string> tags) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (write_failure_.has_value()) {
      return *write_failure_;
    }
    tags_[repo].assign(tags.begin(), tags.end());
    return reflector::store::FileTagStore::Revision(tags);
  }

  Result<std::vector<std::string>> Tags(const kube::ObjectKey& repo) const override {
    std::lock_guard<std::mutex> lock(mu_);
    ++read_calls_;
    if (read_failure_.has_value()) {
      return *read_failure_;
    }
    if (empty_reads_ > 0) {
      --empty_reads_;
      return std::vector<std::string>();
    }
    auto it = tags_.find(repo);
    return it == tags_.end() ? std::vector<std::string>() : it->second;
  }

  Result<void> Delete(const kube::ObjectKey& repo) override {
    std::lock_guard<std::mutex> lock(mu_);
    tags_.erase(repo);
    return {};
  }

  // Makes every read (write) fail with `error` until cleared with std::nullopt.
  void FailReadsWith(std::optional<Error> error) {
    std::lock_guard<std::mutex> lock(mu_);
    read_failure_ = std::move(error);
  }
  void FailWritesWith(std::optional<Error> error) {
    std::lock_guard<std::mutex> lock(mu_);
    write_failure_ = std::move(error);
  }
  // Makes the next `count` reads return no tags whatever is stored.
  void ReturnEmptyReads(int count) {
    std::lock_guard<std::mutex> lock(mu_);
    empty_reads_ = count;
  }
  int read_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return read_calls_;
  }
  bool Contains(const kube::ObjectKey& repo) const {
    std::lock_guard<std::mutex> lock(mu_);
    return tags_.count(repo) > 0;
  }

 private:
  mutable std::mutex mu_;
  std::map<kube::ObjectKey, std::vector<std::string>> tags_;
  std::optional<Error> read_failure_;
  std::optional<Error> write_failure_;
  mutable int empty_reads_ = 0;
  mutable int read_calls_ = 0;
};

}  // namespace imgauto::testing
