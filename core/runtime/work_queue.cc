#include "core/runtime/work_queue.h"

#include <algorithm>

namespace imgauto::runtime {
namespace {

const SystemClock& DefaultClock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace

WorkQueue::WorkQueue(WorkQueueOptions options) : options_(options) {
  if (options_.clock == nullptr) {
    options_.clock = &DefaultClock();
  }
}

std::chrono::steady_clock::time_point WorkQueue::Now() const { return options_.clock->Monotonic(); }

std::string WorkQueue::NameOf(const std::string& key) const {
  return options_.name_of ? options_.name_of(key) : options_.name;
}

void WorkQueue::CountDepthLocked(const std::string& key, int delta) {
  if (options_.metrics == nullptr) {
    return;
  }
  const std::string name = NameOf(key);
  std::size_t& depth = depth_[name];
  depth = delta < 0 ? (depth > 0 ? depth - 1 : 0) : depth + 1;
  options_.metrics->Depth(name, depth);
}

void WorkQueue::CountAddedLocked(const std::string& key) {
  if (options_.metrics == nullptr) {
    return;
  }
  options_.metrics->Added(NameOf(key));
  added_at_.insert_or_assign(key, Now());
  CountDepthLocked(key, +1);
}

void WorkQueue::EnqueueLocked(const std::string& key) {
  if (processing_.contains(key)) {
    if (dirty_.insert(key).second) {
      CountAddedLocked(key);
    }
    return;
  }
  if (queued_.insert(key).second) {
    CountAddedLocked(key);
    ready_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) {
    return;
  }
  delayed_.erase(key);  // ready now supersedes a later due time
  EnqueueLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::nanoseconds delay) {
  if (options_.metrics != nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shutting_down_) {
      options_.metrics->Retried(NameOf(key));
    }
  }
  if (delay.count() <= 0) {
    Add(key);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_ || queued_.contains(key)) {
    return;  // already ready: it runs sooner than `delay`
  }
  const auto now = Now();
  const auto room = std::chrono::steady_clock::time_point::max() - now;
  const auto step = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::min<std::chrono::nanoseconds>(delay, room));
  const auto due = now + step;  // saturates instead of wrapping for huge intervals
  auto [it, inserted] = delayed_.emplace(key, due);
  if (!inserted) {
    it->second = std::min(it->second, due);
  }
  cv_.notify_all();  // a sleeping Get() may need to wake earlier
}

std::chrono::nanoseconds WorkQueue::NextBackoff(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  const int failures = it == failures_.end() ? 0 : it->second;
  std::chrono::nanoseconds delay = options_.min_retry_delay;
  for (int i = 0; i < failures && delay < options_.max_retry_delay; ++i) {
    delay *= 2;
  }
  return std::min(delay, options_.max_retry_delay);
}

void WorkQueue::AddRateLimited(const std::string& key) {
  std::chrono::nanoseconds delay = NextBackoff(key);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++failures_[key];
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_.erase(key);
}

int WorkQueue::Failures(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDue() {
  const auto now = Now();
  for (auto it = delayed_.begin(); it != delayed_.end();) {
    if (it->second <= now) {
      std::string key = it->first;
      it = delayed_.erase(it);
      EnqueueLocked(key);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> WorkQueue::PopLocked() {
  PromoteDue();
  if (ready_.empty()) {
    return std::nullopt;
  }
  std::string key = std::move(ready_.front());
  ready_.pop_front();
  queued_.erase(key);
  processing_.insert(key);
  if (options_.metrics != nullptr) {
    const auto now = Now();
    std::chrono::nanoseconds queued_for{0};
    if (auto added = added_at_.find(key); added != added_at_.end()) {
      queued_for = now - added->second;
      added_at_.erase(added);
    }
    started_at_.insert_or_assign(key, now);
    CountDepthLocked(key, -1);
    options_.metrics->Started(NameOf(key), key, queued_for);
  }
  return key;
}

std::optional<std::string> WorkQueue::TryGet() {
  std::lock_guard<std::mutex> lock(mu_);
  return PopLocked();
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // After ShutDown nothing more is handed out, not even ready keys: workers stop after their
    // current item (a replica that lost its lease must not keep reconciling).
    if (shutting_down_) {
      return std::nullopt;
    }
    if (std::optional<std::string> key = PopLocked()) {
      return key;
    }
    if (delayed_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto next = std::min_element(delayed_.begin(), delayed_.end(), [](const auto& a, const auto& b) {
                  return a.second < b.second;
                })->second;
    // Sleep on the real clock for the time the queue's clock says is left (bounded, so a fake
    // clock that jumps ahead is noticed within a second).
    auto left = std::min<std::chrono::steady_clock::duration>(next - Now(), std::chrono::seconds(1));
    cv_.wait_for(lock, std::max<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(1)));
  }
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool was_processing = processing_.erase(key) > 0;
  if (options_.metrics != nullptr && was_processing) {
    std::chrono::nanoseconds worked_for{0};
    if (auto started = started_at_.find(key); started != started_at_.end()) {
      worked_for = Now() - started->second;
      started_at_.erase(started);
    }
    options_.metrics->Finished(NameOf(key), key, worked_for);
  }
  if (dirty_.erase(key) == 0) {
    return;
  }
  if (shutting_down_) {
    if (options_.metrics != nullptr) {  // dropped: it leaves the depth
      added_at_.erase(key);
      CountDepthLocked(key, -1);
    }
    return;
  }
  // Counted as added when it was added while processing; it keeps that add time.
  if (queued_.insert(key).second) {
    ready_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

bool WorkQueue::shutting_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

std::size_t WorkQueue::Ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.size();
}

std::size_t WorkQueue::Waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delayed_.size();
}

}  // namespace imgauto::runtime
