// FakeSecretGetter: Secrets and ServiceAccount pull-secret lists in maps, answering missing ones
// with the API server's kNotFound wording.
//
//   FakeSecretGetter secrets;
//   secrets.AddSecret({"apps", "regcred"}, {{".dockerconfigjson", R"({"auths":{}})"}});
//   secrets.AddServiceAccount({"apps", "puller"}, {"regcred"});
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "reflector/controller/secret_getter.h"

namespace imgauto::testing {

class FakeSecretGetter final : public reflector::controller::SecretGetter {
 public:
  void AddSecret(const kube::ObjectKey& key, reflector::controller::SecretData data) {
    std::lock_guard<std::mutex> lock(mu_);
    secrets_[key] = std::move(data);
  }
  void AddServiceAccount(const kube::ObjectKey& key, std::vector<std::string> pull_secrets) {
    std::lock_guard<std::mutex> lock(mu_);
    accounts_[key] = std::move(pull_secrets);
  }
  // Number of GetSecret calls so far.
  int secret_reads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return secret_reads_;
  }

  Result<reflector::controller::SecretData> GetSecret(const kube::ObjectKey& key) const override {
    std::lock_guard<std::mutex> lock(mu_);
    ++secret_reads_;
    auto it = secrets_.find(key);
    if (it == secrets_.end()) {
      return Error(ErrorKind::kNotFound, "secrets \"" + key.name + "\" not found");
    }
    return it->second;
  }

  Result<std::vector<std::string>> GetImagePullSecretNames(
      const kube::ObjectKey& key) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = accounts_.find(key);
    if (it == accounts_.end()) {
      return Error(ErrorKind::kNotFound, "serviceaccounts \"" + key.name + "\" not found");
    }
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<kube::ObjectKey, reflector::controller::SecretData> secrets_;
  std::map<kube::ObjectKey, std::vector<std::string>> accounts_;
  mutable int secret_reads_ = 0;
};

}  // namespace imgauto::testing
