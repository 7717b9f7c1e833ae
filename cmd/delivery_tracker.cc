#include "cmd/delivery_tracker.h"

#include <algorithm>
#include <deque>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "reflector/scan/scanner.h"

#include "reflector/controller/image_policy_reconciler.h"
#include "reflector/controller/status_conditions.h"
#include "reflector/registry/reference.h"

namespace imgauto::cmd {

void DeliveryTracker::set_metrics(runtime::ReconcileMetrics* metrics) {
  std::lock_guard<std::mutex> lock(mu_);
  metrics_ = metrics;
}

void DeliveryTracker::WebhookPushed(const std::string& repo, const std::string& tag,
                                    TimePoint pushed) {
  lead_times_.ImagePushed(repo, tag, pushed);
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<RecentPush>& recent = recent_pushes_[repo];
  std::erase_if(recent, [&](const RecentPush& r) { return r.push.tag == tag; });
  recent.push_back({{tag, pushed}, clock_.Now()});
  while (recent.size() > kMaxRecentPushes) recent.pop_front();
}

std::vector<DeliveryTracker::TagPush> DeliveryTracker::RecentWebhookPushes(
    const std::string& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TagPush> out;
  auto it = recent_pushes_.find(repo);
  if (it == recent_pushes_.end()) return out;
  const TimePoint oldest = clock_.Now() - kRecentPushWindow;
  std::erase_if(it->second, [&](const RecentPush& r) { return r.received < oldest; });
  for (const RecentPush& r : it->second) out.push_back(r.push);
  if (it->second.empty()) recent_pushes_.erase(it);
  return out;
}

void DeliveryTracker::ScanRequested(const std::string& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requested_[repo];
}

void DeliveryTracker::ScanFinished(const std::string& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  Scan& scan = last_scan_[repo];
  scan.at = clock_.Now();
  auto it = requested_.find(repo);
  if (it != requested_.end()) {
    scan.source = "webhook";
    // One scan serves every request made before it started; requests arriving during the scan
    // re-run it (the runners see to that) and count for the next one. Dropping them all here
    // is the conservative choice: a poll scan is never reported as webhook-triggered.
    requested_.erase(it);
  } else {
    scan.source = "poll";
  }
}

void DeliveryTracker::PolicySelected(const std::string& policy, const std::string& repo,
                                     const std::string& tag, const CreatedLookup& created_lookup) {
  Scan scan;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = last_scan_.find(repo);
    if (it != last_scan_.end()) {
      scan = it->second;
    } else {
      scan.at = clock_.Now();  // tags from a previous run's store: detected now
    }
  }
  {
    // Nothing to report to (`--once`, tests): do not spend registry requests on it.
    std::lock_guard<std::mutex> lock(mu_);
    if (metrics_ == nullptr) return;
  }
  std::optional<TimePoint> pushed = lead_times_.PushTime(repo, tag);
  if (!pushed && created_lookup) pushed = created_lookup();
  // An image config `created` long before the detection is not a push time: reproducible
  // builds stamp 1970 or 1980, and a re-tagged old image would count its age as latency.
  if (pushed && scan.at - *pushed > kMaxPushAge) pushed.reset();
  std::optional<std::chrono::nanoseconds> latency =
      lead_times_.Selected(policy, repo, tag, scan.source, pushed, scan.at);
  std::lock_guard<std::mutex> lock(mu_);
  if (latency && metrics_ != nullptr) metrics_->RecordDetection(scan.source, *latency);
}

void DeliveryTracker::PolicyReconciled(const reflector::api::ImagePolicy& policy,
                                       bool latest_changed, const CreatedLookup& created_lookup) {
  const std::string key = policy.metadata.ns + "/" + policy.metadata.name;
  const auto& latest = policy.status.latest_ref;
  if (!reflector::controller::IsReady(policy.status.conditions) || !latest) {
    PolicyFailed(key);
    return;
  }
  if (!latest_changed) return;
  const kube::ObjectKey repo = reflector::controller::RepositoryKey(policy);
  PolicySelected(key, repo.ns + "/" + repo.name, latest->tag, created_lookup);
}

std::string EncodeSelection(const runtime::PendingSelection& selection) {
  nlohmann::json j = {{"tag", selection.tag},
                      {"source", selection.source},
                      {"pushedAt", FormatRfc3339Nano(selection.pushed)},
                      {"detectedAt", FormatRfc3339Nano(selection.detected)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<runtime::PendingSelection> DecodeSelection(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  runtime::PendingSelection s;
  s.tag = str("tag");
  s.source = str("source");
  if (s.tag.empty() || (s.source != "webhook" && s.source != "poll")) return std::nullopt;
  std::optional<std::chrono::system_clock::time_point> pushed = reflector::scan::ParseRfc3339(str("pushedAt"));
  std::optional<std::chrono::system_clock::time_point> detected = reflector::scan::ParseRfc3339(str("detectedAt"));
  if (!pushed || !detected) return std::nullopt;
  s.pushed = *pushed;
  s.detected = *detected;
  return s;
}

std::string EncodeWebhookHandoff(const WebhookHandoff& handoff) {
  nlohmann::json pushes = nlohmann::json::array();
  for (const DeliveryTracker::TagPush& push : handoff.pushes) {
    pushes.push_back({{"tag", push.tag}, {"pushedAt", FormatRfc3339Nano(push.pushed)}});
  }
  nlohmann::json j = {{"requestedAt", handoff.requested_at}, {"pushes", std::move(pushes)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<WebhookHandoff> DecodeWebhookHandoff(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto requested = j.find("requestedAt");
  if (requested == j.end() || !requested->is_string() || requested->get<std::string>().empty()) {
    return std::nullopt;
  }
  WebhookHandoff out;
  out.requested_at = requested->get<std::string>();
  auto pushes = j.find("pushes");
  if (pushes == j.end() || !pushes->is_array()) return out;
  for (const nlohmann::json& entry : *pushes) {
    if (out.pushes.size() == DeliveryTracker::kMaxRecentPushes) break;
    if (!entry.is_object()) continue;
    auto tag = entry.find("tag");
    auto pushed = entry.find("pushedAt");
    if (tag == entry.end() || !tag->is_string() || tag->get<std::string>().empty() ||
        tag->get<std::string>().size() > 128 || pushed == entry.end() || !pushed->is_string()) {
      continue;
    }
    std::optional<DeliveryTracker::TimePoint> at =
        reflector::scan::ParseRfc3339(pushed->get<std::string>());
    if (!at) continue;
    out.pushes.push_back({tag->get<std::string>(), *at});
  }
  return out;
}

DeliveryTracker::CreatedLookup RegistryCreatedLookup(
    reflector::controller::RegistryClientFactory& factory,
    const reflector::controller::ImageRepositoryGetter& repositories,
    const reflector::controller::SecretGetter& secrets, kube::ObjectKey repo, std::string tag,
    const Logger& logger) {
  return [&factory, &repositories, &secrets, &logger, repo = std::move(repo),
          tag = std::move(tag)]() -> std::optional<DeliveryTracker::TimePoint> {
    Result<reflector::api::ImageRepository> object = repositories.GetImageRepository(repo);
    if (!object) return std::nullopt;
    Result<reflector::registry::RegistryClientPtr> client = factory.Create(*object, secrets);
    if (!client) return std::nullopt;
    Result<reflector::registry::ImageReference> ref =
        reflector::registry::ParseRepository(object->spec.image, object->spec.insecure);
    if (!ref) return std::nullopt;
    Result<std::chrono::system_clock::time_point> created = (*client)->ImageCreated(*ref, tag);
    if (!created) {
      logger.Debug("image created time unavailable", {{"image", object->spec.image + ":" + tag},
                                                      {"error", created.error().message()}});
      return std::nullopt;
    }
    return *created;
  };
}

void DeliveryTracker::PolicyFailed(const std::string& policy) { lead_times_.ForgetPolicy(policy); }

void DeliveryTracker::AutomationFinished(
    const automation::controller::AutomationReconcileResult& result) {
  std::vector<runtime::LeadTime> times;
  if (!result.pushed_commit.empty()) {
    times = lead_times_.Pushed(result.changed_policies, result.committed_at, result.pushed_at);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (metrics_ == nullptr) return;
  if (!result.pushed_commit.empty()) metrics_->RecordGitPush(true);
  if (result.push_failed) metrics_->RecordGitPush(false);
  for (const runtime::LeadTime& t : times) {
    metrics_->RecordLeadTime(t.source, t.detect, t.commit, t.push);
  }
}

}  // namespace imgauto::cmd
