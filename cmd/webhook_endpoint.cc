#include "cmd/webhook_endpoint.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/sha256.h"

namespace imgauto::cmd {
namespace webhook = reflector::webhook;

void WebhookEndpoint::Configure(std::vector<webhook::ConfiguredReceiver> receivers,
                                const std::vector<webhook::RepositoryInfo>& repositories,
                                const std::map<kube::ObjectKey, std::chrono::nanoseconds>& intervals) {
  std::vector<runtime::WebhookReceiverInfo> infos;
  for (const webhook::ConfiguredReceiver& r : receivers) {
    // Silent after the longest poll interval of what it covers: until then, polling alone would
    // have found a new tag, so a quiet receiver is not yet suspicious.
    webhook::ParsedWebhook everything;
    everything.all_resources = true;
    std::chrono::nanoseconds longest{0};
    for (const auto& [ns, name] : webhook::SelectRepositories(r.receiver, everything,
                                                              repositories)) {
      auto it = intervals.find(kube::ObjectKey{ns, name});
      if (it != intervals.end()) longest = std::max(longest, it->second);
    }
    infos.push_back({r.receiver.Key(), r.receiver.suspend ? std::chrono::nanoseconds(0) : longest});
  }
  receiver_count_ = static_cast<int>(receivers.size());
  dispatcher_.SetReceivers(std::move(receivers));
  {
    std::lock_guard<std::mutex> lock(mu_);
    key_by_path_digest_.clear();
    std::map<std::string, Bucket> kept;
    for (const auto& [key, path] : dispatcher_.Paths()) {
      key_by_path_digest_[Sha256Hex(path)] = key;
      if (auto it = buckets_.find(key); it != buckets_.end()) kept[key] = it->second;
    }
    if (auto it = buckets_.find(""); it != buckets_.end()) kept[""] = it->second;
    buckets_ = std::move(kept);  // removed receivers' buckets go
  }
  if (runtime::ReconcileMetrics* m = metrics_.load()) m->SetWebhookReceivers(std::move(infos));
}

std::string WebhookEndpoint::ReceiverOfPath(std::string_view path) const {
  const std::string digest = Sha256Hex(path);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = key_by_path_digest_.find(digest);
  return it == key_by_path_digest_.end() ? "" : it->second;
}

bool WebhookEndpoint::Admit(const std::string& receiver) {
  const double rate = receiver.empty() ? kUnknownRate : kReceiverRate;
  const double burst = receiver.empty() ? kUnknownBurst : kReceiverBurst;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = buckets_.try_emplace(receiver, Bucket{burst, now});
  Bucket& b = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
    b.tokens = std::min(burst, b.tokens + elapsed * rate);
    b.refilled = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

metrics::ServerResponse WebhookEndpoint::Handle(const metrics::ServerRequest& request) {
  runtime::ReconcileMetrics* metrics = metrics_.load();
  metrics::ServerResponse response;
  response.content_type = "application/json";
  // Per-receiver rate limit before any parsing or signature work.
  if (const std::string key = ReceiverOfPath(request.path); !Admit(key)) {
    if (metrics != nullptr) metrics->RecordWebhookRequest(key.empty() ? "unknown" : key, 429);
    response.status = 429;
    response.headers.push_back({"Retry-After", "1"});
    response.body = "{\"message\":\"too many requests\"}\n";
    return response;
  }
  webhook::WebhookRequest hook{request.method, request.headers, request.body};
  webhook::DispatchResult result = dispatcher_.Dispatch(request.path, hook);
  if (result.status == 200 && result.parsed.events.size() > static_cast<size_t>(kMaxEvents)) {
    result.status = 400;
    result.message = "payload lists " + std::to_string(result.parsed.events.size()) +
                     " push events; at most " + std::to_string(kMaxEvents) + " are accepted";
  }
  const std::string receiver = result.receiver.empty() ? "unknown" : result.receiver;
  if (metrics != nullptr) metrics->RecordWebhookRequest(receiver, result.status);

  response.status = result.status;
  nlohmann::json body = {{"message", result.message}};
  if (result.status != 200) {
    logger_.Info("webhook request refused", {{"receiver", receiver},
                                             {"status", std::to_string(result.status)},
                                             {"reason", result.message},
                                             {"remote", request.remote_address}});
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return response;
  }

  std::vector<kube::ObjectKey> requested;
  std::vector<kube::ObjectKey> scanned;
  if (!result.parsed.events.empty() || result.parsed.all_resources) {
    std::shared_ptr<const webhook::ConfiguredReceiver> configured =
        dispatcher_.Find(result.receiver);
    if (configured != nullptr && hooks_.repositories) {
      const std::vector<webhook::RepositoryInfo> repositories = hooks_.repositories();
      for (const auto& [ns, name] :
           webhook::SelectRepositories(configured->receiver, result.parsed, repositories)) {
        requested.push_back(kube::ObjectKey{ns, name});
      }
      // Remember when each tag was pushed for the lead time: the event's time when plausible,
      // else now.
      const auto now = clock_.Now();
      auto push_time = [&](const webhook::PushEvent& event) {
        if (!event.pushed_at) return now;
        if (*event.pushed_at < now - std::chrono::hours(1) ||
            *event.pushed_at > now + std::chrono::minutes(5)) {
          return now;
        }
        return *event.pushed_at;
      };
      for (const kube::ObjectKey& key : requested) {
        auto repo = std::find_if(repositories.begin(), repositories.end(),
                                 [&](const webhook::RepositoryInfo& r) {
                                   return r.ns == key.ns && r.name == key.name;
                                 });
        for (const webhook::PushEvent& event : result.parsed.events) {
          if (event.tag.empty() || repo == repositories.end() ||
              !webhook::ImageMatchesEvent(repo->image, event)) {
            continue;
          }
          delivery_.WebhookPushed(key.ns + "/" + key.name, event.tag, push_time(event));
        }
      }
      if (!requested.empty() && hooks_.request_scans) scanned = hooks_.request_scans(requested);
    }
  }
  // A generic receiver's accepted request is its event; registries report each push.
  const int events = result.parsed.all_resources
                         ? 1
                         : static_cast<int>(result.parsed.events.size());
  if (metrics != nullptr && events > 0) {
    metrics->RecordWebhookEvent(receiver, events, static_cast<int>(scanned.size()));
  }
  std::vector<std::string> names;
  for (const kube::ObjectKey& key : scanned) names.push_back(key.ns + "/" + key.name);
  logger_.Info("webhook accepted", {{"receiver", receiver},
                                    {"events", std::to_string(events)},
                                    {"scans", std::to_string(scanned.size())}});
  body["events"] = events;
  body["scans"] = names;
  if (!result.parsed.ignored_reason.empty()) body["ignored"] = result.parsed.ignored_reason;
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return response;
}

metrics::Route WebhookEndpoint::Route() {
  metrics::Route route;
  route.method = "POST";
  route.path = "/hook/";
  route.prefix = true;
  route.handler = [this](const metrics::ServerRequest& request) { return Handle(request); };
  route.rate_limit_per_second = kRouteRate;
  route.rate_limit_burst = static_cast<int>(2 * kRouteRate);
  return route;
}

}  // namespace imgauto::cmd
