// Shared setup for the ImagePolicy reconciler tests: one ImageRepository published through a
// FakeImageRepositoryGetter with its tags in an InMemoryTagStore, the way the repository
// reconciler leaves them, and an ImagePolicy pointing at it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/duration.h"
#include "core/kube/conditions.h"
#include "reflector/controller/image_policy_reconciler.h"
#include "reflector/scan/scanner.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_image_repository_getter.h"
#include "tests/fakes/fake_registry_client.h"
#include "tests/fakes/fake_registry_client_factory.h"
#include "tests/fakes/fake_secret_getter.h"
#include "tests/fakes/in_memory_tag_store.h"

namespace imgauto::reflector::controller {

inline api::ImagePolicyChoice Semver(std::string range) {
  api::ImagePolicyChoice choice;
  choice.semver = api::SemVerPolicy{std::move(range)};
  return choice;
}
inline api::ImagePolicyChoice Alphabetical(std::string order = "") {
  api::ImagePolicyChoice choice;
  choice.alphabetical = api::AlphabeticalPolicy{std::move(order)};
  return choice;
}
inline api::ImagePolicyChoice Numerical(std::string order = "") {
  api::ImagePolicyChoice choice;
  choice.numerical = api::NumericalPolicy{std::move(order)};
  return choice;
}

inline api::NamespaceSelector Selector(std::map<std::string, std::string> labels) {
  api::NamespaceSelector selector;
  selector.match_labels = std::move(labels);
  return selector;
}

inline constexpr std::string_view kImage = "ghcr.io/stefanprodan/podinfo";

class PolicyReconcilerTestBase : public ::testing::Test {
 protected:
  PolicyReconcilerTestBase() : factory_(registry_) {
    repo_.metadata.kind = "ImageRepository";
    repo_.metadata.ns = "default";
    repo_.metadata.name = "podinfo";
    repo_.metadata.generation = 1;
    repo_.spec.image = std::string(kImage);
    repo_.spec.interval = std::chrono::minutes(5);
    repos_.Put(repo_);

    policy_.metadata.kind = "ImagePolicy";
    policy_.metadata.ns = "default";
    policy_.metadata.name = "podinfo";
    policy_.metadata.generation = 1;
    policy_.spec.image_repository_name = "podinfo";
    policy_.spec.policy = Semver("1.0.x");
  }

  // Stores `tags` (sorted descending, as a scan would) for the repository and publishes its
  // status with the matching scan result.
  void SetRepoTags(std::vector<std::string> tags) {
    Result<std::vector<std::string>> sorted = scan::FilterAndSortTags(std::move(tags), {});
    ASSERT_TRUE(sorted);
    Result<std::string> revision =
        store_.SetTags({repo_.metadata.ns, repo_.metadata.name}, *sorted);
    ASSERT_TRUE(revision);
    api::ScanResult result;
    result.revision = *revision;
    result.tag_count = static_cast<std::int64_t>(sorted->size());
    result.scan_time = FormatRfc3339(clock_.Now());
    repo_.status.last_scan_result = result;
    repo_.status.canonical_image_name = std::string(kImage);
    repos_.Put(repo_);
  }

  // Builds a reconciler over the fixture's fakes; sleeps are recorded, not taken.
  ImagePolicyReconciler MakeReconciler(ImagePolicyReconcilerOptions options = {}) {
    options.sleep = [this](std::chrono::nanoseconds d) { sleeps_.push_back(d); };
    return ImagePolicyReconciler(repos_, factory_, secrets_, store_, clock_, std::move(options));
  }

  const kube::Condition* Find(std::string_view type) const {
    return kube::FindCondition(policy_.status.conditions, type);
  }

  testing::FakeClock clock_;
  testing::FakeRegistryClient registry_;
  testing::FakeRegistryClientFactory factory_;
  testing::FakeSecretGetter secrets_;
  testing::FakeImageRepositoryGetter repos_;
  testing::InMemoryTagStore store_;
  std::vector<std::chrono::nanoseconds> sleeps_;
  api::ImageRepository repo_;
  api::ImagePolicy policy_;
};

}  // namespace imgauto::reflector::controller
