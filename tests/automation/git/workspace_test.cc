#include "automation/git/workspace.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "automation/git/library.h"
#include "tests/support/git_servers.h"
#include "tests/support/temp_dir.h"

namespace imgauto::automation::git {
namespace {

using testing::CreateBareRepo;
using testing::PushFiles;
using testing::RevParse;
using testing::TempDir;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateBareRepo(bare_, {{"deploy.yaml", "image: app:1.0.0\n"}}));
  }

  std::unique_ptr<Workspace> OpenWorkspace() {
    Result<std::unique_ptr<Workspace>> ws =
        Workspace::Open({.dir = dir_.Path("cache/ns/auto"), .url = bare_.string()});
    EXPECT_TRUE(ws) << ws.error().message();
    return ws ? std::move(*ws) : nullptr;
  }

  Library library_;
  TempDir dir_{"workspace"};
  std::filesystem::path bare_ = dir_.Path("remote.git");
};

TEST_F(WorkspaceTest, ChecksOutBranchIntoCache) {
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.branch = "main"});
  ASSERT_TRUE(co) << co.error().message();
  EXPECT_EQ(co->commit, *RevParse(bare_, "main"));
  EXPECT_EQ(co->Revision(), "main@sha1:" + co->commit);
  EXPECT_TRUE(co->on_branch);
  EXPECT_EQ(ReadFile(ws->path() / "deploy.yaml"), "image: app:1.0.0\n");
}

TEST_F(WorkspaceTest, FetchesIncrementallyOnReopen) {
  {
    std::unique_ptr<Workspace> ws = OpenWorkspace();
    ASSERT_NE(ws, nullptr);
    ASSERT_TRUE(ws->Checkout({.branch = "main"}));
  }
  Result<std::string> pushed =
      PushFiles(bare_, "main", {{"deploy.yaml", "image: app:2\n"}}, "bump");
  ASSERT_TRUE(pushed) << pushed.error().message();
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.branch = "main"});
  ASSERT_TRUE(co) << co.error().message();
  EXPECT_EQ(co->commit, *pushed);
  EXPECT_EQ(ReadFile(ws->path() / "deploy.yaml"), "image: app:2\n");
}

TEST_F(WorkspaceTest, ResetsDirtyCache) {
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  ASSERT_TRUE(ws->Checkout({.branch = "main"}));
  std::ofstream(ws->path() / "deploy.yaml") << "half written";
  std::ofstream(ws->path() / "stray.yaml") << "untracked";
  Result<CheckoutResult> co = ws->Checkout({.branch = "main"});
  ASSERT_TRUE(co) << co.error().message();
  EXPECT_EQ(ReadFile(ws->path() / "deploy.yaml"), "image: app:1.0.0\n");
  EXPECT_FALSE(std::filesystem::exists(ws->path() / "stray.yaml"));
}

TEST_F(WorkspaceTest, MissingBranchIsNotFound) {
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.branch = "non-existing"});
  ASSERT_FALSE(co);
  EXPECT_EQ(co.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(co.error().message().find("reference not found"), std::string::npos);
}

TEST_F(WorkspaceTest, ChecksOutTag) {
  Result<std::string> tagged = PushFiles(bare_, "main", {{"a.yaml", "a: 1\n"}}, "tagged", "v1.0.0");
  ASSERT_TRUE(tagged) << tagged.error().message();
  ASSERT_TRUE(PushFiles(bare_, "main", {{"a.yaml", "a: 2\n"}}, "later"));
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.branch = "main", .tag = "v1.0.0"});
  ASSERT_TRUE(co) << co.error().message();
  EXPECT_EQ(co->commit, *tagged);
  EXPECT_EQ(co->Revision(), "v1.0.0@sha1:" + *tagged);
  EXPECT_FALSE(co->on_branch);
}

TEST_F(WorkspaceTest, ChecksOutHighestSemverTag) {
  ASSERT_TRUE(PushFiles(bare_, "main", {{"a.yaml", "a: 1\n"}}, "one", "v1.0.0"));
  Result<std::string> best = PushFiles(bare_, "main", {{"a.yaml", "a: 2\n"}}, "two", "v1.2.0");
  ASSERT_TRUE(best);
  ASSERT_TRUE(PushFiles(bare_, "main", {{"a.yaml", "a: 3\n"}}, "three", "v2.0.0"));
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.semver = "1.x"});
  ASSERT_TRUE(co) << co.error().message();
  EXPECT_EQ(co->commit, *best);
  EXPECT_EQ(co->ref, "v1.2.0");
}

TEST_F(WorkspaceTest, SemverWithoutMatchIsNotFound) {
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.semver = ">=5.0.0"});
  ASSERT_FALSE(co);
  EXPECT_EQ(co.error().kind(), ErrorKind::kNotFound);
}

TEST_F(WorkspaceTest, TagTakesPrecedenceOverSemver) {
  Result<std::string> one = PushFiles(bare_, "main", {{"a.yaml", "a: 1\n"}}, "one", "v1.0.0");
  ASSERT_TRUE(PushFiles(bare_, "main", {{"a.yaml", "a: 2\n"}}, "two", "v1.1.0"));
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.tag = "v1.0.0", .semver = "1.x"});
  ASSERT_TRUE(co) << co.error().message();
  EXPECT_EQ(co->commit, *one);
}

TEST_F(WorkspaceTest, ChecksOutName) {
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.name = "refs/heads/main"});
  ASSERT_TRUE(co) << co.error().message();
  EXPECT_EQ(co->ref, "main");
  EXPECT_TRUE(co->on_branch);
}

TEST_F(WorkspaceTest, CommitTakesPrecedence) {
  Result<std::string> first = RevParse(bare_, "main");
  ASSERT_TRUE(first);
  ASSERT_TRUE(PushFiles(bare_, "main", {{"a.yaml", "a: 2\n"}}, "two"));
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.branch = "main", .commit = *first});
  ASSERT_TRUE(co) << co.error().message();
  EXPECT_EQ(co->commit, *first);
  EXPECT_EQ(co->Revision(), "main@sha1:" + *first);
  EXPECT_FALSE(std::filesystem::exists(ws->path() / "a.yaml"));
}

TEST_F(WorkspaceTest, UnknownCommitIsNotFound) {
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.commit = std::string(40, 'a')});
  ASSERT_FALSE(co);
  EXPECT_EQ(co.error().kind(), ErrorKind::kNotFound);
}

TEST_F(WorkspaceTest, RemoteHeadMatchesWithoutFetching) {
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<std::string> head = ws->RemoteHead({.branch = "main"});
  ASSERT_TRUE(head) << head.error().message();
  EXPECT_EQ(*head, *RevParse(bare_, "main"));
  EXPECT_FALSE(ws->HeadCommit());  // nothing fetched or checked out yet
}

TEST_F(WorkspaceTest, EmptyRemoteIsClearError) {
  std::filesystem::path empty = dir_.Path("empty.git");
  ASSERT_TRUE(testing::RunGit(dir_.path(), {"init", "-q", "--bare", empty.string()}));
  Result<std::unique_ptr<Workspace>> ws =
      Workspace::Open({.dir = dir_.Path("cache2"), .url = empty.string()});
  ASSERT_TRUE(ws) << ws.error().message();
  Result<CheckoutResult> co = (*ws)->Checkout({.branch = "main"});
  ASSERT_FALSE(co);
  EXPECT_NE(co.error().message().find("remote repository is empty"), std::string::npos);
}

TEST_F(WorkspaceTest, SwitchCreatesBranchFromCheckout) {
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  Result<CheckoutResult> co = ws->Checkout({.branch = "main"});
  ASSERT_TRUE(co);
  Result<bool> existed = ws->SwitchToBranch("main2");
  ASSERT_TRUE(existed) << existed.error().message();
  EXPECT_FALSE(*existed);
  EXPECT_EQ(*ws->HeadCommit(), co->commit);
}

TEST_F(WorkspaceTest, SwitchUsesExistingRemoteBranchHead) {
  Result<std::string> pr = PushFiles(bare_, "pr-1", {{"b.yaml", "b: 1\n"}}, "on pr branch");
  ASSERT_TRUE(pr) << pr.error().message();
  std::unique_ptr<Workspace> ws = OpenWorkspace();
  ASSERT_NE(ws, nullptr);
  ASSERT_TRUE(ws->Checkout({.branch = "main"}));
  Result<bool> existed = ws->SwitchToBranch("pr-1");
  ASSERT_TRUE(existed) << existed.error().message();
  EXPECT_TRUE(*existed);
  EXPECT_EQ(*ws->HeadCommit(), *pr);
  EXPECT_TRUE(std::filesystem::exists(ws->path() / "b.yaml"));
}

}  // namespace
}  // namespace imgauto::automation::git
