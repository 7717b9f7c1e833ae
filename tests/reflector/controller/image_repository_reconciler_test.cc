// ImageRepositoryReconciler over fakes: every ImageRepository row of Flux reference §1.5, the
// scan flow of §2.2 and the controller vectors of §7.6 (items 46–48, 52, 54–58).
#include "reflector/controller/image_repository_reconciler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/duration.h"
#include "core/kube/conditions.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_registry_client.h"
#include "tests/fakes/fake_registry_client_factory.h"
#include "tests/fakes/fake_secret_getter.h"
#include "tests/fakes/in_memory_tag_store.h"

namespace imgauto::reflector::controller {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using Tags = std::vector<std::string>;

constexpr std::string_view kImage = "example.com/foo/bar";
constexpr std::string_view kAbcdRevision =
    "sha256:5c6861a52da9e6bfd5f0b37a8c51af173d7550443bb36253b18b2caf57987f53";

const kube::Condition* Find(const api::ImageRepository& repo, std::string_view type) {
  return kube::FindCondition(repo.status.conditions, type);
}

// The Reconciling condition each persist_progress call saw.
struct ProgressLog {
  std::vector<std::string> reconciling;
  std::vector<std::string> ready_status;
};

class ImageRepositoryReconcilerTest : public ::testing::Test {
 protected:
  ImageRepositoryReconcilerTest()
      : factory_(registry_), reconciler_(factory_, secrets_, store_, clock_) {
    repo_.metadata.api_version = "image.toolkit.fluxcd.io/v1";
    repo_.metadata.kind = "ImageRepository";
    repo_.metadata.ns = "default";
    repo_.metadata.name = "bar";
    repo_.metadata.generation = 1;
    repo_.spec.image = std::string(kImage);
    repo_.spec.interval = minutes(1);
  }

  ReconcileResult Reconcile() { return reconciler_.Reconcile(repo_); }

  // Reconciles and records the conditions at every progress persist.
  ReconcileResult ReconcileLogged(ProgressLog& log) {
    ReconcileContext context;
    context.persist_progress = [&] {
      const kube::Condition* r = Find(repo_, kube::kReconcilingCondition);
      const kube::Condition* ready = Find(repo_, kube::kReadyCondition);
      log.reconciling.push_back(r != nullptr ? r->message : "");
      log.ready_status.push_back(ready != nullptr ? ready->status : "");
    };
    return reconciler_.Reconcile(repo_, context);
  }

  void SetAnnotation(std::string value) {
    repo_.metadata.annotations = {{"reconcile.fluxcd.io/requestedAt", std::move(value)}};
  }

  testing::FakeClock clock_;
  testing::FakeRegistryClient registry_;
  testing::FakeRegistryClientFactory factory_;
  testing::FakeSecretGetter secrets_;
  testing::InMemoryTagStore store_;
  ImageRepositoryReconciler reconciler_;
  api::ImageRepository repo_;
};

TEST_F(ImageRepositoryReconcilerTest, FirstScanStoresTagsAndMarksReady) {
  registry_.SetTags(std::string(kImage), {"a", "b", "c", "d"});

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.requeue_after, minutes(1));
  EXPECT_EQ(*store_.Tags({"default", "bar"}), (Tags{"d", "c", "b", "a"}));
  ASSERT_TRUE(repo_.status.last_scan_result.has_value());
  EXPECT_EQ(repo_.status.last_scan_result->tag_count, 4);
  EXPECT_EQ(repo_.status.last_scan_result->latest_tags, (Tags{"d", "c", "b", "a"}));
  EXPECT_EQ(repo_.status.last_scan_result->revision, kAbcdRevision);
  EXPECT_EQ(repo_.status.last_scan_result->scan_time, FormatRfc3339(clock_.Now()));
  EXPECT_EQ(repo_.status.canonical_image_name, kImage);
  EXPECT_EQ(repo_.status.observed_exclusion_list, (Tags{"^.*\\.sig$"}));
  EXPECT_EQ(repo_.status.observed_generation, 1);
  const kube::Condition* ready = Find(repo_, kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "True");
  EXPECT_EQ(ready->reason, "Succeeded");
  EXPECT_EQ(ready->message,
            "successful scan: found 4 tags with checksum " + std::string(kAbcdRevision));
  EXPECT_EQ(Find(repo_, kube::kReconcilingCondition), nullptr);
  EXPECT_EQ(Find(repo_, kube::kStalledCondition), nullptr);
}

TEST_F(ImageRepositoryReconcilerTest, RegistryOrderDoesNotChangeRevision) {
  registry_.SetTags(std::string(kImage), {"c", "d", "a", "b"});
  Reconcile();
  const std::string first = repo_.status.last_scan_result->revision;
  registry_.SetTags(std::string(kImage), {"c", "b", "a", "d"});
  SetAnnotation("again");

  Reconcile();

  EXPECT_EQ(registry_.list_calls(), 2);
  EXPECT_EQ(repo_.status.last_scan_result->revision, first);
  EXPECT_EQ(*store_.Tags({"default", "bar"}), (Tags{"d", "c", "b", "a"}));
}

TEST_F(ImageRepositoryReconcilerTest, KeepsTenLatestTagsInStatus) {
  registry_.SetTags(std::string(kImage), {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"});

  Reconcile();

  EXPECT_EQ(repo_.status.last_scan_result->tag_count, 11);
  EXPECT_EQ(repo_.status.last_scan_result->latest_tags,
            (Tags{"k", "j", "i", "h", "g", "f", "e", "d", "c", "b"}));
  EXPECT_EQ(store_.Tags({"default", "bar"})->size(), 11u);
}

TEST_F(ImageRepositoryReconcilerTest, ExclusionListDropsTagsBeforeStoring) {
  registry_.SetTags(std::string(kImage), {"a", "b", "c", "d"});
  repo_.spec.exclusion_list = {"c"};
  Reconcile();
  EXPECT_EQ(*store_.Tags({"default", "bar"}), (Tags{"d", "b", "a"}));

  repo_.spec.exclusion_list = {"c", "a"};
  repo_.metadata.generation = 2;
  Reconcile();

  EXPECT_EQ(*store_.Tags({"default", "bar"}), (Tags{"d", "b"}));
  EXPECT_EQ(repo_.status.observed_exclusion_list, (Tags{"c", "a"}));
  EXPECT_EQ(repo_.status.observed_generation, 2);
}

TEST_F(ImageRepositoryReconcilerTest, InvalidExclusionPatternIsReadOperationFailed) {
  registry_.SetTags(std::string(kImage), {"a"});
  repo_.spec.exclusion_list = {"[[="};

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  const kube::Condition* ready = Find(repo_, kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "ReadOperationFailed");
  EXPECT_EQ(ready->message.rfind("scan failed: ", 0), 0u) << ready->message;
  EXPECT_NE(ready->message.find("failed to compile regex"), std::string::npos) << ready->message;
  EXPECT_EQ(result.error->message(), ready->message);
}

TEST_F(ImageRepositoryReconcilerTest, MissingRegistryRepositoryIsReadOperationFailed) {
  ProgressLog log;
  ReconcileResult result = ReconcileLogged(log);

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.requeue_after, seconds(0));
  const kube::Condition* ready = Find(repo_, kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->reason, "ReadOperationFailed");
  EXPECT_NE(ready->message.find("404 Not Found"), std::string::npos) << ready->message;
  const kube::Condition* reconciling = Find(repo_, kube::kReconcilingCondition);
  ASSERT_NE(reconciling, nullptr);
  EXPECT_EQ(reconciling->status, "True");
  EXPECT_EQ(reconciling->reason, "ProgressingWithRetry");
  EXPECT_EQ(reconciling->message, "scanning: first scan");
  // Not Ready: observedGeneration is not advanced.
  EXPECT_EQ(repo_.status.observed_generation, -1);
  EXPECT_FALSE(repo_.status.last_scan_result.has_value());
}

TEST_F(ImageRepositoryReconcilerTest, DockerHubShortNameGetsCanonicalName) {
  repo_.spec.image = "alpine";
  registry_.SetTags("index.docker.io/library/alpine", {"3.19", "3.20"});

  ReconcileResult result = Reconcile();

  ASSERT_FALSE(result.error.has_value()) << result.error->message();
  EXPECT_EQ(repo_.status.canonical_image_name, "index.docker.io/library/alpine");
}

TEST_F(ImageRepositoryReconcilerTest, SuspendedObjectIsLeftAlone) {
  repo_.spec.suspend = true;
  registry_.SetTags(std::string(kImage), {"a"});

  ReconcileResult result = Reconcile();

  EXPECT_EQ(result.requeue_after, seconds(0));
  EXPECT_FALSE(result.error.has_value());
  EXPECT_FALSE(result.event.has_value());
  EXPECT_TRUE(repo_.status.canonical_image_name.empty());
  EXPECT_TRUE(repo_.status.conditions.empty());
  EXPECT_EQ(repo_.status.observed_generation, -1);
  EXPECT_EQ(factory_.create_calls(), 0);
  EXPECT_EQ(registry_.list_calls(), 0);
}

TEST_F(ImageRepositoryReconcilerTest, SuspendedObjectStillRecordsHandledRequest) {
  repo_.spec.suspend = true;
  SetAnnotation("2024-05-01T10:00:00Z");

  Reconcile();

  EXPECT_EQ(repo_.status.last_handled_reconcile_at, "2024-05-01T10:00:00Z");
  EXPECT_TRUE(repo_.status.conditions.empty());
}

TEST_F(ImageRepositoryReconcilerTest, ReconcileRequestForcesScanAndIsRecorded) {
  registry_.SetTags(std::string(kImage), {"a"});
  Reconcile();
  const std::string first_scan = repo_.status.last_scan_result->scan_time;
  clock_.Advance(seconds(10));
  SetAnnotation("token-1");

  ProgressLog log;
  ReconcileResult result = ReconcileLogged(log);

  EXPECT_EQ(registry_.list_calls(), 2);
  EXPECT_NE(repo_.status.last_scan_result->scan_time, first_scan);
  EXPECT_EQ(repo_.status.last_scan_result->scan_time, FormatRfc3339(clock_.Now()));
  EXPECT_EQ(repo_.status.last_handled_reconcile_at, "token-1");
  EXPECT_EQ(result.requeue_after, minutes(1));
  // Persisted once for the new request, once when the scan starts.
  ASSERT_EQ(log.reconciling.size(), 2u);
  EXPECT_EQ(log.reconciling[0], "reconciliation in progress");
  EXPECT_EQ(log.reconciling[1], "scanning: reconcile requested");
}

TEST_F(ImageRepositoryReconcilerTest, HandledRequestDoesNotScanAgain) {
  registry_.SetTags(std::string(kImage), {"a"});
  SetAnnotation("token-1");
  Reconcile();
  clock_.Advance(seconds(10));

  ProgressLog log;
  ReconcileResult result = ReconcileLogged(log);

  EXPECT_EQ(registry_.list_calls(), 1);
  EXPECT_EQ(result.requeue_after, seconds(50));
  EXPECT_TRUE(log.reconciling.empty());
}

TEST_F(ImageRepositoryReconcilerTest, NoScanBeforeIntervalKeepsReadyAndRequeuesForTimeLeft) {
  registry_.SetTags(std::string(kImage), {"a", "b", "c", "d"});
  Reconcile();
  const std::vector<kube::Condition> after_scan = repo_.status.conditions;
  clock_.Advance(seconds(30));

  ReconcileResult result = Reconcile();

  EXPECT_EQ(registry_.list_calls(), 1);
  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.requeue_after, seconds(30));
  EXPECT_EQ(repo_.status.conditions, after_scan);
  ASSERT_TRUE(result.event.has_value());
  EXPECT_EQ(*result.event,
            (Event{EventType::kTrace, "Succeeded",
                   "no change in repository configuration since last scan, next scan in 30s"}));
}

TEST_F(ImageRepositoryReconcilerTest, ScansAgainWhenIntervalElapsed) {
  registry_.SetTags(std::string(kImage), {"a"});
  Reconcile();
  clock_.Advance(minutes(2));

  ProgressLog log;
  ReconcileResult result = ReconcileLogged(log);

  EXPECT_EQ(registry_.list_calls(), 2);
  EXPECT_EQ(result.requeue_after, minutes(1));
  ASSERT_EQ(log.reconciling.size(), 1u);
  EXPECT_EQ(log.reconciling[0], "scanning: triggered by interval");
  ASSERT_TRUE(result.event.has_value());
  EXPECT_EQ(*result.event,
            (Event{EventType::kTrace, "Succeeded", "tags did not change, next scan in 1m0s"}));
}

TEST_F(ImageRepositoryReconcilerTest, NewImageNameScans) {
  registry_.SetTags(std::string(kImage), {"a"});
  registry_.SetTags("example.com/foo/baz", {"z"});
  Reconcile();
  repo_.spec.image = "example.com/foo/baz";
  repo_.metadata.generation = 2;

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(registry_.list_calls(), 2);
  EXPECT_EQ(repo_.status.canonical_image_name, "example.com/foo/baz");
  EXPECT_EQ(*store_.Tags({"default", "bar"}), (Tags{"z"}));
}

TEST_F(ImageRepositoryReconcilerTest, ProgressReasonsFollowShouldScan) {
  registry_.SetTags(std::string(kImage), {"a"});
  registry_.SetTags("example.com/foo/baz", {"z"});
  ProgressLog log;
  ReconcileLogged(log);  // first scan
  repo_.spec.image = "example.com/foo/baz";
  ReconcileLogged(log);  // new image name
  repo_.spec.exclusion_list = {"bar"};
  ReconcileLogged(log);  // updated exclusion list

  EXPECT_EQ(
      log.reconciling,
      (std::vector<std::string>{"processing object: new generation -1 -> 1", "scanning: first scan",
                                "scanning: new image name", "scanning: updated exclusion list"}));
}

TEST_F(ImageRepositoryReconcilerTest, EmptyStoreRescansAndResetsReadyToUnknown) {
  registry_.SetTags(std::string(kImage), {"a"});
  Reconcile();
  ASSERT_TRUE(store_.Delete({"default", "bar"}));
  clock_.Advance(seconds(5));

  ProgressLog log;
  ReconcileResult result = ReconcileLogged(log);

  EXPECT_EQ(registry_.list_calls(), 2);
  ASSERT_EQ(log.reconciling.size(), 1u);
  EXPECT_EQ(log.reconciling[0], "scanning: no tags in database");
  EXPECT_EQ(log.ready_status[0], "Unknown");
  const kube::Condition* ready = Find(repo_, kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "True");
  // The Unknown step is a real transition.
  EXPECT_EQ(ready->last_transition_time, FormatRfc3339(clock_.Now()));
  EXPECT_EQ(*store_.Tags({"default", "bar"}), (Tags{"a"}));
  EXPECT_FALSE(result.error.has_value());
}

TEST_F(ImageRepositoryReconcilerTest, StoreReadErrorIsFailureWithoutScan) {
  registry_.SetTags(std::string(kImage), {"a"});
  Reconcile();
  store_.FailReadsWith(Error(ErrorKind::kTransient, "read error"));

  ReconcileResult result = Reconcile();

  EXPECT_EQ(registry_.list_calls(), 1);
  ASSERT_TRUE(result.error.has_value());
  const kube::Condition* ready = Find(repo_, kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "Failure");
  EXPECT_EQ(ready->message, "failed to determine if it's scan time: read error");
  EXPECT_EQ(Find(repo_, kube::kReconcilingCondition)->reason, "ProgressingWithRetry");
}

TEST_F(ImageRepositoryReconcilerTest, StoreWriteErrorIsReadOperationFailed) {
  registry_.SetTags(std::string(kImage), {"a"});
  store_.FailWritesWith(Error(ErrorKind::kTransient, "disk full"));

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(Find(repo_, kube::kReadyCondition)->message, "scan failed: disk full");
}

TEST_F(ImageRepositoryReconcilerTest, InvalidImageStallsWithoutRegistryAccess) {
  repo_.spec.image = "https://ghcr.io/org/app";

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.requeue_after, seconds(0));
  const kube::Condition* stalled = Find(repo_, kube::kStalledCondition);
  ASSERT_NE(stalled, nullptr);
  EXPECT_EQ(stalled->reason, "ImageURLInvalid");
  EXPECT_EQ(stalled->message,
            "image 'https://ghcr.io/org/app' should not include URL scheme; remove 'https://'");
  const kube::Condition* ready = Find(repo_, kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "ImageURLInvalid");
  EXPECT_EQ(ready->message, stalled->message);
  EXPECT_EQ(Find(repo_, kube::kReconcilingCondition), nullptr);
  EXPECT_EQ(repo_.status.observed_generation, 1);
  EXPECT_EQ(factory_.create_calls(), 0);
}

TEST_F(ImageRepositoryReconcilerTest, FixedImageClearsStalled) {
  repo_.spec.image = "ghcr.io/org/app:v1";
  Reconcile();
  ASSERT_NE(Find(repo_, kube::kStalledCondition), nullptr);
  repo_.spec.image = std::string(kImage);
  repo_.metadata.generation = 2;
  registry_.SetTags(std::string(kImage), {"a"});

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(Find(repo_, kube::kStalledCondition), nullptr);
  EXPECT_EQ(Find(repo_, kube::kReadyCondition)->status, "True");
}

TEST_F(ImageRepositoryReconcilerTest, AuthenticationSetupFailureIsAuthenticationFailed) {
  registry_.SetTags(std::string(kImage), {"a"});
  factory_.FailWith(Error(ErrorKind::kNotFound, "secrets \"regcred\" not found"));

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->kind(), ErrorKind::kNotFound);
  const kube::Condition* ready = Find(repo_, kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "AuthenticationFailed");
  EXPECT_EQ(ready->message,
            "failed to configure authentication options: secrets \"regcred\" not found");
  EXPECT_EQ(registry_.list_calls(), 0);
  EXPECT_EQ(Find(repo_, kube::kReconcilingCondition)->reason, "ProgressingWithRetry");
  EXPECT_EQ(factory_.created_for(), (std::vector<std::string>{"default/bar"}));
}

TEST_F(ImageRepositoryReconcilerTest, AuthenticationIsCheckedEvenWhenNoScanIsDue) {
  registry_.SetTags(std::string(kImage), {"a"});
  Reconcile();
  factory_.FailWith(Error(ErrorKind::kInvalidSpec, "secret 'default/regcred': bad json"));
  clock_.Advance(seconds(10));

  ReconcileResult result = Reconcile();

  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(Find(repo_, kube::kReadyCondition)->reason, "AuthenticationFailed");
  EXPECT_EQ(registry_.list_calls(), 1);
}

TEST_F(ImageRepositoryReconcilerTest, RecoversFromFailureWithoutRescanWhenNotDue) {
  registry_.SetTags(std::string(kImage), {"a"});
  Reconcile();
  factory_.FailWith(Error(ErrorKind::kNotFound, "secrets \"regcred\" not found"));
  Reconcile();
  factory_.FailWith(std::nullopt);
  clock_.Advance(seconds(20));

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(registry_.list_calls(), 1);
  EXPECT_EQ(Find(repo_, kube::kReadyCondition)->status, "True");
  EXPECT_EQ(Find(repo_, kube::kReconcilingCondition), nullptr);
  ASSERT_TRUE(result.event.has_value());
  EXPECT_EQ(result.event->type, EventType::kNormal);
  EXPECT_EQ(result.event->reason, "Succeeded");
}

TEST_F(ImageRepositoryReconcilerTest, CloudProviderWithServiceAccountNeedsFeatureGate) {
  repo_.spec.provider = "aws";
  repo_.spec.service_account_name = "ecr-reader";

  ReconcileResult result = Reconcile();

  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.requeue_after, seconds(0));
  const kube::Condition* stalled = Find(repo_, kube::kStalledCondition);
  ASSERT_NE(stalled, nullptr);
  EXPECT_EQ(stalled->reason, "FeatureGateDisabled");
  EXPECT_EQ(stalled->message,
            "to use spec.serviceAccountName for provider authentication please enable the "
            "ObjectLevelWorkloadIdentity feature gate in the controller");
  EXPECT_EQ(Find(repo_, kube::kReadyCondition)->reason, "FeatureGateDisabled");
  EXPECT_EQ(factory_.create_calls(), 0);
  ASSERT_TRUE(result.event.has_value());
  EXPECT_EQ(result.event->type, EventType::kWarning);
}

TEST_F(ImageRepositoryReconcilerTest, FeatureGateLetsCloudProviderThrough) {
  ImageRepositoryReconciler gated(factory_, secrets_, store_, clock_,
                                  {.object_level_workload_identity = true});
  repo_.spec.provider = "aws";
  repo_.spec.service_account_name = "ecr-reader";
  registry_.SetTags(std::string(kImage), {"a"});

  gated.Reconcile(repo_);

  EXPECT_EQ(Find(repo_, kube::kStalledCondition), nullptr);
  EXPECT_EQ(factory_.create_calls(), 1);
}

TEST_F(ImageRepositoryReconcilerTest, NewGenerationIsPersistedAsProgress) {
  registry_.SetTags(std::string(kImage), {"a"});
  Reconcile();
  repo_.metadata.generation = 2;
  factory_.FailWith(Error(ErrorKind::kTransient, "boom"));

  ProgressLog log;
  ReconcileLogged(log);

  ASSERT_FALSE(log.reconciling.empty());
  EXPECT_EQ(log.reconciling[0], "processing object: new generation 1 -> 2");
  // The retry keeps the progress message, as Flux's result finalizer does.
  EXPECT_EQ(Find(repo_, kube::kReconcilingCondition)->message,
            "processing object: new generation 1 -> 2");
  EXPECT_EQ(repo_.status.observed_generation, 1);
}

TEST_F(ImageRepositoryReconcilerTest, EventsFollowReadyTransitions) {
  registry_.SetTags(std::string(kImage), {"a"});
  ReconcileResult first = Reconcile();
  ASSERT_TRUE(first.event.has_value());
  EXPECT_EQ(first.event->type, EventType::kNormal);
  EXPECT_EQ(first.event->reason, "Succeeded");
  EXPECT_EQ(first.event->message, Find(repo_, kube::kReadyCondition)->message);

  registry_.SetTags(std::string(kImage), {"a", "b"});
  SetAnnotation("new-tags");
  ReconcileResult changed = Reconcile();
  ASSERT_TRUE(changed.event.has_value());
  EXPECT_EQ(changed.event->type, EventType::kNormal);
  EXPECT_NE(changed.event->message.find("found 2 tags"), std::string::npos);

  registry_.FailWith(Error(ErrorKind::kTransient, "connection refused"));
  SetAnnotation("fail");
  ReconcileResult failed = Reconcile();
  ASSERT_TRUE(failed.event.has_value());
  EXPECT_EQ(*failed.event,
            (Event{EventType::kWarning, "ReadOperationFailed", "scan failed: connection refused"}));
}

TEST_F(ImageRepositoryReconcilerTest, ForgetDeletesStoredTags) {
  registry_.SetTags(std::string(kImage), {"a"});
  Reconcile();
  ASSERT_TRUE(store_.Contains({"default", "bar"}));

  ASSERT_TRUE(reconciler_.Forget({"default", "bar"}));

  EXPECT_FALSE(store_.Contains({"default", "bar"}));
  EXPECT_TRUE(reconciler_.Forget({"default", "unknown"}));
}

TEST(ScanRevisionChangedTest, FiresOnFirstResultAndNewRevisionOnly) {
  api::ImageRepositoryStatus none;
  api::ImageRepositoryStatus scanned;
  scanned.last_scan_result = api::ScanResult{"sha256:1", 1, "2024-05-01T10:00:00Z", {"a"}};
  api::ImageRepositoryStatus rescanned = scanned;
  rescanned.last_scan_result->scan_time = "2024-05-01T10:05:00Z";
  api::ImageRepositoryStatus changed = scanned;
  changed.last_scan_result->revision = "sha256:2";

  EXPECT_TRUE(ScanRevisionChanged(none, scanned));
  EXPECT_FALSE(ScanRevisionChanged(none, none));
  EXPECT_FALSE(ScanRevisionChanged(scanned, rescanned));
  EXPECT_TRUE(ScanRevisionChanged(scanned, changed));
  EXPECT_FALSE(ScanRevisionChanged(scanned, none));
}

// §7.5 item 45, trigger half: a repository going Stalled keeps its scan result, so its
// policies are not reconciled (and stay Ready).
TEST_F(ImageRepositoryReconcilerTest, GoingStalledDoesNotTriggerPolicies) {
  registry_.SetTags(std::string(kImage), {"a"});
  Reconcile();
  const api::ImageRepositoryStatus before = repo_.status;
  repo_.spec.image = "ghcr.io/stefanprodan/podinfo/foo:bar:zzz:qqq/aaa";
  repo_.metadata.generation = 2;

  Reconcile();

  ASSERT_NE(Find(repo_, kube::kStalledCondition), nullptr);
  EXPECT_EQ(Find(repo_, kube::kStalledCondition)->reason, "ImageURLInvalid");
  EXPECT_FALSE(ScanRevisionChanged(before, repo_.status));
}

}  // namespace
}  // namespace imgauto::reflector::controller
