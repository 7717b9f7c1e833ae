// ClusterRunner: the in-cluster controllers (`imgauto reflector`, `imgauto automation`, or both
// in one process with `imgauto controllers`). It discovers the served versions of the Flux API
// groups, keeps list+watch caches of the objects it needs, runs the same reconcilers as the
// standalone mode on --concurrent workers fed by a WorkQueue (dedup, backoff, RequeueAfter), and
// writes status with merge patches on /status in the served version's shape.
//
// Triggers (§1.6 of the Flux reference): an object reconciles when created, when its generation
// or its reconcile.fluxcd.io/requestedAt annotation changes, and after RequeueAfter; a policy
// also when its repository's scan revision changes; an automation also when an ImagePolicy of its
// namespace changes its latest reference or its GitRepository changes generation. Status-only
// changes of an object never re-trigger it.
//
// With --enable-leader-election the workers start only while this replica holds the Lease; caches
// run (and /readyz reports synced caches) regardless of leadership. Losing the lease stops the
// process, as controller-runtime does. SIGTERM stops the workers after their current reconcile
// and releases the lease.
//
//   ClusterRunner runner(client, options, {.reflector = true}, logger, clock);
//   Result<void> ok = runner.Run(stop);
#pragma once

#include <atomic>
#include <memory>
#include <string_view>

#include "cmd/controller_flags.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/kube/api_client.h"
#include "core/log.h"

namespace imgauto::cmd::cluster {

struct ControllerSet {
  bool reflector = false;   // ImageRepository + ImagePolicy
  bool automation = false;  // ImageUpdateAutomation
};

class ClusterRunner {
 public:
  ClusterRunner(kube::ApiClient& client, ControllerOptions options, ControllerSet controllers,
                const Logger& logger, const Clock& clock);
  ~ClusterRunner();
  ClusterRunner(const ClusterRunner&) = delete;
  ClusterRunner& operator=(const ClusterRunner&) = delete;

  // Runs until `stop` is set (returns success) or a fatal error: the API groups are not served,
  // the health address cannot be bound, leadership was lost.
  Result<void> Run(const std::atomic<bool>& stop);

  // Counts a Kubernetes API request in rest_client_requests_total (the ApiClient's
  // on_response hook calls it; safe from any thread).
  void RecordApiRequest(std::string_view method, std::string_view host, int code);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace imgauto::cmd::cluster
