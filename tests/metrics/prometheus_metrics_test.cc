#include "metrics/prometheus_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "core/runtime/work_queue.h"
#include "core/strings.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace imgauto::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

runtime::ReconcileRecord Record(std::string ready, runtime::ReconcileResult result =
                                                       runtime::ReconcileResult::kSuccess) {
  runtime::ReconcileRecord r;
  r.kind = "ImagePolicy";
  r.ns = "apps";
  r.name = "web";
  r.duration = std::chrono::milliseconds(250);
  r.result = result;
  r.conditions = {{"Ready", ready, ready == "True" ? "Succeeded" : "Failure", "m", 1, "t"}};
  r.failure_reason = ready == "True" ? "" : "Failure";
  return r;
}

TEST(PrometheusMetricsTest, FluxHistogramWithFluxBuckets) {
  PrometheusMetrics m({.version = "1.2.3", .process_metrics = false});
  m.RecordReconcile(Record("True"));
  const std::string text = m.Serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE gotk_reconcile_duration_seconds histogram"));
  for (const char* le : {"0.01", "0.038363583488692544", "0.1471764538093883",
                         "0.5646216173286169", "2.166090855590701", "8.309900738254731",
                         "31.879757075478317", "122.30217221643493", "469.19495946736544",
                         "1799.9999999999986", "+Inf"}) {
    EXPECT_THAT(text, HasSubstr("gotk_reconcile_duration_seconds_bucket{kind=\"ImagePolicy\","
                                "name=\"web\",namespace=\"apps\",le=\"" +
                                std::string(le) + "\"}"))
        << le;
  }
  EXPECT_THAT(text, HasSubstr("gotk_reconcile_duration_seconds_count{kind=\"ImagePolicy\","
                              "name=\"web\",namespace=\"apps\"} 1"));
  EXPECT_THAT(text, HasSubstr("gotk_reconcile_duration_bucket{"));  // legacy name
  EXPECT_THAT(text, HasSubstr("imgauto_build_info{version=\"1.2.3\"} 1"));
}

TEST(PrometheusMetricsTest, ControllerRuntimeCountersArePreInitialised) {
  PrometheusMetrics m({.version = "v", .process_metrics = false});
  m.RecordReconcile(Record("False", runtime::ReconcileResult::kError));
  const std::string text = m.Serialize();
  EXPECT_THAT(text, HasSubstr("controller_runtime_reconcile_total{controller=\"imagepolicy\","
                              "result=\"error\"} 1"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_reconcile_total{controller=\"imagepolicy\","
                              "result=\"success\"} 0"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_reconcile_total{controller=\"imagepolicy\","
                              "result=\"requeue_after\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("controller_runtime_reconcile_errors_total{controller=\"imagepolicy\"} 1"));
  EXPECT_THAT(text, HasSubstr("controller_runtime_reconcile_time_seconds_bucket{controller="
                              "\"imagepolicy\",le=\"0.25\"} 1"));
  EXPECT_THAT(text, HasSubstr("imgauto_reconcile_failures_total{kind=\"ImagePolicy\","
                              "reason=\"Failure\"} 1"));
}

TEST(PrometheusMetricsTest, CompatibilitySeriesForOldDashboardsAndAlerts) {
  PrometheusMetrics m({.version = "v", .process_metrics = false});
  m.RecordReconcile(Record("False"));
  std::string text = m.Serialize();
  const std::string object = "kind=\"ImagePolicy\",name=\"web\",namespace=\"apps\"";
  EXPECT_THAT(text, HasSubstr("gotk_reconcile_condition{" + object +
                              ",status=\"False\",type=\"Ready\"} 1"));
  EXPECT_THAT(text, HasSubstr("gotk_reconcile_condition{" + object +
                              ",status=\"True\",type=\"Ready\"} 0"));
  EXPECT_THAT(text, HasSubstr("gotk_suspend_status{" + object + "} 0"));
  EXPECT_THAT(text, HasSubstr("flux_reconciliation_duration_seconds{" + object + "} 0.25"));
  m.RecordReconcile(Record("True"));
  text = m.Serialize();
  EXPECT_THAT(text, HasSubstr("gotk_reconcile_condition{" + object +
                              ",status=\"True\",type=\"Ready\"} 1"));
  EXPECT_THAT(text, HasSubstr("flux_reconciliation_success_total{" + object + "} 1"));
}

TEST(PrometheusMetricsTest, PolicyInfoKeepsOneSeriesPerPolicy) {
  PrometheusMetrics m({.version = "v", .process_metrics = false});
  m.RecordPolicyEvaluation("apps", "web", true, "ghcr.io/acme/web", "1.0.0");
  m.RecordPolicyEvaluation("apps", "web", true, "ghcr.io/acme/web", "1.1.0");
  m.RecordPolicyEvaluation("apps", "web", false, "", "");
  const std::string text = m.Serialize();
  EXPECT_THAT(text, HasSubstr("imgauto_image_policy_info{image=\"ghcr.io/acme/web\",name=\"web\","
                              "namespace=\"apps\",tag=\"1.1.0\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("tag=\"1.0.0\"")));
  EXPECT_THAT(text, HasSubstr("flux_image_policy_evaluation_total{name=\"web\",namespace=\"apps\","
                              "result=\"success\"} 2"));
  EXPECT_THAT(text, HasSubstr("flux_image_policy_evaluation_total{name=\"web\",namespace=\"apps\","
                              "result=\"failure\"} 1"));
}

TEST(PrometheusMetricsTest, ForgetDropsTheObjectsSeries) {
  PrometheusMetrics m({.version = "v", .process_metrics = false});
  m.RecordReconcile(Record("True"));
  m.RecordPolicyEvaluation("apps", "web", true, "img", "1");
  m.RecordAutomationRun("apps", "fleet", "pushed");
  m.Forget("ImagePolicy", "apps", "web");
  const std::string text = m.Serialize();
  EXPECT_THAT(text, Not(HasSubstr("name=\"web\"")));
  EXPECT_THAT(text, HasSubstr("flux_image_automation_run_total{name=\"fleet\",namespace=\"apps\","
                              "result=\"pushed\"} 1"));
}

TEST(PrometheusMetricsTest, IntervalAndLastScanPerRepository) {
  PrometheusMetrics m({.version = "v", .process_metrics = false});
  runtime::ReconcileRecord repo;
  repo.kind = "ImageRepository";
  repo.ns = "apps";
  repo.name = "web";
  repo.interval = std::chrono::minutes(5);
  repo.last_scan = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  m.RecordReconcile(repo);
  runtime::ReconcileRecord unscanned = repo;
  unscanned.name = "new";
  unscanned.last_scan.reset();
  m.RecordReconcile(unscanned);
  runtime::ReconcileRecord policy;  // no interval: no interval series
  policy.kind = "ImagePolicy";
  policy.ns = "apps";
  policy.name = "web";
  m.RecordReconcile(policy);

  std::string text = m.Serialize();
  EXPECT_THAT(text, HasSubstr("imgauto_reconcile_interval_seconds{kind=\"ImageRepository\","
                              "name=\"web\",namespace=\"apps\"} 300\n"));
  EXPECT_THAT(text, HasSubstr("imgauto_image_repository_last_scan_timestamp_seconds{name=\"web\","
                              "namespace=\"apps\"} 1700000000\n"));
  EXPECT_THAT(text, HasSubstr("imgauto_reconcile_interval_seconds{kind=\"ImageRepository\","
                              "name=\"new\",namespace=\"apps\"} 300\n"));
  EXPECT_THAT(text,
              Not(HasSubstr("imgauto_image_repository_last_scan_timestamp_seconds{name=\"new\"")));
  EXPECT_THAT(text, Not(HasSubstr("imgauto_reconcile_interval_seconds{kind=\"ImagePolicy\"")));

  // An interval that goes away takes its series along.
  unscanned.interval = std::chrono::nanoseconds(0);
  m.RecordReconcile(unscanned);
  text = m.Serialize();
  EXPECT_THAT(text, Not(HasSubstr("name=\"new\",namespace=\"apps\"} 300")));
  m.Forget("ImageRepository", "apps", "new");  // and forgetting it later is still safe

  m.Forget("ImageRepository", "apps", "web");
  text = m.Serialize();
  EXPECT_THAT(text, Not(HasSubstr("name=\"web\",namespace=\"apps\"} 300")));
  EXPECT_THAT(text,
              Not(HasSubstr("imgauto_image_repository_last_scan_timestamp_seconds{name=\"web\"")));
}

TEST(PrometheusMetricsTest, ProcessMetrics) {
  PrometheusMetrics m({.version = "v", .process_metrics = true});
  const std::string text = m.Serialize();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_start_time_seconds", "process_open_fds", "process_max_fds",
                           "process_virtual_memory_bytes"}) {
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + name)) << name;
  }
}

// A PrometheusMetrics on a FakeClock, without process_* series.
class ClockedMetricsTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  PrometheusMetrics metrics_{{.version = "v", .process_metrics = false, .clock = &clock_}};
};

// The value of the sample line `series` ("name{labels}") in `text`, or nullopt.
std::optional<std::string> Sample(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  for (const std::string& line : Split(text, "\n")) {
    if (line.rfind(prefix, 0) == 0) {
      return line.substr(prefix.size());
    }
  }
  return std::nullopt;
}

TEST_F(ClockedMetricsTest, RegistryRequestsAndRateLimitedCountOnly429) {
  metrics_.RecordRegistryRequest("ghcr.io", 200);
  metrics_.RecordRegistryRequest("ghcr.io", 429);
  metrics_.RecordRegistryRequest("ghcr.io", 503);
  metrics_.RecordRegistryRequest("registry.local:5000", 0);
  metrics_.RecordRegistryRequest("registry.local:5000", 200);
  const std::string text = metrics_.Serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE imgauto_registry_requests_total counter"));
  EXPECT_THAT(text, HasSubstr("# TYPE imgauto_registry_rate_limited_total counter"));
  EXPECT_EQ(Sample(text, "imgauto_registry_requests_total{code=\"429\",registry=\"ghcr.io\"}"), "1");
  EXPECT_EQ(Sample(text, "imgauto_registry_requests_total{code=\"503\",registry=\"ghcr.io\"}"), "1");
  EXPECT_EQ(Sample(text, "imgauto_registry_requests_total{code=\"error\","
                         "registry=\"registry.local:5000\"}"),
            "1");
  EXPECT_EQ(Sample(text, "imgauto_registry_rate_limited_total{registry=\"ghcr.io\"}"), "1");
  EXPECT_EQ(Sample(text, "imgauto_registry_rate_limited_total{registry=\"registry.local:5000\"}"),
            "0");
}

TEST_F(ClockedMetricsTest, DetectionAndLeadTimeHistograms) {
  metrics_.RecordDetection("webhook", std::chrono::seconds(3));
  metrics_.RecordDetection("poll", std::chrono::seconds(-5));  // clock skew: counts as zero
  metrics_.RecordLeadTime("poll", std::chrono::seconds(40), std::chrono::seconds(2),
                          std::chrono::milliseconds(1500));
  const std::string text = metrics_.Serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE imgauto_image_detection_latency_seconds histogram"));
  EXPECT_EQ(Sample(text, "imgauto_image_detection_latency_seconds_bucket{source=\"webhook\","
                         "le=\"2.5\"}"),
            "0");
  EXPECT_EQ(Sample(text, "imgauto_image_detection_latency_seconds_bucket{source=\"webhook\","
                         "le=\"5\"}"),
            "1");
  EXPECT_EQ(Sample(text, "imgauto_image_detection_latency_seconds_bucket{source=\"webhook\","
                         "le=\"86400\"}"),
            "1");
  EXPECT_EQ(Sample(text, "imgauto_image_detection_latency_seconds_sum{source=\"poll\"}"), "0");
  EXPECT_EQ(Sample(text, "imgauto_image_detection_latency_seconds_count{source=\"poll\"}"), "1");
  EXPECT_THAT(text, HasSubstr("# TYPE imgauto_lead_time_stage_seconds histogram"));
  EXPECT_EQ(Sample(text, "imgauto_lead_time_stage_seconds_sum{source=\"poll\",stage=\"detect\"}"),
            "40");
  EXPECT_EQ(Sample(text, "imgauto_lead_time_stage_seconds_sum{source=\"poll\",stage=\"commit\"}"),
            "2");
  EXPECT_EQ(Sample(text, "imgauto_lead_time_stage_seconds_sum{source=\"poll\",stage=\"push\"}"),
            "1.5");
  EXPECT_EQ(Sample(text, "imgauto_lead_time_seconds_sum{source=\"poll\"}"), "43.5");
  EXPECT_EQ(Sample(text, "imgauto_lead_time_seconds_bucket{source=\"poll\",le=\"30\"}"), "0");
  EXPECT_EQ(Sample(text, "imgauto_lead_time_seconds_bucket{source=\"poll\",le=\"60\"}"), "1");
}

TEST_F(ClockedMetricsTest, GitPushesLeaderAndApiRequests) {
  metrics_.RecordGitPush(true);
  metrics_.RecordGitPush(true);
  metrics_.SetLeader("imgauto-leader-election", true);
  metrics_.SetLeader("imgauto-leader-election", false);
  metrics_.RecordApiRequest("GET", "10.96.0.1:443", 200);
  metrics_.RecordApiRequest("PATCH", "10.96.0.1:443", 0);
  const std::string text = metrics_.Serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE imgauto_git_pushes_total counter"));
  EXPECT_EQ(Sample(text, "imgauto_git_pushes_total{result=\"success\"}"), "2");
  EXPECT_EQ(Sample(text, "imgauto_git_pushes_total{result=\"failure\"}"), "0");
  EXPECT_THAT(text, HasSubstr("# TYPE leader_election_master_status gauge"));
  EXPECT_EQ(Sample(text, "leader_election_master_status{name=\"imgauto-leader-election\"}"), "0");
  EXPECT_THAT(text, HasSubstr("# TYPE rest_client_requests_total counter"));
  EXPECT_EQ(Sample(text, "rest_client_requests_total{code=\"200\",host=\"10.96.0.1:443\","
                         "method=\"GET\"}"),
            "1");
  EXPECT_EQ(Sample(text, "rest_client_requests_total{code=\"<error>\",host=\"10.96.0.1:443\","
                         "method=\"PATCH\"}"),
            "1");
}

TEST_F(ClockedMetricsTest, TimeToRestoreIsObservedOncePerFalseToTrue) {
  const std::string count = "imgauto_time_to_restore_seconds_count{kind=\"ImagePolicy\"}";
  const std::string sum = "imgauto_time_to_restore_seconds_sum{kind=\"ImagePolicy\"}";
  // The series exists at zero from the start (so increase() sees the first restore).
  EXPECT_EQ(Sample(metrics_.Serialize(), count), "0");
  metrics_.RecordReconcile(Record("True"));
  EXPECT_EQ(Sample(metrics_.Serialize(), count), "0");
  metrics_.RecordReconcile(Record("False"));
  clock_.Advance(std::chrono::minutes(1));
  metrics_.RecordReconcile(Record("False"));  // still failing: the clock keeps running
  clock_.Advance(std::chrono::minutes(1));
  metrics_.RecordReconcile(Record("Unknown"));
  clock_.Advance(std::chrono::minutes(3));
  metrics_.RecordReconcile(Record("True"));
  metrics_.RecordReconcile(Record("True"));
  std::string text = metrics_.Serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE imgauto_time_to_restore_seconds histogram"));
  EXPECT_EQ(Sample(text, count), "1");
  EXPECT_EQ(Sample(text, sum), "300");
  EXPECT_EQ(Sample(text, "imgauto_time_to_restore_seconds_bucket{kind=\"ImagePolicy\","
                         "le=\"120\"}"),
            "0");
  EXPECT_EQ(Sample(text, "imgauto_time_to_restore_seconds_bucket{kind=\"ImagePolicy\","
                         "le=\"300\"}"),
            "1");

  metrics_.RecordReconcile(Record("False"));
  clock_.Advance(std::chrono::seconds(20));
  metrics_.RecordReconcile(Record("True"));
  text = metrics_.Serialize();
  EXPECT_EQ(Sample(text, count), "2");
  EXPECT_EQ(Sample(text, sum), "320");

  // A deleted object's failure is forgotten with it.
  metrics_.RecordReconcile(Record("False"));
  metrics_.Forget("ImagePolicy", "apps", "web");
  clock_.Advance(std::chrono::seconds(20));
  metrics_.RecordReconcile(Record("True"));
  EXPECT_EQ(Sample(metrics_.Serialize(), count), "2");
}

TEST_F(ClockedMetricsTest, WebhookSilentFlipsAfterSilentAfterAndBackOnAnEvent) {
  metrics_.SetWebhookReceivers({{.receiver = "apps/ghcr", .silent_after = std::chrono::minutes(10)},
                                {.receiver = "apps/never", .silent_after = {}}});
  const std::string silent = "imgauto_webhook_silent{receiver=\"apps/ghcr\"}";
  std::string text = metrics_.Serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE imgauto_webhook_silent gauge"));
  EXPECT_THAT(text, HasSubstr("# TYPE imgauto_webhook_last_event_timestamp_seconds gauge"));
  EXPECT_EQ(Sample(text, silent), "0");
  EXPECT_EQ(Sample(text, "imgauto_webhook_last_event_timestamp_seconds{receiver=\"apps/ghcr\"}"),
            "0");
  EXPECT_EQ(Sample(text, "imgauto_webhook_events_total{receiver=\"apps/ghcr\"}"), "0");
  clock_.Advance(std::chrono::minutes(10));
  EXPECT_EQ(Sample(metrics_.Serialize(), silent), "0");
  clock_.Advance(std::chrono::seconds(1));
  text = metrics_.Serialize();
  EXPECT_EQ(Sample(text, silent), "1");
  EXPECT_EQ(Sample(text, "imgauto_webhook_silent{receiver=\"apps/never\"}"), "0");  // no limit

  // Reconfiguring keeps the clock of a known receiver; a request without events does not reset it.
  metrics_.SetWebhookReceivers({{.receiver = "apps/ghcr", .silent_after = std::chrono::minutes(10)},
                                {.receiver = "apps/never", .silent_after = {}}});
  metrics_.RecordWebhookRequest("apps/ghcr", 400);
  metrics_.RecordWebhookEvent("apps/ghcr", 0, 0);
  EXPECT_EQ(Sample(metrics_.Serialize(), silent), "1");

  metrics_.RecordWebhookRequest("apps/ghcr", 200);
  metrics_.RecordWebhookEvent("apps/ghcr", 2, 3);
  text = metrics_.Serialize();
  EXPECT_EQ(Sample(text, silent), "0");
  EXPECT_EQ(Sample(text, "imgauto_webhook_events_total{receiver=\"apps/ghcr\"}"), "2");
  EXPECT_EQ(Sample(text, "imgauto_webhook_scans_triggered_total{receiver=\"apps/ghcr\"}"), "3");
  EXPECT_EQ(Sample(text, "imgauto_webhook_requests_total{code=\"200\",receiver=\"apps/ghcr\"}"),
            "1");
  EXPECT_EQ(Sample(text, "imgauto_webhook_requests_total{code=\"400\",receiver=\"apps/ghcr\"}"),
            "1");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      clock_.Now().time_since_epoch());
  EXPECT_EQ(Sample(text, "imgauto_webhook_last_event_timestamp_seconds{receiver=\"apps/ghcr\"}"),
            std::to_string(now.count()));
  clock_.Advance(std::chrono::minutes(11));
  EXPECT_EQ(Sample(metrics_.Serialize(), silent), "1");
}

TEST_F(ClockedMetricsTest, RemovedReceiversDropTheirSeries) {
  metrics_.SetWebhookReceivers({{.receiver = "apps/a", .silent_after = std::chrono::minutes(1)},
                                {.receiver = "apps/b", .silent_after = std::chrono::minutes(1)}});
  metrics_.RecordWebhookRequest("apps/a", 200);
  metrics_.RecordWebhookEvent("apps/a", 1, 1);
  metrics_.RecordWebhookRequest("apps/b", 401);
  metrics_.RecordWebhookRequest("unknown", 404);
  metrics_.SetWebhookReceivers({{.receiver = "apps/b", .silent_after = std::chrono::minutes(1)}});
  const std::string text = metrics_.Serialize();
  EXPECT_THAT(text, Not(HasSubstr("receiver=\"apps/a\"")));
  EXPECT_EQ(Sample(text, "imgauto_webhook_requests_total{code=\"401\",receiver=\"apps/b\"}"), "1");
  EXPECT_EQ(Sample(text, "imgauto_webhook_silent{receiver=\"apps/b\"}"), "0");
  // Requests that matched no receiver are never configured, so never dropped.
  EXPECT_EQ(Sample(text, "imgauto_webhook_requests_total{code=\"404\",receiver=\"unknown\"}"),
            "1");
  EXPECT_THAT(text, Not(HasSubstr("imgauto_webhook_silent{receiver=\"unknown\"}")));
}

std::string ControllerOf(const std::string& key) {
  if (key.rfind("R|", 0) == 0) return "imagerepository";
  if (key.rfind("P|", 0) == 0) return "imagepolicy";
  return "imageupdateautomation";
}

TEST_F(ClockedMetricsTest, WorkQueueSeriesPerControllerFromOneQueue) {
  const std::string policy = "{controller=\"imagepolicy\",name=\"imagepolicy\"}";
  const std::string repository = "{controller=\"imagerepository\",name=\"imagerepository\"}";
  const std::string automation =
      "{controller=\"imageupdateautomation\",name=\"imageupdateautomation\"}";
  EXPECT_THAT(metrics_.Serialize(), Not(HasSubstr("workqueue_")));  // no queue yet

  runtime::WorkQueue queue(
      {.clock = &clock_, .metrics = metrics_.work_queue_metrics(), .name_of = ControllerOf});
  queue.Add("P|apps/web");
  queue.Add("P|apps/api");
  queue.Add("P|apps/web");
  std::string text = metrics_.Serialize();
  for (const char* family : {"workqueue_depth gauge", "workqueue_adds_total counter",
                             "workqueue_queue_duration_seconds histogram",
                             "workqueue_work_duration_seconds histogram",
                             "workqueue_unfinished_work_seconds gauge",
                             "workqueue_longest_running_processor_seconds gauge",
                             "workqueue_retries_total counter"}) {
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + family)) << family;
  }
  EXPECT_EQ(Sample(text, "workqueue_depth" + policy), "2");
  EXPECT_EQ(Sample(text, "workqueue_adds_total" + policy), "2");
  // The other controllers' series exist before they have work.
  EXPECT_EQ(Sample(text, "workqueue_depth" + repository), "0");
  EXPECT_EQ(Sample(text, "workqueue_adds_total" + automation), "0");
  EXPECT_EQ(Sample(text, "workqueue_queue_duration_seconds_count" + automation), "0");

  clock_.Advance(std::chrono::seconds(1));
  ASSERT_EQ(queue.TryGet(), "P|apps/web");
  clock_.Advance(std::chrono::seconds(2));
  ASSERT_EQ(queue.TryGet(), "P|apps/api");
  clock_.Advance(std::chrono::seconds(3));
  text = metrics_.Serialize();
  EXPECT_EQ(Sample(text, "workqueue_depth" + policy), "0");
  EXPECT_EQ(Sample(text, "workqueue_queue_duration_seconds_count" + policy), "2");
  EXPECT_EQ(Sample(text, "workqueue_queue_duration_seconds_sum" + policy), "4");  // 1 s + 3 s
  EXPECT_EQ(Sample(text, "workqueue_unfinished_work_seconds" + policy), "8");  // 5 s + 3 s
  EXPECT_EQ(Sample(text, "workqueue_longest_running_processor_seconds" + policy), "5");
  // client-go's ExponentialBuckets(10e-9, 10, 12) as Go prints them.
  for (const char* le : {"1e-08", "1e-07", "1e-06", "9.999999999999999e-06",
                         "9.999999999999999e-05", "0.001", "0.01", "0.1", "1", "10", "100",
                         "1000", "+Inf"}) {
    EXPECT_TRUE(Sample(text, "workqueue_queue_duration_seconds_bucket{controller=\"imagepolicy\","
                             "name=\"imagepolicy\",le=\"" +
                                 std::string(le) + "\"}"))
        << le;
  }

  queue.Done("P|apps/web");
  queue.Done("P|apps/api");
  queue.AddRateLimited("R|apps/web");
  queue.AddAfter("P|apps/web", std::chrono::minutes(5));
  text = metrics_.Serialize();
  EXPECT_EQ(Sample(text, "workqueue_work_duration_seconds_count" + policy), "2");
  EXPECT_EQ(Sample(text, "workqueue_work_duration_seconds_sum" + policy), "8");
  EXPECT_EQ(Sample(text, "workqueue_unfinished_work_seconds" + policy), "0");
  EXPECT_EQ(Sample(text, "workqueue_longest_running_processor_seconds" + policy), "0");
  EXPECT_EQ(Sample(text, "workqueue_retries_total" + repository), "1");
  EXPECT_EQ(Sample(text, "workqueue_retries_total" + policy), "1");
  EXPECT_EQ(Sample(text, "workqueue_depth" + repository), "0");  // waiting is not queued
}

// OpenMetrics 1.0.0 rules the exposition must follow (a structural check; see the spec's ABNF
// and "Metric types"). Returns the problems found, empty when valid.
std::vector<std::string> OpenMetricsProblems(const std::string& text) {
  std::vector<std::string> problems;
  auto problem = [&](size_t line, const std::string& what) {
    problems.push_back("line " + std::to_string(line + 1) + ": " + what);
  };
  if (text.size() < 6 || text.substr(text.size() - 6) != "# EOF\n") {
    problems.push_back("does not end with \"# EOF\\n\"");
  }
  std::vector<std::string> lines = Split(text, "\n");
  if (!lines.empty() && lines.back().empty()) {
    lines.pop_back();
  }
  const std::map<std::string, std::set<std::string>> kSuffixes = {
      {"counter", {"_total", "_created"}},
      {"gauge", {""}},
      {"histogram", {"_bucket", "_sum", "_count", "_created"}},
      {"unknown", {""}}};
  auto valid_name = [](std::string_view name, bool colon) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && !(colon && c == ':')) {
        return false;
      }
    }
    return true;
  };
  auto valid_escapes = [](std::string_view value) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '"' || value[i] == '\n') return false;
      if (value[i] == '\\') {
        if (i + 1 >= value.size() || std::string_view("n\"\\").find(value[i + 1]) ==
                                         std::string_view::npos) {
          return false;
        }
        ++i;
      }
    }
    return true;
  };
  std::set<std::string> families_seen;
  std::string family;
  std::string type;
  std::set<std::string> metrics_done;  // label sets (without le) finished in this family
  std::string current_metric;
  double last_le = -1;
  std::string inf_count;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("#", 0) == 0) {
      if (line == "# EOF") {
        if (i + 1 != lines.size()) problem(i, "# EOF before the end");
        continue;
      }
      std::vector<std::string> parts = Split(line, " ");
      if (parts.size() < 3 || parts[0] != "#") {
        problem(i, "bad comment line: " + line);
        continue;
      }
      if (parts[1] == "TYPE") {
        family = parts[2];
        type = parts.size() == 4 ? parts[3] : "";
        if (!kSuffixes.contains(type)) problem(i, "bad type: " + line);
        if (!families_seen.insert(family).second) problem(i, "family again: " + family);
        if (type == "counter" && family.size() > 6 &&
            family.substr(family.size() - 6) == "_total") {
          problem(i, "counter family named with _total: " + family);
        }
        if (!valid_name(family, true)) problem(i, "bad family name: " + family);
        metrics_done.clear();
        current_metric.clear();
      } else if (parts[1] == "HELP") {
        if (parts[2] != family) problem(i, "HELP for another family: " + line);
        if (!valid_escapes(line.substr(7 + parts[2].size() + 1))) problem(i, "bad HELP escape");
      } else {
        problem(i, "unexpected comment: " + line);
      }
      continue;
    }
    // A sample: name[{labels}] value
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos) {
      problem(i, "no value: " + line);
      continue;
    }
    const std::string name = line.substr(0, name_end);
    std::string suffix = "?";
    if (name.rfind(family, 0) == 0 && kSuffixes.contains(type) &&
        kSuffixes.at(type).contains(name.substr(family.size()))) {
      suffix = name.substr(family.size());
    } else {
      problem(i, "sample " + name + " outside family " + family + " (" + type + ")");
    }
    size_t at = name_end;
    std::string labels_without_le;
    std::string le;
    if (line[at] == '{') {
      ++at;
      while (at < line.size() && line[at] != '}') {
        const size_t eq = line.find("=\"", at);
        if (eq == std::string::npos) {
          problem(i, "bad label: " + line);
          break;
        }
        const std::string label = line.substr(at, eq - at);
        if (!valid_name(label, false)) problem(i, "bad label name: " + label);
        size_t end = eq + 2;
        while (end < line.size() && line[end] != '"') {
          end += line[end] == '\\' ? 2 : 1;
        }
        const std::string value = line.substr(eq + 2, end - eq - 2);
        if (!valid_escapes(value)) problem(i, "bad label value escape: " + line);
        if (label == "le") {
          le = value;
        } else {
          labels_without_le += label + "=" + value + ",";
        }
        at = end + 1;
        if (at < line.size() && line[at] == ',') ++at;
      }
      ++at;  // '}'
    }
    if (at >= line.size() || line[at] != ' ') {
      problem(i, "no value: " + line);
      continue;
    }
    const std::string value = line.substr(at + 1);
    double number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if ((ec != std::errc() || end != value.data() + value.size()) && value != "+Inf" &&
        value != "-Inf" && value != "NaN") {
      problem(i, "bad value: " + line);
    }
    if (labels_without_le != current_metric) {
      if (!current_metric.empty() || !metrics_done.empty()) metrics_done.insert(current_metric);
      if (metrics_done.contains(labels_without_le)) problem(i, "interleaved metric: " + line);
      current_metric = labels_without_le;
      last_le = -1;
    }
    if (suffix == "_bucket") {
      if (le.empty()) problem(i, "bucket without le: " + line);
      if (le != "+Inf" && le.find_first_of(".e") == std::string::npos) {
        problem(i, "le not canonical: " + le);
      }
      const double bound = le == "+Inf" ? HUGE_VAL : std::strtod(le.c_str(), nullptr);
      if (bound <= last_le) problem(i, "buckets out of order: " + line);
      last_le = bound;
      if (le == "+Inf") inf_count = value;
      if (value.find_first_of(".e") != std::string::npos) problem(i, "non-integer bucket");
    } else if (suffix == "_count" && value != inf_count) {
      problem(i, "count differs from the +Inf bucket: " + line);
    }
  }
  return problems;
}

// A registry with every family: reconciles, policies, automations, queue, registry, webhooks.
void RecordEverything(PrometheusMetrics& m, testing::FakeClock& clock) {
  m.RecordReconcile(Record("False"));
  clock.Advance(std::chrono::seconds(30));
  m.RecordReconcile(Record("True"));
  m.RecordPolicyEvaluation("apps", "web", true, "ghcr.io/acme/web", "1.0.0");
  m.RecordAutomationRun("apps", "fleet", "pushed");
  m.RecordRegistryRequest("ghcr.io", 429);
  m.RecordDetection("webhook", std::chrono::seconds(1));
  m.RecordLeadTime("webhook", std::chrono::seconds(1), std::chrono::seconds(1),
                   std::chrono::seconds(1));
  m.RecordGitPush(false);
  m.SetWebhookReceivers({{.receiver = "apps/\"quoted\\name\nline", .silent_after = {}}});
  m.RecordWebhookRequest("apps/\"quoted\\name\nline", 200);
  m.RecordWebhookEvent("apps/\"quoted\\name\nline", 1, 1);
  m.SetLeader("imgauto", true);
  m.RecordApiRequest("GET", "10.96.0.1:443", 200);
  runtime::WorkQueue queue({.clock = &clock, .metrics = m.work_queue_metrics(),
                            .name_of = ControllerOf});
  queue.Add("R|apps/web");
  ASSERT_TRUE(queue.TryGet());
}

TEST(OpenMetricsTest, ExpositionFollowsTheSpec) {
  testing::FakeClock clock;
  PrometheusMetrics m({.version = "1.0", .process_metrics = true, .clock = &clock});
  RecordEverything(m, clock);
  const std::string om = m.SerializeOpenMetrics();
  EXPECT_THAT(OpenMetricsProblems(om), ::testing::IsEmpty()) << om;
  // Counters: the family without _total, the sample with it; canonical floats.
  EXPECT_THAT(om, HasSubstr("# TYPE workqueue_adds counter\n# HELP workqueue_adds "));
  EXPECT_THAT(om, HasSubstr("\nworkqueue_adds_total{controller=\"imagerepository\","
                            "name=\"imagerepository\"} 1.0\n"));
  EXPECT_THAT(om, HasSubstr("# TYPE process_cpu_seconds counter"));
  EXPECT_THAT(om, HasSubstr("\nprocess_cpu_seconds_total "));
  EXPECT_THAT(om, HasSubstr("# TYPE gotk_reconcile_duration_seconds histogram"));
  EXPECT_THAT(om, HasSubstr("controller_runtime_reconcile_time_seconds_bucket{controller="
                            "\"imagepolicy\",le=\"1.0\"} 2\n"));  // two reconciles
  EXPECT_THAT(om, HasSubstr("imgauto_build_info{version=\"1.0\"} 1.0\n"));
  EXPECT_THAT(om, HasSubstr("receiver=\"apps/\\\"quoted\\\\name\\nline\""));
  EXPECT_EQ(om.substr(om.size() - 6), "# EOF\n");
  // The same series as the text format.
  const std::string text = m.Serialize();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n') + 1,
            std::count(om.begin(), om.end(), '\n'));  // + "# EOF"
}

TEST(OpenMetricsTest, CheckerFindsBrokenExpositions) {
  // The structural check above must be able to fail.
  EXPECT_THAT(OpenMetricsProblems("# TYPE a counter\na_total 1\n"), Not(::testing::IsEmpty()));
  EXPECT_THAT(OpenMetricsProblems("# TYPE a_total counter\na_total 1\n# EOF\n"),
              Not(::testing::IsEmpty()));
  EXPECT_THAT(OpenMetricsProblems("# TYPE a gauge\na_total 1\n# EOF\n"),
              Not(::testing::IsEmpty()));
  EXPECT_THAT(OpenMetricsProblems("# TYPE h histogram\nh_bucket{le=\"1\"} 0\n"
                                  "h_bucket{le=\"+Inf\"} 0\nh_count 0\n# EOF\n"),
              Not(::testing::IsEmpty()));
  EXPECT_THAT(OpenMetricsProblems("# TYPE g gauge\ng{a=\"x\"} 1\ng{a=\"y\"} 1\ng{a=\"x\"} 2\n"
                                  "# EOF\n"),
              Not(::testing::IsEmpty()));
  EXPECT_THAT(OpenMetricsProblems("# TYPE g gauge\ng{a=\"x\"} 1\n# EOF\n"), ::testing::IsEmpty());
}

// Runs promtool (Debian package prometheus, installed by scripts/install-deps.sh).
Result<testing::CommandResult> Promtool(const std::vector<std::string>& args,
                                        std::string_view stdin_text = "") {
  std::vector<std::string> command = {"promtool"};
  command.insert(command.end(), args.begin(), args.end());
  return testing::RunCommand(command, stdin_text, std::chrono::seconds(60));
}

TEST(OpenMetricsTest, PrometheusOpenMetricsParserAcceptsTheExposition) {
  ASSERT_TRUE(testing::FindProgram("promtool")) << "promtool missing: run scripts/install-deps.sh";
  testing::FakeClock clock;
  PrometheusMetrics m({.version = "1.0", .process_metrics = true, .clock = &clock});
  RecordEverything(m, clock);
  // `promtool tsdb create-blocks-from openmetrics` parses with Prometheus' own OpenMetrics parser;
  // backfilling needs a timestamp on every sample, which is the only change made here.
  std::string stamped;
  for (const std::string& line : Split(m.SerializeOpenMetrics(), "\n")) {
    if (line.empty()) continue;
    stamped += line + (line[0] == '#' ? "" : " 1714557600") + "\n";
  }
  testing::TempDir dir("openmetrics");
  const std::filesystem::path input = dir.Write("metrics.om", stamped);
  Result<testing::CommandResult> r = Promtool(
      {"tsdb", "create-blocks-from", "openmetrics", input.string(), dir.Path("blocks").string()});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->exit_code, 0) << r->stdout_text << r->stderr_text;
  // And it rejects what is not OpenMetrics (no "# EOF"), so the check can fail.
  const std::filesystem::path broken =
      dir.Write("broken.om", stamped.substr(0, stamped.rfind("# EOF")));
  Result<testing::CommandResult> rejected = Promtool(
      {"tsdb", "create-blocks-from", "openmetrics", broken.string(), dir.Path("b2").string()});
  ASSERT_TRUE(rejected);
  EXPECT_NE(rejected->exit_code, 0);
}

TEST(PrometheusMetricsTest, TextExpositionPassesPromtoolCheckMetrics) {
  ASSERT_TRUE(testing::FindProgram("promtool")) << "promtool missing: run scripts/install-deps.sh";
  testing::FakeClock clock;
  PrometheusMetrics m({.version = "1.0", .process_metrics = true, .clock = &clock});
  RecordEverything(m, clock);
  Result<testing::CommandResult> r = Promtool({"check", "metrics"}, m.Serialize());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->exit_code, 0) << r->stdout_text << r->stderr_text;
}

TEST(MetricsRouteTest, NegotiatesOpenMetricsOnAccept) {
  PrometheusMetrics m({.version = "v", .process_metrics = false});
  m.RecordGitPush(true);
  const Route route = MetricsRoute(m);
  auto get = [&](const std::string& accept) {
    ServerRequest request;
    request.method = "GET";
    request.target = request.path = "/metrics";
    if (!accept.empty()) request.headers.push_back({"Accept", accept});
    return route.handler(request);
  };
  // Prometheus 2.x's scrape Accept header.
  ServerResponse om = get(
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
      "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
  EXPECT_EQ(om.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_THAT(om.body, HasSubstr("# TYPE imgauto_git_pushes counter"));
  EXPECT_THAT(om.body, HasSubstr("\n# EOF\n"));
  for (const char* accept : {"", "text/plain;version=0.0.4", "*/*",
                             "application/openmetrics-text;version=0.0.1",
                             "application/openmetrics-text;q=0.2,text/plain;q=0.5",
                             "application/openmetrics-text;q=0"}) {
    ServerResponse text = get(accept);
    EXPECT_EQ(text.content_type, "text/plain; version=0.0.4; charset=utf-8") << accept;
    EXPECT_THAT(text.body, HasSubstr("# TYPE imgauto_git_pushes_total counter")) << accept;
    EXPECT_THAT(text.body, Not(HasSubstr("# EOF"))) << accept;
  }
  EXPECT_TRUE(AcceptsOpenMetrics("Application/OpenMetrics-Text; version=\"1.0.0\""));
  EXPECT_TRUE(AcceptsOpenMetrics("*/*;q=0.5, application/openmetrics-text"));
  const Route text_only = MetricsRoute(m, /*openmetrics=*/false);
  ServerRequest request;
  request.method = "GET";
  request.target = request.path = "/metrics";
  request.headers.push_back({"Accept", "application/openmetrics-text"});
  EXPECT_EQ(text_only.handler(request).content_type, kTextContentType);
}

}  // namespace
}  // namespace imgauto::metrics
