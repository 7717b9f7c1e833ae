#include "automation/git/cli_pusher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "automation/git/committer.h"
#include "automation/git/library.h"
#include "automation/git/workspace.h"
#include "tests/fakes/fake_clock.h"
#include "tests/servers/test_http_server.h"
#include "tests/support/git_servers.h"
#include "tests/support/process.h"
#include "tests/support/push_options_hook.h"
#include "tests/support/temp_dir.h"

namespace imgauto::automation::git {
namespace {

using testing::InstallPushOptionsRecorder;
using testing::PushFiles;
using testing::RecordedPushOptions;
using testing::RevParse;
using Options = std::optional<std::vector<std::string>>;

const std::string kMain = "refs/heads/main:refs/heads/main";

class CliPusherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::CreateBareRepo(bare_, {{"deploy.yaml", "image: app:1.0.0\n"}}));
    Result<std::unique_ptr<Workspace>> ws =
        Workspace::Open({.dir = dir_.Path("cache"), .url = bare_.string()});
    ASSERT_TRUE(ws) << ws.error().message();
    ws_ = std::move(*ws);
    ASSERT_TRUE(ws_->Checkout({.branch = "main"}));
  }

  // Writes a new image into deploy.yaml and commits; returns the commit.
  std::string Change(const std::string& image) {
    std::ofstream(ws_->path() / "deploy.yaml") << "image: " << image << "\n";
    Committer committer(*ws_, clock_);
    Result<CommitOutcome> c = committer.Commit(
        {.message = "bump", .automation = "ns/app", .author = {.name = "Bot", .email = "b@x.y"}});
    EXPECT_TRUE(c && c->committed);
    return c ? c->commit : "";
  }

  Library library_;
  testing::TempDir dir_{"clipush"};
  std::filesystem::path bare_ = dir_.Path("remote.git");
  std::filesystem::path record_ = dir_.Path("options.txt");
  testing::FakeClock clock_;
  std::unique_ptr<Workspace> ws_;
};

TEST_F(CliPusherTest, DeliversPushOptions) {
  ASSERT_TRUE(InstallPushOptionsRecorder(bare_, record_));
  std::string commit = Change("app:1.1.0");
  Result<void> ok = PushWithGitCli(*ws_, {kMain}, {"merge_request.create", "ci.skip"});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*RevParse(bare_, "main"), commit);
  EXPECT_EQ(RecordedPushOptions(record_), Options({"merge_request.create", "ci.skip"}));
}

TEST_F(CliPusherTest, DeliversOptionsWithSpacesAndDashesVerbatim) {
  ASSERT_TRUE(InstallPushOptionsRecorder(bare_, record_));
  Change("app:1.1.0");
  Result<void> ok =
      PushWithGitCli(*ws_, {kMain}, {"-o", "merge_request.title=Bump app to 1.1.0 'now'"});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(RecordedPushOptions(record_),
            Options({"-o", "merge_request.title=Bump app to 1.1.0 'now'"}));
}

TEST_F(CliPusherTest, NonFastForwardIsConflict) {
  ASSERT_TRUE(InstallPushOptionsRecorder(bare_, record_));
  Change("app:1.1.0");
  ASSERT_TRUE(PushFiles(bare_, "main", {{"human.txt", "hi\n"}}, "human change"));
  Result<void> ok = PushWithGitCli(*ws_, {kMain}, {"ci.skip"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kConflict) << ok.error().message();
  EXPECT_NE(ok.error().message().find("refs/heads/main"), std::string::npos)
      << ok.error().message();
}

TEST_F(CliPusherTest, ForceOverwritesMovedBranch) {
  ASSERT_TRUE(InstallPushOptionsRecorder(bare_, record_));
  std::string commit = Change("app:1.1.0");
  ASSERT_TRUE(PushFiles(bare_, "main", {{"human.txt", "hi\n"}}, "human change"));
  Result<void> ok = PushWithGitCli(*ws_, {"+" + kMain}, {"ci.skip"});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*RevParse(bare_, "main"), commit);
}

TEST_F(CliPusherTest, HookRejectionIsTransientWithReason) {
  ASSERT_TRUE(InstallPushOptionsRecorder(bare_, record_, "policy forbids bot pushes"));
  std::string before = *RevParse(bare_, "main");
  Change("app:1.1.0");
  Result<void> ok = PushWithGitCli(*ws_, {kMain}, {"ci.skip"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kTransient);
  const std::string& message = ok.error().message();
  EXPECT_NE(message.find("refs/heads/main"), std::string::npos) << message;
  EXPECT_NE(message.find("pre-receive hook declined"), std::string::npos) << message;
  EXPECT_NE(message.find("policy forbids bot pushes"), std::string::npos) << message;
  EXPECT_EQ(*RevParse(bare_, "main"), before);
}

TEST_F(CliPusherTest, PushesExtraRefspecAfterBranch) {
  ASSERT_TRUE(InstallPushOptionsRecorder(bare_, record_));
  std::string commit = Change("app:1.1.0");
  Result<void> ok =
      PushWithGitCli(*ws_, {kMain, "refs/heads/main:refs/heads/smth/else"}, {"ci.skip"});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*RevParse(bare_, "main"), commit);
  EXPECT_EQ(*RevParse(bare_, "smth/else"), commit);
  EXPECT_EQ(RecordedPushOptions(record_), Options({"ci.skip"}));
}

TEST_F(CliPusherTest, StopsAtFirstRejectedRefspec) {
  ASSERT_TRUE(InstallPushOptionsRecorder(bare_, record_));
  Change("app:1.1.0");
  ASSERT_TRUE(PushFiles(bare_, "main", {{"human.txt", "hi\n"}}, "human change"));
  Result<void> ok =
      PushWithGitCli(*ws_, {kMain, "refs/heads/main:refs/heads/smth/else"}, {"ci.skip"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kConflict);
  EXPECT_FALSE(RevParse(bare_, "smth/else"));
}

TEST_F(CliPusherTest, RemoteWithoutPushOptionSupportIsInvalidSpec) {
  Change("app:1.1.0");
  ASSERT_TRUE(testing::RunGit(bare_, {"config", "receive.advertisePushOptions", "false"}));
  Result<void> ok = PushWithGitCli(*ws_, {kMain}, {"ci.skip"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kInvalidSpec) << ok.error().message();
  EXPECT_NE(ok.error().message().find("push options"), std::string::npos);
}

TEST_F(CliPusherTest, OptionWithLineBreakIsInvalidSpec) {
  Change("app:1.1.0");
  Result<void> ok = PushWithGitCli(*ws_, {kMain}, {"ci.skip\nother"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kInvalidSpec);
}

TEST_F(CliPusherTest, MissingRemoteIsTransient) {
  Change("app:1.1.0");
  std::filesystem::remove_all(bare_);
  Result<void> ok = PushWithGitCli(*ws_, {kMain}, {"ci.skip"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kTransient) << ok.error().message();
}

TEST_F(CliPusherTest, MissingGitProgramIsInternal) {
  Change("app:1.1.0");
  Result<void> ok =
      PushWithGitCli(*ws_, {kMain}, {"ci.skip"}, {.git = dir_.Path("no-such-git").string()});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kInternal);
}

TEST_F(CliPusherTest, HungGitIsKilledAtDeadline) {
  std::filesystem::path fake = dir_.Write("slow-git", "#!/bin/sh\nsleep 30\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  auto start = std::chrono::steady_clock::now();
  Result<void> ok =
      PushWithGitCli(*ws_, {kMain}, {"ci.skip"},
                     {.git = fake.string(), .timeout = std::chrono::milliseconds(300)});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(ok.error().message().find("timed out"), std::string::npos) << ok.error().message();
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(CliPusherTest, ReturnsWhenGitExitsEvenIfAHelperHoldsItsOutput) {
  std::filesystem::path pid_file = dir_.Path("helper.pid");
  std::filesystem::path fake = dir_.Write(
      "git-with-helper", "#!/bin/sh\nsleep 30 &\necho $! > '" + pid_file.string() + "'\nexit 0\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  auto start = std::chrono::steady_clock::now();
  Result<void> ok = PushWithGitCli(*ws_, {kMain}, {"ci.skip"}, {.git = fake.string()});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(ok) << ok.error().message();
  EXPECT_LT(took, std::chrono::seconds(10));
  // The helper was killed with git's process group.
  std::ifstream in(pid_file);
  pid_t helper = 0;
  ASSERT_TRUE(in >> helper);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(helper) + "/stat");
    std::string fields;
    std::getline(stat, fields);
    gone = !stat || fields.find(") Z") != std::string::npos;  // reaped or a zombie
    if (!gone) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_TRUE(gone);
}

TEST_F(CliPusherTest, IgnoresUserAndSystemGitConfig) {
  // A global config that would rewrite the remote URL must not apply: HOME is private.
  testing::TempDir home("clipush-home");
  home.Write(".gitconfig", "[url \"/nonexistent/\"]\n\tinsteadOf = /\n");
  std::string commit = Change("app:1.1.0");
  const char* old_home = std::getenv("HOME");
  std::string saved = old_home != nullptr ? old_home : "";
  ::setenv("HOME", home.path().c_str(), 1);
  Result<void> ok = PushWithGitCli(*ws_, {kMain}, {});
  if (old_home != nullptr) {
    ::setenv("HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("HOME");
  }
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*RevParse(bare_, "main"), commit);
}

// Credentials over HTTP against an in-process server that records requests and always answers
// 401: what git sent shows how the credentials travelled.
class CliPusherHttpAuthTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Workspace>> Open(const Credentials& creds) {
    Result<std::unique_ptr<Workspace>> ws = Workspace::Open(
        {.dir = dir_.Path("cache"), .url = server_.Url("/git/app.git"), .credentials = creds});
    if (ws) {
      EXPECT_TRUE(testing::RunGit((*ws)->path(), {"commit", "-q", "--allow-empty", "-m", "x"}));
    }
    return ws;
  }

  std::vector<std::string> AuthorizationHeaders() const {
    std::vector<std::string> values;
    for (const testing::RecordedRequest& r : server_.Requests()) {
      if (std::optional<std::string> v = r.Header("Authorization")) {
        values.push_back(*v);
      }
    }
    return values;
  }

  Library library_;
  testing::TempDir dir_{"clipush-http"};
  testing::TestHttpServer server_{
      {.handler = [](const testing::RecordedRequest&, testing::TestResponse& res) {
        res.status = 401;
        res.SetHeader("WWW-Authenticate", "Basic realm=\"git\"");
        res.body = "denied";
      }}};
};

TEST_F(CliPusherHttpAuthTest, BasicAuthComesFromAskpassAndNeverLeaks) {
  Credentials creds;
  creds.username = "gituser";
  creds.password = "Askpass-Pa55-only";
  Result<std::unique_ptr<Workspace>> ws = Open(creds);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<void> ok = PushWithGitCli(**ws, {"HEAD:refs/heads/main"}, {"ci.skip"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kUnauthorized) << ok.error().message();
  EXPECT_EQ(ok.error().message().find(creds.password), std::string::npos);
  // base64("gituser:Askpass-Pa55-only")
  std::vector<std::string> auth = AuthorizationHeaders();
  EXPECT_NE(std::find(auth.begin(), auth.end(), "Basic Z2l0dXNlcjpBc2twYXNzLVBhNTUtb25seQ=="),
            auth.end());
}

TEST_F(CliPusherHttpAuthTest, BearerTokenGoesAsExtraHeaderAndNeverLeaks) {
  Credentials creds;
  creds.bearer_token = "tok-0123456789abcdef";
  Result<std::unique_ptr<Workspace>> ws = Open(creds);
  ASSERT_TRUE(ws) << ws.error().message();
  Result<void> ok = PushWithGitCli(**ws, {"HEAD:refs/heads/main"}, {"ci.skip"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kUnauthorized) << ok.error().message();
  EXPECT_EQ(ok.error().message().find(creds.bearer_token), std::string::npos);
  std::vector<std::string> auth = AuthorizationHeaders();
  ASSERT_FALSE(auth.empty());
  EXPECT_EQ(auth.front(), "Bearer " + creds.bearer_token);
}

// SSH checks that happen before any connection is made.
class CliPusherSshSetupTest : public ::testing::Test {
 protected:
  Result<void> PushWith(const Credentials& creds) {
    Result<std::unique_ptr<Workspace>> ws = Workspace::Open(
        {.dir = dir_.Path("cache"), .url = "ssh://git@127.0.0.1:1/app.git", .credentials = creds});
    if (!ws) {
      return ws.error();
    }
    return PushWithGitCli(**ws, {"HEAD:refs/heads/main"}, {"ci.skip"},
                          {.timeout = std::chrono::seconds(20)});
  }

  std::string Key(const std::string& passphrase) {
    std::filesystem::path key = dir_.Path(passphrase.empty() ? "plain" : "encrypted");
    Result<testing::CommandResult> r = testing::RunCommand(
        {"ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "t", "-f", key.string()});
    EXPECT_TRUE(r && r->exit_code == 0);
    std::ifstream in(key);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  Library library_;
  testing::TempDir dir_{"clipush-ssh"};
  const std::string known_hosts_ = "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==\n";
};

TEST_F(CliPusherSshSetupTest, EncryptedKeyIsInvalidSpec) {
  if (!testing::FindProgram("ssh-keygen")) {
    GTEST_SKIP() << "ssh-keygen is not installed";
  }
  Credentials creds;
  creds.identity = Key("key-passphrase");
  creds.password = "key-passphrase";
  creds.known_hosts = known_hosts_;
  Result<void> ok = PushWith(creds);
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kInvalidSpec) << ok.error().message();
  EXPECT_EQ(ok.error().message().find("key-passphrase"), std::string::npos);
}

TEST_F(CliPusherSshSetupTest, UnencryptedKeyGetsAsFarAsConnecting) {
  if (!testing::FindProgram("ssh-keygen") || !testing::FindProgram("ssh")) {
    GTEST_SKIP() << "ssh or ssh-keygen is not installed";
  }
  Credentials creds;
  creds.identity = Key("");
  creds.known_hosts = known_hosts_;
  Result<void> ok = PushWith(creds);
  ASSERT_FALSE(ok);
  // Port 1 refuses the connection: a transport failure, not a setup error.
  EXPECT_EQ(ok.error().kind(), ErrorKind::kTransient) << ok.error().message();
}

TEST_F(CliPusherSshSetupTest, MissingKnownHostsIsRefused) {
  Credentials creds;
  creds.identity = "-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\n";
  Result<void> ok = PushWith(creds);
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_NE(ok.error().message().find("known_hosts"), std::string::npos) << ok.error().message();
}

}  // namespace
}  // namespace imgauto::automation::git
