#include "core/runtime/leader_elector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>

#include "tests/fakes/fake_clock.h"

namespace imgauto::runtime {
namespace {

using std::chrono::seconds;

// A Lease with the API server's optimistic concurrency: every write bumps resourceVersion and a
// write with a stale one is a conflict.
class FakeLeaseStore : public LeaseStore {
 public:
  Result<std::optional<LeaseRecord>> Get() override {
    if (fail_reads) return Error(ErrorKind::kTransient, "connection refused");
    return lease;
  }
  Result<LeaseRecord> Create(const LeaseRecord& record) override {
    if (lease) return Error(ErrorKind::kConflict, "already exists");
    lease = record;
    lease->resource_version = std::to_string(++version);
    return *lease;
  }
  Result<LeaseRecord> Update(const LeaseRecord& record) override {
    if (fail_writes) return Error(ErrorKind::kTransient, "connection refused");
    if (!lease || record.resource_version != lease->resource_version) {
      return Error(ErrorKind::kConflict, "the object has been modified");
    }
    lease = record;
    lease->resource_version = std::to_string(++version);
    return *lease;
  }
  std::optional<LeaseRecord> lease;
  int version = 0;
  bool fail_reads = false;
  bool fail_writes = false;
};

class LeaderElectorTest : public ::testing::Test {
 protected:
  LeaderElectorOptions Options(const std::string& id) {
    return {.identity = id,
            .lease_duration = seconds(15),
            .renew_deadline = seconds(10),
            .retry_period = seconds(2),
            .release_on_cancel = true,
            .sleep = [this](std::chrono::nanoseconds d) { clock_.Advance(d); }};
  }
  testing::FakeClock clock_;
  FakeLeaseStore store_;
};

TEST_F(LeaderElectorTest, FirstReplicaCreatesTheLease) {
  LeaderElector a(store_, Options("a"), clock_);
  EXPECT_TRUE(a.TryAcquireOrRenew());
  EXPECT_TRUE(a.IsLeader());
  ASSERT_TRUE(store_.lease);
  EXPECT_EQ(store_.lease->holder_identity, "a");
  EXPECT_EQ(store_.lease->lease_duration_seconds, 15);
  EXPECT_EQ(store_.lease->acquire_time.size(), 27u);  // 2024-05-01T10:00:00.000000Z
}

TEST_F(LeaderElectorTest, SecondReplicaWaitsForExpiryMeasuredOnItsOwnClock) {
  LeaderElector a(store_, Options("a"), clock_);
  LeaderElector b(store_, Options("b"), clock_);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());  // first sighting starts b's timer
  clock_.Advance(seconds(10));
  ASSERT_TRUE(a.TryAcquireOrRenew());  // a renews: the record changes
  clock_.Advance(seconds(10));
  EXPECT_FALSE(b.TryAcquireOrRenew());  // changed 10 s ago (< 15 s)
  clock_.Advance(seconds(15));          // a went away
  EXPECT_TRUE(b.TryAcquireOrRenew());
  EXPECT_EQ(store_.lease->holder_identity, "b");
  EXPECT_EQ(store_.lease->lease_transitions, 1);
  // a finds out it lost the lease.
  EXPECT_FALSE(a.TryAcquireOrRenew());
  EXPECT_FALSE(a.IsLeader());
}

TEST_F(LeaderElectorTest, SkewedTimesInTheRecordDoNotMatter) {
  LeaderElector a(store_, Options("a"), clock_);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  store_.lease->renew_time = "1999-01-01T00:00:00.000000Z";  // a node with a broken clock
  store_.lease->resource_version = std::to_string(++store_.version);
  LeaderElector b(store_, Options("b"), clock_);
  EXPECT_FALSE(b.TryAcquireOrRenew());
}

TEST_F(LeaderElectorTest, ReleasedLeaseIsTakenAtOnce) {
  LeaderElector a(store_, Options("a"), clock_);
  LeaderElector b(store_, Options("b"), clock_);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());
  ASSERT_TRUE(a.Release());
  EXPECT_EQ(store_.lease->holder_identity, "");
  EXPECT_TRUE(b.TryAcquireOrRenew());
}

TEST_F(LeaderElectorTest, ConflictingWriteLoses) {
  LeaderElector a(store_, Options("a"), clock_);
  LeaderElector b(store_, Options("b"), clock_);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());
  clock_.Advance(seconds(20));
  // Both see an expired lease; the one writing second has a stale resourceVersion.
  LeaseRecord stale = *store_.lease;
  ASSERT_TRUE(b.TryAcquireOrRenew());
  stale.holder_identity = "c";
  EXPECT_FALSE(store_.Update(stale));
  EXPECT_EQ(store_.lease->holder_identity, "b");
}

TEST_F(LeaderElectorTest, RunStopsLeadingWhenRenewalFailsPastTheDeadline) {
  LeaderElector a(store_, Options("a"), clock_);
  std::atomic<bool> stop{false};
  int started = 0;
  int stopped = 0;
  bool by_request = a.Run(
      stop, [&] { ++started; store_.fail_writes = true; store_.fail_reads = true; },
      [&] { ++stopped; });
  EXPECT_FALSE(by_request);
  EXPECT_EQ(started, 1);
  EXPECT_EQ(stopped, 1);
  EXPECT_FALSE(a.IsLeader());
}

TEST_F(LeaderElectorTest, RunReleasesOnStop) {
  LeaderElector a(store_, Options("a"), clock_);
  std::atomic<bool> stop{false};
  int renewals = 0;
  LeaderElectorOptions options = Options("a");
  options.sleep = [&](std::chrono::nanoseconds d) {
    clock_.Advance(d);
    if (++renewals == 5) stop = true;
  };
  LeaderElector runner(store_, options, clock_);
  bool by_request = runner.Run(stop, [] {}, [] {});
  EXPECT_TRUE(by_request);
  ASSERT_TRUE(store_.lease);
  EXPECT_EQ(store_.lease->holder_identity, "");
}

}  // namespace
}  // namespace imgauto::runtime
