// The kstatus condition steps the reflector reconcilers share (reference §1.5), on top of the
// outcome helpers in reflector/scan/scanner.h: marking progress at the start of a reconcile,
// failing with retry, stalling, and recording a handled reconcile request. `now` is RFC 3339.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/kube/object.h"
#include "reflector/api/image_policy.h"

namespace imgauto::reflector::controller {

// Returns "reconciliation in progress", or "processing object: new generation <o> -> <g>" when
// the generation differs from the observed one.
std::string ProgressMessage(std::int64_t observed_generation, std::int64_t generation);

// Sets Reconciling=True reason Progressing with `message`. With `reset_ready`, or when there is
// no Ready condition yet, also sets Ready=Unknown with the same reason and message (Flux does
// this before a scan of an empty tag store so that waiting policies see a transition).
void MarkProgressing(std::vector<kube::Condition>& conditions, std::string_view message,
                     std::int64_t generation, std::string_view now, bool reset_ready = false);

// Ready=False with `reason`/`message`; Reconciling stays True (reason ProgressingWithRetry,
// message kept from the progress step); Stalled is removed.
void MarkRetrying(std::vector<kube::Condition>& conditions, std::string_view reason,
                  std::string_view message, std::int64_t generation, std::string_view now);

// Stalled=True and Ready=False, both with `reason`/`message`; Reconciling is removed.
void MarkStalled(std::vector<kube::Condition>& conditions, std::string_view reason,
                 std::string_view message, std::int64_t generation, std::string_view now);

// Returns the value of the reconcile.fluxcd.io/requestedAt annotation, if present.
std::optional<std::string> ReconcileRequestToken(const api::ObjectMeta& meta);

// Copies the reconcile request token into `last_handled` when the annotation is present (Flux
// does this at the end of every reconcile, suspended ones included).
void RecordReconcileRequest(const api::ObjectMeta& meta, std::string& last_handled);

// True when the Ready condition is present with status True.
bool IsReady(const std::vector<kube::Condition>& conditions);

}  // namespace imgauto::reflector::controller
