// Signed commits: OpenPGP (gpgme) verified with `git verify-commit` / gpg, and SSH (sshsig)
// verified with `git verify-commit` (gpg.format ssh) and `ssh-keygen -Y verify`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "automation/git/committer.h"
#include "automation/git/gpg_signer.h"
#include "automation/git/library.h"
#include "automation/git/ssh_signer.h"
#include "automation/git/workspace.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/git_servers.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace imgauto::automation::git {
namespace {

using testing::RunCommand;
using testing::RunGit;

// Runs gpg in `home` non-interactively; returns stdout or an error with stderr.
Result<std::string> Gpg(const std::filesystem::path& home, std::vector<std::string> args,
                        const std::string& passphrase = "") {
  std::vector<std::string> full = {"gpg",          "--homedir",       home.string(),
                                   "--batch",      "--pinentry-mode", "loopback",
                                   "--passphrase", passphrase};
  full.insert(full.end(), args.begin(), args.end());
  Result<testing::CommandResult> r = RunCommand(full, "", std::chrono::seconds(60));
  if (!r) {
    return r.error();
  }
  if (r->exit_code != 0) {
    return Error(ErrorKind::kInternal, "gpg failed: " + r->stderr_text);
  }
  return r->stdout_text;
}

// Generates a signing key for `uid` in `home` and returns its armoured secret key.
Result<std::string> GenerateGpgKey(const std::filesystem::path& home, const std::string& uid,
                                   const std::string& passphrase = "") {
  std::filesystem::permissions(home, std::filesystem::perms::owner_all);
  if (Result<std::string> r =
          Gpg(home, {"--quick-gen-key", uid, "ed25519", "sign", "never"}, passphrase);
      !r) {
    return r.error();
  }
  return Gpg(home, {"--armor", "--export-secret-keys", uid}, passphrase);
}

class SigningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::FindProgram("gpg")) {
      GTEST_SKIP() << "gpg is not installed";
    }
    ASSERT_TRUE(testing::CreateBareRepo(bare_, {{"deploy.yaml", "image: app:1.0.0\n"}}));
    Result<std::unique_ptr<Workspace>> ws =
        Workspace::Open({.dir = dir_.Path("cache"), .url = bare_.string()});
    ASSERT_TRUE(ws) << ws.error().message();
    ws_ = std::move(*ws);
    ASSERT_TRUE(ws_->Checkout({.branch = "main"}));
  }

  Result<CommitOutcome> CommitWith(const Signer& signer) {
    std::ofstream(ws_->path() / "deploy.yaml") << "image: app:1.1.0\n";
    Committer committer(*ws_, clock_);
    return committer.Commit({.message = "Update from image update automation",
                             .automation = "flux-system/app",
                             .author = {.name = "Flux B Ot", .email = "fluxbot@example.com"},
                             .signer = &signer});
  }

  Library library_;
  testing::TempDir dir_{"signing"};
  testing::TempDir gnupg_{"gnupg"};
  std::filesystem::path bare_ = dir_.Path("remote.git");
  testing::FakeClock clock_;
  std::unique_ptr<Workspace> ws_;
};

TEST_F(SigningTest, GpgSignedCommitVerifies) {
  Result<std::string> key = GenerateGpgKey(gnupg_.path(), "Flux B Ot <fluxbot@example.com>");
  ASSERT_TRUE(key) << key.error().message();
  Result<SignerPtr> signer = GpgSigner::Create(*key, "", "signing-key");
  ASSERT_TRUE(signer) << signer.error().message();
  Result<CommitOutcome> c = CommitWith(**signer);
  ASSERT_TRUE(c) << c.error().message();
  Result<std::string> verified =
      RunGit(ws_->path(), {"verify-commit", c->commit}, {{"GNUPGHOME", gnupg_.path().string()}});
  EXPECT_TRUE(verified) << verified.error().message();
}

TEST_F(SigningTest, GpgPassphraseProtectedKeySigns) {
  Result<std::string> key =
      GenerateGpgKey(gnupg_.path(), "Flux B Ot <fluxbot@example.com>", "s3cret-phrase");
  ASSERT_TRUE(key) << key.error().message();
  Result<SignerPtr> signer = GpgSigner::Create(*key, "s3cret-phrase", "signing-key");
  ASSERT_TRUE(signer) << signer.error().message();
  Result<CommitOutcome> c = CommitWith(**signer);
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(
      RunGit(ws_->path(), {"verify-commit", c->commit}, {{"GNUPGHOME", gnupg_.path().string()}}));
}

TEST_F(SigningTest, GpgPassphraseMissingIsFluxError) {
  Result<std::string> key =
      GenerateGpgKey(gnupg_.path(), "Flux B Ot <fluxbot@example.com>", "s3cret-phrase");
  ASSERT_TRUE(key) << key.error().message();
  Result<SignerPtr> signer = GpgSigner::Create(*key, "", "signing-key");
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error().message(),
            "can not use passphrase protected signing key without 'passphrase' field present in "
            "secret signing-key");
}

TEST_F(SigningTest, GpgWrongPassphraseIsError) {
  Result<std::string> key =
      GenerateGpgKey(gnupg_.path(), "Flux B Ot <fluxbot@example.com>", "s3cret-phrase");
  ASSERT_TRUE(key) << key.error().message();
  Result<SignerPtr> signer = GpgSigner::Create(*key, "wrong-phrase", "signing-key");
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(signer.error().message().find("wrong-phrase"), std::string::npos);
}

TEST_F(SigningTest, GpgMultipleEntitiesIsError) {
  ASSERT_TRUE(GenerateGpgKey(gnupg_.path(), "One <one@example.com>"));
  ASSERT_TRUE(GenerateGpgKey(gnupg_.path(), "Two <two@example.com>"));
  Result<std::string> both = Gpg(gnupg_.path(), {"--armor", "--export-secret-keys"});
  ASSERT_TRUE(both) << both.error().message();
  Result<SignerPtr> signer = GpgSigner::Create(*both, "", "signing-key");
  ASSERT_FALSE(signer);
  EXPECT_NE(signer.error().message().find("multiple entities"), std::string::npos);
}

TEST_F(SigningTest, GpgMissingKeyFieldIsError) {
  Result<SignerPtr> signer = GpgSigner::Create("", "", "signing-key");
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error().message(),
            "signing key secret 'signing-key' does not contain a 'git.asc' key");
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct SshKeyCase {
  std::string_view name;
  std::string type;
  std::string bits;
};

class SshSigningTest : public ::testing::TestWithParam<SshKeyCase> {
 protected:
  void SetUp() override {
    if (!testing::FindProgram("ssh-keygen")) {
      GTEST_SKIP() << "ssh-keygen is not installed";
    }
    Result<std::filesystem::path> key =
        testing::GenerateSshKey(keys_.path(), "id", GetParam().type, GetParam().bits);
    ASSERT_TRUE(key) << key.error().message();
    key_ = *key;
    std::string pub = ReadAll(key_.string() + ".pub");
    allowed_ = keys_.Write("allowed_signers", "fluxbot@example.com " + pub);
  }

  Library library_;
  testing::TempDir keys_{"sshkeys"};
  std::filesystem::path key_;
  std::filesystem::path allowed_;
};

TEST_P(SshSigningTest, SignatureVerifiesWithSshKeygen) {
  Result<SignerPtr> signer = SshSigner::Create(ReadAll(key_), "", "signing-key");
  ASSERT_TRUE(signer) << signer.error().message();
  const std::string payload = "tree 123\nauthor x\n\nmessage\n";
  Result<std::string> sig = (*signer)->Sign(payload);
  ASSERT_TRUE(sig) << sig.error().message();
  std::filesystem::path sig_file = keys_.Write("payload.sig", *sig);
  Result<testing::CommandResult> r =
      RunCommand({"ssh-keygen", "-Y", "verify", "-f", allowed_.string(), "-I",
                  "fluxbot@example.com", "-n", "git", "-s", sig_file.string()},
                 payload);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0) << r->stdout_text << r->stderr_text;
}

TEST_P(SshSigningTest, SignedCommitVerifiesWithGit) {
  testing::TempDir dir("sshsign");
  std::filesystem::path bare = dir.Path("remote.git");
  ASSERT_TRUE(testing::CreateBareRepo(bare, {{"deploy.yaml", "image: app:1.0.0\n"}}));
  Result<std::unique_ptr<Workspace>> ws =
      Workspace::Open({.dir = dir.Path("cache"), .url = bare.string()});
  ASSERT_TRUE(ws) << ws.error().message();
  ASSERT_TRUE((*ws)->Checkout({.branch = "main"}));
  Result<SignerPtr> signer = SshSigner::Create(ReadAll(key_), "", "signing-key");
  ASSERT_TRUE(signer) << signer.error().message();
  std::ofstream((*ws)->path() / "deploy.yaml") << "image: app:1.1.0\n";
  testing::FakeClock clock;
  Committer committer(**ws, clock);
  Result<CommitOutcome> c =
      committer.Commit({.message = "bump",
                        .automation = "ns/app",
                        .author = {.name = "Flux B Ot", .email = "fluxbot@example.com"},
                        .signer = signer->get()});
  ASSERT_TRUE(c) << c.error().message();
  Result<std::string> verified =
      RunGit((*ws)->path(),
             {"-c", "gpg.format=ssh", "-c", "gpg.ssh.allowedSignersFile=" + allowed_.string(),
              "verify-commit", c->commit});
  EXPECT_TRUE(verified) << verified.error().message();
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, SshSigningTest,
                         ::testing::ValuesIn(std::vector<SshKeyCase>{
                             {"Ed25519", "ed25519", ""},
                             {"EcdsaP256", "ecdsa", "256"},
                             {"EcdsaP384", "ecdsa", "384"},
                             {"EcdsaP521", "ecdsa", "521"},
                             {"Rsa3072", "rsa", "3072"},
                         }),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SshSignerTest, RejectsShortRsaKey) {
  testing::TempDir keys("sshkeys");
  Result<std::filesystem::path> key = testing::GenerateSshKey(keys.path(), "id", "rsa", "1024");
  if (!key) {
    GTEST_SKIP() << key.error().message();
  }
  Result<SignerPtr> signer = SshSigner::Create(ReadAll(*key), "", "signing-key");
  ASSERT_FALSE(signer);
  EXPECT_NE(signer.error().message().find("2048"), std::string::npos);
}

TEST(SshSignerTest, EncryptedKeyIsClearError) {
  testing::TempDir keys("sshkeys");
  std::filesystem::path key = keys.Path("id");
  Result<testing::CommandResult> r =
      RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "pass-phrase", "-f", key.string()});
  if (!r || r->exit_code != 0) {
    GTEST_SKIP() << "ssh-keygen unavailable";
  }
  Result<SignerPtr> signer = SshSigner::Create(ReadAll(key), "pass-phrase", "signing-key");
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(signer.error().message().find("passphrase protected"), std::string::npos);
}

TEST(SshSignerTest, MissingIdentityIsFluxError) {
  Result<SignerPtr> signer = SshSigner::Create("", "", "signing-key");
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error().message(),
            "signing key secret 'signing-key' does not contain an 'identity' key");
}

}  // namespace
}  // namespace imgauto::automation::git
