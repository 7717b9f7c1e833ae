#include "automation/git/pusher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "automation/git/committer.h"
#include "automation/git/library.h"
#include "automation/git/workspace.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/git_servers.h"
#include "tests/support/push_options_hook.h"
#include "tests/support/temp_dir.h"

namespace imgauto::automation::git {
namespace {

using testing::PushFiles;
using testing::RevParse;

class PusherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::CreateBareRepo(bare_, {{"deploy.yaml", "image: app:1.0.0\n"}}));
    Result<std::unique_ptr<Workspace>> ws =
        Workspace::Open({.dir = dir_.Path("cache"), .url = bare_.string()});
    ASSERT_TRUE(ws) << ws.error().message();
    ws_ = std::move(*ws);
    ASSERT_TRUE(ws_->Checkout({.branch = "main"}));
  }

  CommitOptions Options() {
    return {.message = "Update from image update automation",
            .automation = "flux-system/app",
            .author = {.name = "Flux B Ot", .email = "fluxbot@example.com"}};
  }

  // Writes the "desired" image into deploy.yaml and commits; returns the commit.
  std::string Change(const std::string& image) {
    std::ofstream(ws_->path() / "deploy.yaml") << "image: " << image << "\n";
    Committer committer(*ws_, clock_);
    Result<CommitOutcome> c = committer.Commit(Options());
    EXPECT_TRUE(c && c->committed);
    return c ? c->commit : "";
  }

  Library library_;
  testing::TempDir dir_{"pusher"};
  std::filesystem::path bare_ = dir_.Path("remote.git");
  testing::FakeClock clock_;
  std::unique_ptr<Workspace> ws_;
};

TEST_F(PusherTest, PushesToCheckoutBranch) {
  std::string commit = Change("app:1.1.0");
  Result<void> ok = Push(*ws_, {.branch = "main"});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*RevParse(bare_, "main"), commit);
}

TEST_F(PusherTest, PushesNewBranchCreatedFromCheckout) {
  std::string base = *ws_->HeadCommit();
  ASSERT_TRUE(ws_->SwitchToBranch("main2"));
  std::string commit = Change("app:1.1.0");
  Result<void> ok = Push(*ws_, {.branch = "main2", .force = true});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*RevParse(bare_, "main2"), commit);
  EXPECT_EQ(*RevParse(bare_, "main"), base);
  EXPECT_EQ(*RevParse(bare_, "main2~1"), base);
}

TEST_F(PusherTest, PushesExtraRefspec) {
  std::string commit = Change("app:1.1.0");
  Result<void> ok =
      Push(*ws_, {.branch = "main", .refspec = "refs/heads/main:refs/heads/smth/else"});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*RevParse(bare_, "main"), commit);
  EXPECT_EQ(*RevParse(bare_, "smth/else"), commit);
}

TEST_F(PusherTest, DeliversPushOptionsWithBranchAndRefspec) {
  std::filesystem::path record = dir_.Path("options.txt");
  ASSERT_TRUE(testing::InstallPushOptionsRecorder(bare_, record));
  std::string commit = Change("app:1.1.0");
  Result<void> ok = Push(*ws_, {.branch = "main",
                                .refspec = "refs/heads/main:refs/heads/smth/else",
                                .options = {"merge_request.create", "ci.skip"}});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*RevParse(bare_, "main"), commit);
  EXPECT_EQ(*RevParse(bare_, "smth/else"), commit);
  EXPECT_EQ(testing::RecordedPushOptions(record),
            std::optional<std::vector<std::string>>({"merge_request.create", "ci.skip"}));
}

TEST_F(PusherTest, PushOptionsKeepConflictSemantics) {
  ASSERT_TRUE(testing::InstallPushOptionsRecorder(bare_, dir_.Path("options.txt")));
  Change("app:1.1.0");
  ASSERT_TRUE(PushFiles(bare_, "main", {{"human.txt", "hi\n"}}, "human change"));
  Result<void> ok = Push(*ws_, {.branch = "main", .options = {"ci.skip"}});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kConflict) << ok.error().message();
  Result<void> forced = Push(*ws_, {.branch = "main", .force = true, .options = {"ci.skip"}});
  EXPECT_TRUE(forced) << forced.error().message();
}

TEST_F(PusherTest, ConcurrentHumanPushIsConflict) {
  Change("app:1.1.0");
  ASSERT_TRUE(PushFiles(bare_, "main", {{"human.txt", "hi\n"}}, "human change"));
  Result<void> ok = Push(*ws_, {.branch = "main"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kConflict) << ok.error().message();
}

TEST_F(PusherTest, ForcedPushOverwritesMovedBranch) {
  Change("app:1.1.0");
  ASSERT_TRUE(PushFiles(bare_, "main", {{"human.txt", "hi\n"}}, "human change"));
  Result<void> ok = Push(*ws_, {.branch = "main", .force = true});
  EXPECT_TRUE(ok) << ok.error().message();
}

TEST_F(PusherTest, RetryReappliesOnNewHead) {
  std::string first = Change("app:1.1.0");
  Result<std::string> human = PushFiles(bare_, "main", {{"human.txt", "hi\n"}}, "human change");
  ASSERT_TRUE(human);
  Committer committer(*ws_, clock_);
  int reapplied = 0;
  std::vector<std::chrono::milliseconds> waits;
  Result<PushOutcome> out = PushWithRetry(
      *ws_, committer, Options(), first, {.branch = "main"},
      [&reapplied](Workspace& ws) -> Result<bool> {
        ++reapplied;
        std::ofstream(ws.path() / "deploy.yaml") << "image: app:1.1.0\n";
        return true;
      },
      {.attempts = 3, .sleep = [&waits](std::chrono::milliseconds d) { waits.push_back(d); }});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->attempts, 2);
  EXPECT_EQ(reapplied, 1);
  EXPECT_EQ(waits, std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(750)});
  EXPECT_EQ(*RevParse(bare_, "main"), out->commit);
  EXPECT_EQ(*RevParse(bare_, "main~1"), *human);
  EXPECT_TRUE(std::filesystem::exists(ws_->path() / "human.txt"));
}

TEST_F(PusherTest, RetryStopsWhenNothingLeftToChange) {
  std::string first = Change("app:1.1.0");
  ASSERT_TRUE(PushFiles(bare_, "main", {{"deploy.yaml", "image: app:1.1.0\n"}}, "human did it"));
  Committer committer(*ws_, clock_);
  Result<PushOutcome> out =
      PushWithRetry(*ws_, committer, Options(), first, {.branch = "main"},
                    [](Workspace&) -> Result<bool> { return false; }, {.sleep = [](auto) {}});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(out->commit.empty());
}

TEST_F(PusherTest, RetryGivesUpAfterAttempts) {
  std::string first = Change("app:1.1.0");
  ASSERT_TRUE(PushFiles(bare_, "main", {{"human.txt", "0\n"}}, "human first"));
  Committer committer(*ws_, clock_);
  int round = 0;
  const std::filesystem::path bare = bare_;
  Result<PushOutcome> out = PushWithRetry(
      *ws_, committer, Options(), first, {.branch = "main"},
      [&](Workspace& ws) -> Result<bool> {
        // A human keeps pushing right after every refresh.
        EXPECT_TRUE(PushFiles(bare, "main", {{"human.txt", std::to_string(++round) + "\n"}},
                              "human again"));
        std::ofstream(ws.path() / "deploy.yaml") << "image: app:1.1.0\n";
        return true;
      },
      {.attempts = 2, .sleep = [](auto) {}});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(round, 1);
}

TEST_F(PusherTest, MissingRemoteIsTransient) {
  Change("app:1.1.0");
  std::filesystem::remove_all(bare_);
  Result<void> ok = Push(*ws_, {.branch = "main"});
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().kind(), ErrorKind::kConflict);
}

struct SummaryCase {
  std::string_view name;
  std::string_view rev;
  std::vector<std::string> refspecs;
  std::string_view message;
  std::string_view want;
};

class PushSummaryTest : public ::testing::TestWithParam<SummaryCase> {};

TEST_P(PushSummaryTest, MatchesFlux) {
  const SummaryCase& c = GetParam();
  Result<std::string> got = PushSummary(c.rev, "test-branch", c.refspecs, c.message);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, c.want);
}

constexpr std::string_view kRev = "a47b32f4814810acac804df5054ec37cbfdbfb53";

INSTANTIATE_TEST_SUITE_P(
    Vectors108, PushSummaryTest,
    ::testing::ValuesIn(std::vector<SummaryCase>{
        {"DefaultMessage",
         kRev,
         {},
         "Update from image update automation",
         "pushed commit 'a47b32f' to branch 'test-branch'\nUpdate from image update automation"},
        {"CustomMessage",
         kRev,
         {},
         "test commit message",
         "pushed commit 'a47b32f' to branch 'test-branch'\ntest commit message"},
        {"EmptyMessage", kRev, {}, "", "pushed commit 'a47b32f' to branch 'test-branch'"},
        {"Refspecs",
         kRev,
         {"refs/heads/auto:refs/heads/smth/else", "refs/heads/auto:refs/heads/foo"},
         "test commit message",
         "pushed commit 'a47b32f' to branch 'test-branch' and refspecs "
         "'refs/heads/auto:refs/heads/smth/else', 'refs/heads/auto:refs/heads/foo'\n"
         "test commit message"},
        {"ShortRev", "foo", {}, "", "pushed commit 'foo' to branch 'test-branch'"},
    }),
    [](const auto& info) { return std::string(info.param.name); });

TEST(PushSummaryErrorTest, EmptyRevisionIsError) {
  Result<std::string> got = PushSummary("", "test-branch", {}, "msg");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message(), "empty push commit revision");
}

}  // namespace
}  // namespace imgauto::automation::git
