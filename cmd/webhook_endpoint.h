// WebhookEndpoint: the registry webhook receivers of both runners, served on --webhook-addr at
// POST /hook/<digest> (Flux's Receiver paths). A request goes through the WebhookDispatcher
// (authentication, payload parsing), then every ImageRepository the receiver covers whose image
// was pushed gets an immediate scan through the runner's `request_scans` hook; the policy and
// automation follow through the normal triggers. Metrics (requests by answer, events, scans,
// silence) and the lead-time tracker (image push times from the events) are fed here.
//
// Answers: 200 with a one-line JSON summary, 404 for unknown paths (the same for every unknown
// path), 401 / 400 / 405 / 503 as the dispatcher decides, 400 for more than kMaxEvents push
// events in one request, 429 when a rate limit is spent. Rate limits: each receiver has its own
// token bucket (kReceiverRate/s, bursts of kReceiverBurst), unknown paths share a smaller one, so
// a flood of guesses cannot silence real receivers; the route as a whole has a wider limit
// (HttpServer) against floods that would cost the body reads. Logs never contain the path (it
// is derived from the token).
//
// Push times: an event's time is used when it is within an hour before and five minutes after
// its receipt (a registry's clock or a replayed delivery must not skew the latency metrics);
// otherwise the receipt time is.
//
//   WebhookEndpoint endpoint(tracker, logger, clock, {.repositories = ..., .request_scans = ...});
//   endpoint.Configure(receivers, repositories, intervals);   // after every (re)load
//   HttpServer::Start({.address = ":9292"}, {endpoint.Route()});
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cmd/delivery_tracker.h"
#include "core/clock.h"
#include "core/kube/object.h"
#include "core/log.h"
#include "core/runtime/reconcile_metrics.h"
#include "metrics/http_server.h"
#include "reflector/webhook/webhook_dispatcher.h"
#include "reflector/webhook/repository_matcher.h"

namespace imgauto::cmd {

struct WebhookHooks {
  // The ImageRepositories the runner knows now.
  std::function<std::vector<reflector::webhook::RepositoryInfo>()> repositories;
  // Asks for immediate scans; returns the keys that exist and were requested.
  std::function<std::vector<kube::ObjectKey>(const std::vector<kube::ObjectKey>&)> request_scans;
};

// Thread-safe.
class WebhookEndpoint {
 public:
  WebhookEndpoint(DeliveryTracker& delivery, const Logger& logger, const Clock& clock,
                  WebhookHooks hooks)
      : delivery_(delivery), logger_(logger), clock_(clock), hooks_(std::move(hooks)) {}

  void set_metrics(runtime::ReconcileMetrics* metrics) { metrics_ = metrics; }

  // Replaces the receivers. `intervals` (ImageRepository key → spec.interval) decide when each
  // receiver counts as silent: after the longest interval among the repositories it covers.
  void Configure(std::vector<reflector::webhook::ConfiguredReceiver> receivers,
                 const std::vector<reflector::webhook::RepositoryInfo>& repositories,
                 const std::map<kube::ObjectKey, std::chrono::nanoseconds>& intervals);

  bool HasReceivers() const { return receiver_count_.load() > 0; }

  // {"<ns>/<name>", "/hook/<digest>"} of every receiver (status files, startup log at debug).
  std::vector<std::pair<std::string, std::string>> Paths() const { return dispatcher_.Paths(); }
  // The configured receiver `key` ("<ns>/<name>") with its token, or null.
  std::shared_ptr<const reflector::webhook::ConfiguredReceiver> Find(std::string_view key) const {
    return dispatcher_.Find(key);
  }

  metrics::ServerResponse Handle(const metrics::ServerRequest& request);
  // POST /hook/… (route-wide rate limit: kRouteRate requests/s, bursts of 2×).
  metrics::Route Route();

  static constexpr int kMaxEvents = 1000;
  static constexpr double kReceiverRate = 20;
  static constexpr double kReceiverBurst = 50;
  static constexpr double kUnknownRate = 5;
  static constexpr double kUnknownBurst = 20;
  static constexpr double kRouteRate = 200;

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled{};
  };
  // Takes a token from the bucket of `receiver` ("" for unknown paths); false when empty.
  bool Admit(const std::string& receiver);
  // The receiver key a path belongs to, or "" (compares sha256 digests, not paths).
  std::string ReceiverOfPath(std::string_view path) const;

  DeliveryTracker& delivery_;
  const Logger& logger_;
  const Clock& clock_;
  WebhookHooks hooks_;
  reflector::webhook::WebhookDispatcher dispatcher_;
  std::atomic<runtime::ReconcileMetrics*> metrics_{nullptr};
  std::atomic<int> receiver_count_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::string> key_by_path_digest_;  // sha256(path) → "<ns>/<name>"
  std::map<std::string, Bucket> buckets_;                  // by receiver key; "" = unknown
};

}  // namespace imgauto::cmd
