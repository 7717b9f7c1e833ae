// StandaloneRunner: `imgauto run` without a cluster. Loads the manifests directory (ImageRepository,
// ImagePolicy, ImageUpdateAutomation in any served version, GitRepository, Secret, ServiceAccount,
// Namespace), restores each object's persisted status, and drives the same reconcilers the
// in-cluster controllers use, in dependency order: repositories, then policies, then
// automations. Status is written after every reconcile (atomically) to the StateStore.
//
// Triggers follow Flux (§1.6): a policy reconciles when its repository's scan revision changes,
// an automation when a policy of its namespace changes its latest reference; otherwise each
// object waits for its interval (failures back off exponentially, 750 ms to 15 min). A change in
// the directory reloads it; objects whose spec changed run at once.
//
//   StandaloneRunner runner(options, logger, clock);
//   Result<PassSummary> summary = runner.RunOnce();       // --once
//   runner.Run(stop_flag);                               // until stop_flag is set
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"

namespace imgauto::cmd::standalone {

struct RunnerOptions {
  std::filesystem::path manifests_dir;
  std::filesystem::path state_dir;
  std::string default_namespace = "flux-system";
  bool no_cross_namespace_refs = false;
  // /healthz and /readyz (ready once the manifests loaded); empty: no health endpoint.
  std::string health_addr;
  // /metrics (Prometheus text format); empty: not served.
  std::string metrics_addr;
  // Registry webhook receivers (POST /hook/<digest>), served once the directory holds a
  // notification.toolkit.fluxcd.io Receiver; empty: never served.
  std::string webhook_addr = ":9292";
  // Automations run on this many worker threads, so one slow git remote does not hold up
  // registry scans or other automations (--concurrent).
  int concurrent = 2;
  // How often the loop looks at the directory and the due times.
  std::chrono::milliseconds tick{1000};
  std::chrono::milliseconds min_retry_delay{750};
  std::chrono::milliseconds max_retry_delay{15 * 60 * 1000};
};

// One object's outcome for the summary table.
struct ObjectSummary {
  std::string kind;
  std::string ns;
  std::string name;
  bool ready = false;
  std::string status;  // "True", "False", "Unknown" (Ready condition), "Suspended"
  std::string message;
};

struct PassSummary {
  std::vector<ObjectSummary> objects;  // kinds in dependency order, then ns/name
  std::vector<std::string> issues;     // manifest files or documents that could not be used
  bool AllReady() const;
};

// Prints the summary like `flux get images all`: one table per kind.
void PrintSummary(const PassSummary& summary, std::ostream& out);

class StandaloneRunner {
 public:
  StandaloneRunner(RunnerOptions options, const Logger& logger, const Clock& clock);
  ~StandaloneRunner();
  StandaloneRunner(const StandaloneRunner&) = delete;
  StandaloneRunner& operator=(const StandaloneRunner&) = delete;

  // Loads the directory and reconciles every object once (repositories scan even when their
  // interval has not elapsed only if they never scanned). kNotFound when the manifests
  // directory does not exist.
  Result<PassSummary> RunOnce();

  // Reconciles due objects until `stop` becomes true; returns after the current reconcile.
  Result<void> Run(const std::atomic<bool>& stop);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace imgauto::cmd::standalone
