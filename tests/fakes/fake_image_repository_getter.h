// FakeImageRepositoryGetter: ImageRepositories and namespace labels in maps, answering missing
// ones with the API server's kNotFound wording; reads can be made to fail.
//
//   FakeImageRepositoryGetter objects;
//   objects.Put(repo);                                   // keyed by metadata ns/name
//   objects.SetNamespaceLabels("tenant-a", {{"tenant", "a"}});
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "reflector/controller/image_repository_getter.h"

namespace imgauto::testing {

class FakeImageRepositoryGetter final : public reflector::controller::ImageRepositoryGetter {
 public:
  // Adds or replaces the repository under {metadata.ns, metadata.name}.
  void Put(const reflector::api::ImageRepository& repo) {
    std::lock_guard<std::mutex> lock(mu_);
    repos_[kube::ObjectKey{repo.metadata.ns, repo.metadata.name}] = repo;
  }
  void Remove(const kube::ObjectKey& key) {
    std::lock_guard<std::mutex> lock(mu_);
    repos_.erase(key);
  }
  void SetNamespaceLabels(const std::string& ns, std::map<std::string, std::string> labels) {
    std::lock_guard<std::mutex> lock(mu_);
    namespaces_[ns] = std::move(labels);
  }
  // Makes every repository read fail with `error` until cleared with std::nullopt.
  void FailWith(std::optional<Error> error) {
    std::lock_guard<std::mutex> lock(mu_);
    failure_ = std::move(error);
  }

  Result<reflector::api::ImageRepository> GetImageRepository(
      const kube::ObjectKey& key) const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (failure_.has_value()) {
      return *failure_;
    }
    auto it = repos_.find(key);
    if (it == repos_.end()) {
      return Error(ErrorKind::kNotFound,
                   "imagerepositories.image.toolkit.fluxcd.io \"" + key.name + "\" not found");
    }
    return it->second;
  }

  Result<std::map<std::string, std::string>> GetNamespaceLabels(
      std::string_view name) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = namespaces_.find(std::string(name));
    if (it == namespaces_.end()) {
      return Error(ErrorKind::kNotFound, "namespaces \"" + std::string(name) + "\" not found");
    }
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<kube::ObjectKey, reflector::api::ImageRepository> repos_;
  std::map<std::string, std::map<std::string, std::string>> namespaces_;
  std::optional<Error> failure_;
};

}  // namespace imgauto::testing
