// Registry webhooks end to end: Debian's docker-registry is configured with `notifications:`
// pointing at a running `imgauto run`, whose manifests directory holds a `distribution` Receiver.
// A push to the registry must reach git without waiting for the (hour-long) poll interval; bad
// requests get the right 4xx and leave reconciliation alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/fs.h"
#include "core/http/beast_client.h"
#include "core/sha256.h"
#include "tests/support/eventually.h"
#include "tests/support/git_servers.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace imgauto {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::Eventually;
using testing::GitHttpServer;
using testing::RevParse;
using testing::RunGit;
using testing::TempDir;
using testing::TestRegistry;

constexpr char kToken[] = "w3bh00k-T0ken-for-tests";

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// Flux's receiver path: sha256(token + name + namespace).
std::string HookPath(const std::string& name, const std::string& ns = "flux-system") {
  return "/hook/" + Sha256Hex(std::string(kToken) + name + ns);
}

int CommitsSince(const std::filesystem::path& bare, const std::string& base) {
  Result<std::string> count = RunGit(bare, {"rev-list", "--count", base + "..main"});
  return count ? std::stoi(*count) : -1;
}

class WebhookIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = TestRegistry::MissingTools(); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    Result<int> webhook_port = testing::FreeLoopbackPort();
    ASSERT_TRUE(webhook_port);
    webhook_addr_ = Loopback(*webhook_port);
    Result<int> metrics_port = testing::FreeLoopbackPort();
    ASSERT_TRUE(metrics_port);
    metrics_addr_ = Loopback(*metrics_port);

    Result<std::unique_ptr<TestRegistry>> registry = TestRegistry::Start(
        {.tls = false, .basic_auth = false,
         .notify_url = "http://" + webhook_addr_ + HookPath("registry")});
    ASSERT_TRUE(registry) << registry.error().message();
    registry_ = std::move(*registry);
    ASSERT_TRUE(registry_->PushImage("acme/app", "1.0.0"));

    Result<std::unique_ptr<GitHttpServer>> git = GitHttpServer::Start({});
    if (!git && git.error().kind() == ErrorKind::kNotFound) GTEST_SKIP() << git.error().message();
    ASSERT_TRUE(git) << git.error().message();
    git_ = std::move(*git);
    bare_ = git_->root() / "fleet.git";
    image_ = registry_->host() + "/acme/app";
    ASSERT_TRUE(testing::CreateBareRepo(
        bare_, {{"apps/compose.yaml", "services:\n  app:\n    image: " + image_ +
                                          ":1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}\n"}}));
    WriteManifests();
  }

  void TearDown() override {
    if (imgauto_) imgauto_->Stop();
  }

  void WriteManifests() {
    manifests_.Write("receivers.yaml", std::string(R"(apiVersion: v1
kind: Secret
metadata:
  name: webhook-token
stringData:
  token: )") + kToken + R"(
---
apiVersion: v1
kind: Secret
metadata:
  name: git-auth
stringData:
  username: gituser
  password: S3cret-Http-Pa55
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: registry
spec:
  type: distribution
  secretRef:
    name: webhook-token
  resources:
    - apiVersion: image.toolkit.fluxcd.io/v1
      kind: ImageRepository
      name: "*"
      matchLabels:
        webhook: enabled
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: ci
spec:
  type: generic-hmac
  secretRef:
    name: webhook-token
  resources:
    - kind: ImageRepository
      name: app
)");
    manifests_.Write("image.yaml", R"(apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  labels:
    webhook: enabled
spec:
  image: )" + image_ + R"(
  interval: 1h
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: ">=1.0.0"
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: fleet
spec:
  interval: 1h
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
  interval: 1h
  sourceRef:
    kind: GitRepository
    name: fleet
  git:
    commit:
      author:
        name: imgauto
        email: imgauto@example.com
    push:
      branch: main
  update:
    path: ./apps
    strategy: Setters
)");
  }

  void StartImgauto() {
    testing::ProcessOptions options;
    options.args = {IMGAUTO_BINARY,  "run",          "--manifests",  manifests_.path().string(),
                    "--state-dir",   state_.path().string(), "--metrics-addr", metrics_addr_,
                    "--health-addr", "",             "--webhook-addr", webhook_addr_};
    options.unset_env = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                         "NO_PROXY",    "no_proxy",    "ALL_PROXY",  "all_proxy"};
    options.env = {{"HOME", state_.path().string()}};
    Result<std::unique_ptr<testing::Process>> p = testing::Process::Start(options);
    ASSERT_TRUE(p) << p.error().message();
    imgauto_ = std::move(*p);
  }

  Result<http::Response> Post(const std::string& path, const std::string& body,
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!client_) {
      Result<http::HttpClientPtr> client = http::BeastHttpClient::Create({});
      if (!client) return client.error();
      client_ = std::move(*client);
    }
    headers.push_back({"Content-Type", "application/json"});
    return client_->Send({.method = "POST", .url = "http://" + webhook_addr_ + path,
                          .headers = headers, .body = body, .deadline = std::nullopt});
  }

  std::string Metrics() {
    Result<http::HttpClientPtr> client = http::BeastHttpClient::Create({});
    if (!client) return "";
    Result<http::Response> r = (*client)->Send({.method = "GET",
                                                .url = "http://" + metrics_addr_ + "/metrics",
                                                .headers = {}, .body = "",
                                                .deadline = std::nullopt});
    return r ? r->body : "";
  }

  std::string Show() {
    Result<std::string> text = RunGit(bare_, {"show", "main:apps/compose.yaml"});
    return text ? *text : "";
  }

  // Waits until the first run committed 1.0.0 → (nothing; already 1.0.0) and the receivers are
  // served: an unknown hook path answers 404.
  void WaitServing() {
    ASSERT_TRUE(Eventually(
        [&] {
          Result<http::Response> r = Post("/hook/0000", "{}");
          return r && r->status == 404;
        },
        std::chrono::seconds(30)))
        << imgauto_->Stderr();
    // The initial pass ran: the policy selected 1.0.0 and the automation found nothing to do.
    ASSERT_TRUE(Eventually([&] { return Metrics().find("flux_image_automation_run_total{") !=
                                        std::string::npos; },
                           std::chrono::seconds(30)))
        << imgauto_->Stderr();
  }

  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<GitHttpServer> git_;
  std::filesystem::path bare_;
  std::string image_;
  std::string webhook_addr_;
  std::string metrics_addr_;
  TempDir manifests_{"webhook-manifests"};
  TempDir state_{"webhook-state"};
  std::unique_ptr<testing::Process> imgauto_;
  http::HttpClientPtr client_;
};

TEST_F(WebhookIntegrationTest, RegistryNotificationDrivesTheCommit) {
  StartImgauto();
  WaitServing();
  const std::string base = *RevParse(bare_, "main");
  // Polling is hourly: only the registry's notification can bring 2.0.0 to git in time.
  ASSERT_TRUE(registry_->PushImage("acme/app", "2.0.0"));
  ASSERT_TRUE(Eventually([&] { return CommitsSince(bare_, base) >= 1; }, std::chrono::seconds(30)))
      << imgauto_->Stderr() << registry_->Logs();
  EXPECT_THAT(Show(), HasSubstr(image_ + ":2.0.0 #"));
  std::string metrics;
  ASSERT_TRUE(Eventually(
      [&] {
        metrics = Metrics();
        return metrics.find("imgauto_lead_time_seconds_count{source=\"webhook\"} 1") !=
               std::string::npos;
      },
      std::chrono::seconds(10)))
      << metrics;
  EXPECT_THAT(metrics, HasSubstr("imgauto_webhook_events_total{receiver=\"flux-system/registry\"}"));
  EXPECT_THAT(metrics, HasSubstr("imgauto_git_pushes_total{result=\"success\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("imgauto_image_detection_latency_seconds_count{source=\"webhook\"}"));
  EXPECT_THAT(metrics, HasSubstr("imgauto_webhook_silent{receiver=\"flux-system/registry\"} 0"));
  // Standalone automations run off a work queue too.
  EXPECT_THAT(metrics, HasSubstr("workqueue_adds_total{controller=\"imageupdateautomation\","
                                 "name=\"imageupdateautomation\"}"));
  // The Receiver's status file tells the user the path to configure.
  Result<std::string> status =
      ReadFile(state_.path() / "status/receiver/flux-system/registry.yaml");
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_THAT(*status, HasSubstr("webhookPath: " + HookPath("registry")));
  EXPECT_THAT(imgauto_->Stdout() + imgauto_->Stderr(), Not(HasSubstr(kToken)));
}

TEST_F(WebhookIntegrationTest, BadRequestsAreRefusedAndReconciliationGoesOn) {
  StartImgauto();
  WaitServing();
  const std::string ci = HookPath("ci");
  // Unknown path, wrong token: 404 without telling which paths exist.
  Result<http::Response> r = Post(HookPath("ci-wrong"), "{}");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 404);
  // generic-hmac without and with a wrong signature: 401.
  r = Post(ci, "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = Post(ci, "{}", {{"X-Signature", "sha256=" + std::string(64, '0')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // Not JSON for a registry envelope: 400.
  r = Post(HookPath("registry"), "{\"events\": [ truncated");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  // Over the body limit: 413.
  r = Post(HookPath("registry"), std::string(2 * 1024 * 1024, 'x'));
  ASSERT_TRUE(!r || r->status == 413) << r->status;
  // A flood: the route's rate limit answers 429 once its burst is spent.
  int limited = 0;
  for (int i = 0; i < 300; ++i) {
    Result<http::Response> f = Post("/hook/flood", "{}");
    if (f && f->status == 429) ++limited;
  }
  EXPECT_GT(limited, 0);
  // Reconciliation is unaffected: a real push still arrives in git.
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the rate limit refill
  const std::string base = *RevParse(bare_, "main");
  ASSERT_TRUE(registry_->PushImage("acme/app", "3.0.0"));
  ASSERT_TRUE(Eventually([&] { return CommitsSince(bare_, base) >= 1; }, std::chrono::seconds(30)))
      << imgauto_->Stderr();
  EXPECT_THAT(Show(), HasSubstr(image_ + ":3.0.0 #"));
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr("imgauto_webhook_requests_total{code=\"401\",receiver=\"flux-system/ci\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("imgauto_webhook_requests_total{code=\"404\",receiver=\"unknown\"}"));
  EXPECT_TRUE(imgauto_->Running()) << imgauto_->Stderr();
}

TEST_F(WebhookIntegrationTest, GenericHmacWithAValidSignatureScans) {
  StartImgauto();
  WaitServing();
  ASSERT_TRUE(registry_->PushImage("acme/app", "1.5.0"));
  // The registry's own notification may already have scanned; either way the generic-hmac
  // request must be accepted and request a scan of "app".
  const std::string body = "{\"source\":\"ci\"}";
  Result<testing::CommandResult> mac = testing::RunCommand(
      {"sh", "-c", "printf '%s' '" + body + "' | openssl dgst -sha256 -hmac '" + kToken +
                       "' | sed 's/^.*= //'"});
  ASSERT_TRUE(mac);
  std::string hex = mac->stdout_text;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  Result<http::Response> r = Post(HookPath("ci"), body, {{"X-Signature", "sha256=" + hex}});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(r->body, HasSubstr("flux-system/app"));
  ASSERT_TRUE(Eventually([&] { return Show().find(":1.5.0 #") != std::string::npos; },
                         std::chrono::seconds(30)))
      << imgauto_->Stderr();
}

}  // namespace
}  // namespace imgauto
