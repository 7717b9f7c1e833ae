#include "core/runtime/work_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/fakes/fake_clock.h"

namespace imgauto::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class WorkQueueTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  WorkQueue queue_{{.min_retry_delay = milliseconds(750),
                    .max_retry_delay = std::chrono::minutes(15),
                    .clock = &clock_}};
};

TEST_F(WorkQueueTest, DeduplicatesQueuedKeys) {
  queue_.Add("a");
  queue_.Add("b");
  queue_.Add("a");
  EXPECT_EQ(queue_.Ready(), 2u);
  EXPECT_EQ(queue_.TryGet(), "a");
  EXPECT_EQ(queue_.TryGet(), "b");
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
}

TEST_F(WorkQueueTest, KeyInProcessIsNotHandedOutTwice) {
  queue_.Add("a");
  ASSERT_EQ(queue_.TryGet(), "a");
  queue_.Add("a");  // an event while reconciling
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
  queue_.Done("a");
  EXPECT_EQ(queue_.TryGet(), "a");  // runs once more after Done
  queue_.Done("a");
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
}

TEST_F(WorkQueueTest, AddAfterWaitsForTheClockAndEarliestWins) {
  queue_.AddAfter("a", seconds(10));
  queue_.AddAfter("a", seconds(5));
  queue_.AddAfter("a", seconds(20));
  EXPECT_EQ(queue_.Waiting(), 1u);
  clock_.Advance(seconds(4));
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
  clock_.Advance(seconds(1));
  EXPECT_EQ(queue_.TryGet(), "a");
}

TEST_F(WorkQueueTest, AddSupersedesDelay) {
  queue_.AddAfter("a", std::chrono::minutes(5));
  queue_.Add("a");
  EXPECT_EQ(queue_.TryGet(), "a");
  queue_.Done("a");
  clock_.Advance(std::chrono::minutes(10));
  EXPECT_EQ(queue_.TryGet(), std::nullopt);  // the delayed copy is gone
}

TEST_F(WorkQueueTest, BackoffDoublesToTheCapAndForgetResets) {
  std::vector<std::chrono::nanoseconds> delays;
  for (int i = 0; i < 14; ++i) {
    delays.push_back(queue_.NextBackoff("a"));
    queue_.AddRateLimited("a");
  }
  EXPECT_EQ(delays[0], milliseconds(750));
  EXPECT_EQ(delays[1], milliseconds(1500));
  EXPECT_EQ(delays[2], milliseconds(3000));
  EXPECT_EQ(delays.back(), std::chrono::minutes(15));
  EXPECT_EQ(queue_.Failures("a"), 14);
  EXPECT_EQ(queue_.NextBackoff("b"), milliseconds(750));  // per key
  queue_.Forget("a");
  EXPECT_EQ(queue_.NextBackoff("a"), milliseconds(750));
}

TEST_F(WorkQueueTest, RateLimitedKeyBecomesReadyAfterItsBackoff) {
  queue_.AddRateLimited("a");
  clock_.Advance(milliseconds(749));
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(queue_.TryGet(), "a");
}

TEST_F(WorkQueueTest, DelayedKeyDueWhileProcessingRunsAfterDone) {
  queue_.Add("a");
  ASSERT_EQ(queue_.TryGet(), "a");
  queue_.AddAfter("a", seconds(1));
  clock_.Advance(seconds(2));
  EXPECT_EQ(queue_.TryGet(), std::nullopt);
  queue_.Done("a");
  EXPECT_EQ(queue_.TryGet(), "a");
}

TEST_F(WorkQueueTest, ShutDownWakesBlockedWorkersAndIgnoresAdds) {
  std::atomic<int> returned{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i) {
    workers.emplace_back([&] {
      while (queue_.Get()) {
      }
      ++returned;
    });
  }
  queue_.ShutDown();
  for (std::thread& t : workers) {
    t.join();
  }
  EXPECT_EQ(returned.load(), 3);
  queue_.Add("late");
  EXPECT_EQ(queue_.Ready(), 0u);
}

TEST_F(WorkQueueTest, ShutDownStopsHandingOutQueuedKeys) {
  // A replica that lost its lease must stop after the current item, not drain the queue.
  queue_.Add("a");
  queue_.Add("b");
  ASSERT_EQ(queue_.TryGet(), "a");
  queue_.ShutDown();
  EXPECT_EQ(queue_.Get(), std::nullopt);
  queue_.Done("a");
}

TEST_F(WorkQueueTest, HugeDelaySaturatesInsteadOfWrapping) {
  queue_.AddAfter("a", std::chrono::nanoseconds::max());
  clock_.Advance(std::chrono::hours(24 * 365));
  EXPECT_EQ(queue_.TryGet(), std::nullopt);  // not due: no wrap into the past
  EXPECT_EQ(queue_.Waiting(), 1u);
}

// Records what a WorkQueue reports, one line per call.
class RecordingQueueMetrics final : public WorkQueueMetrics {
 public:
  void Added(const std::string& name) override { Log("added " + name); }
  void Depth(const std::string& name, std::size_t depth) override {
    Log("depth " + name + " " + std::to_string(depth));
  }
  void Started(const std::string& name, const std::string& key,
               std::chrono::nanoseconds queued_for) override {
    Log("started " + name + " " + key + " " + Ms(queued_for));
  }
  void Finished(const std::string& name, const std::string& key,
                std::chrono::nanoseconds worked_for) override {
    Log("finished " + name + " " + key + " " + Ms(worked_for));
  }
  void Retried(const std::string& name) override { Log("retried " + name); }

  // Returns the calls since the last Take().
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(log_, {});
  }

 private:
  static std::string Ms(std::chrono::nanoseconds d) {
    return std::to_string(std::chrono::duration_cast<milliseconds>(d).count()) + "ms";
  }
  void Log(std::string line) {
    std::lock_guard<std::mutex> lock(mu_);
    log_.push_back(std::move(line));
  }
  std::mutex mu_;
  std::vector<std::string> log_;
};

// The cluster runner's single queue: "R|ns/name", "P|…", "A|…" keys for three controllers.
std::string ControllerOf(const std::string& key) {
  static const std::map<char, std::string> kNames = {
      {'R', "imagerepository"}, {'P', "imagepolicy"}, {'A', "imageupdateautomation"}};
  auto it = kNames.find(key.empty() ? ' ' : key[0]);
  return it == kNames.end() ? "other" : it->second;
}

class WorkQueueMetricsTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  RecordingQueueMetrics metrics_;
  WorkQueue queue_{{.clock = &clock_, .metrics = &metrics_, .name_of = ControllerOf}};
};

TEST_F(WorkQueueMetricsTest, ReportsAddsDepthAndDurationsPerName) {
  queue_.Add("R|apps/web");
  queue_.Add("P|apps/web");
  queue_.Add("R|apps/web");  // already queued: not an add
  EXPECT_EQ(metrics_.Take(),
            (std::vector<std::string>{"added imagerepository", "depth imagerepository 1",
                                      "added imagepolicy", "depth imagepolicy 1"}));
  clock_.Advance(milliseconds(300));
  ASSERT_EQ(queue_.TryGet(), "R|apps/web");
  clock_.Advance(milliseconds(2000));
  queue_.Done("R|apps/web");
  EXPECT_EQ(metrics_.Take(),
            (std::vector<std::string>{"depth imagerepository 0",
                                      "started imagerepository R|apps/web 300ms",
                                      "finished imagerepository R|apps/web 2000ms"}));
}

TEST_F(WorkQueueMetricsTest, AddWhileProcessingCountsOnceAndKeepsItsAddTime) {
  queue_.Add("A|flux/fleet");
  ASSERT_EQ(queue_.TryGet(), "A|flux/fleet");
  (void)metrics_.Take();
  queue_.Add("A|flux/fleet");  // an event while reconciling: waits for Done
  queue_.Add("A|flux/fleet");
  EXPECT_EQ(metrics_.Take(), (std::vector<std::string>{"added imageupdateautomation",
                                                       "depth imageupdateautomation 1"}));
  clock_.Advance(milliseconds(500));
  queue_.Done("A|flux/fleet");  // queued again, no new add
  EXPECT_EQ(metrics_.Take(),
            (std::vector<std::string>{"finished imageupdateautomation A|flux/fleet 500ms"}));
  clock_.Advance(milliseconds(100));
  ASSERT_EQ(queue_.TryGet(), "A|flux/fleet");
  EXPECT_EQ(metrics_.Take(),
            (std::vector<std::string>{"depth imageupdateautomation 0",
                                      "started imageupdateautomation A|flux/fleet 600ms"}));
}

TEST_F(WorkQueueMetricsTest, DelayedAddsAreRetriesAndCountAsAddedWhenDue) {
  queue_.AddAfter("P|apps/web", seconds(10));
  queue_.AddRateLimited("R|apps/web");
  EXPECT_EQ(metrics_.Take(),
            (std::vector<std::string>{"retried imagepolicy", "retried imagerepository"}));
  clock_.Advance(seconds(10));
  ASSERT_TRUE(queue_.TryGet().has_value());
  std::vector<std::string> calls = metrics_.Take();
  EXPECT_NE(std::find(calls.begin(), calls.end(), "added imagepolicy"), calls.end());
  EXPECT_NE(std::find(calls.begin(), calls.end(), "added imagerepository"), calls.end());
  queue_.ShutDown();
  queue_.AddAfter("P|apps/other", seconds(1));
  EXPECT_EQ(metrics_.Take(), std::vector<std::string>{});
}

TEST_F(WorkQueueMetricsTest, DirtyKeyDroppedAtShutDownLeavesTheDepth) {
  queue_.Add("R|apps/web");
  ASSERT_EQ(queue_.TryGet(), "R|apps/web");
  queue_.Add("R|apps/web");
  queue_.ShutDown();
  (void)metrics_.Take();
  queue_.Done("R|apps/web");
  EXPECT_EQ(metrics_.Take(),
            (std::vector<std::string>{"finished imagerepository R|apps/web 0ms",
                                      "depth imagerepository 0"}));
}

TEST(WorkQueueMetricsNameTest, OneNameForEveryKeyWithoutNameOf) {
  testing::FakeClock clock;
  RecordingQueueMetrics metrics;
  WorkQueue queue({.clock = &clock, .metrics = &metrics, .name = "imagepolicy"});
  queue.Add("apps/web");
  EXPECT_EQ(metrics.Take(),
            (std::vector<std::string>{"added imagepolicy", "depth imagepolicy 1"}));
}

TEST(WorkQueueConcurrencyTest, EveryKeyProcessedAndNeverConcurrently) {
  WorkQueue queue;
  std::mutex mu;
  std::set<std::string> in_flight;
  std::map<std::string, int> processed;
  bool overlap = false;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (std::optional<std::string> key = queue.Get()) {
        {
          std::lock_guard<std::mutex> lock(mu);
          overlap |= !in_flight.insert(*key).second;
          ++processed[*key];
        }
        std::this_thread::yield();
        {
          std::lock_guard<std::mutex> lock(mu);
          in_flight.erase(*key);
        }
        queue.Done(*key);
      }
    });
  }
  for (int round = 0; round < 200; ++round) {
    queue.Add("key-" + std::to_string(round % 10));
  }
  // Wait until drained, then stop.
  for (int i = 0; i < 2000 && (queue.Ready() > 0); ++i) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  std::this_thread::sleep_for(milliseconds(20));
  queue.ShutDown();
  for (std::thread& t : workers) {
    t.join();
  }
  EXPECT_FALSE(overlap);
  EXPECT_EQ(processed.size(), 10u);
  for (const auto& [key, count] : processed) {
    EXPECT_GE(count, 1) << key;
  }
}

}  // namespace
}  // namespace imgauto::runtime
