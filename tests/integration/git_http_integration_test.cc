// Smart HTTP against Debian's lighttpd running git http-backend with basic auth.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "automation/git/committer.h"
#include "automation/git/library.h"
#include "automation/git/pusher.h"
#include "automation/git/workspace.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/git_servers.h"
#include "tests/support/push_options_hook.h"
#include "tests/support/temp_dir.h"

namespace imgauto::automation::git {
namespace {

using testing::GitHttpServer;

class GitHttpIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<GitHttpServer>> server = GitHttpServer::Start({});
    if (!server && server.error().kind() == ErrorKind::kNotFound) {
      GTEST_SKIP() << server.error().message();
    }
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
    bare_ = server_->root() / "app.git";
    ASSERT_TRUE(testing::CreateBareRepo(bare_, {{"deploy.yaml", "image: app:1.0.0\n"}}));
  }

  Result<std::unique_ptr<Workspace>> Open(const std::string& password) {
    Credentials creds;
    creds.username = "gituser";
    creds.password = password;
    return Workspace::Open(
        {.dir = dir_.Path("cache"), .url = server_->Url("app.git"), .credentials = creds});
  }

  std::string CommitChange(Workspace& ws) {
    std::ofstream(ws.path() / "deploy.yaml") << "image: app:1.1.0\n";
    Committer committer(ws, clock_);
    Result<CommitOutcome> c = committer.Commit(
        {.message = "bump", .automation = "ns/app", .author = {.name = "Bot", .email = "b@x.y"}});
    EXPECT_TRUE(c && c->committed);
    return c ? c->commit : "";
  }

  Library library_;
  testing::TempDir dir_{"githttp-it"};
  testing::FakeClock clock_;
  std::unique_ptr<GitHttpServer> server_;
  std::filesystem::path bare_;
  const std::string password_ = "S3cret-Http-Pa55";
};

TEST_F(GitHttpIntegrationTest, ClonesAndPushesWithBasicAuth) {
  Result<std::unique_ptr<Workspace>> ws = Open(password_);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<CheckoutResult> co = (*ws)->Checkout({.branch = "main"});
  ASSERT_TRUE(co) << co.error().message();
  std::string commit = CommitChange(**ws);
  Result<void> pushed = Push(**ws, {.branch = "main"});
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(*testing::RevParse(bare_, "main"), commit);
}

TEST_F(GitHttpIntegrationTest, RemoteHeadOverHttp) {
  Result<std::unique_ptr<Workspace>> ws = Open(password_);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<std::string> head = (*ws)->RemoteHead({.branch = "main"});
  ASSERT_TRUE(head) << head.error().message();
  EXPECT_EQ(*head, *testing::RevParse(bare_, "main"));
}

TEST_F(GitHttpIntegrationTest, WrongPasswordIsUnauthorizedWithoutLeakingIt) {
  const std::string wrong = "Wr0ng-Pa55word-xyz";
  Result<std::unique_ptr<Workspace>> ws = Open(wrong);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<CheckoutResult> co = (*ws)->Checkout({.branch = "main"});
  ASSERT_FALSE(co);
  EXPECT_EQ(co.error().kind(), ErrorKind::kUnauthorized) << co.error().message();
  EXPECT_EQ(co.error().message().find(wrong), std::string::npos);
  EXPECT_EQ(co.error().message().find(password_), std::string::npos);
}

TEST_F(GitHttpIntegrationTest, MissingBranchIsNotFound) {
  Result<std::unique_ptr<Workspace>> ws = Open(password_);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<CheckoutResult> co = (*ws)->Checkout({.branch = "bad-branch"});
  ASSERT_FALSE(co);
  EXPECT_EQ(co.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(co.error().message().find("reference not found"), std::string::npos);
}

TEST_F(GitHttpIntegrationTest, ConcurrentPushIsRejectedAsConflict) {
  Result<std::unique_ptr<Workspace>> ws = Open(password_);
  ASSERT_TRUE(ws) << ws.error().message();
  ASSERT_TRUE((*ws)->Checkout({.branch = "main"}));
  CommitChange(**ws);
  ASSERT_TRUE(testing::PushFiles(bare_, "main", {{"human.txt", "hi\n"}}, "human"));
  Result<void> pushed = Push(**ws, {.branch = "main"});
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind(), ErrorKind::kConflict) << pushed.error().message();
}

TEST_F(GitHttpIntegrationTest, ServerSideRejectionIsReportedPerRef) {
  // The remote advertises the old head, then a hook refuses the update: libgit2 returns 0 and
  // only the per-ref status tells.
  std::filesystem::path hook = bare_ / "hooks" / "update";
  std::ofstream(hook) << "#!/bin/sh\necho denied >&2\nexit 1\n";
  std::filesystem::permissions(hook, std::filesystem::perms::owner_all);
  Result<std::unique_ptr<Workspace>> ws = Open(password_);
  ASSERT_TRUE(ws) << ws.error().message();
  ASSERT_TRUE((*ws)->Checkout({.branch = "main"}));
  CommitChange(**ws);
  Result<void> pushed = Push(**ws, {.branch = "main"});
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(pushed.error().message().find("refs/heads/main"), std::string::npos)
      << pushed.error().message();
}

TEST_F(GitHttpIntegrationTest, PushesWithOptionsOverBasicAuth) {
  std::filesystem::path record = dir_.Path("options.txt");
  ASSERT_TRUE(testing::InstallPushOptionsRecorder(bare_, record));
  Result<std::unique_ptr<Workspace>> ws = Open(password_);
  ASSERT_TRUE(ws) << ws.error().message();
  ASSERT_TRUE((*ws)->Checkout({.branch = "main"}));
  std::string commit = CommitChange(**ws);
  Result<void> pushed =
      Push(**ws, {.branch = "main", .options = {"merge_request.create", "ci.skip"}});
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(*testing::RevParse(bare_, "main"), commit);
  EXPECT_EQ(testing::RecordedPushOptions(record),
            std::optional<std::vector<std::string>>({"merge_request.create", "ci.skip"}));
}

TEST_F(GitHttpIntegrationTest, PushWithOptionsAndWrongPasswordIsUnauthorizedWithoutLeakingIt) {
  std::filesystem::path record = dir_.Path("options.txt");
  ASSERT_TRUE(testing::InstallPushOptionsRecorder(bare_, record));
  {
    Result<std::unique_ptr<Workspace>> ws = Open(password_);
    ASSERT_TRUE(ws) << ws.error().message();
    ASSERT_TRUE((*ws)->Checkout({.branch = "main"}));
    CommitChange(**ws);
  }
  const std::string wrong = "Wr0ng-Pa55word-xyz";
  Result<std::unique_ptr<Workspace>> ws = Open(wrong);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<void> pushed = Push(**ws, {.branch = "main", .options = {"ci.skip"}});
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind(), ErrorKind::kUnauthorized) << pushed.error().message();
  EXPECT_EQ(pushed.error().message().find(wrong), std::string::npos) << pushed.error().message();
  EXPECT_EQ(pushed.error().message().find(password_), std::string::npos);
  EXPECT_FALSE(testing::RecordedPushOptions(record));
}

}  // namespace
}  // namespace imgauto::automation::git
