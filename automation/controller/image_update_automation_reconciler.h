// ImageUpdateAutomationReconciler: one reconcile of an ImageUpdateAutomation in Flux's order
// (§4.6 of the Flux reference): suspend → lastAutomationRunTime → policies (selector) → source
// (GitRepository, auth Secret, signing key) → RunUpdate (checkout with the last-observed
// shortcut, setters, commit, push) → status and conditions (§1.5, §4.5) and the event to emit
// (§7.11 item 109). Reads other objects only through AutomationObjects, so the same code runs
// against the API server or the standalone manifests directory.
//
//   ImageUpdateAutomationReconciler reconciler(options, clock);
//   AutomationReconcileResult r = reconciler.Reconcile(automation, objects);
//   store.WriteStatus(automation);  queue.RequeueAfter(key, r.requeue_after);
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "automation/api/git_repository.h"
#include "automation/api/image_update_automation.h"
#include "automation/api/secret.h"
#include "automation/git/pusher.h"
#include "core/clock.h"
#include "core/error.h"
#include "reflector/api/image_policy.h"

namespace imgauto::automation::controller {

// Read access to the objects an automation depends on.
class AutomationObjects {
 public:
  virtual ~AutomationObjects() = default;
  // Every ImagePolicy of namespace `ns` (with status).
  virtual Result<std::vector<reflector::api::ImagePolicy>> ListImagePolicies(
      std::string_view ns) const = 0;
  // kNotFound when absent.
  virtual Result<api::GitRepository> GetGitRepository(std::string_view ns,
                                                      std::string_view name) const = 0;
  // kNotFound when absent.
  virtual Result<api::Secret> GetSecret(std::string_view ns, std::string_view name) const = 0;
};

struct AutomationReconcilerOptions {
  // Per-automation clone caches live in <cache_root>/<ns>/<name>.
  std::filesystem::path cache_root;
  bool no_cross_namespace_refs = false;  // --no-cross-namespace-refs
  bool force_push_branch = true;         // gate GitForcePushBranch
  git::RetryOptions push_retry{};
};

// An event as Flux's notify() would record it: type Normal/Warning/Trace, reason, message.
struct AutomationEvent {
  std::string type;
  std::string reason;
  std::string message;
};

struct AutomationReconcileResult {
  // When to run again: the interval on success; nullopt when suspended or stalled.
  std::optional<std::chrono::nanoseconds> requeue_after;
  bool failed = false;  // the caller retries with backoff when true and not stalled
  bool stalled = false;
  std::optional<AutomationEvent> event;
  std::string pushed_commit;  // when this reconcile pushed
  // When pushed: when the commit was made and pushed, and the policies ("ns/name") whose
  // markers it changed (lead-time metrics).
  std::chrono::system_clock::time_point committed_at{};
  std::chrono::system_clock::time_point pushed_at{};
  std::vector<std::string> changed_policies;
  bool push_failed = false;  // the run failed while pushing to the remote
};

// Thread-compatible: one Reconcile per automation at a time (the caches are per automation).
class ImageUpdateAutomationReconciler {
 public:
  ImageUpdateAutomationReconciler(AutomationReconcilerOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  // Updates `automation.status` in place.
  AutomationReconcileResult Reconcile(api::ImageUpdateAutomation& automation,
                                      const AutomationObjects& objects) const;

 private:
  AutomationReconcilerOptions options_;
  const Clock& clock_;
};

// The policies an automation uses (§7.11 item 111): those of its namespace matching the
// selector that have a latest reference, sorted by name.
std::vector<reflector::api::ImagePolicy> SelectPolicies(
    const std::vector<reflector::api::ImagePolicy>& policies, const api::LabelSelector& selector);

}  // namespace imgauto::automation::controller
