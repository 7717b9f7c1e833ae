// `imgauto run` end to end with real servers: Debian's docker-registry (basic auth) holds the
// image, lighttpd + git http-backend (basic auth) holds the manifests repository, and the built
// binary reads a manifests directory, scans, selects, commits and pushes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/fs.h"
#include "tests/support/git_servers.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace imgauto {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::CommandResult;
using testing::GitHttpServer;
using testing::RevParse;
using testing::RunGit;
using testing::TempDir;
using testing::TestRegistry;

constexpr char kGitUser[] = "gituser";
constexpr char kGitPassword[] = "S3cret-Http-Pa55";

class StandaloneIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = TestRegistry::MissingTools(); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    Result<std::unique_ptr<TestRegistry>> registry =
        TestRegistry::Start({.tls = false, .basic_auth = true});
    ASSERT_TRUE(registry) << registry.error().message();
    registry_ = std::move(*registry);
    for (const char* tag : {"1.0.0", "1.1.0", "latest"}) {
      ASSERT_TRUE(registry_->PushImage("acme/app", tag));
    }
    Result<std::unique_ptr<GitHttpServer>> git = GitHttpServer::Start({});
    if (!git && git.error().kind() == ErrorKind::kNotFound) {
      GTEST_SKIP() << git.error().message();
    }
    ASSERT_TRUE(git) << git.error().message();
    git_ = std::move(*git);
    bare_ = git_->root() / "fleet.git";
    image_ = registry_->host() + "/acme/app";
    ASSERT_TRUE(testing::CreateBareRepo(
        bare_, {{"apps/compose.yaml", "services:\n  app:\n    image: " + image_ +
                                          ":1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}\n"
                                          "    restart: always\n"}}));
    WriteManifests("semver:\n      range: \">=1.0.0\"");
  }

  void WriteManifests(const std::string& policy_choice) {
    manifests_.Write("secrets.yaml",
                     "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: "
                     "kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '" +
                         registry_->DockerConfigJson("imgauto", "Reg1stry-Pa55word") +
                         "'\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: git-auth\n"
                         "stringData:\n  username: " +
                         kGitUser + "\n  password: " + kGitPassword + "\n");
    manifests_.Write("image.yaml", R"(apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
spec:
  image: )" + image_ + R"(
  interval: 1m
  secretRef:
    name: regcred
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: app
spec:
  imageRepositoryRef:
    name: app
  policy:
    )" + policy_choice + "\n");
    manifests_.Write("automation.yaml", R"(apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: fleet
spec:
  interval: 1m
  url: )" + git_->Url("fleet.git") + R"(
  ref:
    branch: main
  secretRef:
    name: git-auth
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: app
spec:
  interval: 1m
  sourceRef:
    kind: GitRepository
    name: fleet
  git:
    commit:
      author:
        name: imgauto
        email: imgauto@example.com
      messageTemplate: '{{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}{{ end }}'
    push:
      branch: main
  update:
    path: ./apps
    strategy: Setters
)");
  }

  CommandResult RunOnce() {
    testing::ProcessOptions options;
    options.args = {IMGAUTO_BINARY, "run",         "--manifests", manifests_.path().string(),
                    "--state-dir",  state_.path().string(), "--once"};
    options.unset_env = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                         "NO_PROXY",    "no_proxy",    "ALL_PROXY",  "all_proxy"};
    options.env = {{"HOME", state_.path().string()}};
    Result<CommandResult> r = testing::RunCommand(options, std::chrono::seconds(60));
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : CommandResult{};
  }

  std::string Show(const std::string& path) {
    Result<std::string> text = RunGit(bare_, {"show", "main:" + path});
    return text ? *text : "";
  }

  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<GitHttpServer> git_;
  std::filesystem::path bare_;
  std::string image_;
  TempDir manifests_{"standalone-manifests"};
  TempDir state_{"standalone-state"};
};

TEST_F(StandaloneIntegrationTest, OnceScansSelectsCommitsAndPushes) {
  std::string before = *RevParse(bare_, "main");
  CommandResult r = RunOnce();
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("imagerepository/flux-system/app"));
  EXPECT_THAT(r.stdout_text, HasSubstr("imageupdateautomation/flux-system/app"));
  EXPECT_THAT(r.stdout_text, HasSubstr("repository up-to-date"));
  // Credentials stay out of output and logs.
  EXPECT_THAT(r.stdout_text + r.stderr_text, Not(HasSubstr(kGitPassword)));
  EXPECT_THAT(r.stdout_text + r.stderr_text, Not(HasSubstr("Reg1stry-Pa55word")));

  std::string head = *RevParse(bare_, "main");
  ASSERT_NE(head, before);
  EXPECT_EQ(Show("apps/compose.yaml"),
            "services:\n  app:\n    image: " + image_ +
                ":1.1.0 # {\"$imagepolicy\": \"flux-system:app\"}\n    restart: always");
  Result<std::string> message = RunGit(bare_, {"log", "-1", "--format=%B", "main"});
  EXPECT_EQ(*message, image_ + ":1.0.0 -> " + image_ +
                          ":1.1.0\n\nImage-Automation: flux-system/app");

  // Status files in the served version's shape.
  Result<std::string> policy =
      ReadFile(state_.path() / "status/imagepolicy/flux-system/app.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_THAT(*policy, HasSubstr("latestImage: " + image_ + ":1.1.0"));  // v1beta2 shape
  EXPECT_THAT(*policy, HasSubstr("tag: 1.1.0"));
  Result<std::string> automation =
      ReadFile(state_.path() / "status/imageupdateautomation/flux-system/app.yaml");
  ASSERT_TRUE(automation);
  EXPECT_THAT(*automation, HasSubstr("lastPushCommit: " + head));
  EXPECT_THAT(*automation, HasSubstr("observedSourceRevision: main@sha1:" + head));

  // Nothing new: no second commit.
  CommandResult again = RunOnce();
  ASSERT_EQ(again.exit_code, 0) << again.stdout_text << again.stderr_text;
  EXPECT_EQ(*RevParse(bare_, "main"), head);

  // A new image is pushed: the next pass picks it up and commits once more.
  ASSERT_TRUE(registry_->PushImage("acme/app", "1.2.0"));
  CommandResult third = RunOnce();
  ASSERT_EQ(third.exit_code, 0) << third.stdout_text << third.stderr_text;
  EXPECT_THAT(Show("apps/compose.yaml"), HasSubstr(":1.2.0 #"));
  EXPECT_EQ(*RevParse(bare_, "main~1"), head);
}

TEST_F(StandaloneIntegrationTest, BadObjectIsReportedAndOthersStillRun) {
  WriteManifests("semver:\n      range: \"not a range\"");
  manifests_.Write("broken.yaml", "kind: [unclosed\n");
  std::string before = *RevParse(bare_, "main");
  CommandResult r = RunOnce();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("imagerepository/flux-system/app"));
  EXPECT_THAT(r.stdout_text, HasSubstr("manifest issue: broken.yaml"));
  EXPECT_THAT(r.stdout_text, HasSubstr("imagepolicy/flux-system/app"));
  EXPECT_THAT(r.stdout_text, HasSubstr("False"));
  // The repository still scanned; the automation ran without a usable policy and pushed nothing.
  Result<std::string> repo =
      ReadFile(state_.path() / "status/imagerepository/flux-system/app.yaml");
  ASSERT_TRUE(repo);
  EXPECT_THAT(*repo, HasSubstr("tagCount: 3"));
  EXPECT_EQ(*RevParse(bare_, "main"), before);
}

TEST_F(StandaloneIntegrationTest, MissingManifestsDirectoryIsUsageError) {
  testing::ProcessOptions options;
  options.args = {IMGAUTO_BINARY, "run", "--manifests", "/nonexistent/imgauto", "--once",
                  "--state-dir", state_.path().string()};
  Result<CommandResult> r = testing::RunCommand(options, std::chrono::seconds(20));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_THAT(r->stderr_text, HasSubstr("does not exist"));
}

}  // namespace
}  // namespace imgauto
