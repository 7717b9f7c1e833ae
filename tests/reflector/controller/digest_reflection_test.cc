// Digest reflection over two reconciles (Flux reference §2.8, §7.5 item 42): between the passes
// every tag is pushed again with new content, so each digest changes.
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reflector/controller/image_policy_reconciler.h"
#include "tests/reflector/controller/policy_test_support.h"

namespace imgauto::reflector::controller {
namespace {

using std::chrono::minutes;
using std::chrono::nanoseconds;
using Policy = std::optional<api::DigestReflectionPolicy>;  // nullopt: field unset
constexpr auto kNever = api::DigestReflectionPolicy::kNever;
constexpr auto kIfNotPresent = api::DigestReflectionPolicy::kIfNotPresent;
constexpr auto kAlways = api::DigestReflectionPolicy::kAlways;

const std::vector<std::string> kTags = {"v1.0.0", "v1.1.0", "v1.1.1", "v2.0.0"};

std::string OldDigest(const std::string& tag) { return "sha256:old-" + tag; }
std::string NewDigest(const std::string& tag) { return "sha256:new-" + tag; }

struct DigestCase {
  std::string name;
  Policy pass1;
  Policy pass2;
  std::string pass2_range;                // pass 1 always uses v1.x (⇒ v1.1.1)
  std::string digest;                     // latestRef.digest after pass 2
  std::optional<api::ImageRef> previous;  // observedPreviousRef after pass 2
  nanoseconds requeue1;
  nanoseconds requeue2;
};

// Names the case in failure output instead of dumping its bytes.
void PrintTo(const DigestCase& c, std::ostream* os) { *os << c.name; }

class DigestReflectionTest : public PolicyReconcilerTestBase,
                             public ::testing::WithParamInterface<DigestCase> {
 protected:
  void Configure(Policy policy, std::string range) {
    policy_.spec.policy = Semver(std::move(range));
    policy_.spec.digest_reflection_policy = policy.value_or(kNever);
    // The CEL rules: interval only with Always, and required there.
    if (policy == kAlways) {
      policy_.spec.interval = minutes(10);
    } else {
      policy_.spec.interval.reset();
    }
  }
  void PushAll(std::string (*digest)(const std::string&)) {
    for (const std::string& tag : kTags) {
      registry_.SetDigest(std::string(kImage), tag, digest(tag));
    }
  }
};

TEST_P(DigestReflectionTest, SecondPassMatchesFlux) {
  const DigestCase& c = GetParam();
  ImagePolicyReconciler reconciler = MakeReconciler();
  SetRepoTags(kTags);
  PushAll(&OldDigest);

  Configure(c.pass1, "v1.x");
  ReconcileResult first = reconciler.Reconcile(policy_);
  ASSERT_FALSE(first.error.has_value()) << first.error->message();
  EXPECT_EQ(first.requeue_after, c.requeue1);
  EXPECT_EQ(policy_.status.latest_ref->tag, "v1.1.1");
  EXPECT_FALSE(policy_.status.observed_previous_ref.has_value());

  PushAll(&NewDigest);
  Configure(c.pass2, c.pass2_range);
  ReconcileResult second = reconciler.Reconcile(policy_);
  ASSERT_FALSE(second.error.has_value()) << second.error->message();
  EXPECT_EQ(second.requeue_after, c.requeue2);
  EXPECT_EQ(policy_.status.latest_ref->digest, c.digest);
  EXPECT_EQ(policy_.status.observed_previous_ref, c.previous);
}

const std::string kImageName(kImage);
const api::ImageRef kPrevOld{kImageName, "v1.1.1", "sha256:old-v1.1.1"};
constexpr nanoseconds kNone{0};
constexpr nanoseconds kTen = minutes(10);

INSTANTIATE_TEST_SUITE_P(
    Flux, DigestReflectionTest,
    ::testing::Values(
        DigestCase{"UnsetUnset", std::nullopt, std::nullopt, "v1.x", "", std::nullopt, kNone,
                   kNone},
        DigestCase{"NeverNever", kNever, kNever, "v1.x", "", std::nullopt, kNone, kNone},
        DigestCase{"AlwaysAlways", kAlways, kAlways, "v1.x", "sha256:new-v1.1.1", kPrevOld, kTen,
                   kTen},
        DigestCase{"IfNotPresentNewTag", kIfNotPresent, kIfNotPresent, "v2.x", "sha256:new-v2.0.0",
                   kPrevOld, kNone, kNone},
        DigestCase{"IfNotPresentKeeps", kIfNotPresent, kIfNotPresent, "v1.x", "sha256:old-v1.1.1",
                   std::nullopt, kNone, kNone},
        DigestCase{"NeverToIfNotPresent", kNever, kIfNotPresent, "v1.x", "sha256:new-v1.1.1",
                   api::ImageRef{kImageName, "v1.1.1", ""}, kNone, kNone},
        DigestCase{"AlwaysToNever", kAlways, kNever, "v1.x", "", kPrevOld, kTen, kNone},
        DigestCase{"IfNotPresentToNever", kIfNotPresent, kNever, "v1.x", "", kPrevOld, kNone,
                   kNone},
        DigestCase{"IfNotPresentToAlways", kIfNotPresent, kAlways, "v1.x", "sha256:new-v1.1.1",
                   kPrevOld, kNone, kTen},
        DigestCase{"AlwaysToIfNotPresent", kAlways, kIfNotPresent, "v1.x", "sha256:old-v1.1.1",
                   std::nullopt, kTen, kNone},
        DigestCase{"IfNotPresentExactRange", kIfNotPresent, kIfNotPresent, "=v1.1.1",
                   "sha256:old-v1.1.1", std::nullopt, kNone, kNone}),
    [](const ::testing::TestParamInfo<DigestCase>& info) { return info.param.name; });

class DigestFetchTest : public PolicyReconcilerTestBase {};

TEST_F(DigestFetchTest, IfNotPresentDoesNotAskTheRegistryAgain) {
  ImagePolicyReconciler reconciler = MakeReconciler();
  SetRepoTags(kTags);
  registry_.SetDigest(std::string(kImage), "v1.1.1", "sha256:abc");
  policy_.spec.policy = Semver("v1.x");
  policy_.spec.digest_reflection_policy = kIfNotPresent;

  reconciler.Reconcile(policy_);
  reconciler.Reconcile(policy_);

  EXPECT_EQ(factory_.digest_calls(), 1);
  EXPECT_EQ(policy_.status.latest_ref->digest, "sha256:abc");
}

TEST_F(DigestFetchTest, DigestIsInReadyMessage) {
  ImagePolicyReconciler reconciler = MakeReconciler();
  SetRepoTags(kTags);
  registry_.SetDigest(std::string(kImage), "v1.1.1", "sha256:abc");
  policy_.spec.policy = Semver("v1.x");
  policy_.spec.digest_reflection_policy = kIfNotPresent;

  reconciler.Reconcile(policy_);

  EXPECT_EQ(kube::FindCondition(policy_.status.conditions, kube::kReadyCondition)->message,
            "Latest image tag for ghcr.io/stefanprodan/podinfo resolved to v1.1.1 with digest "
            "sha256:abc");
}

TEST_F(DigestFetchTest, RegistryErrorIsFailedWithDescriptorContext) {
  ImagePolicyReconciler reconciler = MakeReconciler();
  SetRepoTags(kTags);
  policy_.spec.policy = Semver("v1.x");
  policy_.spec.digest_reflection_policy = kIfNotPresent;

  ReconcileResult result = reconciler.Reconcile(policy_);

  ASSERT_TRUE(result.error.has_value());
  const kube::Condition* ready =
      kube::FindCondition(policy_.status.conditions, kube::kReadyCondition);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "Failed");
  EXPECT_EQ(ready->message,
            "failed fetching digest of ghcr.io/stefanprodan/podinfo:v1.1.1: failed fetching "
            "descriptor for \"ghcr.io/stefanprodan/podinfo:v1.1.1\": manifest unknown: 404 Not "
            "Found");
  EXPECT_EQ(result.error->message(), ready->message);
  EXPECT_FALSE(policy_.status.latest_ref.has_value());
}

TEST_F(DigestFetchTest, AuthenticationSetupErrorIsFailed) {
  ImagePolicyReconciler reconciler = MakeReconciler();
  SetRepoTags(kTags);
  factory_.FailWith(Error(ErrorKind::kNotFound, "secrets \"regcred\" not found"));
  policy_.spec.policy = Semver("v1.x");
  policy_.spec.digest_reflection_policy = kAlways;
  policy_.spec.interval = minutes(10);

  ReconcileResult result = reconciler.Reconcile(policy_);

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(kube::FindCondition(policy_.status.conditions, kube::kReadyCondition)->message,
            "failed fetching digest of ghcr.io/stefanprodan/podinfo:v1.1.1: failed to configure "
            "authentication options: secrets \"regcred\" not found");
  EXPECT_EQ(factory_.created_for(), (std::vector<std::string>{"default/podinfo"}));
}

TEST_F(DigestFetchTest, NeverDoesNotBuildAClient) {
  ImagePolicyReconciler reconciler = MakeReconciler();
  SetRepoTags(kTags);
  factory_.FailWith(Error(ErrorKind::kNotFound, "secrets \"regcred\" not found"));
  policy_.spec.policy = Semver("v1.x");

  ReconcileResult result = reconciler.Reconcile(policy_);

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(factory_.create_calls(), 0);
}

}  // namespace
}  // namespace imgauto::reflector::controller
