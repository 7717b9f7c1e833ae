// LeadTimeTracker: follows one image tag from the registry to git, for the detection-latency and
// lead-time metrics (README, "Metrics"). The runners feed it four facts and it returns the
// durations to record:
//
//   1. a registry told us `repo:tag` was pushed at time P (a webhook event)  → ImagePushed
//   2. a policy of `repo` selected `tag`; the scan that saw it finished at D,
//      triggered by `source` ("webhook" or "poll"); P when known            → Selected
//      (returns the detection latency D − P, once per repo:tag)
//   3. an automation committed at C and pushed at G the changes of some
//      policies                                                             → Pushed
//      (returns per policy the stages detect = D − P, commit = C − D, push = G − C)
//
// Repositories and policies are identified by "namespace/name" keys, so no image-name
// normalisation is needed: the webhook glue resolves events to repositories first. Memory is
// bounded: at most `max_entries` push times and pending selections are kept (oldest dropped).
//
//   LeadTimeTracker tracker;
//   tracker.ImagePushed("apps/web", "1.2.3", event_time);
//   if (auto latency = tracker.Selected("apps/web-policy", "apps/web", "1.2.3", "webhook",
//                                       tracker.PushTime("apps/web", "1.2.3"), scan_time)) {
//     metrics.RecordDetection("webhook", *latency);
//   }
//   for (const LeadTime& l : tracker.Pushed({"apps/web-policy"}, committed, pushed)) { ... }
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace imgauto::runtime {

// A policy's selection waiting for its git push: what another process needs to finish the
// measurement (the cluster runner publishes it on the ImagePolicy when the reflector and the
// automation controller run apart).
struct PendingSelection {
  std::string tag;
  std::string source;
  std::chrono::system_clock::time_point pushed{};
  std::chrono::system_clock::time_point detected{};
};

struct LeadTime {
  std::string policy;  // "namespace/name"
  std::string source;  // "webhook" or "poll": what triggered the detecting scan
  std::chrono::nanoseconds detect{0};  // image pushed → detected
  std::chrono::nanoseconds commit{0};  // detected → committed
  std::chrono::nanoseconds push{0};    // committed → pushed to git
  std::chrono::nanoseconds Total() const { return detect + commit + push; }
};

// Thread-safe.
class LeadTimeTracker {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit LeadTimeTracker(std::size_t max_entries = 4096) : max_entries_(max_entries) {}

  // A registry event: `repo` ("ns/name" of the ImageRepository) got `tag` at `pushed`. The
  // latest report wins (a mutable tag pushed again; redeliveries carry the same time).
  void ImagePushed(const std::string& repo, const std::string& tag, TimePoint pushed);
  // The push time a registry reported for repo:tag, if any.
  std::optional<TimePoint> PushTime(const std::string& repo, const std::string& tag) const;

  // `policy` now selects `tag` of `repo`, which a scan triggered by `source` saw at `detected`.
  // `pushed` is the image push time when known (event or image config `created`); without it
  // no lead time can be computed and nothing is tracked. Returns the detection latency the first
  // time repo:tag is selected (by any policy), clamped at zero for skewed clocks.
  std::optional<std::chrono::nanoseconds> Selected(const std::string& policy,
                                                   const std::string& repo,
                                                   const std::string& tag,
                                                   const std::string& source,
                                                   std::optional<TimePoint> pushed,
                                                   TimePoint detected);

  // An automation pushed a commit (made at `committed`, pushed at `pushed`) carrying the changes
  // of `policies`. Returns the lead time of each policy with a pending selection, and clears it.
  std::vector<LeadTime> Pushed(const std::vector<std::string>& policies, TimePoint committed,
                               TimePoint pushed);

  // The policy is gone (or its selection failed): drop what is pending for it.
  void ForgetPolicy(const std::string& policy);

  // The pending selection of `policy`, if any.
  std::optional<PendingSelection> Pending(const std::string& policy) const;
  // Takes over a selection another process measured (replaces a pending one of `policy`).
  void Adopt(const std::string& policy, const PendingSelection& selection);

  std::size_t PendingForTest() const;

 private:
  using RepoTag = std::pair<std::string, std::string>;

  void TrimLocked();

  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::map<RepoTag, TimePoint> push_times_;
  std::deque<RepoTag> push_order_;  // insertion order of push_times_, for trimming
  std::map<RepoTag, bool> detected_;  // repo:tag whose detection latency was recorded
  std::deque<RepoTag> detected_order_;
  std::map<std::string, PendingSelection> pending_;  // by policy
};

}  // namespace imgauto::runtime
