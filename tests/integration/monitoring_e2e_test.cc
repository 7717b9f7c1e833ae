// Monitoring end to end: a real Prometheus (Debian's /usr/bin/prometheus) scrapes two running
// imgauto processes after a scripted scenario, and every PromQL expression of
// manifests/monitoring (each alert rule, each dashboard panel target and variable, as
// scripts/promql-exprs.sh prints them) is evaluated through Prometheus's HTTP API and must return
// at least one sample with a finite value. A failure lists every expression without data at once.
//
// The two scrape targets:
// - `imgauto run` (standalone) with a manifests directory, Debian's docker-registry sending its
//   notifications to a `distribution` Receiver, and lighttpd + git http-backend: image pushes
//   reach git through the webhook (lead time, detection latency, webhook series, successful git
//   pushes); a `generic` Receiver that never hears anything (silent); a suspended repository; an
//   hourly repository that scans once (not scanned); a policy with an invalid regex (Ready
//   False, failures by reason); repositories whose image appears only later (time to restore);
//   a repository polled every 2 s whose images were built hours ago (slow poll detection).
// - `imgauto controllers` (in-cluster) against the loopback Kubernetes API server with leader
//   election (workqueue_*, rest_client_requests_total, leader_election_master_status), a
//   repository on a registry that answers 429 to everything (rate limited), and an automation
//   whose pushes a pre-receive hook rejects (failed runs and git pushes). The failing pushes run
//   here rather than next to the successful ones: ImageGitPushFailures fires only for an
//   instance none of whose pushes succeeded.
//
// Histograms and counters that appear with their first observation need a second one after
// Prometheus scraped the first (rate() and increase() see no growth in a series' first sample),
// so the scenario runs in two phases around Prometheus's start.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/http/beast_client.h"
#include "core/sha256.h"
#include "tests/servers/fake_kube_api_server.h"
#include "tests/servers/test_http_server.h"
#include "tests/support/eventually.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/git_servers.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace imgauto {
namespace {

using nlohmann::json;
using testing::Eventually;
using testing::FakeKubeApiServer;
using testing::GitHttpServer;
using testing::PrometheusServer;
using testing::TempDir;
using testing::TestRegistry;

constexpr char kHookToken[] = "m0nitoring-Hook-T0ken";
constexpr char kKubeToken[] = "m0nitoring-K8s-T0ken";
constexpr char kImageV1[] = "image.toolkit.fluxcd.io/v1";
constexpr auto kStepWait = std::chrono::seconds(30);
// How long the expressions may take, all together, to return data once the scenario ran.
constexpr auto kQueryDeadline = std::chrono::seconds(60);

const std::filesystem::path kManifestsDir = IMGAUTO_MANIFESTS_DIR;
const std::filesystem::path kRulesFile =
    kManifestsDir / "monitoring" / "rules" / "imgauto.rules.yml";
const std::filesystem::path kExprScript =
    kManifestsDir.parent_path() / "scripts" / "promql-exprs.sh";

// Expressions allowed to return no data here, by origin (as `promql-exprs.sh --origin` prints
// it) with the reason. Only for expressions that need hours of real history; each entry must be
// reported to the owner of the rules and dashboards. Empty: every expression is checked.
const std::map<std::string, std::string> kNoDataAllowed = {};

// The standalone process's objects; {registry}, {token} and {fleet-url} are filled in.
constexpr char kStandaloneManifests[] = R"(apiVersion: v1
kind: Secret
metadata:
  name: webhook-token
stringData:
  token: {token}
---
apiVersion: v1
kind: Secret
metadata:
  name: git-auth
stringData:
  username: gituser
  password: S3cret-Http-Pa55
---
# The registry's notifications: pushes reach git without waiting for the hourly poll.
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
# Configured, never called: silent once the 2 s poll interval of what it covers has passed.
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: quiet
spec:
  type: generic
  secretRef:
    name: webhook-token
  resources:
    - kind: ImageRepository
      name: slow
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  labels:
    webhook: enabled
spec:
  image: {registry}/acme/app
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
  url: {fleet-url}
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
---
# Polled every 2 s; its images were built hours before they were pushed.
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: slow
spec:
  image: {registry}/acme/slow
  interval: 2s
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: slow
spec:
  imageRepositoryRef:
    name: slow
  policy:
    semver:
      range: ">=1.0.0"
---
# Scans once: its next scan is an hour away.
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: hourly
spec:
  image: {registry}/acme/hourly
  interval: 1h
---
# An invalid regular expression: Stalled, Ready False.
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: broken
spec:
  imageRepositoryRef:
    name: hourly
  filterTags:
    pattern: '^v(['
  policy:
    semver:
      range: ">=1.0.0"
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: paused
spec:
  image: {registry}/acme/app
  interval: 1h
  suspend: true
---
# Their images do not exist yet (404: Ready False); pushing them restores the repositories
# through the registry's notification.
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: late-a
  labels:
    webhook: enabled
spec:
  image: {registry}/acme/late-a
  interval: 1h
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: late-b
  labels:
    webhook: enabled
spec:
  image: {registry}/acme/late-b
  interval: 1h
)";

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// Flux's receiver path: sha256(token + name + namespace).
std::string HookPath(const std::string& name) {
  return "/hook/" + Sha256Hex(std::string(kHookToken) + name + "flux-system");
}

std::string Tail(const std::string& text, std::size_t max_bytes = 3000) {
  return text.size() <= max_bytes ? text : "…" + text.substr(text.size() - max_bytes);
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

Result<http::HttpClientPtr> PlainClient() {
  return http::BeastHttpClient::Create(
      {.timeout = std::chrono::seconds(10), .proxy_from_environment = false});
}

// Pushes an OCI image whose config records `created` to repo:tag through the distribution API
// (TestRegistry::PushImage writes no `created`, so its images are never measured by polling).
Result<void> PushImageCreatedAt(const TestRegistry& registry, const std::string& repo,
                                const std::string& tag, const std::string& created) {
  Result<http::HttpClientPtr> client = PlainClient();
  if (!client) return client.error();
  auto send = [&](const std::string& method, const std::string& url,
                  const std::string& content_type, const std::string& body) {
    http::HeaderList headers;
    if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
    return (*client)->Send(
        {.method = method, .url = url, .headers = headers, .body = body, .deadline = std::nullopt});
  };
  const std::string base = registry.base_url() + "/v2/" + repo;
  auto upload = [&](const std::string& data) -> Result<std::string> {
    const std::string digest = "sha256:" + Sha256Hex(data);
    Result<http::Response> started = send("POST", base + "/blobs/uploads/", "", "");
    if (!started) return started.error();
    std::optional<std::string> location = started->Header("Location");
    if (started->status != 202 || !location) {
      return Error(ErrorKind::kInternal,
                   "blob upload start answered " + std::to_string(started->status));
    }
    std::string url = location->rfind("/", 0) == 0 ? registry.base_url() + *location : *location;
    url += (url.find('?') == std::string::npos ? "?digest=" : "&digest=") + digest;
    Result<http::Response> put = send("PUT", url, "application/octet-stream", data);
    if (!put) return put.error();
    if (put->status != 201) {
      return Error(ErrorKind::kInternal, "blob upload answered " + std::to_string(put->status));
    }
    return digest;
  };
  const std::string config =
      json{{"architecture", "amd64"},
           {"os", "linux"},
           {"created", created},
           {"config", {{"Labels", {{"org.imgauto.test", repo + ":" + tag}}}}},
           {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}}
          .dump();
  const std::string layer = "layer of " + repo + ":" + tag;
  Result<std::string> config_digest = upload(config);
  if (!config_digest) return config_digest.error();
  Result<std::string> layer_digest = upload(layer);
  if (!layer_digest) return layer_digest.error();
  const std::string manifest = json{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
        {"digest", *config_digest},
        {"size", config.size()}}},
      {"layers",
       {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
         {"digest", *layer_digest},
         {"size", layer.size()}}}}}.dump();
  Result<http::Response> put = send("PUT", base + "/manifests/" + tag,
                                    "application/vnd.oci.image.manifest.v1+json", manifest);
  if (!put) return put.error();
  if (put->status != 201) {
    return Error(ErrorKind::kInternal,
                 "manifest upload answered " + std::to_string(put->status) + " " + put->body);
  }
  return {};
}

// True when a query result holds at least one sample whose value is a finite number: what a
// panel shows as a value (NaN from a quantile or a ratio over no observations shows nothing).
bool HasFiniteSample(const json& result) {
  auto finite = [](const json& value) {
    if (!value.is_array() || value.size() != 2 || !value[1].is_string()) return false;
    return std::isfinite(std::strtod(value[1].get<std::string>().c_str(), nullptr));
  };
  if (!result.is_array()) return false;
  if (result.size() == 2 && result[1].is_string()) return finite(result);  // a scalar
  for (const json& element : result) {
    if (element.is_object() && element.contains("value") && finite(element["value"])) return true;
  }
  return false;
}

struct Expression {
  std::string origin;  // "rules/imgauto.rules.yml#alert=…", "dashboards/…#panel=…,ref=…"
  std::string promql;
};

// Every expression of the monitoring assets, from scripts/promql-exprs.sh --origin.
Result<std::vector<Expression>> MonitoringExpressions() {
  Result<testing::CommandResult> run = testing::RunCommand(
      {"bash", kExprScript.string(), "--origin", (kManifestsDir / "monitoring").string()});
  if (!run) return run.error();
  if (run->exit_code != 0) {
    return Error(ErrorKind::kInternal, "promql-exprs.sh exited " + std::to_string(run->exit_code) +
                                           ": " + run->stderr_text);
  }
  std::vector<Expression> out;
  std::istringstream lines(run->stdout_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const std::size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      return Error(ErrorKind::kInternal, "promql-exprs.sh: line without origin: " + line);
    }
    out.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return out;
}

class MonitoringE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    IMGAUTO_REQUIRE_REGISTRY_TOOLS();
    IMGAUTO_REQUIRE_PROMETHEUS();
    for (std::string* address : {&webhook_addr_, &standalone_metrics_, &cluster_metrics_}) {
      Result<int> port = testing::FreeLoopbackPort();
      ASSERT_TRUE(port) << port.error().message();
      *address = Loopback(*port);
    }
    Result<std::unique_ptr<TestRegistry>> registry =
        TestRegistry::Start({.tls = false,
                             .basic_auth = false,
                             .notify_url = "http://" + webhook_addr_ + HookPath("registry")});
    ASSERT_TRUE(registry) << registry.error().message();
    registry_ = std::move(*registry);
    Result<std::unique_ptr<GitHttpServer>> git = GitHttpServer::Start({});
    if (!git && git.error().kind() == ErrorKind::kNotFound) GTEST_SKIP() << git.error().message();
    ASSERT_TRUE(git) << git.error().message();
    git_ = std::move(*git);
    // Answers every request with 429 and Retry-After, like a registry out of pull quota.
    limited_ = std::make_unique<testing::TestHttpServer>(testing::TestServerOptions{
        .handler = [](const testing::RecordedRequest&, testing::TestResponse& response) {
          response.status = 429;
          response.SetHeader("Retry-After", "1");
          response.SetHeader("Content-Type", "application/json");
          response.body = R"({"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]})";
        }});
    app_ = registry_->host() + "/acme/app";
  }

  void TearDown() override {
    if (standalone_) standalone_->Stop();
    if (cluster_) cluster_->Stop();
  }

  // What a human pushed before imgauto started: images and the two git repositories.
  void SeedRegistryAndGit() {
    ASSERT_TRUE(registry_->PushImage("acme/app", "1.0.0"));
    ASSERT_TRUE(registry_->PushImage("acme/hourly", "1.0.0"));
    Result<void> slow = PushImageCreatedAt(*registry_, "acme/slow", "1.0.0", HoursAgo(3));
    ASSERT_TRUE(slow) << slow.error().message();

    fleet_ = git_->root() / "fleet.git";
    ASSERT_TRUE(testing::CreateBareRepo(
        fleet_, {{"apps/compose.yaml", "services:\n  app:\n    image: " + app_ +
                                           ":1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}\n"}}));
    // The cluster's automation has a change to push (0.9.0 → the latest tag), which the
    // remote refuses.
    const std::filesystem::path denied = git_->root() / "denied.git";
    ASSERT_TRUE(testing::CreateBareRepo(
        denied, {{"deploy.yaml", "spec:\n  image: " + app_ +
                                     ":0.9.0 # {\"$imagepolicy\": \"flux-system:app\"}\n"}}));
    const std::filesystem::path hook = denied / "hooks" / "pre-receive";
    std::filesystem::create_directories(hook.parent_path());
    std::ofstream(hook) << "#!/bin/sh\necho 'pushes are closed here' >&2\nexit 1\n";
    ASSERT_EQ(chmod(hook.c_str(), 0755), 0);
  }

  static std::string HoursAgo(int hours) {
    return Rfc3339(std::chrono::system_clock::now() - std::chrono::hours(hours));
  }

  void WriteStandaloneManifests() {
    std::string manifests = kStandaloneManifests;
    for (const auto& [placeholder, value] : std::vector<std::pair<std::string, std::string>>{
             {"{registry}", registry_->host()},
             {"{token}", kHookToken},
             {"{fleet-url}", git_->Url("fleet.git")}}) {
      for (std::size_t at = manifests.find(placeholder); at != std::string::npos;
           at = manifests.find(placeholder, at + value.size())) {
        manifests.replace(at, placeholder.size(), value);
      }
    }
    dir_.Write("manifests/objects.yaml", manifests);
  }

  void StartStandalone() {
    testing::ProcessOptions options;
    options.args = {IMGAUTO_BINARY,   "run",
                    "--manifests",    dir_.Path("manifests").string(),
                    "--state-dir",    dir_.Path("state").string(),
                    "--metrics-addr", standalone_metrics_,
                    "--health-addr",  "",
                    "--webhook-addr", webhook_addr_};
    options.unset_env = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                         "NO_PROXY",    "no_proxy",    "ALL_PROXY",  "all_proxy"};
    options.env = {{"HOME", dir_.Path("state").string()}};
    Result<std::unique_ptr<testing::Process>> p = testing::Process::Start(options);
    ASSERT_TRUE(p) << p.error().message();
    standalone_ = std::move(*p);
  }

  void StartCluster() {
    api_ = std::make_unique<FakeKubeApiServer>(
        testing::FakeKubeApiServerOptions{.bearer_token = kKubeToken});
    const std::filesystem::path kubeconfig = dir_.Write("kubeconfig", R"(apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: )" + api_->base_url() + R"(}
users:
- name: controller
  user: {token: )" + kKubeToken + R"(}
contexts:
- name: fake
  context: {cluster: fake, user: controller, namespace: flux-system}
current-context: fake
)");
    auto meta = [](const char* name) { return json{{"name", name}, {"namespace", "flux-system"}}; };
    api_->Put(
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "flux-system"}}}});
    api_->Put({{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", meta("git-auth")},
               {"stringData", {{"username", "gituser"}, {"password", "S3cret-Http-Pa55"}}}});
    api_->Put({{"apiVersion", kImageV1},
               {"kind", "ImageRepository"},
               {"metadata", meta("app")},
               {"spec", {{"image", app_}, {"interval", "1h"}}}});
    api_->Put({{"apiVersion", kImageV1},
               {"kind", "ImagePolicy"},
               {"metadata", meta("app")},
               {"spec",
                {{"imageRepositoryRef", {{"name", "app"}}},
                 {"policy", {{"semver", {{"range", ">=1.0.0"}}}}}}}});
    api_->Put({{"apiVersion", "source.toolkit.fluxcd.io/v1"},
               {"kind", "GitRepository"},
               {"metadata", meta("denied")},
               {"spec",
                {{"url", git_->Url("denied.git")},
                 {"interval", "1h"},
                 {"ref", {{"branch", "main"}}},
                 {"secretRef", {{"name", "git-auth"}}}}}});
    api_->Put(
        {{"apiVersion", kImageV1},
         {"kind", "ImageUpdateAutomation"},
         {"metadata", meta("denied")},
         {"spec",
          {{"interval", "1h"},
           {"sourceRef", {{"kind", "GitRepository"}, {"name", "denied"}}},
           {"git",
            {{"commit", {{"author", {{"name", "imgauto"}, {"email", "imgauto@example.com"}}}}},
             {"push", {{"branch", "main"}}}}},
           {"update", {{"path", "./"}, {"strategy", "Setters"}}}}}});

    testing::ProcessOptions options;
    // Short retry delays keep the failing objects failing (and the queues busy) while
    // Prometheus watches; short leader-election periods keep the API client busy.
    options.args = {IMGAUTO_BINARY,
                    "controllers",
                    "--kubeconfig",
                    kubeconfig.string(),
                    "--storage-path",
                    dir_.Path("cluster-data").string(),
                    "--metrics-addr",
                    cluster_metrics_,
                    "--health-addr",
                    "127.0.0.1:0",
                    "--min-retry-delay=500ms",
                    "--max-retry-delay=2s",
                    "--enable-leader-election",
                    "--leader-election-lease-duration=10s",
                    "--leader-election-renew-deadline=8s",
                    "--leader-election-retry-period=1s"};
    options.env = {{"HOME", dir_.path().string()}, {"RUNTIME_NAMESPACE", "flux-system"}};
    options.unset_env = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                         "no_proxy",    "ALL_PROXY",   "all_proxy",  "KUBECONFIG"};
    Result<std::unique_ptr<testing::Process>> p = testing::Process::Start(options);
    ASSERT_TRUE(p) << p.error().message();
    cluster_ = std::move(*p);

    // A second repository, created while the controllers run (a watch event), once the first one
    // carries Flux's finalizer.
    ASSERT_TRUE(Eventually(
        [&] {
          std::optional<json> app = api_->Get(kImageV1, "ImageRepository", "flux-system", "app");
          return app && !app->at("metadata").value("finalizers", json::array()).empty();
        },
        kStepWait))
        << Tail(cluster_->Stderr());
    // Last scanned 4 hours ago (by Flux, before the migration); every scan since is rate limited,
    // so it has not been scanned for more than 3 intervals.
    api_->Put({{"apiVersion", kImageV1},
               {"kind", "ImageRepository"},
               {"metadata", meta("limited")},
               {"spec", {{"image", limited_->host() + "/acme/limited"}, {"interval", "1h"}}},
               {"status",
                {{"lastScanResult",
                  {{"tagCount", 1}, {"scanTime", HoursAgo(4)}, {"latestTags", {"1.0.0"}}}}}}});
  }

  // Waits until every series in `minimums` has a sample at least that large at `address`.
  void WaitForSamples(const std::string& address, const std::map<std::string, double>& minimums,
                      testing::Process& process) {
    std::string exposition;
    std::vector<std::string> missing;
    const bool reached = Eventually(
        [&] {
          exposition = testing::ScrapeMetrics(address);
          missing.clear();
          for (const auto& [series, minimum] : minimums) {
            std::optional<double> value = testing::MetricSample(exposition, series);
            if (!value || *value < minimum) missing.push_back(series);
          }
          return missing.empty();
        },
        kStepWait);
    std::string names;
    for (const std::string& series : missing) names += "\n  " + series;
    ASSERT_TRUE(reached) << "not reached at " << address << ":" << names << "\n--- stderr:\n"
                         << Tail(process.Stderr()) << "\n--- exposition:\n"
                         << Tail(exposition, 6000);
  }

  double Value(const std::string& address, const std::string& series) {
    return testing::MetricSample(testing::ScrapeMetrics(address), series).value_or(0);
  }

  TempDir dir_{"monitoring-e2e"};
  std::string webhook_addr_;
  std::string standalone_metrics_;
  std::string cluster_metrics_;
  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<GitHttpServer> git_;
  std::unique_ptr<testing::TestHttpServer> limited_;
  std::unique_ptr<FakeKubeApiServer> api_;
  std::string app_;
  std::filesystem::path fleet_;
  // Declared last: destroyed (stopped) before the servers they talk to.
  std::unique_ptr<testing::Process> standalone_;
  std::unique_ptr<testing::Process> cluster_;
};

TEST_F(MonitoringE2ETest, EveryAlertAndDashboardExpressionReturnsData) {
  Result<std::vector<Expression>> expressions = MonitoringExpressions();
  ASSERT_TRUE(expressions) << expressions.error().message();
  std::set<std::string> origin_files;
  for (const Expression& e : *expressions) {
    origin_files.insert(e.origin.substr(0, e.origin.find('#')));
  }
  // The script read the rule file and both dashboards (an empty list would prove nothing).
  ASSERT_TRUE(origin_files.contains("rules/imgauto.rules.yml"))
      << ::testing::PrintToString(origin_files);
  ASSERT_TRUE(origin_files.contains("dashboards/imgauto-cluster.json"));
  ASSERT_TRUE(origin_files.contains("dashboards/imgauto-dora.json"));

  ASSERT_NO_FATAL_FAILURE(SeedRegistryAndGit());
  ASSERT_NO_FATAL_FAILURE(WriteStandaloneManifests());
  ASSERT_NO_FATAL_FAILURE(StartStandalone());
  ASSERT_NO_FATAL_FAILURE(StartCluster());

  // Phase 1, before Prometheus: every object reconciled once, and the first observation of
  // each lazily created series (webhook lead time, restore, poll detection) made.
  const std::string condition = "gotk_reconcile_condition{kind=\"ImageRepository\",name=\"";
  ASSERT_NO_FATAL_FAILURE(WaitForSamples(
      standalone_metrics_,
      {{"flux_image_automation_run_total{name=\"app\",namespace=\"flux-system\"", 1},
       {condition + "late-a\",namespace=\"flux-system\",status=\"False\",type=\"Ready\"}", 1},
       {condition + "late-b\",namespace=\"flux-system\",status=\"False\",type=\"Ready\"}", 1},
       {"gotk_reconcile_condition{kind=\"ImagePolicy\",name=\"broken\",namespace=\"flux-system\","
        "status=\"False\",type=\"Ready\"}",
        1},
       {"gotk_suspend_status{kind=\"ImageRepository\",name=\"paused\",namespace=\"flux-system\"}",
        1},
       {"imgauto_image_detection_latency_seconds_count{source=\"poll\"}", 1},
       {"imgauto_webhook_silent{receiver=\"flux-system/quiet\"}", 1}},
      *standalone_));
  ASSERT_TRUE(registry_->PushImage("acme/app", "2.0.0"));
  ASSERT_TRUE(registry_->PushImage("acme/late-a", "1.0.0"));
  ASSERT_NO_FATAL_FAILURE(
      WaitForSamples(standalone_metrics_,
                     {{"imgauto_lead_time_seconds_count{source=\"webhook\"}", 1},
                      {"imgauto_git_pushes_total{result=\"success\"}", 1},
                      {"imgauto_time_to_restore_seconds_count{kind=\"ImageRepository\"}", 1}},
                     *standalone_));
  ASSERT_NO_FATAL_FAILURE(WaitForSamples(
      cluster_metrics_,
      {{"imgauto_git_pushes_total{result=\"failure\"}", 1},
       {"imgauto_registry_rate_limited_total{registry=\"" + limited_->host() + "\"}", 1},
       {"imgauto_image_repository_last_scan_timestamp_seconds{name=\"limited\"", 1},
       {"leader_election_master_status{", 1},
       {"rest_client_requests_total{", 1},
       {"workqueue_adds_total{controller=\"imageupdateautomation\"", 1}},
      *cluster_));

  Result<std::unique_ptr<PrometheusServer>> started = PrometheusServer::Start(
      {.targets = {standalone_metrics_, cluster_metrics_}, .rule_files = {kRulesFile}});
  ASSERT_TRUE(started) << started.error().message();
  PrometheusServer& prometheus = **started;
  ASSERT_TRUE(Eventually(
      [&] {
        Result<bool> up = prometheus.TargetsUp();
        return up && *up && prometheus.ActiveTargets().value_or(json::array()).size() == 2;
      },
      kStepWait))
      << prometheus.ActiveTargets().value_or(json()).dump(2) << "\n"
      << prometheus.Logs();
  // Prometheus holds a sample of each series before its next observation.
  for (const char* baseline :
       {"imgauto_lead_time_seconds_count", "imgauto_time_to_restore_seconds_count",
        "imgauto_image_detection_latency_seconds_count{source=\"poll\"}"}) {
    Result<json> seen = prometheus.QueryUntilData(baseline, kStepWait);
    ASSERT_TRUE(seen) << seen.error().message();
    ASSERT_FALSE(seen->empty()) << baseline;
  }

  // Phase 2, scraped: a webhook-driven update, a second restore, a slow poll detection.
  const double lead_times =
      Value(standalone_metrics_, "imgauto_lead_time_seconds_count{source=\"webhook\"}");
  const double restores =
      Value(standalone_metrics_, "imgauto_time_to_restore_seconds_count{kind=\"ImageRepository\"}");
  const double polls =
      Value(standalone_metrics_, "imgauto_image_detection_latency_seconds_count{source=\"poll\"}");
  ASSERT_TRUE(registry_->PushImage("acme/app", "3.0.0"));
  ASSERT_TRUE(registry_->PushImage("acme/late-b", "1.0.0"));
  Result<void> slow = PushImageCreatedAt(*registry_, "acme/slow", "2.0.0", HoursAgo(3));
  ASSERT_TRUE(slow) << slow.error().message();
  ASSERT_NO_FATAL_FAILURE(WaitForSamples(
      standalone_metrics_,
      {{"imgauto_lead_time_seconds_count{source=\"webhook\"}", lead_times + 1},
       {"imgauto_time_to_restore_seconds_count{kind=\"ImageRepository\"}", restores + 1},
       {"imgauto_image_detection_latency_seconds_count{source=\"poll\"}", polls + 1}},
      *standalone_));
  Result<std::string> fleet = testing::RunGit(fleet_, {"show", "main:apps/compose.yaml"});
  ASSERT_TRUE(fleet) << fleet.error().message();
  EXPECT_NE(fleet->find(app_ + ":3.0.0 #"), std::string::npos) << *fleet;

  // Every expression returns a finite sample; the ones that do not are collected and reported
  // together once the deadline passes.
  std::map<std::string, std::string> pending;  // origin → last answer
  std::map<std::string, std::string> promql;
  for (const Expression& e : *expressions) {
    if (kNoDataAllowed.contains(e.origin)) continue;
    pending[e.origin] = "not queried";
    promql[e.origin] = e.promql;
  }
  const auto deadline = std::chrono::steady_clock::now() + kQueryDeadline;
  while (!pending.empty()) {
    for (auto it = pending.begin(); it != pending.end();) {
      Result<json> result = prometheus.Query(promql[it->first]);
      if (result && HasFiniteSample(*result)) {
        it = pending.erase(it);
        continue;
      }
      it->second =
          result ? "result " + Tail(result->dump(), 400) : "error " + result.error().message();
      ++it;
    }
    if (pending.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::string report;
  for (const auto& [origin, answer] : pending) {
    report += origin + "\t" + promql[origin] + "\n    -> " + answer + "\n";
  }
  EXPECT_TRUE(pending.empty()) << pending.size() << " of " << expressions->size()
                               << " expressions returned no finite sample:\n"
                               << report << "--- standalone stderr:\n"
                               << Tail(standalone_->Stderr()) << "\n--- cluster stderr:\n"
                               << Tail(cluster_->Stderr());

  // Every rule evaluates without error, and every alert is at least pending.
  std::set<std::string> alerts;
  for (const Expression& e : *expressions) {
    const std::string marker = "#alert=";
    if (const std::size_t at = e.origin.find(marker); at != std::string::npos) {
      alerts.insert(e.origin.substr(at + marker.size()));
    }
  }
  json groups;
  std::set<std::string> active;
  const bool healthy = Eventually(
      [&] {
        Result<json> rules = prometheus.Rules();
        if (!rules || !rules->is_array() || rules->empty()) return false;
        groups = *rules;
        for (const json& group : groups) {
          for (const json& rule : group.value("rules", json::array())) {
            if (rule.value("health", "") != "ok") return false;
          }
        }
        Result<json> firing = prometheus.Query("ALERTS");
        if (!firing) return false;
        active.clear();
        for (const json& element : *firing) active.insert(element["metric"].value("alertname", ""));
        return std::includes(active.begin(), active.end(), alerts.begin(), alerts.end());
      },
      std::chrono::seconds(20));
  EXPECT_TRUE(healthy) << "alerts active: " << ::testing::PrintToString(active)
                       << "\nexpected: " << ::testing::PrintToString(alerts) << "\n"
                       << groups.dump(2);
}

}  // namespace
}  // namespace imgauto
