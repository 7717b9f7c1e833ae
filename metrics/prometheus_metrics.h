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
//   PrometheusMetrics metrics({.version = kVersion});
//   metrics.RecordReconcile(record);
//   std::string text = metrics.Serialize();  // Prometheus text format 0.0.4
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "core/runtime/reconcile_metrics.h"
#include "metrics/http_server.h"

namespace imgauto::metrics {

struct PrometheusMetricsOptions {
  std::string version = "dev";
  // Reads /proc/self for process_* metrics; tests may turn it off.
  bool process_metrics = true;
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

  // The Prometheus text exposition of every series.
  std::string Serialize() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// The content type of Serialize()'s output.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// GET /metrics serving `metrics` (borrowed; must outlive the server).
Route MetricsRoute(const PrometheusMetrics& metrics);

}  // namespace imgauto::metrics
