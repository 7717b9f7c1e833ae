#include "metrics/prometheus_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

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

TEST(PrometheusMetricsTest, ProcessMetrics) {
  PrometheusMetrics m({.version = "v", .process_metrics = true});
  const std::string text = m.Serialize();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_start_time_seconds", "process_open_fds", "process_max_fds",
                           "process_virtual_memory_bytes"}) {
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + name)) << name;
  }
}

}  // namespace
}  // namespace imgauto::metrics
