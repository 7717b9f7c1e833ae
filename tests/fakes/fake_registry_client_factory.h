// FakeRegistryClientFactory: a RegistryClientFactory whose clients all forward to one
// FakeRegistryClient, recording which repositories asked and how many digests were resolved.
// Creation can be made to fail (an authentication setup error).
//
//   FakeRegistryClient registry;
//   FakeRegistryClientFactory factory(registry);
//   factory.FailWith(Error(ErrorKind::kNotFound, "secrets \"regcred\" not found"));
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reflector/controller/registry_client_factory.h"
#include "tests/fakes/fake_registry_client.h"

namespace imgauto::testing {

class FakeRegistryClientFactory final : public reflector::controller::RegistryClientFactory {
 public:
  explicit FakeRegistryClientFactory(FakeRegistryClient& registry) : registry_(registry) {}

  Result<reflector::registry::RegistryClientPtr> Create(
      const reflector::api::ImageRepository& repo,
      const reflector::controller::SecretGetter&) override {
    std::lock_guard<std::mutex> lock(mu_);
    created_for_.push_back(repo.metadata.ns + "/" + repo.metadata.name);
    if (failure_.has_value()) {
      return *failure_;
    }
    return reflector::registry::RegistryClientPtr(std::make_unique<Forwarding>(*this));
  }

  // Makes Create fail with `error` until cleared with std::nullopt.
  void FailWith(std::optional<Error> error) {
    std::lock_guard<std::mutex> lock(mu_);
    failure_ = std::move(error);
  }
  int create_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(created_for_.size());
  }
  // "ns/name" of every Create call, in order.
  std::vector<std::string> created_for() const {
    std::lock_guard<std::mutex> lock(mu_);
    return created_for_;
  }
  int digest_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return digest_calls_;
  }

 private:
  class Forwarding final : public reflector::registry::RegistryClient {
   public:
    explicit Forwarding(FakeRegistryClientFactory& factory) : factory_(factory) {}
    Result<std::vector<std::string>> ListTags(
        const reflector::registry::ImageReference& repo) override {
      return factory_.registry_.ListTags(repo);
    }
    Result<std::string> ResolveDigest(const reflector::registry::ImageReference& repo,
                                      std::string_view tag) override {
      {
        std::lock_guard<std::mutex> lock(factory_.mu_);
        ++factory_.digest_calls_;
      }
      return factory_.registry_.ResolveDigest(repo, tag);
    }
    Result<std::chrono::system_clock::time_point> ImageCreated(
        const reflector::registry::ImageReference& repo, std::string_view tag) override {
      return factory_.registry_.ImageCreated(repo, tag);
    }

   private:
    FakeRegistryClientFactory& factory_;
  };

  FakeRegistryClient& registry_;
  mutable std::mutex mu_;
  std::optional<Error> failure_;
  std::vector<std::string> created_for_;
  int digest_calls_ = 0;
};

}  // namespace imgauto::testing
