// What a reflector reconcile hands back to the controller runtime: when to run again, whether
// to back off, and the one event Flux would record. Also the per-call context a reconcile may
// use to persist intermediate status, as Flux patches status mid-reconcile.
//
//   ReconcileContext context{.persist_progress = [&] { PatchStatus(repo); }};
//   ReconcileResult result = reconciler.Reconcile(repo, context);
//   if (result.error) queue.AddRateLimited(key); else queue.AddAfter(key, result.requeue_after);
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace imgauto::reflector::controller {

// Kubernetes event types plus Flux's Trace (recorded as Normal, never forwarded to
// notification-controller).
enum class EventType { kNormal, kWarning, kTrace };

// Returns "Normal", "Warning" or "Trace".
inline std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kWarning:
      return "Warning";
    case EventType::kTrace:
      return "Trace";
    case EventType::kNormal:
      break;
  }
  return "Normal";
}

struct Event {
  EventType type = EventType::kNormal;
  std::string reason;
  std::string message;

  bool operator==(const Event&) const = default;
};

struct ReconcileResult {
  // Run again after this long; zero means no periodic requeue (event-driven only).
  std::chrono::nanoseconds requeue_after{0};
  // Set when the reconcile failed in a way Flux retries with backoff; the message equals the
  // Ready condition's message.
  std::optional<Error> error;
  // The event Flux's notify() would record for this reconcile; none for suspended objects.
  std::optional<Event> event;
};

struct ReconcileContext {
  // Called where Flux patches the status in the middle of a reconcile (Reconciling set for a new
  // generation or a reconcile request, a scan starting), with the object already updated. The
  // in-cluster mode patches /status here so `kubectl wait` sees progress; may be empty.
  std::function<void()> persist_progress;
};

}  // namespace imgauto::reflector::controller
