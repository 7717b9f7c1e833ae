// Git over SSH against Debian's sshd with a deploy key and known_hosts verification.
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

using testing::GitSshServer;

class GitSshIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Library::HasSsh()) {
      GTEST_SKIP() << "libgit2 was built without SSH support";
    }
    Result<std::unique_ptr<GitSshServer>> server = GitSshServer::Start();
    if (!server && server.error().kind() == ErrorKind::kNotFound) {
      GTEST_SKIP() << server.error().message();
    }
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
    bare_ = server_->root() / "app.git";
    ASSERT_TRUE(testing::CreateBareRepo(bare_, {{"deploy.yaml", "image: app:1.0.0\n"}}));
  }

  Credentials Creds() const {
    Credentials creds;
    creds.identity = server_->client_key();
    creds.identity_pub = server_->client_key_pub();
    creds.known_hosts = server_->known_hosts();
    return creds;
  }

  Result<std::unique_ptr<Workspace>> Open(Credentials creds) {
    return Workspace::Open({.dir = dir_.Path("cache"),
                            .url = server_->Url("app.git"),
                            .credentials = std::move(creds)});
  }

  Library library_;
  testing::TempDir dir_{"gitssh-it"};
  testing::FakeClock clock_;
  std::unique_ptr<GitSshServer> server_;
  std::filesystem::path bare_;
};

TEST_F(GitSshIntegrationTest, ClonesAndPushesWithDeployKey) {
  Result<std::unique_ptr<Workspace>> ws = Open(Creds());
  ASSERT_TRUE(ws) << ws.error().message();
  Result<CheckoutResult> co = (*ws)->Checkout({.branch = "main"});
  ASSERT_TRUE(co) << co.error().message();
  std::ofstream((*ws)->path() / "deploy.yaml") << "image: app:1.1.0\n";
  Committer committer(**ws, clock_);
  Result<CommitOutcome> c = committer.Commit(
      {.message = "bump", .automation = "ns/app", .author = {.name = "Bot", .email = "b@x.y"}});
  ASSERT_TRUE(c && c->committed);
  Result<void> pushed = Push(**ws, {.branch = "main"});
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(*testing::RevParse(bare_, "main"), c->commit);
}

TEST_F(GitSshIntegrationTest, AcceptsHashedKnownHostsEntry) {
  std::filesystem::path kh = dir_.Write("known_hosts", server_->known_hosts());
  Result<testing::CommandResult> hashed = testing::RunCommand({"ssh-keygen", "-H", "-f", kh});
  ASSERT_TRUE(hashed && hashed->exit_code == 0);
  std::ifstream in(kh);
  std::string line;
  std::getline(in, line);
  ASSERT_EQ(line.rfind("|1|", 0), 0u) << line;
  Credentials creds = Creds();
  creds.known_hosts = line + "\n";
  Result<std::unique_ptr<Workspace>> ws = Open(creds);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<CheckoutResult> co = (*ws)->Checkout({.branch = "main"});
  EXPECT_TRUE(co) << co.error().message();
}

TEST_F(GitSshIntegrationTest, UnknownHostKeyIsRefused) {
  testing::TempDir other("otherkey");
  Result<std::filesystem::path> key = testing::GenerateSshKey(other.path(), "k", "ed25519");
  ASSERT_TRUE(key);
  std::ifstream in(key->string() + ".pub");
  std::string type;
  std::string blob;
  in >> type >> blob;
  Credentials creds = Creds();
  creds.known_hosts =
      "[127.0.0.1]:" + std::to_string(server_->port()) + " " + type + " " + blob + "\n";
  Result<std::unique_ptr<Workspace>> ws = Open(creds);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<CheckoutResult> co = (*ws)->Checkout({.branch = "main"});
  ASSERT_FALSE(co);
  EXPECT_EQ(co.error().kind(), ErrorKind::kUnauthorized) << co.error().message();
  EXPECT_NE(co.error().message().find("host key verification failed"), std::string::npos)
      << co.error().message();
}

TEST_F(GitSshIntegrationTest, MissingKnownHostsIsRefused) {
  Credentials creds = Creds();
  creds.known_hosts.clear();
  Result<std::unique_ptr<Workspace>> ws = Open(creds);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<CheckoutResult> co = (*ws)->Checkout({.branch = "main"});
  ASSERT_FALSE(co);
  EXPECT_EQ(co.error().kind(), ErrorKind::kUnauthorized) << co.error().message();
  EXPECT_NE(co.error().message().find("known_hosts"), std::string::npos) << co.error().message();
}

TEST_F(GitSshIntegrationTest, WrongDeployKeyIsUnauthorized) {
  testing::TempDir other("otherkey");
  Result<std::filesystem::path> key = testing::GenerateSshKey(other.path(), "k", "ed25519");
  ASSERT_TRUE(key);
  Credentials creds = Creds();
  std::ifstream priv(*key);
  creds.identity.assign(std::istreambuf_iterator<char>(priv), {});
  creds.identity_pub.clear();
  Result<std::unique_ptr<Workspace>> ws = Open(creds);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<CheckoutResult> co = (*ws)->Checkout({.branch = "main"});
  ASSERT_FALSE(co);
  EXPECT_EQ(co.error().kind(), ErrorKind::kUnauthorized) << co.error().message();
}

TEST_F(GitSshIntegrationTest, PushesWithOptionsOverSsh) {
  std::filesystem::path record = dir_.Path("options.txt");
  ASSERT_TRUE(testing::InstallPushOptionsRecorder(bare_, record));
  Result<std::unique_ptr<Workspace>> ws = Open(Creds());
  ASSERT_TRUE(ws) << ws.error().message();
  ASSERT_TRUE((*ws)->Checkout({.branch = "main"}));
  std::ofstream((*ws)->path() / "deploy.yaml") << "image: app:1.1.0\n";
  Committer committer(**ws, clock_);
  Result<CommitOutcome> c = committer.Commit(
      {.message = "bump", .automation = "ns/app", .author = {.name = "Bot", .email = "b@x.y"}});
  ASSERT_TRUE(c && c->committed);
  Result<void> pushed = Push(**ws, {.branch = "main",
                                    .refspec = "refs/heads/main:refs/heads/smth/else",
                                    .options = {"merge_request.create", "ci.skip"}});
  ASSERT_TRUE(pushed) << pushed.error().message();
  EXPECT_EQ(*testing::RevParse(bare_, "main"), c->commit);
  EXPECT_EQ(*testing::RevParse(bare_, "smth/else"), c->commit);
  EXPECT_EQ(testing::RecordedPushOptions(record),
            std::optional<std::vector<std::string>>({"merge_request.create", "ci.skip"}));
}

TEST_F(GitSshIntegrationTest, PushWithOptionsAndWrongDeployKeyIsUnauthorized) {
  {
    Result<std::unique_ptr<Workspace>> ws = Open(Creds());
    ASSERT_TRUE(ws) << ws.error().message();
    ASSERT_TRUE((*ws)->Checkout({.branch = "main"}));
  }
  testing::TempDir other("otherkey");
  Result<std::filesystem::path> key = testing::GenerateSshKey(other.path(), "k", "ed25519");
  ASSERT_TRUE(key);
  Credentials creds = Creds();
  std::ifstream priv(*key);
  creds.identity.assign(std::istreambuf_iterator<char>(priv), {});
  creds.identity_pub.clear();
  Result<std::unique_ptr<Workspace>> ws = Open(creds);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<void> pushed = Push(**ws, {.branch = "main", .force = true, .options = {"ci.skip"}});
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind(), ErrorKind::kUnauthorized) << pushed.error().message();
  EXPECT_EQ(pushed.error().message().find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace imgauto::automation::git
