#include "core/runtime/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
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
