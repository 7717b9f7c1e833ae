// Chooses the event a reflector reconcile records, as Flux's notify() does (reference §6,
// §7.6 item 54), by comparing the Ready condition before and after the reconcile:
//   Ready before and after, message changed  → Normal, Ready reason, Ready message
//   not Ready before, Ready after            → Normal, Ready reason, Ready message
//   not Ready after                          → Warning, Ready reason, Ready message
//   otherwise                                → Trace Succeeded `trace_message`
#pragma once

#include <string_view>
#include <vector>

#include "core/kube/object.h"
#include "reflector/controller/reconcile_result.h"

namespace imgauto::reflector::controller {

// `trace_message` is what a no-news reconcile reports (for an ImageRepository "no change in
// repository configuration since last scan, next scan in 4m30s", for an ImagePolicy its Ready
// message).
Event ComposeEvent(const std::vector<kube::Condition>& before,
                   const std::vector<kube::Condition>& after, std::string_view trace_message);

}  // namespace imgauto::reflector::controller
