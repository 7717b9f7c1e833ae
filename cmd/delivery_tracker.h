// DeliveryTracker: the runners' one place for the "image pushed → detected → committed → pushed
// to git" metrics. It wraps runtime::LeadTimeTracker with what the runners know at each step and
// reports to runtime::ReconcileMetrics: detection latency by source, lead-time stages, git
// pushes by result. Both the standalone and the cluster runner call it at the same points:
//
//   tracker.WebhookPushed(repo_key, tag, event_time);       // a registry webhook event
//   tracker.ScanRequested(repo_key);                        // a webhook asked for a scan
//   tracker.ScanFinished(repo_key);                         // after each ImageRepository reconcile
//   tracker.PolicySelected(policy_key, repo_key, tag, created_lookup);  // latestRef changed
//   tracker.AutomationFinished(result);                     // after each automation reconcile
//
// The image push time is the registry event's time when a webhook reported the tag, else the
// image config's `created` time (looked up once per selection through `created_lookup`, which
// costs one manifest and one blob request); without either, that selection is not measured.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "automation/controller/image_update_automation_reconciler.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/runtime/lead_time_tracker.h"
#include "core/runtime/reconcile_metrics.h"
#include "reflector/api/image_policy.h"
#include "reflector/controller/image_repository_getter.h"
#include "reflector/controller/registry_client_factory.h"
#include "reflector/controller/secret_getter.h"

namespace imgauto::cmd {

// Thread-safe.
class DeliveryTracker {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  using CreatedLookup = std::function<std::optional<TimePoint>()>;

  // Push times older than this at detection are not measured (see PolicySelected).
  static constexpr std::chrono::hours kMaxPushAge{7 * 24};

  // `metrics` is borrowed and may be swapped with set_metrics (null: nothing reported).
  explicit DeliveryTracker(const Clock& clock) : clock_(clock) {}

  void set_metrics(runtime::ReconcileMetrics* metrics);

  // A registry webhook reported repo:tag pushed at `pushed` (the receive time when the event
  // carries none). Keys are "namespace/name".
  void WebhookPushed(const std::string& repo, const std::string& tag, TimePoint pushed);
  // A push time another replica's webhook reported (kWebhookPushesAnnotation): known for the
  // lead time, but not handed on again.
  void HandedOverPush(const std::string& repo, const std::string& tag, TimePoint pushed) {
    lead_times_.ImagePushed(repo, tag, pushed);
  }
  // A webhook requested a scan of `repo`: the next scan of it counts as webhook-triggered.
  void ScanRequested(const std::string& repo);
  // The tags a webhook reported for `repo` in the last kRecentPushWindow, oldest first, at most
  // kMaxRecentPushes: what the replica that received the event hands to the one that scans.
  struct TagPush {
    std::string tag;
    TimePoint pushed{};
  };
  std::vector<TagPush> RecentWebhookPushes(const std::string& repo);
  static constexpr std::size_t kMaxRecentPushes = 20;
  static constexpr std::chrono::minutes kRecentPushWindow{10};
  // A scan of `repo` finished now (successful or not).
  void ScanFinished(const std::string& repo);
  // `policy` changed its latest reference to `tag` of `repo`.
  void PolicySelected(const std::string& policy, const std::string& repo, const std::string& tag,
                      const CreatedLookup& created_lookup);
  // The policy is gone or failed.
  void PolicyFailed(const std::string& policy);
  // After an ImagePolicy reconcile: a new selection starts a measurement, a failed (or
  // suspended without a selection) policy drops its pending one.
  void PolicyReconciled(const reflector::api::ImagePolicy& policy, bool latest_changed,
                        const CreatedLookup& created_lookup);
  // The measurement pending for `policy` (to publish for another process), and adopting one.
  std::optional<runtime::PendingSelection> Pending(const std::string& policy) const {
    return lead_times_.Pending(policy);
  }
  void Adopt(const std::string& policy, const runtime::PendingSelection& selection) {
    lead_times_.Adopt(policy, selection);
  }
  // An automation reconcile ended: counts pushes by result and completes lead times.
  void AutomationFinished(const automation::controller::AutomationReconcileResult& result);

 private:
  struct Scan {
    TimePoint at{};
    std::string source = "poll";
  };

  const Clock& clock_;
  runtime::LeadTimeTracker lead_times_;
  std::mutex mu_;
  runtime::ReconcileMetrics* metrics_ = nullptr;
  std::map<std::string, int> requested_;  // repo → webhook scan requests not yet served
  std::map<std::string, Scan> last_scan_;  // repo → its last finished scan
  struct RecentPush {
    TagPush push;
    TimePoint received{};
  };
  std::map<std::string, std::deque<RecentPush>> recent_pushes_;  // repo → webhook reports
};

// The ImagePolicy annotation on which the reflector publishes a pending measurement when the
// automation controller runs in another process (Flux's two-Deployment layout):
//   imgauto.io/detection: {"tag":"1.2.3","source":"webhook","pushedAt":"…","detectedAt":"…"}
inline constexpr std::string_view kDetectionAnnotation = "imgauto.io/detection";
std::string EncodeSelection(const runtime::PendingSelection& selection);
// nullopt for anything malformed (the annotation is user-editable).
std::optional<runtime::PendingSelection> DecodeSelection(std::string_view text);

// The ImageRepository annotation with which a replica that received a registry webhook hands the
// request to the replica that scans (any replica may receive; only the leader scans). It is
// patched together with reconcile.fluxcd.io/requestedAt and names that request:
//   imgauto.io/webhook-pushes: {"requestedAt":"…","pushes":[{"tag":"1.2.3","pushedAt":"…"}]}
inline constexpr std::string_view kWebhookPushesAnnotation = "imgauto.io/webhook-pushes";
struct WebhookHandoff {
  std::string requested_at;
  std::vector<DeliveryTracker::TagPush> pushes;
};
std::string EncodeWebhookHandoff(const WebhookHandoff& handoff);
// nullopt for anything malformed (user-editable); entries without a valid tag (1 to 128
// characters) or time are dropped, and at most DeliveryTracker::kMaxRecentPushes are kept.
std::optional<WebhookHandoff> DecodeWebhookHandoff(std::string_view text);

// A CreatedLookup reading the image config `created` of repo:tag through a registry client made
// for the ImageRepository `repo` (its credentials, TLS and proxy). Failures log at debug level and
// yield nullopt. Everything is borrowed and must outlive the returned function's call.
DeliveryTracker::CreatedLookup RegistryCreatedLookup(
    reflector::controller::RegistryClientFactory& factory,
    const reflector::controller::ImageRepositoryGetter& repositories,
    const reflector::controller::SecretGetter& secrets, kube::ObjectKey repo, std::string tag,
    const Logger& logger);

}  // namespace imgauto::cmd
