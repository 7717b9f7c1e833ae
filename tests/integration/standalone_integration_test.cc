// `imgauto run` end to end with real servers: Debian's docker-registry (basic auth) holds the
// image, lighttpd + git http-backend (basic auth) holds the manifests repository, and the built
// binary reads a manifests directory, scans, selects, commits and pushes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/fs.h"
#include "core/http/beast_client.h"
#include "tests/support/eventually.h"
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
using testing::Eventually;
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

// ---- robustness: restarts, corrupt state, missing secrets; KubeVela Applications ----

// Rewrites every "interval: 1m" in `file` under `dir` to `interval`.
void SetIntervals(const TempDir& dir, const std::string& file, const std::string& interval) {
  Result<std::string> text = ReadFile(dir.Path(file));
  ASSERT_TRUE(text) << text.error().message();
  std::string out = *text;
  for (std::size_t at = out.find("interval: 1m"); at != std::string::npos;
       at = out.find("interval: 1m", at)) {
    out.replace(at, std::string("interval: 1m").size(), "interval: " + interval);
  }
  dir.Write(file, out);
}


// Number of commits on `rev` after `base`.
int CommitsSince(const std::filesystem::path& bare, const std::string& base,
                 const std::string& rev = "main") {
  Result<std::string> count = RunGit(bare, {"rev-list", "--count", base + ".." + rev});
  return count ? std::stoi(*count) : -1;
}

// Parses every status file under `state`; returns the paths that are not a YAML mapping with a
// status, each with its error.
std::vector<std::string> InvalidStatusFiles(const std::filesystem::path& state) {
  std::vector<std::string> bad;
  int seen = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(state / "status")) {
    if (!entry.is_regular_file()) continue;
    ++seen;
    try {
      YAML::Node node = YAML::LoadFile(entry.path().string());
      if (!node.IsMap() || !node["status"] || !node["metadata"]["name"]) {
        bad.push_back(entry.path().string() + ": not a status object");
      }
    } catch (const YAML::Exception& e) {
      bad.push_back(entry.path().string() + ": " + e.what());
    }
  }
  if (seen == 0) bad.push_back("no status files");
  return bad;
}

// The Ready condition's status and reason in a status file ("", "" when absent).
std::pair<std::string, std::string> ReadyOf(const std::filesystem::path& file) {
  try {
    YAML::Node node = YAML::LoadFile(file.string());
    for (const YAML::Node& c : node["status"]["conditions"]) {
      if (c["type"].as<std::string>() == "Ready") {
        return {c["status"].as<std::string>(), c["reason"].as<std::string>()};
      }
    }
  } catch (const YAML::Exception&) {
  }
  return {"", ""};
}

TEST_F(StandaloneIntegrationTest, RestartAfterKillCommitsTheNewTagExactlyOnce) {
  SetIntervals(manifests_, "image.yaml", "2s");
  SetIntervals(manifests_, "automation.yaml", "2s");
  const std::string base = *RevParse(bare_, "main");
  Result<int> health_port = testing::FreeLoopbackPort();
  ASSERT_TRUE(health_port);
  const std::string health = "127.0.0.1:" + std::to_string(*health_port);
  Result<int> metrics_port = testing::FreeLoopbackPort();
  ASSERT_TRUE(metrics_port);
  const std::string metrics_addr = "127.0.0.1:" + std::to_string(*metrics_port);
  testing::ProcessOptions options;
  options.args = {IMGAUTO_BINARY, "run", "--manifests", manifests_.path().string(),
                  "--state-dir", state_.path().string(), "--health-addr", health,
                  "--metrics-addr", metrics_addr};
  options.unset_env = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                       "NO_PROXY",    "no_proxy",    "ALL_PROXY",  "all_proxy"};
  options.env = {{"HOME", state_.path().string()}};

  Result<std::unique_ptr<testing::Process>> first = testing::Process::Start(options);
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(Eventually([&] { return CommitsSince(bare_, base) >= 1; }, std::chrono::seconds(60)))
      << (*first)->Stderr();
  const std::string first_commit = *RevParse(bare_, "main");
  // The health endpoint answers while it runs.
  Result<http::HttpClientPtr> client = http::BeastHttpClient::Create({});
  ASSERT_TRUE(client);
  Result<http::Response> readyz = (*client)->Send(
      {.method = "GET", .url = "http://" + health + "/readyz", .headers = {}, .body = "",
       .deadline = std::nullopt});
  ASSERT_TRUE(readyz) << readyz.error().message();
  EXPECT_EQ(readyz->status, 200);
  // And /metrics has the Flux series for every kind.
  Result<http::Response> scraped = (*client)->Send(
      {.method = "GET", .url = "http://" + metrics_addr + "/metrics", .headers = {}, .body = "",
       .deadline = std::nullopt});
  ASSERT_TRUE(scraped) << scraped.error().message();
  EXPECT_EQ(scraped->status, 200);
  for (const char* kind : {"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"}) {
    EXPECT_THAT(scraped->body, HasSubstr(std::string("gotk_reconcile_duration_seconds_count{kind=\"") +
                                         kind + "\",name=\"app\",namespace=\"flux-system\"}"))
        << kind;
  }
  EXPECT_THAT(scraped->body, HasSubstr("flux_image_automation_run_total{name=\"app\","
                                       "namespace=\"flux-system\",result=\"pushed\"} 1"));
  (*first)->Kill(SIGKILL);
  Result<int> killed = (*first)->Wait(std::chrono::seconds(10));
  ASSERT_TRUE(killed);
  EXPECT_EQ(*killed, 128 + SIGKILL);
  EXPECT_EQ(CommitsSince(bare_, base), 1);
  EXPECT_THAT(Show("apps/compose.yaml"), HasSubstr(":1.1.0 #"));
  EXPECT_THAT(InvalidStatusFiles(state_.path()), ::testing::IsEmpty());

  ASSERT_TRUE(registry_->PushImage("acme/app", "1.2.0"));
  Result<std::unique_ptr<testing::Process>> second = testing::Process::Start(options);
  ASSERT_TRUE(second) << second.error().message();
  ASSERT_TRUE(Eventually([&] { return CommitsSince(bare_, first_commit) >= 1; },
                         std::chrono::seconds(60)))
      << (*second)->Stderr();
  // Several more intervals pass: rescans and automation runs find nothing new to commit.
  std::this_thread::sleep_for(std::chrono::seconds(7));
  EXPECT_EQ(CommitsSince(bare_, first_commit), 1);
  EXPECT_THAT(Show("apps/compose.yaml"), HasSubstr(":1.2.0 #"));
  Result<std::string> message = RunGit(bare_, {"log", "-1", "--format=%B", "main"});
  ASSERT_TRUE(message);
  EXPECT_EQ(*message, image_ + ":1.1.0 -> " + image_ + ":1.2.0\n\nImage-Automation: flux-system/app");
  EXPECT_TRUE((*second)->Running()) << (*second)->Stderr();
  (*second)->Stop();
  EXPECT_THAT(InvalidStatusFiles(state_.path()), ::testing::IsEmpty());
  Result<std::string> policy = ReadFile(state_.path() / "status/imagepolicy/flux-system/app.yaml");
  ASSERT_TRUE(policy);
  EXPECT_THAT(*policy, HasSubstr("latestImage: " + image_ + ":1.2.0"));
  EXPECT_THAT((*second)->Stdout() + (*second)->Stderr(), Not(HasSubstr(kGitPassword)));
}

TEST_F(StandaloneIntegrationTest, CorruptStatusFileIsRebuilt) {
  CommandResult r = RunOnce();
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  const std::filesystem::path file = state_.path() / "status/imagerepository/flux-system/app.yaml";
  const std::string garbage("\x00\xff\xfe[{: \x01garbage\n\tstatus: [\x7f", 27);
  state_.Write("status/imagerepository/flux-system/app.yaml", garbage);

  CommandResult again = RunOnce();
  ASSERT_EQ(again.exit_code, 0) << again.stdout_text << again.stderr_text;
  EXPECT_THAT(again.stdout_text, Not(HasSubstr("manifest issue")));
  EXPECT_THAT(again.stdout_text, Not(HasSubstr("False")));
  Result<std::string> rebuilt = ReadFile(file);
  ASSERT_TRUE(rebuilt);
  EXPECT_NE(*rebuilt, garbage);
  EXPECT_THAT(*rebuilt, HasSubstr("tagCount: 3"));
  EXPECT_EQ(ReadyOf(file), std::make_pair(std::string("True"), std::string("Succeeded")));
  EXPECT_THAT(InvalidStatusFiles(state_.path()), ::testing::IsEmpty());
}

TEST_F(StandaloneIntegrationTest, MissingSecretFailsOnlyItsRepository) {
  ASSERT_TRUE(registry_->PushImage("acme/other", "2.0.0"));
  std::filesystem::remove(manifests_.Path("automation.yaml"));
  manifests_.Write("image.yaml", R"(apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
spec:
  image: )" + image_ + R"(
  interval: 1m
  secretRef:
    name: no-such-secret
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: other
spec:
  image: )" + registry_->host() + R"(/acme/other
  interval: 1m
  secretRef:
    name: regcred
)");
  CommandResult r = RunOnce();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("imagerepository/flux-system/app"));
  EXPECT_THAT(r.stdout_text, HasSubstr("no-such-secret"));
  const std::filesystem::path status = state_.path() / "status/imagerepository/flux-system";
  EXPECT_EQ(ReadyOf(status / "app.yaml"),
            std::make_pair(std::string("False"), std::string("AuthenticationFailed")));
  EXPECT_EQ(ReadyOf(status / "other.yaml"),
            std::make_pair(std::string("True"), std::string("Succeeded")));
  Result<std::string> other = ReadFile(status / "other.yaml");
  ASSERT_TRUE(other);
  EXPECT_THAT(*other, HasSubstr("tagCount: 1"));
}

TEST_F(StandaloneIntegrationTest, KubeVelaApplicationDrivesTheSameLoop) {
  std::filesystem::remove(manifests_.Path("image.yaml"));
  std::filesystem::remove(manifests_.Path("automation.yaml"));
  manifests_.Write("app.yaml", R"(apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: fleet
spec:
  components:
    - name: app
      type: kustomize
      properties:
        url: )" + git_->Url("fleet.git") + R"(
        secretRef: git-auth
        git:
          branch: main
        path: ./apps
        imageRepository:
          image: )" + image_ + R"(
          secretRef: regcred
          interval: 1m
          policy:
            semver: {range: ">=1.0.0"}
          commitMessage: '{{range .Updated.Images}}{{println .}}{{end}}'
)");
  const std::string before = *RevParse(bare_, "main");
  CommandResult r = RunOnce();
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_THAT(r.stdout_text, HasSubstr("imageupdateautomation/flux-system/app"));
  ASSERT_EQ(CommitsSince(bare_, before), 1);
  EXPECT_THAT(Show("apps/compose.yaml"), HasSubstr(":1.1.0 #"));
  Result<std::string> author = RunGit(bare_, {"log", "-1", "--format=%an <%ae>", "main"});
  ASSERT_TRUE(author);
  EXPECT_EQ(*author, "kubevelabot <kubevelabot@users.noreply.github.com>");
  Result<std::string> message = RunGit(bare_, {"log", "-1", "--format=%B", "main"});
  ASSERT_TRUE(message);
  EXPECT_THAT(*message, ::testing::StartsWith("Update image automatically.\n" + image_ +
                                              ":1.1.0\n"));
  EXPECT_THAT(*message, HasSubstr("Image-Automation: flux-system/app"));
  Result<std::string> status =
      ReadFile(state_.path() / "status/imageupdateautomation/flux-system/app.yaml");
  ASSERT_TRUE(status);
  EXPECT_THAT(*status, HasSubstr("imgauto.io/source: app.yaml"));
}

}  // namespace
}  // namespace imgauto
