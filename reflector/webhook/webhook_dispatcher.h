// WebhookDispatcher: routes a request on `/hook/<digest>` to the Receiver owning that path and
// answers the way Flux's notification-controller does (404 unknown path, 503 suspended, 200
// accepted), with 401 for a bad signature, 400 for a malformed payload and 405 for a method other
// than POST. Thread-safe: SetReceivers may run while requests are dispatched (it replaces the
// whole set atomically; a request sees either the old or the new set).
//
//   WebhookDispatcher dispatcher;
//   dispatcher.SetReceivers({{receiver, token}});
//   DispatchResult r = dispatcher.Dispatch(request.path, webhook_request);
//   if (r.status == 200) Scan(SelectRepositories(*receiver, r.parsed, repositories));
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reflector/webhook/push_event.h"
#include "reflector/webhook/receiver.h"
#include "reflector/webhook/webhook_request.h"

namespace imgauto::reflector::webhook {

// A Receiver with the token read from its Secret.
struct ConfiguredReceiver {
  Receiver receiver;
  std::string token;
};

struct DispatchResult {
  int status = 404;
  // A short, safe explanation for the HTTP body and logs (never the token, never a path).
  std::string message;
  // "<ns>/<name>" of the receiver the path belongs to; "" when the path is unknown.
  std::string receiver;
  // The parsed payload; meaningful when status is 200.
  ParsedWebhook parsed;
};

class WebhookDispatcher {
 public:
  WebhookDispatcher() = default;
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Replaces every configured receiver. When two receivers compute the same path (same token,
  // name and namespace cannot happen across distinct objects), the first wins.
  void SetReceivers(std::vector<ConfiguredReceiver> receivers);

  // Returns {"<ns>/<name>", path} for every configured receiver, sorted by key.
  std::vector<std::pair<std::string, std::string>> Paths() const;

  // Returns the configured receiver for `key` ("<ns>/<name>"), or nullptr.
  std::shared_ptr<const ConfiguredReceiver> Find(std::string_view key) const;

  // Handles one request on `path` (the request target without query). Statuses: 404 unknown
  // path (message "not found", identical for every unknown path), 405 not POST, 503 receiver
  // suspended, 401 authentication failed, 400 malformed payload or (github) an event not listed
  // in spec.events, 200 accepted.
  DispatchResult Dispatch(std::string_view path, const WebhookRequest& request) const;

 private:
  using Entry = std::shared_ptr<const ConfiguredReceiver>;

  mutable std::shared_mutex mu_;
  // Keyed by sha256(path), so that looking a path up takes no time that depends on how much of
  // a configured (secret) path the request guessed right.
  std::unordered_map<std::string, Entry> by_path_digest_;
  std::vector<std::pair<std::string, std::string>> paths_;  // sorted {key, path}
  std::unordered_map<std::string, Entry> by_key_;
};

}  // namespace imgauto::reflector::webhook
