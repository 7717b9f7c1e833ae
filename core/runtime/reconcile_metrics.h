// ReconcileMetrics: what the controllers report about their work, implemented with
// prometheus-cpp in metrics/ and faked in tests. Reconcilers do not call it; the runners (cluster
// and standalone) do, after every reconcile, so both modes export the same series.
//
//   metrics.RecordReconcile({.kind = "ImagePolicy", .ns = "apps", .name = "web",
//                            .duration = elapsed, .result = ReconcileResult::kSuccess,
//                            .conditions = policy.status.conditions, .suspended = false});
#pragma once

#include <chrono>
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
