#include "reflector/webhook/webhook_dispatcher.h"

#include <algorithm>
#include <mutex>

#include "core/sha256.h"
#include "core/strings.h"
#include "reflector/webhook/payload_parser.h"

namespace imgauto::reflector::webhook {
namespace {

DispatchResult Answer(int status, std::string message, std::string receiver = "") {
  DispatchResult out;
  out.status = status;
  out.message = std::move(message);
  out.receiver = std::move(receiver);
  return out;
}

// Flux matches X-GitHub-Event against spec.events case-insensitively; an empty list allows all.
bool EventAllowed(const Receiver& receiver, std::string_view event) {
  if (receiver.events.empty()) {
    return true;
  }
  return std::any_of(receiver.events.begin(), receiver.events.end(),
                     [&](const std::string& allowed) { return EqualsIgnoreCase(allowed, event); });
}

std::string Summary(const ParsedWebhook& parsed) {
  if (parsed.all_resources) {
    return "accepted: scanning all resources";
  }
  if (parsed.events.empty()) {
    return "accepted, nothing to scan: " + parsed.ignored_reason;
  }
  return "accepted: " + std::to_string(parsed.events.size()) +
         (parsed.events.size() == 1 ? " push event" : " push events");
}

}  // namespace

void WebhookDispatcher::SetReceivers(std::vector<ConfiguredReceiver> receivers) {
  std::unordered_map<std::string, Entry> by_digest;
  std::unordered_map<std::string, Entry> by_key;
  std::vector<std::pair<std::string, std::string>> paths;
  for (ConfiguredReceiver& configured : receivers) {
    const std::string path = WebhookPath(configured.receiver, configured.token);
    const std::string key = configured.receiver.Key();
    auto entry = std::make_shared<const ConfiguredReceiver>(std::move(configured));
    if (!by_digest.emplace(Sha256Hex(path), entry).second) {
      continue;
    }
    by_key.emplace(key, entry);
    paths.emplace_back(key, path);
  }
  std::sort(paths.begin(), paths.end());
  std::unique_lock lock(mu_);
  by_path_digest_ = std::move(by_digest);
  by_key_ = std::move(by_key);
  paths_ = std::move(paths);
}

std::vector<std::pair<std::string, std::string>> WebhookDispatcher::Paths() const {
  std::shared_lock lock(mu_);
  return paths_;
}

std::shared_ptr<const ConfiguredReceiver> WebhookDispatcher::Find(std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = by_key_.find(std::string(key));
  return it == by_key_.end() ? nullptr : it->second;
}

DispatchResult WebhookDispatcher::Dispatch(std::string_view path,
                                           const WebhookRequest& request) const {
  const std::string digest = Sha256Hex(path);
  Entry entry;
  {
    std::shared_lock lock(mu_);
    auto it = by_path_digest_.find(digest);
    if (it != by_path_digest_.end()) {
      entry = it->second;
    }
  }
  if (entry == nullptr) {
    return Answer(404, "not found");
  }
  const Receiver& receiver = entry->receiver;
  std::string key = receiver.Key();
  if (request.method != "POST") {
    return Answer(405, "method not allowed: webhooks are POST requests", key);
  }
  if (receiver.suspend) {
    return Answer(503, "receiver is suspended", key);
  }
  Result<ParsedWebhook> parsed = ParsePayload(receiver.type, request, entry->token);
  if (!parsed) {
    const int status = parsed.error().kind() == ErrorKind::kUnauthorized ? 401 : 400;
    return Answer(status, parsed.error().message(), key);
  }
  if (receiver.type == ReceiverType::kGitHub) {
    const std::string event = request.Header("X-GitHub-Event");
    // Like Flux, a ping (sent when the webhook is created) is answered before the filter.
    if (event != "ping" && !EventAllowed(receiver, event)) {
      return Answer(400,
                    "github event " + Quote(event.substr(0, 64)) +
                        " is not listed in the receiver's spec.events",
                    key);
    }
  }
  DispatchResult out = Answer(200, Summary(*parsed), std::move(key));
  out.parsed = std::move(*parsed);
  return out;
}

}  // namespace imgauto::reflector::webhook
