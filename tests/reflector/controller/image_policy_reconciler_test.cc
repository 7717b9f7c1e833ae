// ImagePolicyReconciler over fakes: every ImagePolicy row of Flux reference §1.5, the evaluation
// flow of §2.3 and the controller vectors of §7.5 (items 27–41, 43–45). Digest reflection (item
// 42) is in digest_reflection_test.cc, the ACL table (item 44) in access_control_test.cc.
#include "reflector/controller/image_policy_reconciler.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "reflector/controller/image_repository_reconciler.h"
#include "tests/reflector/controller/policy_test_support.h"

namespace imgauto::reflector::controller {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using Tags = std::vector<std::string>;

class ImagePolicyReconcilerTest : public PolicyReconcilerTestBase {
 protected:
  ImagePolicyReconcilerTest() : reconciler_(MakeReconciler()) {}

  ReconcileResult Reconcile() { return reconciler_.Reconcile(policy_); }

  ImagePolicyReconciler reconciler_;
};

// ---- success (§7.5 items 28–31, 33–37) ----

TEST_F(ImagePolicyReconcilerTest, SelectsLatestAndMarksReady) {
  SetRepoTags({"0.1.0", "0.1.1", "0.2.0", "1.0.0", "1.0.1", "1.0.2", "1.1.0-alpha"});

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.requeue_after, seconds(0));
  ASSERT_TRUE(policy_.status.latest_ref.has_value());
  EXPECT_EQ(*policy_.status.latest_ref, (api::ImageRef{std::string(kImage), "1.0.2", ""}));
  EXPECT_FALSE(policy_.status.observed_previous_ref.has_value());
  EXPECT_EQ(policy_.status.observed_generation, 1);
  const kube::Condition* ready = Find(kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "True");
  EXPECT_EQ(ready->reason, "Succeeded");
  EXPECT_EQ(ready->message, "Latest image tag for ghcr.io/stefanprodan/podinfo resolved to 1.0.2");
  EXPECT_EQ(Find(kube::kReconcilingCondition), nullptr);
  EXPECT_EQ(Find(kube::kStalledCondition), nullptr);
  ASSERT_TRUE(result.event.has_value());
  EXPECT_EQ(*result.event, (Event{EventType::kNormal, "Succeeded", ready->message}));
}

struct SelectionCase {
  std::string name;
  api::ImagePolicyChoice policy;
  std::optional<api::TagFilterSpec> filter;
  Tags tags;
  std::string expected;
};

// Names the case in failure output instead of dumping its bytes.
void PrintTo(const SelectionCase& c, std::ostream* os) { *os << c.name; }

class PolicySelectionTest : public PolicyReconcilerTestBase,
                            public ::testing::WithParamInterface<SelectionCase> {};

TEST_P(PolicySelectionTest, ResolvesLatestRef) {
  ImagePolicyReconciler reconciler = MakeReconciler();
  policy_.spec.policy = GetParam().policy;
  policy_.spec.filter_tags = GetParam().filter;
  SetRepoTags(GetParam().tags);

  ReconcileResult result = reconciler.Reconcile(policy_);

  ASSERT_FALSE(result.error.has_value()) << result.error->message();
  ASSERT_TRUE(policy_.status.latest_ref.has_value());
  EXPECT_EQ(policy_.status.latest_ref->tag, GetParam().expected);
  EXPECT_EQ(policy_.status.latest_ref->name, kImage);
}

INSTANTIATE_TEST_SUITE_P(
    Flux, PolicySelectionTest,
    ::testing::Values(
        SelectionCase{"SemverItem28",
                      Semver("1.0.x"),
                      std::nullopt,
                      {"1.0.0", "2.0.0", "1.0.1", "1.2.0"},
                      "1.0.1"},
        SelectionCase{"SemverPrefixedItem29",
                      Semver("v1.0.x"),
                      std::nullopt,
                      {"v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"},
                      "v1.0.1"},
        SelectionCase{"PrefixedRangePlainTagsItem30",
                      Semver("v1.0.x"),
                      std::nullopt,
                      {"1.0.0", "2.0.0", "1.0.1", "1.2.0"},
                      "1.0.1"},
        SelectionCase{"PlainRangePrefixedTagsItem31",
                      Semver("1.0.x"),
                      std::nullopt,
                      {"v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"},
                      "v1.0.1"},
        SelectionCase{"NumericalExtractItem33",
                      Numerical("asc"),
                      api::TagFilterSpec{"1.0.0-rc\\.(?P<num>[0-9]+)", "$num"},
                      {"1.0.0", "1.0.0-rc.1", "1.0.0-rc.2", "1.0.0-rc.3", "1.0.1-rc.2"},
                      "1.0.0-rc.3"},
        SelectionCase{"AlphabeticalExtractItem34",
                      Alphabetical("asc"),
                      api::TagFilterSpec{"foo-(?P<word>[a-z]+)", "$word"},
                      {"foo-aaa", "bar-bbb", "foo-zzz", "baz-nnn", "foo-ooo"},
                      "foo-zzz"},
        SelectionCase{"SemverItem35",
                      Semver("1.0.x"),
                      std::nullopt,
                      {"0.1.0", "0.1.1", "0.2.0", "1.0.0", "1.0.1", "1.0.2", "1.1.0-alpha"},
                      "1.0.2"},
        SelectionCase{"AlphabeticalDefaultItem36",
                      Alphabetical(),
                      std::nullopt,
                      {"xenial", "yakkety", "zesty", "artful", "bionic"},
                      "zesty"},
        SelectionCase{
            "SemverExtractOriginalTagItem37",
            Semver(">=0.x"),
            api::TagFilterSpec{"^test-(.*)$", "$1"},
            {"test-0.1.0", "test-0.1.1", "dev-0.2.0", "1.0.0", "1.0.1", "1.0.2", "1.1.0-alpha"},
            "test-0.1.1"}),
    [](const ::testing::TestParamInfo<SelectionCase>& info) { return info.param.name; });

TEST_F(ImagePolicyReconcilerTest, NewLatestMovesOldRefToPrevious) {
  SetRepoTags({"1.0.0", "1.0.1"});
  Reconcile();
  SetRepoTags({"1.0.0", "1.0.1", "1.0.2"});

  ReconcileResult result = Reconcile();

  ASSERT_FALSE(result.error.has_value());
  EXPECT_EQ(policy_.status.latest_ref->tag, "1.0.2");
  ASSERT_TRUE(policy_.status.observed_previous_ref.has_value());
  EXPECT_EQ(*policy_.status.observed_previous_ref,
            (api::ImageRef{std::string(kImage), "1.0.1", ""}));
  EXPECT_EQ(Find(kube::kReadyCondition)->message,
            "Latest image tag for ghcr.io/stefanprodan/podinfo resolved to 1.0.2 (previously "
            "ghcr.io/stefanprodan/podinfo:1.0.1)");
  EXPECT_EQ(result.event->type, EventType::kNormal);
}

TEST_F(ImagePolicyReconcilerTest, UnchangedResultKeepsPreviousAndEmitsTrace) {
  SetRepoTags({"1.0.0", "1.0.1"});
  Reconcile();
  SetRepoTags({"1.0.0", "1.0.1", "1.0.2"});
  Reconcile();
  const std::optional<api::ImageRef> previous = policy_.status.observed_previous_ref;

  ReconcileResult result = Reconcile();

  EXPECT_EQ(policy_.status.observed_previous_ref, previous);
  ASSERT_TRUE(result.event.has_value());
  EXPECT_EQ(result.event->type, EventType::kTrace);
  EXPECT_EQ(result.event->reason, "Succeeded");
  EXPECT_EQ(result.event->message, Find(kube::kReadyCondition)->message);
}

// ---- failures (§1.5 ImagePolicy rows, §7.5 items 27, 32, 38, 40) ----

TEST_F(ImagePolicyReconcilerTest, EmptyPolicyChoiceStallsAsInvalidPolicy) {
  SetRepoTags({"1.0.0"});
  policy_.spec.policy = api::ImagePolicyChoice{};

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.requeue_after, seconds(0));
  const kube::Condition* stalled = Find(kube::kStalledCondition);
  ASSERT_NE(stalled, nullptr);
  EXPECT_EQ(stalled->reason, "InvalidPolicy");
  EXPECT_EQ(stalled->message.rfind("invalid policy: ", 0), 0u) << stalled->message;
  EXPECT_EQ(Find(kube::kReadyCondition)->status, "False");
  EXPECT_EQ(Find(kube::kReadyCondition)->reason, "InvalidPolicy");
  EXPECT_EQ(Find(kube::kReconcilingCondition), nullptr);
  EXPECT_EQ(policy_.status.observed_generation, 1);
  EXPECT_FALSE(policy_.status.latest_ref.has_value());
}

TEST_F(ImagePolicyReconcilerTest, InvalidFilterPatternStallsAsInvalidPolicy) {
  SetRepoTags({"1.0.0"});
  for (std::string_view pattern : {"[=", "^test-(.*"}) {
    policy_.spec.filter_tags = api::TagFilterSpec{std::string(pattern), ""};
    ReconcileResult result = Reconcile();
    EXPECT_FALSE(result.error.has_value());
    const kube::Condition* ready = Find(kube::kReadyCondition);
    ASSERT_NE(ready, nullptr);
    EXPECT_EQ(ready->status, "False");
    EXPECT_EQ(ready->reason, "InvalidPolicy");
    EXPECT_NE(ready->message.find("invalid regular expression pattern"), std::string::npos)
        << ready->message;
    EXPECT_EQ(ready->message.rfind("failed to filter tags: ", 0), 0u) << ready->message;
    EXPECT_NE(Find(kube::kStalledCondition), nullptr);
  }
}

TEST_F(ImagePolicyReconcilerTest, StoreReadErrorIsFailure) {
  SetRepoTags({"1.0.0"});
  store_.FailReadsWith(Error(ErrorKind::kTransient, "read error"));

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  const kube::Condition* ready = Find(kube::kReadyCondition);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "Failure");
  EXPECT_EQ(ready->message, "failed to read tags from database: read error");
  EXPECT_EQ(result.error->message(), ready->message);
  EXPECT_EQ(Find(kube::kReconcilingCondition)->reason, "ProgressingWithRetry");
}

TEST_F(ImagePolicyReconcilerTest, EmptyStoreIsDependencyNotReadyWithRequeue) {
  SetRepoTags({});

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.requeue_after, seconds(30));
  const kube::Condition* ready = Find(kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "DependencyNotReady");
  EXPECT_EQ(ready->message, "retrying in 30s error: no tags in database");
  EXPECT_EQ(Find(kube::kReconcilingCondition)->reason, "ProgressingWithRetry");
  EXPECT_EQ(policy_.status.observed_generation, -1);
  // The repository says it stored nothing: no point re-reading.
  EXPECT_EQ(store_.read_calls(), 1);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(ImagePolicyReconcilerTest, RequeueDependencyOptionShapesMessageAndRequeue) {
  ImagePolicyReconciler reconciler = MakeReconciler({.requeue_dependency = minutes(2)});
  SetRepoTags({});

  ReconcileResult result = reconciler.Reconcile(policy_);

  EXPECT_EQ(result.requeue_after, minutes(2));
  EXPECT_EQ(Find(kube::kReadyCondition)->message, "retrying in 2m0s error: no tags in database");
}

TEST_F(ImagePolicyReconcilerTest, EmptyStoreIsReReadWhileRepositoryClaimsTags) {
  SetRepoTags({"1.0.0", "1.0.1"});
  store_.ReturnEmptyReads(2);

  ReconcileResult result = Reconcile();

  ASSERT_FALSE(result.error.has_value());
  EXPECT_EQ(policy_.status.latest_ref->tag, "1.0.1");
  EXPECT_EQ(store_.read_calls(), 3);
  EXPECT_EQ(sleeps_,
            (std::vector<std::chrono::nanoseconds>{seconds(1), std::chrono::milliseconds(1500)}));
}

TEST_F(ImagePolicyReconcilerTest, EmptyStoreGivesUpAfterFourReads) {
  SetRepoTags({"1.0.0"});
  store_.ReturnEmptyReads(100);

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(Find(kube::kReadyCondition)->reason, "DependencyNotReady");
  EXPECT_EQ(store_.read_calls(), 4);
  EXPECT_EQ(sleeps_,
            (std::vector<std::chrono::nanoseconds>{seconds(1), std::chrono::milliseconds(1500),
                                                   std::chrono::milliseconds(2250)}));
}

// §7.5 item 40: a repository whose image does not exist never stores tags.
TEST_F(ImagePolicyReconcilerTest, NonExistentImageLeavesPolicyDependencyNotReady) {
  ImageRepositoryReconciler repositories(factory_, secrets_, store_, clock_);
  repo_.spec.image = "ghcr.io/doesnot/exist";
  ReconcileResult scan = repositories.Reconcile(repo_);
  ASSERT_TRUE(scan.error.has_value());
  repos_.Put(repo_);

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(Find(kube::kReadyCondition)->reason, "DependencyNotReady");
  EXPECT_EQ(Find(kube::kReadyCondition)->message, "retrying in 30s error: no tags in database");
}

TEST_F(ImagePolicyReconcilerTest, SelectionErrorIsFailure) {
  SetRepoTags({"b1.2.3", "b1.0.0", "b0.1.0"});

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  const kube::Condition* ready = Find(kube::kReadyCondition);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "Failure");
  EXPECT_EQ(ready->message, "unable to determine latest version from provided list");
  EXPECT_EQ(result.error->message(), ready->message);
  ASSERT_TRUE(result.event.has_value());
  EXPECT_EQ(result.event->type, EventType::kWarning);
}

TEST_F(ImagePolicyReconcilerTest, NoFilterMatchIsEmptyVersionList) {
  SetRepoTags({"1.0.0"});
  policy_.spec.filter_tags = api::TagFilterSpec{"^nothing$", ""};

  Reconcile();

  EXPECT_EQ(Find(kube::kReadyCondition)->message, "version list argument cannot be empty");
  EXPECT_EQ(Find(kube::kReadyCondition)->reason, "Failure");
}

TEST_F(ImagePolicyReconcilerTest, NumericalParseErrorIsFailure) {
  SetRepoTags({"0", "1a", "b"});
  policy_.spec.policy = Numerical("asc");

  Reconcile();

  // The store hands tags over in descending byte order, so "b" is the first bad value.
  EXPECT_EQ(Find(kube::kReadyCondition)->message, "failed to parse invalid numeric value 'b'");
}

TEST_F(ImagePolicyReconcilerTest, FailureKeepsLastLatestRef) {
  SetRepoTags({"1.0.0", "1.0.1"});
  Reconcile();
  store_.FailReadsWith(Error(ErrorKind::kTransient, "read error"));

  Reconcile();

  ASSERT_TRUE(policy_.status.latest_ref.has_value());
  EXPECT_EQ(policy_.status.latest_ref->tag, "1.0.1");
}

// ---- repository reference (§2.3 step 2, §7.5 items 44, 45) ----

TEST_F(ImagePolicyReconcilerTest, MissingRepositoryIsDependencyNotReadyError) {
  policy_.spec.image_repository_name = "missing";

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->kind(), ErrorKind::kNotFound);
  const kube::Condition* ready = Find(kube::kReadyCondition);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "DependencyNotReady");
  EXPECT_EQ(ready->message,
            "failed to get the referred ImageRepository: referenced ImageRepository does not "
            "exist: imagerepositories.image.toolkit.fluxcd.io \"missing\" not found");
  EXPECT_EQ(result.error->message(), ready->message);
}

TEST_F(ImagePolicyReconcilerTest, RepositoryReadErrorIsFailure) {
  repos_.FailWith(Error(ErrorKind::kTransient, "connection refused"));

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(Find(kube::kReadyCondition)->reason, "Failure");
  EXPECT_EQ(Find(kube::kReadyCondition)->message,
            "failed to get the referred ImageRepository: connection refused");
}

TEST_F(ImagePolicyReconcilerTest, CrossNamespaceWithoutAclIsAccessDenied) {
  repo_.metadata.ns = "registry";
  SetRepoTags({"1.0.0"});
  policy_.spec.image_repository_namespace = "registry";

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  const kube::Condition* ready = Find(kube::kReadyCondition);
  EXPECT_EQ(ready->reason, "AccessDenied");
  EXPECT_EQ(ready->message,
            "failed to get the referred ImageRepository: access denied: 'registry/podinfo' can't "
            "be accessed due to missing ACL labels on 'accessFrom'");
  EXPECT_FALSE(policy_.status.latest_ref.has_value());
}

TEST_F(ImagePolicyReconcilerTest, CrossNamespaceWithMatchingAclSelects) {
  repo_.metadata.ns = "registry";
  repo_.spec.access_from = std::vector<api::NamespaceSelector>{Selector({{"tenant", "b"}})};
  SetRepoTags({"1.0.0"});
  repos_.SetNamespaceLabels("default", {{"tenant", "b"}, {"env", "test"}});
  policy_.spec.image_repository_namespace = "registry";

  ReconcileResult result = Reconcile();

  ASSERT_FALSE(result.error.has_value()) << result.error->message();
  EXPECT_EQ(policy_.status.latest_ref->tag, "1.0.0");
}

TEST_F(ImagePolicyReconcilerTest, AclMismatchIsAccessDenied) {
  repo_.metadata.ns = "registry";
  repo_.spec.access_from = std::vector<api::NamespaceSelector>{Selector({{"tenant", "b"}})};
  SetRepoTags({"1.0.0"});
  repos_.SetNamespaceLabels("default", {{"tenant", "a"}});
  policy_.spec.image_repository_namespace = "registry";

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(Find(kube::kReadyCondition)->reason, "AccessDenied");
  EXPECT_EQ(Find(kube::kReadyCondition)->message,
            "failed to get the referred ImageRepository: access denied: 'registry/podinfo' can't "
            "be accessed due to ACL labels mismatch on namespace 'default'");
}

TEST_F(ImagePolicyReconcilerTest, NoCrossNamespaceRefsDeniesEvenWithMatchingAcl) {
  ImagePolicyReconciler strict = MakeReconciler({.no_cross_namespace_refs = true});
  repo_.metadata.ns = "registry";
  repo_.spec.access_from = std::vector<api::NamespaceSelector>{Selector({})};
  SetRepoTags({"1.0.0"});
  repos_.SetNamespaceLabels("default", {});
  policy_.spec.image_repository_namespace = "registry";

  ReconcileResult result = strict.Reconcile(policy_);

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(Find(kube::kReadyCondition)->reason, "AccessDenied");
  EXPECT_EQ(Find(kube::kReadyCondition)->message,
            "failed to get the referred ImageRepository: cannot access "
            "'ImageRepository/registry/podinfo', cross-namespace references have been blocked");
}

TEST_F(ImagePolicyReconcilerTest, NoCrossNamespaceRefsAllowsOwnNamespace) {
  ImagePolicyReconciler strict = MakeReconciler({.no_cross_namespace_refs = true});
  SetRepoTags({"1.0.0"});
  policy_.spec.image_repository_namespace = "default";

  ReconcileResult result = strict.Reconcile(policy_);

  EXPECT_FALSE(result.error.has_value());
}

TEST_F(ImagePolicyReconcilerTest, InvalidRepositoryImageStallsPolicy) {
  repo_.spec.image = "ghcr.io/stefanprodan/podinfo/foo:bar:zzz:qqq/aaa";
  repos_.Put(repo_);

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  const kube::Condition* stalled = Find(kube::kStalledCondition);
  ASSERT_NE(stalled, nullptr);
  EXPECT_EQ(stalled->reason, "ImageURLInvalid");
  EXPECT_EQ(Find(kube::kReadyCondition)->reason, "ImageURLInvalid");
  EXPECT_EQ(policy_.status.observed_generation, 1);
}

TEST_F(ImagePolicyReconcilerTest, RepositoryServiceAccountWithoutGateStallsPolicy) {
  repo_.spec.provider = "gcp";
  repo_.spec.service_account_name = "gar-reader";
  SetRepoTags({"1.0.0"});

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(Find(kube::kStalledCondition)->reason, "FeatureGateDisabled");
  EXPECT_EQ(Find(kube::kStalledCondition)->message,
            "to use spec.serviceAccountName in the ImageRepository for provider authentication "
            "please enable the ObjectLevelWorkloadIdentity feature gate in the controller");
}

// ---- Always without interval (§7.5 item 43) ----

TEST_F(ImagePolicyReconcilerTest, AlwaysWithoutIntervalStalls) {
  SetRepoTags({"1.0.0"});
  policy_.spec.digest_reflection_policy = api::DigestReflectionPolicy::kAlways;

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.requeue_after, seconds(0));
  const std::string message =
      "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'";
  const kube::Condition* stalled = Find(kube::kStalledCondition);
  ASSERT_NE(stalled, nullptr);
  EXPECT_EQ(stalled->reason, "IntervalNotConfigured");
  EXPECT_EQ(stalled->message, message);
  const kube::Condition* ready = Find(kube::kReadyCondition);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "IntervalNotConfigured");
  EXPECT_EQ(ready->message, message);
  EXPECT_EQ(Find(kube::kReconcilingCondition), nullptr);
  EXPECT_EQ(store_.read_calls(), 0);
  EXPECT_EQ(factory_.digest_calls(), 0);
}

TEST_F(ImagePolicyReconcilerTest, AlwaysRequeuesAfterIntervalOrTenMinutes) {
  SetRepoTags({"1.0.0"});
  registry_.SetDigest(std::string(kImage), "1.0.0", "sha256:aaa");
  policy_.spec.digest_reflection_policy = api::DigestReflectionPolicy::kAlways;
  policy_.spec.interval = minutes(3);
  EXPECT_EQ(Reconcile().requeue_after, minutes(3));

  policy_.spec.interval = seconds(0);
  EXPECT_EQ(Reconcile().requeue_after, minutes(10));
}

// ---- suspend, progress, reconcile requests ----

TEST_F(ImagePolicyReconcilerTest, SuspendedPolicyIsLeftAlone) {
  SetRepoTags({"1.0.0"});
  policy_.spec.suspend = true;
  policy_.metadata.annotations = {{"reconcile.fluxcd.io/requestedAt", "t1"}};

  ReconcileResult result = Reconcile();

  EXPECT_EQ(result.requeue_after, seconds(0));
  EXPECT_FALSE(result.event.has_value());
  EXPECT_TRUE(policy_.status.conditions.empty());
  EXPECT_FALSE(policy_.status.latest_ref.has_value());
  EXPECT_EQ(policy_.status.last_handled_reconcile_at, "t1");
  EXPECT_EQ(store_.read_calls(), 0);
}

TEST_F(ImagePolicyReconcilerTest, RecordsHandledReconcileRequest) {
  SetRepoTags({"1.0.0"});
  policy_.metadata.annotations = {{"reconcile.fluxcd.io/requestedAt", "2024-05-01T10:00:00Z"}};

  Reconcile();

  EXPECT_EQ(policy_.status.last_handled_reconcile_at, "2024-05-01T10:00:00Z");
}

TEST_F(ImagePolicyReconcilerTest, NewGenerationIsPersistedAsProgress) {
  SetRepoTags({"1.0.0"});
  std::vector<std::string> progress;
  ReconcileContext context;
  context.persist_progress = [&] {
    progress.push_back(
        kube::FindCondition(policy_.status.conditions, kube::kReconcilingCondition)->message);
  };

  reconciler_.Reconcile(policy_, context);
  reconciler_.Reconcile(policy_, context);

  EXPECT_EQ(progress, (std::vector<std::string>{"processing object: new generation -1 -> 1"}));
}

// ---- selector cache ----

TEST_F(ImagePolicyReconcilerTest, SpecChangeIsPickedUpWithoutGenerationChange) {
  SetRepoTags({"1.0.0", "1.0.1", "2.0.0"});
  Reconcile();
  ASSERT_EQ(policy_.status.latest_ref->tag, "1.0.1");

  policy_.spec.policy = Semver("2.x");
  Reconcile();
  EXPECT_EQ(policy_.status.latest_ref->tag, "2.0.0");

  policy_.spec.filter_tags = api::TagFilterSpec{"^1\\.", ""};
  policy_.spec.policy = Semver(">=1.0.0");
  Reconcile();
  EXPECT_EQ(policy_.status.latest_ref->tag, "1.0.1");
}

TEST_F(ImagePolicyReconcilerTest, ForgetDropsCachedSelector) {
  SetRepoTags({"1.0.0", "1.0.1"});
  Reconcile();
  reconciler_.Forget({"default", "podinfo"});

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(policy_.status.latest_ref->tag, "1.0.1");
}

// ---- end to end with the repository reconciler (§7.5 item 39) ----

TEST_F(ImagePolicyReconcilerTest, ExclusionChangeMovesPolicyWithoutReadyTransition) {
  registry_.SetTags(std::string(kImage),
                    {"6.6.0", "6.6.3", "6.7.0", "6.7.1", "6.7.1-rc.1", "latest", "6.7.0.sig"});
  ImageRepositoryReconciler repositories(factory_, secrets_, store_, clock_);
  ASSERT_FALSE(repositories.Reconcile(repo_).error.has_value());
  repos_.Put(repo_);
  policy_.spec.policy = Semver("6.7.x");
  policy_.spec.filter_tags = api::TagFilterSpec{"^6\\.7\\.\\d+$", ""};
  ASSERT_FALSE(Reconcile().error.has_value());
  ASSERT_EQ(policy_.status.latest_ref->tag, "6.7.1");
  const std::string ready_since = Find(kube::kReadyCondition)->last_transition_time;

  // An unrelated repository reconcile: no rescan, same revision, no policy trigger.
  clock_.Advance(seconds(30));
  api::ImageRepositoryStatus before = repo_.status;
  repositories.Reconcile(repo_);
  EXPECT_FALSE(ScanRevisionChanged(before, repo_.status));

  // Excluding 6.7.1 changes the revision, which triggers the policy.
  clock_.Advance(seconds(30));
  repo_.spec.exclusion_list = {"^6\\.7\\.1$"};
  repo_.metadata.generation = 2;
  before = repo_.status;
  ASSERT_FALSE(repositories.Reconcile(repo_).error.has_value());
  ASSERT_TRUE(ScanRevisionChanged(before, repo_.status));
  repos_.Put(repo_);
  ReconcileResult result = Reconcile();

  ASSERT_FALSE(result.error.has_value());
  EXPECT_EQ(policy_.status.latest_ref->tag, "6.7.0");
  EXPECT_EQ(policy_.status.observed_previous_ref->tag, "6.7.1");
  EXPECT_EQ(Find(kube::kReadyCondition)->status, "True");
  EXPECT_EQ(Find(kube::kReadyCondition)->last_transition_time, ready_since);
  EXPECT_EQ(Find(kube::kReadyCondition)->message,
            "Latest image tag for ghcr.io/stefanprodan/podinfo resolved to 6.7.0 (previously "
            "ghcr.io/stefanprodan/podinfo:6.7.1)");
}

// ---- trigger helper ----

TEST(LatestRefChangedTest, ComparesEveryField) {
  api::ImagePolicyStatus none;
  api::ImagePolicyStatus a;
  a.latest_ref = api::ImageRef{"img", "1.0.0", ""};
  api::ImagePolicyStatus same = a;
  same.conditions.push_back(kube::Condition{});
  api::ImagePolicyStatus tag = a;
  tag.latest_ref->tag = "1.0.1";
  api::ImagePolicyStatus digest = a;
  digest.latest_ref->digest = "sha256:1";
  api::ImagePolicyStatus name = a;
  name.latest_ref->name = "other";

  EXPECT_FALSE(LatestRefChanged(a, same));
  EXPECT_FALSE(LatestRefChanged(none, none));
  EXPECT_TRUE(LatestRefChanged(none, a));
  EXPECT_TRUE(LatestRefChanged(a, none));
  EXPECT_TRUE(LatestRefChanged(a, tag));
  EXPECT_TRUE(LatestRefChanged(a, digest));
  EXPECT_TRUE(LatestRefChanged(a, name));
}

TEST(RepositoryKeyTest, DefaultsToPolicyNamespace) {
  api::ImagePolicy policy;
  policy.metadata.ns = "apps";
  policy.spec.image_repository_name = "app";
  EXPECT_EQ(RepositoryKey(policy), (kube::ObjectKey{"apps", "app"}));
  policy.spec.image_repository_namespace = "registry";
  EXPECT_EQ(RepositoryKey(policy), (kube::ObjectKey{"registry", "app"}));
}

}  // namespace
}  // namespace imgauto::reflector::controller
