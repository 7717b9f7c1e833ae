// Helpers shared by the standalone and cluster runners to report a reconcile to
// runtime::ReconcileMetrics in the same way.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "automation/controller/image_update_automation_reconciler.h"
#include "core/kube/conditions.h"
#include "core/runtime/reconcile_metrics.h"
#include "reflector/api/image_repository.h"
#include "reflector/scan/scanner.h"

namespace imgauto::cmd {

inline runtime::ReconcileRecord MakeReconcileRecord(std::string kind, std::string ns,
                                                    std::string name,
                                                    std::chrono::nanoseconds duration, bool failed,
                                                    std::chrono::nanoseconds requeue_after,
                                                    const std::vector<kube::Condition>& conditions,
                                                    bool suspended) {
  runtime::ReconcileRecord r;
  r.kind = std::move(kind);
  r.ns = std::move(ns);
  r.name = std::move(name);
  r.duration = duration;
  r.result = failed                      ? runtime::ReconcileResult::kError
             : requeue_after.count() > 0 ? runtime::ReconcileResult::kRequeueAfter
                                         : runtime::ReconcileResult::kSuccess;
  r.conditions = conditions;
  r.suspended = suspended;
  const kube::Condition* ready = kube::FindCondition(conditions, kube::kReadyCondition);
  if (ready != nullptr && ready->status == "False") r.failure_reason = ready->reason;
  return r;
}

// An ImageRepository's record also carries its interval and last successful scan (for the
// "not scanned for N intervals" alert).
inline runtime::ReconcileRecord WithScanTimes(runtime::ReconcileRecord r,
                                              const reflector::api::ImageRepository& repo) {
  r.interval = repo.spec.interval;
  if (repo.status.last_scan_result) {
    r.last_scan = reflector::scan::ParseRfc3339(repo.status.last_scan_result->scan_time);
  }
  return r;
}

// "pushed", "unchanged" (short-circuited: remote and policies as last observed), "no_change"
// (cloned, nothing to commit), "failure", or "suspended".
inline std::string AutomationRunResult(const automation::controller::AutomationReconcileResult& r) {
  if (r.failed) return "failure";
  if (!r.pushed_commit.empty()) return "pushed";
  if (!r.event) return "suspended";
  if (r.event->message == "no change since last reconciliation") return "unchanged";
  return "no_change";
}

// Secret keys whose values are credentials (redacted wherever they might be echoed). Usernames,
// CA certificates and known_hosts are not: redacting them would only garble messages.
inline bool IsSensitiveSecretKey(std::string_view key) {
  for (std::string_view k : {"password", "bearerToken", "token", "identity", "passphrase",
                             "git.asc", "tls.key", "ssh-privatekey", "accessKey", "secretKey"}) {
    if (key == k) return true;
  }
  return false;
}

// Replaces secret values in status conditions' messages (the only free text in a status).
template <typename Json, typename Registry>
Json RedactConditionMessages(Json status, const Registry& secrets) {
  if (status.contains("conditions") && status["conditions"].is_array()) {
    for (auto& condition : status["conditions"]) {
      if (condition.contains("message") && condition["message"].is_string()) {
        condition["message"] = secrets.Redact(condition["message"].template get<std::string>());
      }
    }
  }
  return status;
}

}  // namespace imgauto::cmd
