#include "automation/git/committer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "automation/git/library.h"
#include "automation/git/workspace.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/git_servers.h"
#include "tests/support/temp_dir.h"

namespace imgauto::automation::git {
namespace {

using testing::RunGit;

class CommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::CreateBareRepo(
        bare_, {{"deploy.yaml", "image: app:1.0.0\n"}, {"old.yaml", "x: 1\n"}}));
    Result<std::unique_ptr<Workspace>> ws =
        Workspace::Open({.dir = dir_.Path("cache"), .url = bare_.string()});
    ASSERT_TRUE(ws) << ws.error().message();
    ws_ = std::move(*ws);
    Result<CheckoutResult> co = ws_->Checkout({.branch = "main"});
    ASSERT_TRUE(co) << co.error().message();
    base_ = co->commit;
  }

  CommitOptions Options(std::string message = "Update from image update automation") {
    return {.message = std::move(message),
            .automation = "flux-system/app",
            .author = {.name = "Flux B Ot", .email = "fluxbot@example.com"}};
  }

  std::string Log(const std::string& format) {
    Result<std::string> out = RunGit(ws_->path(), {"log", "-1", "--format=" + format});
    return out ? *out : out.error().message();
  }

  Library library_;
  testing::TempDir dir_{"committer"};
  std::filesystem::path bare_ = dir_.Path("remote.git");
  testing::FakeClock clock_;
  std::unique_ptr<Workspace> ws_;
  std::string base_;
};

TEST_F(CommitterTest, NoChangesCreatesNoCommit) {
  Committer committer(*ws_, clock_);
  Result<CommitOutcome> c = committer.Commit(Options());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(c->committed);
  EXPECT_EQ(*ws_->HeadCommit(), base_);
}

TEST_F(CommitterTest, CommitsChangeWithAuthorAndClockTime) {
  std::ofstream(ws_->path() / "deploy.yaml") << "image: app:1.1.0\n";
  Committer committer(*ws_, clock_);
  Result<CommitOutcome> c = committer.Commit(Options());
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_TRUE(c->committed);
  EXPECT_EQ(*ws_->HeadCommit(), c->commit);
  EXPECT_EQ(Log("%an <%ae>|%cn <%ce>|%at"),
            "Flux B Ot <fluxbot@example.com>|Flux B Ot <fluxbot@example.com>|1714557600");
  EXPECT_EQ(Log("%P"), base_);
}

TEST_F(CommitterTest, MessageCarriesTrailer) {
  std::ofstream(ws_->path() / "deploy.yaml") << "image: app:1.1.0\n";
  Committer committer(*ws_, clock_);
  ASSERT_TRUE(committer.Commit(Options()));
  EXPECT_EQ(Log("%B"), "Update from image update automation\n\nImage-Automation: flux-system/app");
}

TEST_F(CommitterTest, StagesDeletionsAndNewFiles) {
  std::filesystem::remove(ws_->path() / "old.yaml");
  std::ofstream(ws_->path() / "new.yaml") << "y: 2\n";
  Committer committer(*ws_, clock_);
  ASSERT_TRUE(committer.Commit(Options()));
  Result<std::string> files = RunGit(ws_->path(), {"ls-tree", "--name-only", "HEAD"});
  ASSERT_TRUE(files);
  EXPECT_EQ(*files, "deploy.yaml\nnew.yaml");
  Result<std::string> status = RunGit(ws_->path(), {"status", "--porcelain"});
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, "");
}

TEST_F(CommitterTest, RecognisesOwnCommit) {
  std::ofstream(ws_->path() / "deploy.yaml") << "image: app:1.1.0\n";
  Committer committer(*ws_, clock_);
  Result<CommitOutcome> c = committer.Commit(Options());
  ASSERT_TRUE(c);
  EXPECT_TRUE(*committer.IsOwnCommit(c->commit, "flux-system/app"));
  EXPECT_FALSE(*committer.IsOwnCommit(c->commit, "flux-system/other"));
  EXPECT_FALSE(*committer.IsOwnCommit(base_));
}

TEST_F(CommitterTest, RejectsMissingAuthor) {
  std::ofstream(ws_->path() / "deploy.yaml") << "image: app:1.1.0\n";
  Committer committer(*ws_, clock_);
  CommitOptions options = Options();
  options.author.email.clear();
  Result<CommitOutcome> c = committer.Commit(options);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind(), ErrorKind::kInvalidSpec);
}

struct TrailerCase {
  std::string_view name;
  std::string_view message;
  std::string_view want;
};

class AppendTrailerTest : public ::testing::TestWithParam<TrailerCase> {};

TEST_P(AppendTrailerTest, AppendsProperly) {
  EXPECT_EQ(AppendTrailer(GetParam().message, "Image-Automation", "ns/app"), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AppendTrailerTest,
    ::testing::ValuesIn(std::vector<TrailerCase>{
        {"SubjectOnly", "Update", "Update\n\nImage-Automation: ns/app\n"},
        {"TrailingNewlines", "Update\n\n\n", "Update\n\nImage-Automation: ns/app\n"},
        {"Empty", "", "Image-Automation: ns/app\n"},
        {"ExistingTrailerBlock", "Update\n\nSigned-off-by: A <a@b.c>\n",
         "Update\n\nSigned-off-by: A <a@b.c>\nImage-Automation: ns/app\n"},
        {"BodyIsNotTrailer", "Update\n\nFiles:\n- a.yaml\n",
         "Update\n\nFiles:\n- a.yaml\n\nImage-Automation: ns/app\n"},
        {"SubjectLooksLikeTrailer", "Fix: thing", "Fix: thing\n\nImage-Automation: ns/app\n"},
        {"AlreadyPresent", "Update\n\nImage-Automation: ns/app\n",
         "Update\n\nImage-Automation: ns/app\n"},
        {"SkipCi", "[skip ci] bump", "[skip ci] bump\n\nImage-Automation: ns/app\n"},
    }),
    [](const auto& info) { return std::string(info.param.name); });

TEST(HasAutomationTrailerTest, IgnoresTrailerOutsideLastParagraph) {
  EXPECT_FALSE(HasAutomationTrailer("Image-Automation: ns/app\n\nmore text\n"));
}

}  // namespace
}  // namespace imgauto::automation::git
