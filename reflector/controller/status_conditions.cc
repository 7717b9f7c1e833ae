#include "reflector/controller/status_conditions.h"

#include <utility>

#include "core/kube/conditions.h"
#include "reflector/scan/scanner.h"

namespace imgauto::reflector::controller {
namespace {

kube::Condition Make(std::string_view type, std::string_view status, std::string_view reason,
                     std::string_view message, std::int64_t generation) {
  kube::Condition c;
  c.type = std::string(type);
  c.status = std::string(status);
  c.reason = std::string(reason);
  c.message = std::string(message);
  c.observed_generation = generation;
  return c;
}

}  // namespace

std::string ProgressMessage(std::int64_t observed_generation, std::int64_t generation) {
  if (observed_generation == generation) {
    return "reconciliation in progress";
  }
  return "processing object: new generation " + std::to_string(observed_generation) + " -> " +
         std::to_string(generation);
}

void MarkProgressing(std::vector<kube::Condition>& conditions, std::string_view message,
                     std::int64_t generation, std::string_view now, bool reset_ready) {
  kube::SetCondition(
      conditions,
      Make(kube::kReconcilingCondition, "True", kube::reason::kProgressing, message, generation),
      now);
  if (reset_ready || kube::FindCondition(conditions, kube::kReadyCondition) == nullptr) {
    kube::SetCondition(
        conditions,
        Make(kube::kReadyCondition, "Unknown", kube::reason::kProgressing, message, generation),
        now);
  }
}

void MarkRetrying(std::vector<kube::Condition>& conditions, std::string_view reason,
                  std::string_view message, std::int64_t generation, std::string_view now) {
  kube::SetCondition(conditions, Make(kube::kReadyCondition, "False", reason, message, generation),
                     now);
  std::string progress = "reconciliation in progress";
  if (const kube::Condition* r = kube::FindCondition(conditions, kube::kReconcilingCondition)) {
    progress = r->message;
  }
  kube::SetCondition(conditions,
                     Make(kube::kReconcilingCondition, "True", kube::reason::kProgressingWithRetry,
                          progress, generation),
                     now);
  kube::RemoveCondition(conditions, kube::kStalledCondition);
}

void MarkStalled(std::vector<kube::Condition>& conditions, std::string_view reason,
                 std::string_view message, std::int64_t generation, std::string_view now) {
  kube::SetCondition(conditions, Make(kube::kStalledCondition, "True", reason, message, generation),
                     now);
  kube::SetCondition(conditions, Make(kube::kReadyCondition, "False", reason, message, generation),
                     now);
  kube::RemoveCondition(conditions, kube::kReconcilingCondition);
}

std::optional<std::string> ReconcileRequestToken(const api::ObjectMeta& meta) {
  for (const auto& [name, value] : meta.annotations) {
    if (name == scan::kReconcileRequestAnnotation) {
      return value;
    }
  }
  return std::nullopt;
}

void RecordReconcileRequest(const api::ObjectMeta& meta, std::string& last_handled) {
  if (std::optional<std::string> token = ReconcileRequestToken(meta)) {
    last_handled = std::move(*token);
  }
}

bool IsReady(const std::vector<kube::Condition>& conditions) {
  const kube::Condition* ready = kube::FindCondition(conditions, kube::kReadyCondition);
  return ready != nullptr && ready->status == "True";
}

}  // namespace imgauto::reflector::controller
