// LeaderElector: client-go's Lease-based leader election (coordination.k8s.io/v1), as Flux's
// controllers run it with --enable-leader-election:
//  * no Lease → create it with us as holder;
//  * held by someone else → wait until it has not changed for lease_duration, measured on OUR
//    clock from when we last saw it change (never from the times written in it, so clock skew
//    between nodes does not matter), then take it over and count a transition;
//  * held by us → renew every retry_period; when renewing keeps failing past renew_deadline, we
//    stop leading (the caller must stop reconciling);
//  * on shutdown with release_on_cancel, clear the holder so another replica takes over at once.
// The Lease itself is reached through LeaseStore (the API server in-cluster, a fake in tests).
//
//   LeaderElector elector(store, {.identity = pod_name, ...}, clock);
//   elector.Run(stop, [] { StartControllers(); }, [] { StopControllers(); });
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/error.h"

namespace imgauto::runtime {

// The spec of a coordination.k8s.io/v1 Lease, plus its resourceVersion.
struct LeaseRecord {
  std::string holder_identity;
  int lease_duration_seconds = 0;
  std::string acquire_time;  // RFC 3339 with microseconds, as MicroTime
  std::string renew_time;
  int lease_transitions = 0;
  std::string resource_version;  // for optimistic concurrency
  bool operator==(const LeaseRecord&) const = default;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // nullopt when the Lease does not exist.
  virtual Result<std::optional<LeaseRecord>> Get() = 0;
  // kConflict when it already exists.
  virtual Result<LeaseRecord> Create(const LeaseRecord& record) = 0;
  // kConflict when record.resource_version is stale.
  virtual Result<LeaseRecord> Update(const LeaseRecord& record) = 0;
};

struct LeaderElectorOptions {
  std::string identity;  // unique per replica (pod name + random suffix)
  std::chrono::nanoseconds lease_duration = std::chrono::seconds(35);
  std::chrono::nanoseconds renew_deadline = std::chrono::seconds(30);
  std::chrono::nanoseconds retry_period = std::chrono::seconds(5);
  bool release_on_cancel = true;
  // Waits between attempts; std::this_thread::sleep_for when empty (tests advance a FakeClock).
  std::function<void(std::chrono::nanoseconds)> sleep;
};

// Not thread-safe except IsLeader(); one Run() per elector.
class LeaderElector {
 public:
  LeaderElector(LeaseStore& store, LeaderElectorOptions options, const Clock& clock);

  // One acquire-or-renew attempt; returns whether we hold the lease afterwards.
  bool TryAcquireOrRenew();

  // Gives the lease up (holder cleared) if we hold it.
  Result<void> Release();

  bool IsLeader() const { return leader_.load(); }
  const std::string& identity() const { return options_.identity; }

  // Acquires (retrying every retry_period), calls `started`, renews until `stop` is set or
  // renewing fails past renew_deadline, then calls `stopped` (only if `started` ran) and releases
  // when configured. Returns true when leadership ended because of `stop`.
  bool Run(const std::atomic<bool>& stop, const std::function<void()>& started,
           const std::function<void()>& stopped);

 private:
  void Sleep(std::chrono::nanoseconds d);
  std::string NowMicroTime() const;

  LeaseStore& store_;
  LeaderElectorOptions options_;
  const Clock& clock_;
  std::atomic<bool> leader_{false};
  // What we last saw of the Lease and when (on our monotonic clock).
  std::optional<LeaseRecord> observed_;
  std::chrono::steady_clock::time_point observed_at_{};
  std::chrono::steady_clock::time_point last_renew_{};
};

}  // namespace imgauto::runtime
