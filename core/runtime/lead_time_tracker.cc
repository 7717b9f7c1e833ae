#include "core/runtime/lead_time_tracker.h"

#include <algorithm>

namespace imgauto::runtime {
namespace {

std::chrono::nanoseconds NonNegative(std::chrono::nanoseconds d) {
  return std::max(d, std::chrono::nanoseconds(0));
}

}  // namespace

void LeadTimeTracker::ImagePushed(const std::string& repo, const std::string& tag,
                                  TimePoint pushed) {
  std::lock_guard<std::mutex> lock(mu_);
  const RepoTag key{repo, tag};
  auto it = push_times_.find(key);
  if (it != push_times_.end()) {
    // A mutable tag pushed again: the newer push is the one being deployed. (Redeliveries of one
    // event carry the same time.)
    it->second = std::max(it->second, pushed);
    return;
  }
  push_times_.emplace(key, pushed);
  push_order_.push_back(key);
  TrimLocked();
}

std::optional<LeadTimeTracker::TimePoint> LeadTimeTracker::PushTime(const std::string& repo,
                                                                    const std::string& tag) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = push_times_.find({repo, tag});
  if (it == push_times_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::chrono::nanoseconds> LeadTimeTracker::Selected(
    const std::string& policy, const std::string& repo, const std::string& tag,
    const std::string& source, std::optional<TimePoint> pushed, TimePoint detected) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!pushed) {
    pending_.erase(policy);
    return std::nullopt;
  }
  pending_[policy] = PendingSelection{tag, source, *pushed, detected};
  std::optional<std::chrono::nanoseconds> latency;
  const RepoTag key{repo, tag};
  if (!detected_.contains(key)) {
    detected_.emplace(key, true);
    detected_order_.push_back(key);
    latency = NonNegative(detected - *pushed);
  }
  TrimLocked();
  return latency;
}

std::vector<LeadTime> LeadTimeTracker::Pushed(const std::vector<std::string>& policies,
                                              TimePoint committed, TimePoint pushed) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LeadTime> out;
  for (const std::string& policy : policies) {
    auto it = pending_.find(policy);
    if (it == pending_.end()) continue;
    const PendingSelection& p = it->second;
    // A commit cannot precede the detection that caused it; clamp skew between clocks.
    const TimePoint commit_at = std::max(committed, p.detected);
    const TimePoint push_at = std::max(pushed, commit_at);
    out.push_back(LeadTime{policy, p.source, NonNegative(p.detected - p.pushed),
                           commit_at - p.detected, push_at - commit_at});
    pending_.erase(it);
  }
  return out;
}

void LeadTimeTracker::ForgetPolicy(const std::string& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(policy);
}

std::optional<PendingSelection> LeadTimeTracker::Pending(const std::string& policy) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(policy);
  if (it == pending_.end()) return std::nullopt;
  return it->second;
}

void LeadTimeTracker::Adopt(const std::string& policy, const PendingSelection& selection) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_[policy] = selection;
  TrimLocked();
}

std::size_t LeadTimeTracker::PendingForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

void LeadTimeTracker::TrimLocked() {
  while (push_order_.size() > max_entries_) {
    push_times_.erase(push_order_.front());
    push_order_.pop_front();
  }
  while (detected_order_.size() > max_entries_) {
    detected_.erase(detected_order_.front());
    detected_order_.pop_front();
  }
  // Pending selections are one per policy; a policy count beyond the cap drops arbitrary ones.
  while (pending_.size() > max_entries_) pending_.erase(pending_.begin());
}

}  // namespace imgauto::runtime
