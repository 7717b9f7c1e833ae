// DeliveryTracker: the detection-latency, lead-time and git-push metrics the runners report, from
// the calls they make at each step (webhook push, scan, policy reconcile, automation reconcile),
// with a FakeClock and a recording ReconcileMetrics.
#include "cmd/delivery_tracker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/cmd/recording_reconcile_metrics.h"
#include "tests/fakes/fake_clock.h"

namespace imgauto::cmd {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using Detection = RecordingReconcileMetrics::Detection;
using LeadTimeSample = RecordingReconcileMetrics::LeadTimeSample;
using TimePoint = DeliveryTracker::TimePoint;

constexpr std::string_view kImage = "registry.example.com/team/web";

// An ImagePolicy apps/<name> of the ImageRepository <repo_ns or apps>/<repo>, selecting `tag`
// (none when empty), with Ready=<ready>.
reflector::api::ImagePolicy Policy(std::string name, std::string repo, std::string tag,
                                   std::string ready = "True", std::string repo_ns = "") {
  reflector::api::ImagePolicy policy;
  policy.metadata.kind = "ImagePolicy";
  policy.metadata.ns = "apps";
  policy.metadata.name = std::move(name);
  policy.metadata.generation = 1;
  policy.spec.image_repository_name = std::move(repo);
  policy.spec.image_repository_namespace = std::move(repo_ns);
  if (!tag.empty()) {
    policy.status.latest_ref = reflector::api::ImageRef{std::string(kImage), std::move(tag), ""};
  }
  kube::Condition condition;
  condition.type = "Ready";
  condition.status = std::move(ready);
  condition.reason = condition.status == "True" ? "Succeeded" : "ReconciliationFailed";
  condition.observed_generation = 1;
  policy.status.conditions.push_back(condition);
  return policy;
}

// A CreatedLookup that counts its calls and answers `created`.
struct CountingLookup {
  int calls = 0;
  std::optional<TimePoint> created;

  DeliveryTracker::CreatedLookup Function() {
    return [this]() -> std::optional<TimePoint> {
      ++calls;
      return created;
    };
  }
};

automation::controller::AutomationReconcileResult Pushed(std::vector<std::string> policies,
                                                         TimePoint committed, TimePoint pushed) {
  automation::controller::AutomationReconcileResult result;
  result.pushed_commit = "0123456789abcdef0123456789abcdef01234567";
  result.committed_at = committed;
  result.pushed_at = pushed;
  result.changed_policies = std::move(policies);
  return result;
}

class DeliveryTrackerTest : public ::testing::Test {
 protected:
  DeliveryTrackerTest() { tracker_.set_metrics(&metrics_); }

  imgauto::testing::FakeClock clock_;
  RecordingReconcileMetrics metrics_;
  DeliveryTracker tracker_{clock_};
};

TEST_F(DeliveryTrackerTest, WebhookPushToGitRecordsDetectionAndLeadTime) {
  const TimePoint pushed = clock_.Now() - seconds(4);  // the registry event's own time
  tracker_.WebhookPushed("apps/web", "1.2.3", pushed);
  clock_.Advance(seconds(1));
  tracker_.ScanRequested("apps/web");
  clock_.Advance(seconds(2));
  tracker_.ScanFinished("apps/web");
  const TimePoint scanned = clock_.Now();
  clock_.Advance(seconds(1));  // the policy reconcile runs a little after the scan

  CountingLookup lookup;
  lookup.created = pushed - minutes(30);  // must not be used: the webhook time is known
  tracker_.PolicyReconciled(Policy("web", "web", "1.2.3"), /*latest_changed=*/true,
                            lookup.Function());
  EXPECT_EQ(lookup.calls, 0);
  EXPECT_EQ(metrics_.Detections(), (std::vector<Detection>{{"webhook", scanned - pushed}}));
  EXPECT_EQ(scanned - pushed, seconds(7));

  clock_.Advance(seconds(5));
  const TimePoint committed = clock_.Now();
  clock_.Advance(seconds(2));
  const TimePoint git_pushed = clock_.Now();
  tracker_.AutomationFinished(Pushed({"apps/web"}, committed, git_pushed));

  EXPECT_EQ(metrics_.GitPushes(), (std::vector<bool>{true}));
  EXPECT_EQ(metrics_.LeadTimes(),
            (std::vector<LeadTimeSample>{{"webhook", seconds(7), seconds(6), seconds(2)}}));

  // The measurement is complete: another push carrying the same policy adds no sample.
  tracker_.AutomationFinished(Pushed({"apps/web"}, clock_.Now(), clock_.Now()));
  EXPECT_EQ(metrics_.LeadTimes().size(), 1u);
  EXPECT_EQ(metrics_.GitPushes(), (std::vector<bool>{true, true}));
}

TEST_F(DeliveryTrackerTest, PollScanUsesCreatedLookupOncePerSelection) {
  tracker_.ScanFinished("apps/web");  // no webhook asked for it: a poll
  const TimePoint scanned = clock_.Now();
  clock_.Advance(seconds(3));

  CountingLookup lookup;
  lookup.created = scanned - minutes(2);
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, lookup.Function());
  EXPECT_EQ(lookup.calls, 1);
  EXPECT_EQ(metrics_.Detections(), (std::vector<Detection>{{"poll", minutes(2)}}));

  // Reconciles that keep the selection neither look up nor measure again.
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), false, lookup.Function());
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), false, lookup.Function());
  EXPECT_EQ(lookup.calls, 1);
  EXPECT_EQ(metrics_.Detections().size(), 1u);

  // A new selection looks up its own tag once.
  clock_.Advance(minutes(1));
  tracker_.ScanFinished("apps/web");
  const TimePoint rescanned = clock_.Now();
  lookup.created = rescanned - seconds(45);
  tracker_.PolicyReconciled(Policy("web", "web", "1.1.0"), true, lookup.Function());
  EXPECT_EQ(lookup.calls, 2);
  EXPECT_EQ(metrics_.Detections(),
            (std::vector<Detection>{{"poll", minutes(2)}, {"poll", seconds(45)}}));

  clock_.Advance(seconds(10));
  const TimePoint committed = clock_.Now();
  tracker_.AutomationFinished(Pushed({"apps/web"}, committed, committed + seconds(1)));
  EXPECT_EQ(metrics_.LeadTimes(),
            (std::vector<LeadTimeSample>{{"poll", seconds(45), seconds(10), seconds(1)}}));
}

TEST_F(DeliveryTrackerTest, WebhookTimeKnownSkipsLookupEvenForAPollScan) {
  const TimePoint pushed = clock_.Now();
  tracker_.WebhookPushed("apps/web", "2.0.0", pushed);
  clock_.Advance(seconds(20));
  tracker_.ScanFinished("apps/web");  // a scheduled scan found it before a requested one ran

  CountingLookup lookup;
  lookup.created = pushed - minutes(10);
  tracker_.PolicyReconciled(Policy("web", "web", "2.0.0"), true, lookup.Function());
  EXPECT_EQ(lookup.calls, 0);
  EXPECT_EQ(metrics_.Detections(), (std::vector<Detection>{{"poll", seconds(20)}}));
}

TEST_F(DeliveryTrackerTest, WebhookScanRequestIsServedByOneScan) {
  tracker_.WebhookPushed("apps/web", "1.0.0", clock_.Now());
  tracker_.ScanRequested("apps/web");
  tracker_.ScanRequested("apps/web");
  clock_.Advance(seconds(1));
  tracker_.ScanFinished("apps/web");  // webhook-triggered
  clock_.Advance(seconds(1));
  tracker_.ScanFinished("apps/web");  // the next one is a poll again
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, nullptr);
  EXPECT_EQ(metrics_.Detections(), (std::vector<Detection>{{"poll", seconds(2)}}));
}

TEST_F(DeliveryTrackerTest, RequestForAnotherRepositoryDoesNotMakeThisScanWebhook) {
  tracker_.WebhookPushed("apps/web", "1.0.0", clock_.Now());
  tracker_.ScanRequested("apps/api");
  clock_.Advance(seconds(3));
  tracker_.ScanFinished("apps/web");
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, nullptr);
  EXPECT_EQ(metrics_.Detections(), (std::vector<Detection>{{"poll", seconds(3)}}));
}

TEST_F(DeliveryTrackerTest, PolicyInAnotherNamespaceUsesItsRepositoryKey) {
  tracker_.WebhookPushed("infra/web", "3.0.0", clock_.Now());
  tracker_.ScanRequested("infra/web");
  clock_.Advance(seconds(4));
  tracker_.ScanFinished("infra/web");
  CountingLookup lookup;
  tracker_.PolicyReconciled(Policy("web", "web", "3.0.0", "True", "infra"), true,
                            lookup.Function());
  EXPECT_EQ(lookup.calls, 0);
  EXPECT_EQ(metrics_.Detections(), (std::vector<Detection>{{"webhook", seconds(4)}}));
}

TEST_F(DeliveryTrackerTest, SelectionWithoutAnyPushTimeIsNotMeasured) {
  tracker_.ScanFinished("apps/web");
  CountingLookup lookup;  // the registry does not tell the created time
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, lookup.Function());
  EXPECT_EQ(lookup.calls, 1);
  tracker_.AutomationFinished(Pushed({"apps/web"}, clock_.Now(), clock_.Now()));
  EXPECT_TRUE(metrics_.Detections().empty());
  EXPECT_TRUE(metrics_.LeadTimes().empty());
  EXPECT_EQ(metrics_.GitPushes(), (std::vector<bool>{true}));
}

TEST_F(DeliveryTrackerTest, NotReadyPolicyDropsPendingMeasurement) {
  tracker_.WebhookPushed("apps/web", "1.0.0", clock_.Now());
  clock_.Advance(seconds(1));
  tracker_.ScanFinished("apps/web");
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, nullptr);
  ASSERT_EQ(metrics_.Detections().size(), 1u);

  CountingLookup lookup;
  lookup.created = clock_.Now();
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0", "False"), true, lookup.Function());
  EXPECT_EQ(lookup.calls, 0);  // a failed policy selects nothing

  tracker_.AutomationFinished(Pushed({"apps/web"}, clock_.Now(), clock_.Now()));
  EXPECT_EQ(metrics_.GitPushes(), (std::vector<bool>{true}));
  EXPECT_TRUE(metrics_.LeadTimes().empty());
  EXPECT_EQ(metrics_.Detections().size(), 1u);
}

TEST_F(DeliveryTrackerTest, ReadyPolicyWithoutLatestRefDropsPendingMeasurement) {
  tracker_.WebhookPushed("apps/web", "1.0.0", clock_.Now());
  tracker_.ScanFinished("apps/web");
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, nullptr);
  tracker_.PolicyReconciled(Policy("web", "web", ""), false, nullptr);
  tracker_.AutomationFinished(Pushed({"apps/web"}, clock_.Now(), clock_.Now()));
  EXPECT_TRUE(metrics_.LeadTimes().empty());
}

TEST_F(DeliveryTrackerTest, PolicyFailedDropsOnlyThatPolicy) {
  tracker_.WebhookPushed("apps/web", "1.0.0", clock_.Now());
  clock_.Advance(seconds(2));
  tracker_.ScanFinished("apps/web");
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, nullptr);
  tracker_.PolicyReconciled(Policy("web-copy", "web", "1.0.0"), true, nullptr);
  tracker_.PolicyFailed("apps/web");
  tracker_.AutomationFinished(Pushed({"apps/web", "apps/web-copy"}, clock_.Now(), clock_.Now()));
  EXPECT_EQ(metrics_.LeadTimes(),
            (std::vector<LeadTimeSample>{{"poll", seconds(2), seconds(0), seconds(0)}}));
}

TEST_F(DeliveryTrackerTest, OnlyChangedPoliciesCompleteTheirLeadTime) {
  tracker_.WebhookPushed("apps/web", "1.0.0", clock_.Now());
  tracker_.WebhookPushed("apps/api", "1.0.0", clock_.Now());
  clock_.Advance(seconds(1));
  tracker_.ScanFinished("apps/web");
  tracker_.ScanFinished("apps/api");
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, nullptr);
  tracker_.PolicyReconciled(Policy("api", "api", "1.0.0"), true, nullptr);

  tracker_.AutomationFinished(Pushed({"apps/api"}, clock_.Now(), clock_.Now()));
  ASSERT_EQ(metrics_.LeadTimes().size(), 1u);
  // The other policy's measurement is still pending for a later push.
  tracker_.AutomationFinished(Pushed({"apps/web"}, clock_.Now(), clock_.Now()));
  EXPECT_EQ(metrics_.LeadTimes().size(), 2u);
}

TEST_F(DeliveryTrackerTest, PushFailureCountsAndKeepsMeasurementForTheRetry) {
  tracker_.WebhookPushed("apps/web", "1.0.0", clock_.Now());
  clock_.Advance(seconds(1));
  tracker_.ScanFinished("apps/web");
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, nullptr);
  const TimePoint committed = clock_.Now() + seconds(3);

  automation::controller::AutomationReconcileResult failed;
  failed.failed = true;
  failed.push_failed = true;
  failed.changed_policies = {"apps/web"};
  tracker_.AutomationFinished(failed);
  EXPECT_EQ(metrics_.GitPushes(), (std::vector<bool>{false}));
  EXPECT_TRUE(metrics_.LeadTimes().empty());

  tracker_.AutomationFinished(Pushed({"apps/web"}, committed, committed + seconds(60)));
  EXPECT_EQ(metrics_.GitPushes(), (std::vector<bool>{false, true}));
  EXPECT_EQ(metrics_.LeadTimes(),
            (std::vector<LeadTimeSample>{{"poll", seconds(1), seconds(3), seconds(60)}}));
}

TEST_F(DeliveryTrackerTest, AutomationWithoutPushRecordsNothing) {
  tracker_.WebhookPushed("apps/web", "1.0.0", clock_.Now());
  tracker_.ScanFinished("apps/web");
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, nullptr);
  automation::controller::AutomationReconcileResult no_change;
  no_change.changed_policies = {"apps/web"};  // ignored without a pushed commit
  tracker_.AutomationFinished(no_change);
  EXPECT_TRUE(metrics_.GitPushes().empty());
  EXPECT_TRUE(metrics_.LeadTimes().empty());
}

TEST_F(DeliveryTrackerTest, SelectionBeforeAnyScanIsDetectedNow) {
  // Tags loaded from a previous run's store: no scan finished in this process yet.
  const TimePoint pushed = clock_.Now() - minutes(3);
  CountingLookup lookup;
  lookup.created = pushed;
  tracker_.PolicyReconciled(Policy("web", "web", "1.0.0"), true, lookup.Function());
  EXPECT_EQ(metrics_.Detections(), (std::vector<Detection>{{"poll", minutes(3)}}));
}

TEST(DeliveryTrackerNoMetricsTest, EveryCallIsSafeWithoutMetrics) {
  imgauto::testing::FakeClock clock;
  DeliveryTracker tracker(clock);
  tracker.WebhookPushed("apps/web", "1.0.0", clock.Now());
  tracker.ScanRequested("apps/web");
  clock.Advance(seconds(2));
  tracker.ScanFinished("apps/web");
  tracker.PolicyReconciled(Policy("web", "web", "1.0.0"), true, nullptr);
  tracker.AutomationFinished(Pushed({"apps/web"}, clock.Now(), clock.Now()));
  automation::controller::AutomationReconcileResult failed;
  failed.push_failed = true;
  tracker.AutomationFinished(failed);
  tracker.PolicyFailed("apps/web");

  // Metrics attached later see only what happens from then on, and detaching stops reports.
  RecordingReconcileMetrics metrics;
  tracker.set_metrics(&metrics);
  tracker.WebhookPushed("apps/web", "1.1.0", clock.Now());
  clock.Advance(seconds(5));
  tracker.ScanFinished("apps/web");
  tracker.PolicyReconciled(Policy("web", "web", "1.1.0"), true, nullptr);
  EXPECT_EQ(metrics.Detections(), (std::vector<Detection>{{"poll", seconds(5)}}));
  tracker.set_metrics(nullptr);
  tracker.AutomationFinished(Pushed({"apps/web"}, clock.Now(), clock.Now()));
  EXPECT_TRUE(metrics.GitPushes().empty());
  EXPECT_TRUE(metrics.LeadTimes().empty());
}

TEST(DetectionAnnotationTest, RoundTripsAndRejectsGarbage) {
  runtime::PendingSelection s;
  s.tag = "1.2.3";
  s.source = "webhook";
  s.pushed = std::chrono::system_clock::time_point(std::chrono::seconds(1714557600)) +
             std::chrono::milliseconds(250);
  s.detected = s.pushed + std::chrono::seconds(2);
  const std::string text = EncodeSelection(s);
  std::optional<runtime::PendingSelection> back = DecodeSelection(text);
  ASSERT_TRUE(back.has_value()) << text;
  EXPECT_EQ(back->tag, "1.2.3");
  EXPECT_EQ(back->source, "webhook");
  EXPECT_EQ(back->pushed, s.pushed);
  EXPECT_EQ(back->detected, s.detected);
  for (const char* bad : {"", "not json", "[]", "{}", R"({"tag":"1","source":"carrier-pigeon",
      "pushedAt":"2024-05-01T10:00:00Z","detectedAt":"2024-05-01T10:00:00Z"})",
                          R"({"tag":"1","source":"poll","pushedAt":"yesterday",
      "detectedAt":"2024-05-01T10:00:00Z"})"}) {
    EXPECT_FALSE(DecodeSelection(bad).has_value()) << bad;
  }
}

TEST_F(DeliveryTrackerTest, RecentWebhookPushesAreWindowedDedupedAndBounded) {
  EXPECT_TRUE(tracker_.RecentWebhookPushes("apps/web").empty());
  const TimePoint t0 = clock_.Now();
  tracker_.WebhookPushed("apps/web", "1.0.0", t0);
  tracker_.WebhookPushed("apps/other", "9.9.9", t0);
  clock_.Advance(minutes(6));
  tracker_.WebhookPushed("apps/web", "1.1.0", clock_.Now());
  std::vector<DeliveryTracker::TagPush> recent = tracker_.RecentWebhookPushes("apps/web");
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].tag, "1.0.0");
  EXPECT_EQ(recent[0].pushed, t0);
  EXPECT_EQ(recent[1].tag, "1.1.0");

  // A tag reported again moves to the end with its new time; old reports leave the window.
  tracker_.WebhookPushed("apps/web", "1.0.0", clock_.Now());
  clock_.Advance(minutes(5));
  recent = tracker_.RecentWebhookPushes("apps/web");
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].tag, "1.1.0");
  EXPECT_EQ(recent[1].tag, "1.0.0");
  EXPECT_EQ(recent[1].pushed, t0 + minutes(6));
  EXPECT_TRUE(tracker_.RecentWebhookPushes("apps/other").empty());

  for (int i = 0; i < 30; ++i) tracker_.WebhookPushed("apps/web", "t" + std::to_string(i), t0);
  recent = tracker_.RecentWebhookPushes("apps/web");
  ASSERT_EQ(recent.size(), DeliveryTracker::kMaxRecentPushes);
  EXPECT_EQ(recent.back().tag, "t29");
  EXPECT_EQ(recent.front().tag, "t10");
}

TEST_F(DeliveryTrackerTest, HandedOverPushIsKnownButNotHandedOnAgain) {
  const TimePoint pushed = clock_.Now() - seconds(3);
  tracker_.HandedOverPush("apps/web", "1.2.3", pushed);
  EXPECT_TRUE(tracker_.RecentWebhookPushes("apps/web").empty());
  // The push time serves the lead time: a webhook-triggered scan, then the selection.
  tracker_.ScanRequested("apps/web");
  tracker_.ScanFinished("apps/web");
  CountingLookup lookup;
  tracker_.PolicySelected("apps/web", "apps/web", "1.2.3", lookup.Function());
  EXPECT_EQ(lookup.calls, 0);
  ASSERT_EQ(metrics_.Detections().size(), 1u);
  EXPECT_EQ(metrics_.Detections()[0].source, "webhook");
  EXPECT_EQ(metrics_.Detections()[0].latency, std::chrono::seconds(3));
}

TEST(WebhookHandoffTest, RoundTripsAndDropsWhatIsMalformed) {
  WebhookHandoff handoff;
  handoff.requested_at = "2024-05-01T10:00:00.123456789Z";
  const TimePoint pushed = std::chrono::system_clock::time_point(std::chrono::seconds(1714557600)) +
                           std::chrono::milliseconds(250);
  handoff.pushes = {{"1.2.3", pushed}, {"latest", pushed + seconds(1)}};
  const std::string text = EncodeWebhookHandoff(handoff);
  std::optional<WebhookHandoff> back = DecodeWebhookHandoff(text);
  ASSERT_TRUE(back.has_value()) << text;
  EXPECT_EQ(back->requested_at, handoff.requested_at);
  ASSERT_EQ(back->pushes.size(), 2u);
  EXPECT_EQ(back->pushes[0].tag, "1.2.3");
  EXPECT_EQ(back->pushes[0].pushed, pushed);
  EXPECT_EQ(back->pushes[1].tag, "latest");

  // No pushes (a generic receiver without a tag) still hands the request over.
  back = DecodeWebhookHandoff(R"({"requestedAt":"x"})");
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->pushes.empty());

  for (const char* bad : {"", "not json", "[]", "{}", R"({"requestedAt":""})",
                          R"({"requestedAt":7,"pushes":[]})"}) {
    EXPECT_FALSE(DecodeWebhookHandoff(bad).has_value()) << bad;
  }
  const std::string long_tag(129, 'x');
  back = DecodeWebhookHandoff(R"({"requestedAt":"r","pushes":[{"tag":")" + long_tag +
                              R"(","pushedAt":"2024-05-01T10:00:00Z"}]})");
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->pushes.empty());
  back = DecodeWebhookHandoff(R"({"requestedAt":"r","pushes":[1,{"tag":""},
      {"tag":"a","pushedAt":"yesterday"},{"tag":"b"},
      {"tag":"ok","pushedAt":"2024-05-01T10:00:00Z"}]})");
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->pushes.size(), 1u);
  EXPECT_EQ(back->pushes[0].tag, "ok");

  std::string many = R"({"requestedAt":"r","pushes":[)";
  for (int i = 0; i < 50; ++i) {
    many += std::string(i ? "," : "") + R"({"tag":"t)" + std::to_string(i) +
            R"(","pushedAt":"2024-05-01T10:00:00Z"})";
  }
  back = DecodeWebhookHandoff(many + "]}");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->pushes.size(), DeliveryTracker::kMaxRecentPushes);
}

}  // namespace
}  // namespace imgauto::cmd
