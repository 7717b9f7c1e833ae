#include "reflector/controller/notify.h"

#include <string>

#include "core/kube/conditions.h"
#include "reflector/controller/status_conditions.h"

namespace imgauto::reflector::controller {

Event ComposeEvent(const std::vector<kube::Condition>& before,
                   const std::vector<kube::Condition>& after, std::string_view trace_message) {
  const kube::Condition* ready = kube::FindCondition(after, kube::kReadyCondition);
  const bool was_ready = IsReady(before);
  const bool is_ready = IsReady(after);
  if (is_ready) {
    const kube::Condition* old = kube::FindCondition(before, kube::kReadyCondition);
    if (!was_ready || old->message != ready->message) {
      return Event{EventType::kNormal, ready->reason, ready->message};
    }
    return Event{EventType::kTrace, std::string(kube::reason::kSucceeded),
                 std::string(trace_message)};
  }
  if (ready == nullptr) {
    // Cannot happen after a reconcile that got past suspend; report it rather than crash.
    return Event{EventType::kWarning, std::string(kube::reason::kFailed),
                 "reconciliation finished without a Ready condition"};
  }
  return Event{EventType::kWarning, ready->reason, ready->message};
}

}  // namespace imgauto::reflector::controller
