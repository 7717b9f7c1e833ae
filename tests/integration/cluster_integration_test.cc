// The in-cluster controllers end to end: the built binary (`imgauto controllers` / `reflector`)
// against the loopback Kubernetes API server (tests/servers/fake_kube_api_server.h), with
// Debian's docker-registry for images and lighttpd + git http-backend for the repository.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/http/beast_client.h"
#include "core/sha256.h"
#include "tests/servers/fake_kube_api_server.h"
#include "tests/support/eventually.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/git_servers.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace imgauto {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;
using testing::FakeKubeApiServer;
using testing::MetricSample;
using testing::ScrapeMetrics;
using testing::GitHttpServer;
using testing::Eventually;
using testing::RevParse;
using testing::RunGit;
using testing::TempDir;
using testing::TestRegistry;

constexpr char kToken[] = "k8s-T0ken-for-tests";
constexpr char kGitPassword[] = "S3cret-Http-Pa55";
constexpr char kImageV1[] = "image.toolkit.fluxcd.io/v1";


std::string At(const std::optional<json>& obj, const json::json_pointer& pointer) {
  if (!obj || !obj->contains(pointer)) return "";
  const json& v = obj->at(pointer);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

class ClusterIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = TestRegistry::MissingTools(); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    api_ = std::make_unique<FakeKubeApiServer>(
        testing::FakeKubeApiServerOptions{.bearer_token = kToken});
    kubeconfig_ = dir_.Write("kubeconfig", R"(apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: )" + api_->base_url() + R"(}
users:
- name: controller
  user: {token: )" + kToken + R"(}
contexts:
- name: fake
  context: {cluster: fake, user: controller, namespace: flux-system}
current-context: fake
)");
    api_->Put({{"apiVersion", "v1"}, {"kind", "Namespace"},
               {"metadata", {{"name", "flux-system"}}}});
  }

  void SetUpLoop() {
    Result<std::unique_ptr<TestRegistry>> registry =
        TestRegistry::Start({.tls = false, .basic_auth = true});
    ASSERT_TRUE(registry) << registry.error().message();
    registry_ = std::move(*registry);
    for (const char* tag : {"1.0.0", "1.1.0", "latest"}) {
      ASSERT_TRUE(registry_->PushImage("acme/app", tag));
    }
    Result<std::unique_ptr<GitHttpServer>> git = GitHttpServer::Start({});
    if (!git && git.error().kind() == ErrorKind::kNotFound) GTEST_SKIP() << git.error().message();
    ASSERT_TRUE(git) << git.error().message();
    git_ = std::move(*git);
    bare_ = git_->root() / "fleet.git";
    image_ = registry_->host() + "/acme/app";
    ASSERT_TRUE(testing::CreateBareRepo(
        bare_, {{"deploy.yaml", "spec:\n  image: " + image_ +
                                    ":1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}\n"}}));

    auto meta = [](const char* name) {
      return json{{"name", name}, {"namespace", "flux-system"}};
    };
    api_->Put({{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", meta("regcred")},
               {"type", "kubernetes.io/dockerconfigjson"},
               {"stringData",
                {{".dockerconfigjson", registry_->DockerConfigJson("imgauto", "Reg1stry-Pa55word")}}}});
    api_->Put({{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", meta("git-auth")},
               {"stringData", {{"username", "gituser"}, {"password", kGitPassword}}}});
    api_->Put({{"apiVersion", kImageV1}, {"kind", "ImageRepository"}, {"metadata", meta("app")},
               {"spec", {{"image", image_}, {"interval", "1h"}, {"secretRef", {{"name", "regcred"}}}}}});
    api_->Put({{"apiVersion", kImageV1}, {"kind", "ImagePolicy"}, {"metadata", meta("app")},
               {"spec", {{"imageRepositoryRef", {{"name", "app"}}},
                         {"policy", {{"semver", {{"range", ">=1.0.0"}}}}}}}});
    api_->Put({{"apiVersion", "source.toolkit.fluxcd.io/v1"}, {"kind", "GitRepository"},
               {"metadata", meta("fleet")},
               {"spec", {{"url", git_->Url("fleet.git")}, {"interval", "1h"},
                         {"ref", {{"branch", "main"}}}, {"secretRef", {{"name", "git-auth"}}}}}});
    api_->Put({{"apiVersion", kImageV1}, {"kind", "ImageUpdateAutomation"},
               {"metadata", meta("fleet")},
               {"spec", {{"interval", "1h"},
                         {"sourceRef", {{"kind", "GitRepository"}, {"name", "fleet"}}},
                         {"git", {{"commit", {{"author", {{"name", "imgauto"},
                                                           {"email", "imgauto@example.com"}}}}},
                                  {"push", {{"branch", "main"}}}}},
                         {"update", {{"path", "./"}, {"strategy", "Setters"}}}}}});
  }

  std::unique_ptr<testing::Process> StartController(std::vector<std::string> args) {
    testing::ProcessOptions options;
    options.args = {IMGAUTO_BINARY};
    options.args.insert(options.args.end(), args.begin(), args.end());
    Result<int> port = testing::FreeLoopbackPort();
    EXPECT_TRUE(port);
    metrics_addr_ = "127.0.0.1:" + std::to_string(port ? *port : 0);
    options.args.insert(options.args.end(), {"--kubeconfig", kubeconfig_.string(), "--health-addr",
                                             "127.0.0.1:0", "--metrics-addr", metrics_addr_});
    // Each test's controllers get their own TMPDIR (where the git clone caches go).
    std::filesystem::create_directories(dir_.Path("tmp"));
    options.env = {{"HOME", dir_.path().string()},
                   {"RUNTIME_NAMESPACE", "flux-system"},
                   {"TMPDIR", dir_.Path("tmp").string()}};
    options.unset_env = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                         "no_proxy",    "ALL_PROXY",  "all_proxy",  "KUBECONFIG"};
    Result<std::unique_ptr<testing::Process>> process = testing::Process::Start(options);
    EXPECT_TRUE(process) << process.error().message();
    return process ? std::move(*process) : nullptr;
  }

  std::optional<json> Get(const char* kind, const char* name) {
    return api_->Get(kind == std::string("GitRepository") ? "source.toolkit.fluxcd.io/v1"
                                                          : kImageV1,
                     kind, "flux-system", name);
  }

  // A generic Receiver "flux-system/ci" for the ImageRepository "app", its token in the Secret
  // "webhook-token"; returns the --webhook-config file.
  std::filesystem::path WriteGenericReceiver(const std::string& token) {
    api_->Put({{"apiVersion", "v1"}, {"kind", "Secret"},
               {"metadata", {{"name", "webhook-token"}, {"namespace", "flux-system"}}},
               {"stringData", {{"token", token}}}});
    return dir_.Write("receivers.yaml", R"(apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: ci
spec:
  type: generic
  secretRef:
    name: webhook-token
  resources:
    - kind: ImageRepository
      name: app
)");
  }
  // POSTs `body` to that Receiver's path (Flux's: sha256 of token, name and namespace).
  static Result<http::Response> PostToReceiver(const std::string& address,
                                               const std::string& token, std::string body) {
    Result<http::HttpClientPtr> client = http::BeastHttpClient::Create({});
    if (!client) return client.error();
    const std::string path = "/hook/" + Sha256Hex(token + "ci" + "flux-system");
    return (*client)->Send({.method = "POST",
                            .url = "http://" + address + path,
                            .headers = {{"Content-Type", "application/json"}},
                            .body = std::move(body),
                            .deadline = std::nullopt});
  }
  // Waits (up to a minute) until the fleet's main branch deploys `tag` of the app.
  bool Deployed(const std::string& tag) {
    return Eventually(
        [&] {
          Result<std::string> text = RunGit(bare_, {"show", "main:deploy.yaml"});
          return text && text->find(":" + tag + " #") != std::string::npos;
        },
        std::chrono::seconds(60));
  }

  TempDir dir_{"cluster-it"};
  std::unique_ptr<FakeKubeApiServer> api_;
  std::filesystem::path kubeconfig_;
  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<GitHttpServer> git_;
  std::filesystem::path bare_;
  std::string image_;
  std::string metrics_addr_;
};

TEST_F(ClusterIntegrationTest, ControllersScanSelectCommitAndWriteStatus) {
  SetUpLoop();
  if (IsSkipped()) return;
  const std::string base = *RevParse(bare_, "main");
  // A second object of a kind listed at startup must be reconciled too (the initial list once
  // kept only one object per kind).
  api_->Put({{"apiVersion", kImageV1}, {"kind", "ImageRepository"},
             {"metadata", {{"name", "app-copy"}, {"namespace", "flux-system"}}},
             {"spec", {{"image", image_}, {"interval", "1h"}, {"secretRef", {{"name", "regcred"}}}}}});
  // Clone caches left in TMPDIR by earlier processes: one abandoned (its lock free), one whose
  // lock a live process (this test) holds, one without a lock but too new to judge. Only the
  // abandoned one goes.
  const std::filesystem::path tmp = dir_.Path("tmp");
  auto plant = [&](const std::string& name, bool with_lock, bool old) {
    const std::filesystem::path root = tmp / name;
    std::filesystem::create_directories(root / "flux-system" / "fleet");
    if (with_lock) std::ofstream(root / ".lock").put('\n');
    if (old) {
      std::filesystem::last_write_time(
          root, std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5));
    }
    return root;
  };
  const std::filesystem::path abandoned = plant("imgauto-git-abandoned", true, true);
  const std::filesystem::path held = plant("imgauto-git-held", true, true);
  const std::filesystem::path fresh = plant("imgauto-git-fresh", false, false);
  const int held_lock = ::open((held / ".lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(held_lock, 0);
  ASSERT_EQ(::flock(held_lock, LOCK_EX | LOCK_NB), 0);
  std::unique_ptr<testing::Process> controllers =
      StartController({"controllers", "--storage-path", dir_.Path("data").string(),
                       "--concurrent", "2"});
  ASSERT_TRUE(controllers);
  ASSERT_TRUE(Eventually(
      [&] { return !At(Get("ImageUpdateAutomation", "fleet"), json::json_pointer("/status/lastPushCommit")).empty(); },
      std::chrono::seconds(60)))
      << controllers->Stderr();
  const std::string head = *RevParse(bare_, "main");
  EXPECT_NE(head, base);
  EXPECT_EQ(At(Get("ImageUpdateAutomation", "fleet"), json::json_pointer("/status/lastPushCommit")),
            head);
  EXPECT_EQ(At(Get("ImageUpdateAutomation", "fleet"),
               json::json_pointer("/status/observedSourceRevision")),
            "main@sha1:" + head);
  Result<std::string> file = RunGit(bare_, {"show", "main:deploy.yaml"});
  EXPECT_THAT(*file, HasSubstr(image_ + ":1.1.0 #"));

  std::optional<json> repo = Get("ImageRepository", "app");
  EXPECT_EQ(At(repo, json::json_pointer("/status/lastScanResult/tagCount")), "3");
  ASSERT_TRUE(Eventually(
      [&] {
        return At(Get("ImageRepository", "app-copy"),
                  json::json_pointer("/status/lastScanResult/tagCount")) == "3";
      },
      std::chrono::seconds(30)))
      << controllers->Stderr();
  EXPECT_EQ(At(repo, json::json_pointer("/status/conditions/0/status")), "True");
  EXPECT_EQ(At(repo, json::json_pointer("/status/observedGeneration")), "1");
  std::optional<json> policy = Get("ImagePolicy", "app");
  EXPECT_EQ(At(policy, json::json_pointer("/status/latestRef/tag")), "1.1.0");

  // Events reached the API; nothing secret went anywhere.
  bool posted_event = false;
  for (const testing::KubeRequest& r : api_->Requests()) {
    posted_event |= r.method == "POST" && r.path == "/api/v1/namespaces/flux-system/events";
  }
  EXPECT_TRUE(posted_event);
  EXPECT_THAT(controllers->Stderr(), Not(HasSubstr(kToken)));
  EXPECT_THAT(controllers->Stderr(), Not(HasSubstr(kGitPassword)));

  // /metrics carries Flux's series and the compatibility ones for every kind.
  const std::string metrics = ScrapeMetrics(metrics_addr_);
  ASSERT_FALSE(metrics.empty());
  EXPECT_THAT(metrics, HasSubstr("gotk_reconcile_duration_seconds_count{kind=\"ImagePolicy\","
                                       "name=\"app\",namespace=\"flux-system\"}"));
  EXPECT_THAT(metrics, HasSubstr("controller_runtime_reconcile_total{controller="
                                       "\"imageupdateautomation\",result=\"requeue_after\"}"));
  EXPECT_THAT(metrics, HasSubstr("imgauto_image_policy_info{image=\"" + image_ +
                                       "\",name=\"app\",namespace=\"flux-system\",tag=\"1.1.0\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("gotk_reconcile_condition{kind=\"ImageRepository\",name=\"app\","
                                       "namespace=\"flux-system\",status=\"True\",type=\"Ready\"} 1"));
  // controller-runtime's queue and client series, per controller.
  for (const char* controller : {"imagerepository", "imagepolicy", "imageupdateautomation"}) {
    EXPECT_THAT(metrics, HasSubstr(std::string("workqueue_adds_total{controller=\"") +
                                         controller + "\",name=\"" + controller + "\"}"));
  }
  EXPECT_THAT(metrics, HasSubstr("rest_client_requests_total{code=\"200\",host=\""));
  EXPECT_THAT(metrics, HasSubstr("imgauto_registry_requests_total{code=\"200\",registry=\"" +
                                       registry_->host() + "\"}"));

  // Watches survive dropped connections; `flux reconcile`'s annotation makes a new scan happen
  // now, the new tag flows through policy and automation.
  api_->DropWatchConnections();
  ASSERT_TRUE(registry_->PushImage("acme/app", "1.2.0"));
  json annotated = *Get("ImageRepository", "app");
  annotated["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"] = "2026-11-23T17:00:00Z";
  api_->Put(annotated);
  ASSERT_TRUE(Deployed("1.2.0")) << controllers->Stderr();
  EXPECT_EQ(At(Get("ImageRepository", "app"), json::json_pointer("/status/lastHandledReconcileAt")),
            "2026-11-23T17:00:00Z");
  EXPECT_EQ(*RevParse(bare_, "main~1"), head);

  // The clone cache is private to the process: a fresh directory under TMPDIR (two controllers
  // on one machine once shared /tmp/imgauto-git and committed in each other's checkouts).
  auto clone_caches = [&] {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(tmp)) {
      if (entry.path().filename().string().rfind("imgauto-git-", 0) == 0 &&
          entry.path() != held && entry.path() != fresh) {
        out.push_back(entry.path());
      }
    }
    return out;
  };
  std::vector<std::filesystem::path> caches = clone_caches();
  ASSERT_EQ(caches.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(abandoned));
  EXPECT_TRUE(std::filesystem::exists(caches[0] / "flux-system" / "fleet"));
  EXPECT_TRUE(std::filesystem::exists(held / "flux-system" / "fleet"));
  EXPECT_TRUE(std::filesystem::exists(fresh / "flux-system" / "fleet"));
  ::close(held_lock);

  // Flux's finalizer is on every object; deleting the ImageRepository cleans its tag store up
  // and lets the API server remove it.
  json finalizers = Get("ImageRepository", "app")->at("metadata").value("finalizers", json());
  EXPECT_EQ(finalizers, json::array({"finalizers.fluxcd.io"}));
  EXPECT_EQ(Get("ImageUpdateAutomation", "fleet")->at("metadata").value("finalizers", json()),
            json::array({"finalizers.fluxcd.io"}));
  const std::filesystem::path tags = dir_.Path("data") / "imagerepository" / "flux-system" / "app";
  EXPECT_TRUE(std::filesystem::exists(tags));
  Result<http::HttpClientPtr> client = http::BeastHttpClient::Create({});
  ASSERT_TRUE(client);
  Result<http::Response> deleted = (*client)->Send(
      {.method = "DELETE",
       .url = api_->Url("/apis/image.toolkit.fluxcd.io/v1/namespaces/flux-system/"
                        "imagerepositories/app"),
       .headers = {{"Authorization", std::string("Bearer ") + kToken}},
       .body = "",
       .deadline = std::nullopt});
  ASSERT_TRUE(deleted);
  ASSERT_TRUE(Eventually([&] { return !Get("ImageRepository", "app"); }, std::chrono::seconds(20)))
      << controllers->Stderr();
  EXPECT_FALSE(std::filesystem::exists(tags));

  controllers->Kill(SIGTERM);
  Result<int> exited = controllers->Wait(std::chrono::seconds(20));
  if (std::getenv("IMGAUTO_TEST_VERBOSE") != nullptr) std::cerr << controllers->Stderr();
  ASSERT_TRUE(exited);
  EXPECT_EQ(*exited, 0) << controllers->Stderr();
  EXPECT_TRUE(clone_caches().empty());  // removed on the way out
}

// The cache can lag behind the controller's own writes: with watch events held back, the second
// reconcile of an object still sees it without the finalizer the first one added, and its
// finalizer patch conflicts. That reconcile must be retried: the newer version's watch event
// (a metadata-only change) triggers nothing by itself, so an object once left this way was not
// reconciled again until a spec change.
TEST_F(ClusterIntegrationTest, FinalizerConflictFromAStaleCacheIsRetried) {
  SetUpLoop();
  if (IsSkipped()) return;
  api_->Put({{"apiVersion", kImageV1}, {"kind", "ImageRepository"},
             {"metadata", {{"name", "ticker"}, {"namespace", "flux-system"}}},
             {"spec", {{"image", image_}, {"interval", "1s"}, {"secretRef", {{"name", "regcred"}}}}}});
  api_->HoldWatchEvents(true);
  std::unique_ptr<testing::Process> controllers =
      StartController({"reflector", "--storage-path", dir_.Path("data").string(),
                       "--min-retry-delay=100ms", "--max-retry-delay=500ms"});
  ASSERT_TRUE(controllers);
  const std::string count =
      "gotk_reconcile_duration_seconds_count{kind=\"ImageRepository\",name=\"ticker\","
      "namespace=\"flux-system\"}";
  ASSERT_TRUE(Eventually(
      [&] { return MetricSample(ScrapeMetrics(metrics_addr_), count).value_or(0) >= 1; },
      std::chrono::seconds(20)))
      << controllers->Stderr();
  // The 1s requeue comes while the cache still lacks the finalizer.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  // Meanwhile the stale cache made the finalizer patch conflict.
  bool conflicted = false;
  for (const testing::KubeRequest& r : api_->Requests()) {
    conflicted |= r.method == "PATCH" && r.status == 409 &&
                  r.path == "/apis/image.toolkit.fluxcd.io/v1/namespaces/flux-system/"
                            "imagerepositories/ticker";
  }
  EXPECT_TRUE(conflicted);
  api_->HoldWatchEvents(false);
  std::string text;
  EXPECT_TRUE(Eventually(
      [&] {
        text = ScrapeMetrics(metrics_addr_);
        return MetricSample(text, count).value_or(0) >= 3;
      },
      std::chrono::seconds(15)))
      << text << controllers->Stderr();
  controllers->Kill(SIGTERM);
  EXPECT_TRUE(controllers->Wait(std::chrono::seconds(20)));
}

TEST_F(ClusterIntegrationTest, RegistryWebhookRequestsAScanThroughTheAnnotation) {
  SetUpLoop();
  if (IsSkipped()) return;
  const std::string token = "cluster-hook-T0ken";
  const std::filesystem::path config = WriteGenericReceiver(token);
  Result<int> port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port);
  const std::string webhook_addr = "127.0.0.1:" + std::to_string(*port);
  std::unique_ptr<testing::Process> controllers = StartController(
      {"controllers", "--storage-path", dir_.Path("data").string(), "--webhook-config",
       config.string(), "--webhook-addr", webhook_addr});
  ASSERT_TRUE(controllers);
  ASSERT_TRUE(Deployed("1.1.0")) << controllers->Stderr();
  // The interval is an hour: only the webhook can bring 1.2.0 in.
  ASSERT_TRUE(registry_->PushImage("acme/app", "1.2.0"));
  Result<http::Response> posted = PostToReceiver(webhook_addr, token, "{}");
  ASSERT_TRUE(posted) << posted.error().message();
  EXPECT_EQ(posted->status, 200) << posted->body;
  ASSERT_TRUE(Deployed("1.2.0")) << controllers->Stderr();
  // Like Flux's Receiver: the request is recorded on the object.
  EXPECT_FALSE(At(Get("ImageRepository", "app"),
                  json::json_pointer("/metadata/annotations/reconcile.fluxcd.io~1requestedAt"))
                   .empty());
  EXPECT_THAT(controllers->Stderr(), Not(HasSubstr(token)));
  controllers->Kill(SIGTERM);
  EXPECT_TRUE(controllers->Wait(std::chrono::seconds(20)));
}

// Flux's layout: the reflector and the automation controller in two processes. The reflector
// measures the detection and publishes it on the ImagePolicy; the automation controller
// finishes the lead time when it pushes.
TEST_F(ClusterIntegrationTest, LeadTimeIsMeasuredAcrossTheTwoControllers) {
  SetUpLoop();
  if (IsSkipped()) return;
  const std::string token = "split-hook-T0ken";
  const std::filesystem::path config = WriteGenericReceiver(token);
  Result<int> port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port);
  const std::string webhook_addr = "127.0.0.1:" + std::to_string(*port);
  std::unique_ptr<testing::Process> reflector = StartController(
      {"reflector", "--storage-path", dir_.Path("data").string(), "--webhook-config",
       config.string(), "--webhook-addr", webhook_addr});
  ASSERT_TRUE(reflector);
  std::unique_ptr<testing::Process> automation = StartController({"automation"});
  ASSERT_TRUE(automation);
  const std::string automation_metrics = metrics_addr_;
  ASSERT_TRUE(Deployed("1.1.0")) << reflector->Stderr() << automation->Stderr();
  ASSERT_TRUE(registry_->PushImage("acme/app", "1.2.0"));
  // A generic receiver told which image and tag were pushed.
  Result<http::Response> posted = PostToReceiver(
      webhook_addr, token, "{\"image\":\"" + image_ + "\",\"tag\":\"1.2.0\"}");
  ASSERT_TRUE(posted) << posted.error().message();
  ASSERT_EQ(posted->status, 200) << posted->body;
  ASSERT_TRUE(Deployed("1.2.0")) << reflector->Stderr() << automation->Stderr();
  // The policy carries the reflector's measurement...
  EXPECT_THAT(At(Get("ImagePolicy", "app"),
                 json::json_pointer("/metadata/annotations/imgauto.io~1detection")),
              HasSubstr("\"source\":\"webhook\""));
  // ...and the automation controller's /metrics has the lead time.
  std::string scraped;
  ASSERT_TRUE(Eventually(
      [&] {
        scraped = ScrapeMetrics(automation_metrics);
        return scraped.find("imgauto_lead_time_seconds_count{source=\"webhook\"} 1") !=
               std::string::npos;
      },
      std::chrono::seconds(10)))
      << scraped;
  reflector->Kill(SIGTERM);
  automation->Kill(SIGTERM);
  EXPECT_TRUE(reflector->Wait(std::chrono::seconds(20)));
  EXPECT_TRUE(automation->Wait(std::chrono::seconds(20)));
}

// Two replicas behind the webhook Service: the standby one receives the registry's event and
// hands it over on the ImageRepository; the leader scans, and its metrics attribute the detection
// to the webhook with the event's push time (TestRegistry images carry no `created`, so without
// the handover there would be no lead time at all).
TEST_F(ClusterIntegrationTest, WebhookReceivedByTheStandbyIsMeasuredOnTheLeader) {
  SetUpLoop();
  if (IsSkipped()) return;
  const std::string token = "standby-hook-T0ken";
  const std::filesystem::path config = WriteGenericReceiver(token);
  const std::vector<std::string> election = {
      "--enable-leader-election", "--leader-election-lease-duration=10s",
      "--leader-election-renew-deadline=8s", "--leader-election-retry-period=300ms"};
  auto args = [&](const std::string& data, std::vector<std::string> extra) {
    std::vector<std::string> out = {"controllers", "--storage-path", dir_.Path(data).string()};
    out.insert(out.end(), election.begin(), election.end());
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  };
  std::unique_ptr<testing::Process> leader = StartController(args("data-leader", {}));
  ASSERT_TRUE(leader);
  const std::string leader_metrics = metrics_addr_;
  ASSERT_TRUE(Deployed("1.1.0")) << leader->Stderr();
  Result<int> port = testing::FreeLoopbackPort();
  ASSERT_TRUE(port);
  const std::string webhook_addr = "127.0.0.1:" + std::to_string(*port);
  std::unique_ptr<testing::Process> standby = StartController(
      args("data-standby", {"--webhook-config", config.string(), "--webhook-addr", webhook_addr}));
  ASSERT_TRUE(standby);
  const std::string standby_metrics = metrics_addr_;
  // The standby serves its receivers once it has loaded them, without the lease.
  ASSERT_TRUE(Eventually(
      [&] {
        return ScrapeMetrics(standby_metrics)
                   .find("imgauto_webhook_silent{receiver=\"flux-system/ci\"}") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << standby->Stderr();
  const std::string lease =
      "leader_election_master_status{name=\"imgauto-controllers-leader-election\"}";
  {
    // The lease gauge appears once the standby campaigns (after its caches synced).
    std::string text;
    EXPECT_TRUE(Eventually(
        [&] {
          text = ScrapeMetrics(standby_metrics);
          return MetricSample(text, lease).has_value();
        },
        std::chrono::seconds(10)));
    EXPECT_EQ(MetricSample(text, lease), 0.0) << text;
    // A standby queues nothing (its caches are full, its queues empty) and reconciles nothing.
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("workqueue_depth{", 0) == 0 || line.rfind("workqueue_adds_total{", 0) == 0) {
        EXPECT_EQ(std::strtod(line.c_str() + line.rfind(' '), nullptr), 0.0) << line;
      }
    }
    EXPECT_EQ(MetricSample(text, "controller_runtime_reconcile_time_seconds_count{").value_or(0),
              0.0)
        << text;
  }

  ASSERT_TRUE(registry_->PushImage("acme/app", "1.2.0"));
  Result<http::Response> posted = PostToReceiver(
      webhook_addr, token, "{\"image\":\"" + image_ + "\",\"tag\":\"1.2.0\"}");
  ASSERT_TRUE(posted) << posted.error().message();
  ASSERT_EQ(posted->status, 200) << posted->body;
  ASSERT_TRUE(Deployed("1.2.0")) << leader->Stderr() << standby->Stderr();
  EXPECT_THAT(At(Get("ImageRepository", "app"),
                 json::json_pointer("/metadata/annotations/imgauto.io~1webhook-pushes")),
              HasSubstr("\"tag\":\"1.2.0\""));
  std::string scraped;
  EXPECT_TRUE(Eventually(
      [&] {
        scraped = ScrapeMetrics(leader_metrics);
        return scraped.find(
                   "imgauto_image_detection_latency_seconds_count{source=\"webhook\"} 1") !=
                   std::string::npos &&
               scraped.find("imgauto_lead_time_seconds_count{source=\"webhook\"} 1") !=
                   std::string::npos;
      },
      std::chrono::seconds(10)))
      << scraped;

  // The leader goes (releasing the lease); the standby takes over and reconciles every object
  // without any change to them.
  leader->Kill(SIGTERM);
  EXPECT_TRUE(leader->Wait(std::chrono::seconds(20)));
  std::string taken;
  EXPECT_TRUE(Eventually(
      [&] {
        taken = ScrapeMetrics(standby_metrics);
        return MetricSample(taken, lease) == 1.0 &&
               MetricSample(taken, "controller_runtime_reconcile_time_seconds_count{controller="
                             "\"imagerepository\"}")
                       .value_or(0) >= 1 &&
               MetricSample(taken, "controller_runtime_reconcile_time_seconds_count{controller="
                             "\"imagepolicy\"}")
                       .value_or(0) >= 1 &&
               MetricSample(taken, "controller_runtime_reconcile_time_seconds_count{controller="
                             "\"imageupdateautomation\"}")
                       .value_or(0) >= 1;
      },
      std::chrono::seconds(30)))
      << taken << standby->Stderr();
  standby->Kill(SIGTERM);
  EXPECT_TRUE(standby->Wait(std::chrono::seconds(20)));
}

TEST_F(ClusterIntegrationTest, LeaderElectionHandsOverOnShutdown) {
  const std::vector<std::string> args = {
      "reflector", "--enable-leader-election", "--leader-election-lease-duration=4s",
      "--leader-election-renew-deadline=3s", "--leader-election-retry-period=300ms",
      "--storage-path", dir_.Path("data").string()};
  std::unique_ptr<testing::Process> first = StartController(args);
  ASSERT_TRUE(first);
  auto holder = [&] {
    std::optional<json> lease = api_->Get("coordination.k8s.io/v1", "Lease", "flux-system",
                                          "image-reflector-controller-leader-election");
    return At(lease, json::json_pointer("/spec/holderIdentity"));
  };
  ASSERT_TRUE(Eventually([&] { return !holder().empty(); }, std::chrono::seconds(20)))
      << first->Stderr();
  const std::string first_holder = holder();
  std::unique_ptr<testing::Process> second = StartController(args);
  ASSERT_TRUE(second);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(holder(), first_holder);  // the second one waits

  first->Kill(SIGTERM);  // releases the lease on the way out
  Result<int> exited = first->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(exited);
  EXPECT_EQ(*exited, 0) << first->Stderr();
  ASSERT_TRUE(Eventually(
      [&] {
        std::string h = holder();
        return !h.empty() && h != first_holder;
      },
      std::chrono::seconds(10)))
      << second->Stderr();
  EXPECT_TRUE(second->Running());
  second->Stop();
}

TEST_F(ClusterIntegrationTest, UnservedGroupIsAClearError) {
  api_->SetServedVersions("image.toolkit.fluxcd.io", {});
  std::unique_ptr<testing::Process> p =
      StartController({"reflector", "--storage-path", dir_.Path("data").string()});
  ASSERT_TRUE(p);
  Result<int> exited = p->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(exited);
  EXPECT_EQ(*exited, 1);
  EXPECT_THAT(p->Stderr(), HasSubstr("image.toolkit.fluxcd.io"));
}

}  // namespace
}  // namespace imgauto
