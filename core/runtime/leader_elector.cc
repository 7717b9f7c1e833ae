#include "core/runtime/leader_elector.h"

#include <cstdio>
#include <ctime>
#include <thread>

namespace imgauto::runtime {

LeaderElector::LeaderElector(LeaseStore& store, LeaderElectorOptions options, const Clock& clock)
    : store_(store), options_(std::move(options)), clock_(clock) {}

void LeaderElector::Sleep(std::chrono::nanoseconds d) {
  if (options_.sleep) {
    options_.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

std::string LeaderElector::NowMicroTime() const {
  const auto now = clock_.Now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros % 1000000));
  return buf;
}

bool LeaderElector::TryAcquireOrRenew() {
  const auto now = clock_.Monotonic();
  const std::string now_text = NowMicroTime();
  const int duration_seconds = static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.lease_duration).count());

  Result<std::optional<LeaseRecord>> current = store_.Get();
  if (!current) {
    return false;  // keep what we had; the renew deadline decides when to give up
  }
  if (!current->has_value()) {
    LeaseRecord record{options_.identity, duration_seconds, now_text, now_text, 0, ""};
    Result<LeaseRecord> created = store_.Create(record);
    if (!created) {
      return false;
    }
    observed_ = *created;
    observed_at_ = now;
    last_renew_ = now;
    leader_.store(true);
    return true;
  }
  LeaseRecord record = **current;
  // Track when the record last changed, on our clock.
  if (!observed_ || observed_->holder_identity != record.holder_identity ||
      observed_->renew_time != record.renew_time ||
      observed_->resource_version != record.resource_version) {
    observed_ = record;
    observed_at_ = now;
  }
  const bool held_by_us = record.holder_identity == options_.identity;
  const auto observed_duration = std::chrono::seconds(record.lease_duration_seconds);
  const bool expired = record.holder_identity.empty() || now >= observed_at_ + observed_duration;
  if (!held_by_us && !expired) {
    leader_.store(false);
    return false;
  }
  LeaseRecord next = record;
  if (!held_by_us) {
    next.holder_identity = options_.identity;
    next.acquire_time = now_text;
    next.lease_transitions = record.lease_transitions + 1;
  }
  next.lease_duration_seconds = duration_seconds;
  next.renew_time = now_text;
  Result<LeaseRecord> updated = store_.Update(next);
  if (!updated) {
    // A conflict means someone else wrote first; we learn who on the next attempt.
    return false;
  }
  observed_ = *updated;
  observed_at_ = now;
  last_renew_ = now;
  leader_.store(true);
  return true;
}

Result<void> LeaderElector::Release() {
  if (!leader_.load() || !observed_) {
    return {};
  }
  LeaseRecord next = *observed_;
  next.holder_identity.clear();
  next.lease_duration_seconds = 1;
  next.renew_time = NowMicroTime();
  Result<LeaseRecord> updated = store_.Update(next);
  leader_.store(false);
  if (!updated) {
    return updated.error().Wrap("releasing the lease");
  }
  observed_ = *updated;
  return {};
}

bool LeaderElector::Run(const std::atomic<bool>& stop, const std::function<void()>& started,
                        const std::function<void()>& stopped) {
  while (!stop.load() && !TryAcquireOrRenew()) {
    Sleep(options_.retry_period);
  }
  if (stop.load()) {
    return true;
  }
  started();
  bool stopped_by_request = false;
  for (;;) {
    Sleep(options_.retry_period);
    if (stop.load()) {
      stopped_by_request = true;
      break;
    }
    if (TryAcquireOrRenew()) {
      continue;
    }
    // Someone else holds it now, or renewing has failed for too long.
    if (!observed_ || observed_->holder_identity != options_.identity ||
        clock_.Monotonic() - last_renew_ >= options_.renew_deadline) {
      leader_.store(false);
      break;
    }
  }
  stopped();
  if (stopped_by_request && options_.release_on_cancel) {
    (void)Release();
  }
  leader_.store(false);
  return stopped_by_request;
}

}  // namespace imgauto::runtime
