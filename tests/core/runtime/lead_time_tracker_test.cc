#include "core/runtime/lead_time_tracker.h"

#include <gtest/gtest.h>

namespace imgauto::runtime {
namespace {

using std::chrono::seconds;
using TimePoint = LeadTimeTracker::TimePoint;

TimePoint At(int s) { return TimePoint(seconds(1'700'000'000 + s)); }

TEST(LeadTimeTrackerTest, LatestPushTimeWins) {
  LeadTimeTracker t;
  EXPECT_FALSE(t.PushTime("apps/web", "1.0").has_value());
  t.ImagePushed("apps/web", "1.0", At(10));
  t.ImagePushed("apps/web", "1.0", At(5));  // a late redelivery of an older push
  t.ImagePushed("apps/web", "1.0", At(20));  // the tag pushed again
  ASSERT_TRUE(t.PushTime("apps/web", "1.0").has_value());
  EXPECT_EQ(*t.PushTime("apps/web", "1.0"), At(20));
  EXPECT_FALSE(t.PushTime("apps/web", "1.1").has_value());
  EXPECT_FALSE(t.PushTime("apps/api", "1.0").has_value());
}

TEST(LeadTimeTrackerTest, StagesFromPushToGit) {
  LeadTimeTracker t;
  std::optional<std::chrono::nanoseconds> latency =
      t.Selected("apps/web-policy", "apps/web", "1.0", "webhook", At(0), At(2));
  ASSERT_TRUE(latency.has_value());
  EXPECT_EQ(*latency, seconds(2));
  std::vector<LeadTime> times = t.Pushed({"apps/web-policy"}, At(5), At(6));
  ASSERT_EQ(times.size(), 1u);
  EXPECT_EQ(times[0].policy, "apps/web-policy");
  EXPECT_EQ(times[0].source, "webhook");
  EXPECT_EQ(times[0].detect, seconds(2));
  EXPECT_EQ(times[0].commit, seconds(3));
  EXPECT_EQ(times[0].push, seconds(1));
  EXPECT_EQ(times[0].Total(), seconds(6));
  // Recorded once: a second push of the same policy reports nothing.
  EXPECT_TRUE(t.Pushed({"apps/web-policy"}, At(7), At(8)).empty());
  EXPECT_EQ(t.PendingForTest(), 0u);
}

TEST(LeadTimeTrackerTest, DetectionLatencyOncePerRepoTag) {
  LeadTimeTracker t;
  EXPECT_TRUE(t.Selected("apps/a", "apps/web", "1.0", "poll", At(0), At(30)).has_value());
  // A second policy over the same repository selecting the same tag: no second sample.
  EXPECT_FALSE(t.Selected("apps/b", "apps/web", "1.0", "poll", At(0), At(31)).has_value());
  // Both policies still get their lead time when pushed.
  EXPECT_EQ(t.Pushed({"apps/a", "apps/b", "apps/c"}, At(40), At(41)).size(), 2u);
}

TEST(LeadTimeTrackerTest, UnknownPushTimeTracksNothing) {
  LeadTimeTracker t;
  ASSERT_TRUE(t.Selected("apps/a", "apps/web", "1.0", "poll", At(0), At(1)).has_value());
  // The policy moved on to a tag whose push time is unknown: the old pending selection must not
  // be attributed to the next commit.
  EXPECT_FALSE(t.Selected("apps/a", "apps/web", "1.1", "poll", std::nullopt, At(2)).has_value());
  EXPECT_TRUE(t.Pushed({"apps/a"}, At(3), At(4)).empty());
}

TEST(LeadTimeTrackerTest, ClockSkewNeverGivesNegativeStages) {
  LeadTimeTracker t;
  // The registry's clock is ahead of ours: the image "was pushed" after we detected it.
  std::optional<std::chrono::nanoseconds> latency =
      t.Selected("apps/a", "apps/web", "1.0", "webhook", At(10), At(8));
  ASSERT_TRUE(latency.has_value());
  EXPECT_EQ(*latency, std::chrono::nanoseconds(0));
  std::vector<LeadTime> times = t.Pushed({"apps/a"}, At(7), At(6));
  ASSERT_EQ(times.size(), 1u);
  EXPECT_GE(times[0].detect.count(), 0);
  EXPECT_GE(times[0].commit.count(), 0);
  EXPECT_GE(times[0].push.count(), 0);
}

TEST(LeadTimeTrackerTest, PendingSelectionCanMoveToAnotherTracker) {
  // The reflector measures, the automation controller (another process) finishes.
  LeadTimeTracker reflector;
  reflector.Selected("apps/a", "apps/web", "1.0", "webhook", At(0), At(2));
  std::optional<PendingSelection> pending = reflector.Pending("apps/a");
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->tag, "1.0");
  EXPECT_EQ(pending->source, "webhook");
  EXPECT_EQ(pending->pushed, At(0));
  EXPECT_EQ(pending->detected, At(2));
  EXPECT_FALSE(reflector.Pending("apps/b").has_value());

  LeadTimeTracker automation;
  automation.Adopt("apps/a", *pending);
  std::vector<LeadTime> times = automation.Pushed({"apps/a"}, At(5), At(6));
  ASSERT_EQ(times.size(), 1u);
  EXPECT_EQ(times[0].source, "webhook");
  EXPECT_EQ(times[0].Total(), std::chrono::seconds(6));
}

TEST(LeadTimeTrackerTest, ForgetPolicyDropsPending) {
  LeadTimeTracker t;
  t.Selected("apps/a", "apps/web", "1.0", "poll", At(0), At(1));
  t.ForgetPolicy("apps/a");
  EXPECT_TRUE(t.Pushed({"apps/a"}, At(2), At(3)).empty());
}

TEST(LeadTimeTrackerTest, MemoryIsBounded) {
  LeadTimeTracker t(8);
  for (int i = 0; i < 100; ++i) {
    t.ImagePushed("apps/web", std::to_string(i), At(i));
    t.Selected("apps/p" + std::to_string(i), "apps/web", std::to_string(i), "poll", At(i),
               At(i + 1));
  }
  EXPECT_LE(t.PendingForTest(), 8u);
  EXPECT_FALSE(t.PushTime("apps/web", "0").has_value());  // the oldest were dropped
  EXPECT_TRUE(t.PushTime("apps/web", "99").has_value());
}

}  // namespace
}  // namespace imgauto::runtime
