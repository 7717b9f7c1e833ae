// WebhookEndpoint: the registry webhook receivers of both runners, served on --webhook-addr at
// POST /hook/<digest> (Flux's Receiver paths). A request goes through the WebhookDispatcher
// (authentication, payload parsing), then every ImageRepository the receiver covers whose image
// was pushed gets an immediate scan through the runner's `request_scans` hook; the policy and
// automation follow through the normal triggers. Metrics (requests by answer, events, scans,
// silence) and the lead-time tracker (image push times from the events) are fed here.
//
// Answers: 200 with a one-line JSON summary, 404 for unknown paths (the same for every unknown
// path), 401 / 400 / 405 / 503 as the dispatcher decides, 429 when the route's rate limit is
// exhausted (HttpServer). Logs never contain the path (it is derived from the token).
//
//   WebhookEndpoint endpoint(tracker, logger, clock, {.repositories = ..., .request_scans = ...});
//   endpoint.Configure(receivers, repositories, intervals);   // after every (re)load
//   HttpServer::Start({.address = ":9292"}, {endpoint.Route()});
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
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

  metrics::ServerResponse Handle(const metrics::ServerRequest& request);
  // POST /hook/… with a rate limit (per route: 50 requests/s, bursts of 100).
  metrics::Route Route();

 private:
  DeliveryTracker& delivery_;
  const Logger& logger_;
  const Clock& clock_;
  WebhookHooks hooks_;
  reflector::webhook::WebhookDispatcher dispatcher_;
  std::atomic<runtime::ReconcileMetrics*> metrics_{nullptr};
  std::atomic<int> receiver_count_{0};
};

}  // namespace imgauto::cmd
