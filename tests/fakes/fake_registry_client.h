// FakeRegistryClient: an in-memory RegistryClient for scanner and CLI tests. Repositories are
// keyed by canonical name ("index.docker.io/library/alpine"); an unknown repository answers
// kNotFound with the registry's "404 Not Found" text, as the HTTP client does.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reflector/registry/registry_client.h"

namespace imgauto::testing {

class FakeRegistryClient final : public reflector::registry::RegistryClient {
 public:
  // Sets the tags (in registry order) of a canonical repository name.
  void SetTags(const std::string& canonical, std::vector<std::string> tags) {
    std::lock_guard<std::mutex> lock(mu_);
    tags_[canonical] = std::move(tags);
  }
  // Sets the digest returned for canonical:tag.
  void SetDigest(const std::string& canonical, const std::string& tag, std::string digest) {
    std::lock_guard<std::mutex> lock(mu_);
    digests_[canonical + ":" + tag] = std::move(digest);
  }
  // Sets the time ImageCreated returns for canonical:tag.
  void SetCreated(const std::string& canonical, const std::string& tag,
                  std::chrono::system_clock::time_point created) {
    std::lock_guard<std::mutex> lock(mu_);
    created_[canonical + ":" + tag] = created;
  }
  // Makes every call fail with `error` until cleared with std::nullopt.
  void FailWith(std::optional<Error> error) {
    std::lock_guard<std::mutex> lock(mu_);
    failure_ = std::move(error);
  }
  int list_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return list_calls_;
  }

  Result<std::vector<std::string>> ListTags(
      const reflector::registry::ImageReference& repo) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++list_calls_;
    if (failure_.has_value()) {
      return *failure_;
    }
    auto it = tags_.find(repo.Canonical());
    if (it == tags_.end()) {
      return Error(ErrorKind::kNotFound, "GET " + repo.BaseUrl() + "/v2/" + repo.repository +
                                             "/tags/list: 404 Not Found");
    }
    return it->second;
  }

  Result<std::string> ResolveDigest(const reflector::registry::ImageReference& repo,
                                    std::string_view tag) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (failure_.has_value()) {
      return *failure_;
    }
    auto it = digests_.find(repo.Canonical() + ":" + std::string(tag));
    if (it == digests_.end()) {
      return Error(ErrorKind::kNotFound, "manifest unknown: 404 Not Found");
    }
    return it->second;
  }

  // Unknown canonical:tag answers kNotFound "image config has no created time".
  Result<std::chrono::system_clock::time_point> ImageCreated(
      const reflector::registry::ImageReference& repo, std::string_view tag) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (failure_.has_value()) {
      return *failure_;
    }
    auto it = created_.find(repo.Canonical() + ":" + std::string(tag));
    if (it == created_.end()) {
      return Error(ErrorKind::kNotFound, "image config has no created time");
    }
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::string>> tags_;
  std::map<std::string, std::string> digests_;
  std::map<std::string, std::chrono::system_clock::time_point> created_;
  std::optional<Error> failure_;
  int list_calls_ = 0;
};

}  // namespace imgauto::testing
