// ReconcileMetrics: what the controllers report about their work, implemented with
// prometheus-cpp in metrics/ and faked in tests. Reconcilers do not call it; the runners (cluster
// and standalone) do, after every reconcile, so both modes export the same series. The methods
// after RecordAutomationRun report the rest of the controllers' life (registry and Kubernetes API
// requests, lead time, git pushes, webhook receivers, leader election); they do nothing by
// default, so fakes override only what their test looks at.
//
//   metrics.RecordReconcile({.kind = "ImagePolicy", .ns = "apps", .name = "web",
//                            .duration = elapsed, .result = ReconcileResult::kSuccess,
//                            .conditions = policy.status.conditions, .suspended = false});
//   metrics.RecordRegistryRequest("ghcr.io", 429);
//   metrics.SetWebhookReceivers({{.receiver = "apps/ghcr", .silent_after = 10min}});
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/kube/object.h"

namespace imgauto::runtime {

// controller-runtime's result label values.
enum class ReconcileResult { kSuccess, kError, kRequeue, kRequeueAfter };

struct ReconcileRecord {
  std::string kind;  // ImageRepository, ImagePolicy, ImageUpdateAutomation
  std::string ns;
  std::string name;
  std::chrono::nanoseconds duration{0};
  ReconcileResult result = ReconcileResult::kSuccess;
  std::vector<kube::Condition> conditions;  // after the reconcile
  bool suspended = false;
  std::string failure_reason;  // the Ready reason when not Ready, else ""
  // spec.interval (zero when the kind has none), so that alerts can say "no scan for N intervals".
  std::chrono::nanoseconds interval{0};
  // ImageRepository: status.lastScanResult.scanTime, the last successful scan.
  std::optional<std::chrono::system_clock::time_point> last_scan;
};

// A configured webhook receiver: "<namespace>/<name>", and how long it may go without a valid
// event before it counts as silent (zero: never silent).
struct WebhookReceiverInfo {
  std::string receiver;
  std::chrono::nanoseconds silent_after{0};
};

class ReconcileMetrics {
 public:
  virtual ~ReconcileMetrics() = default;
  virtual void RecordReconcile(const ReconcileRecord& record) = 0;
  // The object is gone: drop its series.
  virtual void Forget(const std::string& kind, const std::string& ns, const std::string& name) = 0;
  // An ImagePolicy's selection: result "success" or "failure"; image/tag of the latest ref.
  virtual void RecordPolicyEvaluation(const std::string& ns, const std::string& name,
                                      bool success, const std::string& image,
                                      const std::string& tag) = 0;
  // An ImageUpdateAutomation run: result "pushed", "no_change", "unchanged" (short-circuit) or
  // "failure".
  virtual void RecordAutomationRun(const std::string& ns, const std::string& name,
                                   const std::string& result) = 0;

  // One HTTP answer from a registry ("host[:port]"); `code` 0 for a transport failure (no
  // answer). 429 answers are also counted as rate limited.
  virtual void RecordRegistryRequest(const std::string& /*registry*/, int /*code*/) {}
  // A scan saw a new tag `latency` after the image was pushed; source "webhook" or "poll".
  virtual void RecordDetection(const std::string& /*source*/,
                               std::chrono::nanoseconds /*latency*/) {}
  // A change reached git: image pushed -> detected (`detect`), detected -> committed (`commit`),
  // committed -> pushed (`push`); the lead time is their sum. Negative durations count as zero.
  virtual void RecordLeadTime(const std::string& /*source*/, std::chrono::nanoseconds /*detect*/,
                              std::chrono::nanoseconds /*commit*/,
                              std::chrono::nanoseconds /*push*/) {}
  // A git push attempt of an ImageUpdateAutomation.
  virtual void RecordGitPush(bool /*success*/) {}
  // Replaces the set of configured receivers: the series of receivers no longer configured are
  // dropped; a new receiver's silence is measured from now.
  virtual void SetWebhookReceivers(std::vector<WebhookReceiverInfo> /*receivers*/) {}
  // An HTTP request to a receiver ("unknown" when the path matches none) and its answer.
  virtual void RecordWebhookRequest(const std::string& /*receiver*/, int /*code*/) {}
  // A request accepted `events` valid push events (> 0 resets the silence clock and sets the last
  // event time to now) and requested `scans_triggered` ImageRepository scans.
  virtual void RecordWebhookEvent(const std::string& /*receiver*/, int /*events*/,
                                  int /*scans_triggered*/) {}
  // Whether this replica holds the lease `election_id`.
  virtual void SetLeader(const std::string& /*election_id*/, bool /*leading*/) {}
  // A Kubernetes API request; `code` 0 for a transport failure (reported as "<error>").
  virtual void RecordApiRequest(const std::string& /*method*/, const std::string& /*host*/,
                                int /*code*/) {}
};

// Does nothing (when metrics are not wanted).
class NoopReconcileMetrics final : public ReconcileMetrics {
 public:
  void RecordReconcile(const ReconcileRecord&) override {}
  void Forget(const std::string&, const std::string&, const std::string&) override {}
  void RecordPolicyEvaluation(const std::string&, const std::string&, bool, const std::string&,
                              const std::string&) override {}
  void RecordAutomationRun(const std::string&, const std::string&, const std::string&) override {}
};

}  // namespace imgauto::runtime
