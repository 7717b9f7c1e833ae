// PrometheusMetrics: runtime::ReconcileMetrics over a prometheus-cpp registry, plus the text
// exposition served on /metrics. Every metric name, label and bucket is documented in the README
// ("Metrics"); the Flux-compatible ones match Flux exactly:
//
//   gotk_reconcile_duration_seconds{kind,name,namespace}   histogram, Flux's buckets
//   controller_runtime_reconcile_total{controller,result}  counter (all results pre-initialised)
//   controller_runtime_reconcile_errors_total{controller}  counter
//   controller_runtime_reconcile_time_seconds{controller}  histogram, controller-runtime buckets
//   process_* and imgauto_build_info
//
// and compatibility series for dashboards and alert rules written against older Flux releases
// and common runbooks (user-queries.md): gotk_reconcile_condition, gotk_suspend_status,
// gotk_reconcile_duration (the pre-"_seconds" histogram), flux_reconciliation_duration_seconds,
// flux_reconciliation_success_total, flux_image_policy_evaluation_total,
// flux_image_automation_run_total. imgauto's own: imgauto_image_policy_info (the current tag of
// each policy), imgauto_reconcile_failures_total{kind,reason}.
//
// controller-runtime / client-go compatible: workqueue_* {controller,name} (through
// work_queue_metrics(); unfinished work and the longest running processor are computed at
// scrape time), rest_client_requests_total{code,host,method}, leader_election_master_status{name}.
// imgauto's issue-5 families: imgauto_registry_requests_total{registry,code},
// imgauto_registry_rate_limited_total{registry}, imgauto_image_detection_latency_seconds{source},
// imgauto_lead_time_stage_seconds{stage,source}, imgauto_lead_time_seconds{source},
// imgauto_git_pushes_total{result}, imgauto_time_to_restore_seconds{kind} and imgauto_webhook_*
// {receiver} (requests, events, scans triggered, last event time, silent).
//
//   PrometheusMetrics metrics({.version = kVersion});
//   runtime::WorkQueue queue({.metrics = metrics.work_queue_metrics(), .name_of = ControllerOf});
//   metrics.RecordReconcile(record);
//   std::string text = metrics.Serialize();  // Prometheus text format 0.0.4
//   std::string om = metrics.SerializeOpenMetrics();  // OpenMetrics 1.0.0
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/runtime/reconcile_metrics.h"
#include "core/runtime/work_queue.h"
#include "metrics/http_server.h"

namespace imgauto::metrics {

struct PrometheusMetricsOptions {
  std::string version = "dev";
  // Reads /proc/self for process_* metrics; tests may turn it off.
  bool process_metrics = true;
  // Every "now" (time to restore, webhook silence and timestamps, running work). Borrowed; the
  // system clock when null.
  const Clock* clock = nullptr;
  // workqueue_* series created (at zero) as soon as the first queue event arrives, so every
  // controller's series exist before it has work.
  std::vector<std::string> queue_names = {"imagerepository", "imagepolicy",
                                          "imageupdateautomation"};
};

// Thread-safe.
class PrometheusMetrics final : public runtime::ReconcileMetrics {
 public:
  explicit PrometheusMetrics(PrometheusMetricsOptions options = {});
  ~PrometheusMetrics() override;

  void RecordReconcile(const runtime::ReconcileRecord& record) override;
  void Forget(const std::string& kind, const std::string& ns, const std::string& name) override;
  void RecordPolicyEvaluation(const std::string& ns, const std::string& name, bool success,
                              const std::string& image, const std::string& tag) override;
  void RecordAutomationRun(const std::string& ns, const std::string& name,
                           const std::string& result) override;
  void RecordRegistryRequest(const std::string& registry, int code) override;
  void RecordDetection(const std::string& source, std::chrono::nanoseconds latency) override;
  void RecordLeadTime(const std::string& source, std::chrono::nanoseconds detect,
                      std::chrono::nanoseconds commit, std::chrono::nanoseconds push) override;
  void RecordGitPush(bool success) override;
  void SetWebhookReceivers(std::vector<runtime::WebhookReceiverInfo> receivers) override;
  void RecordWebhookRequest(const std::string& receiver, int code) override;
  void RecordWebhookEvent(const std::string& receiver, int events, int scans_triggered) override;
  void SetLeader(const std::string& election_id, bool leading) override;
  void RecordApiRequest(const std::string& method, const std::string& host, int code) override;

  // The observer to pass as WorkQueueOptions::metrics (owned by this object): exports
  // workqueue_*{controller,name} with both labels the queue name.
  runtime::WorkQueueMetrics* work_queue_metrics();

  // The Prometheus text exposition (format 0.0.4) of every series.
  std::string Serialize() const;
  // The same series as OpenMetrics 1.0.0 text, ending with "# EOF".
  std::string SerializeOpenMetrics() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// The content types of Serialize()'s and SerializeOpenMetrics()'s output.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr const char* kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// True when an Accept header value prefers OpenMetrics 1.0.0 (application/openmetrics-text
// without a version or with version=1.0.0, at a q at least that of the text format).
bool AcceptsOpenMetrics(std::string_view accept);

// GET /metrics serving `metrics` (borrowed; must outlive the server): OpenMetrics when the
// Accept header asks for it and `openmetrics` is set, else the text format.
Route MetricsRoute(const PrometheusMetrics& metrics, bool openmetrics = true);

}  // namespace imgauto::metrics
