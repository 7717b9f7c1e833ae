// WorkQueue: the controllers' queue of object keys, with controller-runtime's semantics:
//  * de-duplication — a key waiting in the queue is queued once, however often it is added;
//  * no parallel work on one key — a key handed out by Get() is not handed out again until Done();
//    adds meanwhile are remembered and the key is queued again at Done();
//  * delayed adds (RequeueAfter) — the earliest due time wins when a key is added twice;
//  * per-key exponential backoff for failures (AddRateLimited), from min_retry_delay doubling to
//    max_retry_delay (Flux's --min-retry-delay 750ms / --max-retry-delay 15m), reset by Forget().
// Time comes from a Clock, so tests drive delays with a FakeClock and TryGet().
// An optional WorkQueueMetrics observer sees adds, depth, queue and work durations and retries
// (client-go's workqueue metrics), per queue name: `name_of` lets one queue report several
// controllers, e.g. "R|apps/web" as "imagerepository".
//
//   WorkQueue queue({.clock = &clock});
//   queue.Add("flux-system/app");
//   while (std::optional<std::string> key = queue.Get()) {
//     Result r = Reconcile(*key);
//     if (!r) queue.AddRateLimited(*key); else { queue.Forget(*key); queue.AddAfter(*key, every); }
//     queue.Done(*key);
//   }
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "core/clock.h"

namespace imgauto::runtime {

// What a WorkQueue reports to its observer, per queue name. The calls are made with the queue's
// lock held: implementations must be quick and must not call the queue.
class WorkQueueMetrics {
 public:
  virtual ~WorkQueueMetrics() = default;
  // A key entered the queue: it was neither queued nor already waiting to run again.
  virtual void Added(const std::string& name) = 0;
  // Keys of `name` queued, or waiting for their current run to end (client-go's depth).
  virtual void Depth(const std::string& name, std::size_t depth) = 0;
  // A worker took `key`, `queued_for` after it was added.
  virtual void Started(const std::string& name, const std::string& key,
                       std::chrono::nanoseconds queued_for) = 0;
  // Done(key), `worked_for` after Started.
  virtual void Finished(const std::string& name, const std::string& key,
                        std::chrono::nanoseconds worked_for) = 0;
  // AddAfter or AddRateLimited (like client-go, every delayed add counts as a retry).
  virtual void Retried(const std::string& name) = 0;
};

struct WorkQueueOptions {
  std::chrono::nanoseconds min_retry_delay = std::chrono::milliseconds(750);
  std::chrono::nanoseconds max_retry_delay = std::chrono::minutes(15);
  const Clock* clock = nullptr;  // borrowed; the system clock when null
  WorkQueueMetrics* metrics = nullptr;  // borrowed; may be null; must outlive the queue
  // The queue name a key is reported under; `name` for every key when empty.
  std::function<std::string(const std::string& key)> name_of{};
  std::string name = "workqueue";
};

// Thread-safe.
class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});

  // Queues `key` now.
  void Add(const std::string& key);
  // Queues `key` after `delay` (now when <= 0). An earlier pending due time is kept.
  void AddAfter(const std::string& key, std::chrono::nanoseconds delay);
  // Queues `key` after its next backoff delay and counts a failure.
  void AddRateLimited(const std::string& key);
  // Returns the backoff the next AddRateLimited(key) would use.
  std::chrono::nanoseconds NextBackoff(const std::string& key) const;
  // Clears the failure count of `key`.
  void Forget(const std::string& key);
  // Failures counted for `key` since the last Forget().
  int Failures(const std::string& key) const;

  // Blocks until a key is ready (returns it, marked as processing) or the queue shuts down
  // (returns nullopt at once, even when keys are still queued).
  std::optional<std::string> Get();
  // Returns a ready key without blocking, or nullopt.
  std::optional<std::string> TryGet();
  // Marks `key` as processed; re-queues it when it was added while processing.
  void Done(const std::string& key);

  // Wakes every Get(); later adds are ignored.
  void ShutDown();
  bool shutting_down() const;

  // Keys ready now, and keys waiting for a due time.
  std::size_t Ready() const;
  std::size_t Waiting() const;

 private:
  std::chrono::steady_clock::time_point Now() const;
  // Moves due delayed keys to the ready queue. Requires mu_.
  void PromoteDue();
  // Queues `key` as ready unless already queued or processing. Requires mu_.
  void EnqueueLocked(const std::string& key);
  std::optional<std::string> PopLocked();
  // Metrics bookkeeping; no-ops without options_.metrics. Require mu_.
  std::string NameOf(const std::string& key) const;
  void CountAddedLocked(const std::string& key);
  void CountDepthLocked(const std::string& key, int delta);

  WorkQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> ready_;
  std::set<std::string> queued_;      // in ready_
  std::set<std::string> processing_;  // handed out, not Done
  std::set<std::string> dirty_;       // added while processing
  std::map<std::string, std::chrono::steady_clock::time_point> delayed_;  // key → due
  std::map<std::string, int> failures_;
  // With metrics only: when a key in queued_ or dirty_ was added, when a key in processing_
  // started, and the depth per queue name.
  std::map<std::string, std::chrono::steady_clock::time_point> added_at_;
  std::map<std::string, std::chrono::steady_clock::time_point> started_at_;
  std::map<std::string, std::size_t> depth_;
  bool shutting_down_ = false;
};

}  // namespace imgauto::runtime
