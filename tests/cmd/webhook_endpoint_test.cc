// WebhookEndpoint: POST /hook/<digest> through the WebhookDispatcher to the runner's scan hook,
// with the webhook metrics and the push times handed to the DeliveryTracker. Requests go straight
// to Handle (no socket); receivers are configured as a runner would after a load.
#include "cmd/webhook_endpoint.h"

#include <algorithm>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "reflector/webhook/receiver.h"
#include "tests/cmd/recording_reconcile_metrics.h"
#include "tests/fakes/fake_clock.h"

namespace imgauto::cmd {
namespace {

using kube::ObjectKey;
using reflector::webhook::Receiver;
using reflector::webhook::ReceiverType;
using reflector::webhook::RepositoryInfo;
using reflector::webhook::ResourceRef;
using reflector::webhook::WebhookPath;
using std::chrono::minutes;
using std::chrono::seconds;
using Detection = RecordingReconcileMetrics::Detection;
using HookEvent = RecordingReconcileMetrics::WebhookEvent;
using HookRequest = RecordingReconcileMetrics::WebhookRequest;

constexpr std::string_view kRegistryToken = "dist-T0ken-5e1f9a77c2";
constexpr std::string_view kGenericToken = "gen-T0ken-0b43d8e6aa";
constexpr std::string_view kPausedToken = "paused-T0ken-91c0ffee";
constexpr std::string_view kEventsType = "application/vnd.docker.distribution.events.v1+json";

ResourceRef Named(std::string name) {
  ResourceRef ref;
  ref.kind = "ImageRepository";
  ref.name = std::move(name);
  return ref;
}

Receiver MakeReceiver(std::string name, ReceiverType type, std::vector<ResourceRef> resources,
                      bool suspend = false) {
  Receiver receiver;
  receiver.ns = "apps";
  receiver.name = std::move(name);
  receiver.type = type;
  receiver.secret_name = receiver.name + "-token";
  receiver.resources = std::move(resources);
  receiver.suspend = suspend;
  return receiver;
}

// apps/registry (distribution: web, api), apps/generic (generic: tier=backend, i.e. api and
// worker) and apps/paused (suspended distribution: web).
Receiver RegistryReceiver() {
  return MakeReceiver("registry", ReceiverType::kDistribution, {Named("web"), Named("api")});
}
Receiver GenericReceiver() {
  ResourceRef backend = Named("*");
  backend.match_labels = {{"tier", "backend"}};
  return MakeReceiver("generic", ReceiverType::kGeneric, {backend});
}
Receiver PausedReceiver() {
  return MakeReceiver("paused", ReceiverType::kDistribution, {Named("web")}, /*suspend=*/true);
}

std::vector<RepositoryInfo> Repositories() {
  return {
      {"apps", "web", "registry.example.com:5000/team/web", {{"tier", "frontend"}}},
      {"apps", "api", "registry.example.com:5000/team/api", {{"tier", "backend"}}},
      {"apps", "worker", "registry.example.com:5000/team/worker", {{"tier", "backend"}}},
      {"infra", "shared", "ghcr.io/acme/shared", {{"tier", "backend"}}},
  };
}

std::map<ObjectKey, std::chrono::nanoseconds> Intervals() {
  return {{{"apps", "web"}, minutes(5)},
          {{"apps", "api"}, minutes(10)},
          {{"apps", "worker"}, minutes(30)},
          {{"infra", "shared"}, std::chrono::hours(2)}};
}

// One CNCF Distribution manifest push event of team/<repository>:<tag>; `timestamp` may be "".
std::string PushEventJson(const std::string& repository, const std::string& tag,
                          const std::string& timestamp) {
  nlohmann::json event = {
      {"id", "7b1f2c3e-" + repository},
      {"action", "push"},
      {"target",
       {{"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
        {"size", 708},
        {"digest", "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270"},
        {"length", 708},
        {"repository", "team/" + repository},
        {"url",
         "http://registry.example.com:5000/v2/team/" + repository +
             "/manifests/sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270"},
        {"tag", tag}}},
      {"request",
       {{"id", "c2d9e0aa-1"},
        {"addr", "10.0.0.7:41234"},
        {"host", "registry.example.com:5000"},
        {"method", "PUT"},
        {"useragent", "docker/24.0.7"}}},
      {"actor", {{"name", "ci"}}},
      {"source", {{"addr", "registry-0:5000"}, {"instanceID", "0f6c1d9a"}}}};
  if (!timestamp.empty()) event["timestamp"] = timestamp;
  return event.dump();
}

// An envelope with the given push events plus a layer push and a pull, which are not scanned.
std::string Envelope(const std::vector<std::string>& pushes) {
  std::string out = R"({"events":[)";
  for (const std::string& push : pushes) out += push + ",";
  out += R"({"id":"l1","timestamp":"2024-05-01T09:59:57Z","action":"push",
     "target":{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip",
       "digest":"sha256:c3b3692957d439ac1928219a83fac91e7bf96c153725526874673ae1f2023f8d",
       "length":2,"repository":"team/api",
       "url":"http://registry.example.com:5000/v2/team/api/blobs/sha256:c3b3"},
     "request":{"host":"registry.example.com:5000","method":"PUT"}},
    {"id":"p1","timestamp":"2024-05-01T09:59:59Z","action":"pull",
     "target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
       "repository":"team/worker","tag":"latest",
       "url":"http://registry.example.com:5000/v2/team/worker/manifests/latest"},
     "request":{"host":"registry.example.com:5000","method":"GET"}}]})";
  return out;
}

metrics::ServerRequest Request(std::string method, std::string path, std::string body,
                               std::string content_type = std::string(kEventsType)) {
  metrics::ServerRequest request;
  request.method = std::move(method);
  request.target = path;
  request.path = std::move(path);
  request.headers = {{"Content-Type", std::move(content_type)},
                     {"User-Agent", "Go-http-client/1.1"}};
  request.body = std::move(body);
  request.remote_address = "10.0.0.7:41234";
  return request;
}

std::vector<std::string> Strings(const nlohmann::json& value) {
  std::vector<std::string> out;
  for (const nlohmann::json& v : value) out.push_back(v.get<std::string>());
  return out;
}

class WebhookEndpointTest : public ::testing::Test {
 protected:
  WebhookEndpointTest() {
    delivery_.set_metrics(&metrics_);
    endpoint_.set_metrics(&metrics_);
  }

  ~WebhookEndpointTest() override {
    if (log_ != nullptr) std::fclose(log_);
  }

  void ConfigureAll() {
    endpoint_.Configure({{RegistryReceiver(), std::string(kRegistryToken)},
                         {GenericReceiver(), std::string(kGenericToken)},
                         {PausedReceiver(), std::string(kPausedToken)}},
                        repositories_, Intervals());
  }

  // Handles `request` and checks that no token leaks into the answer.
  metrics::ServerResponse Send(const metrics::ServerRequest& request) {
    metrics::ServerResponse response = endpoint_.Handle(request);
    EXPECT_EQ(response.content_type, "application/json");
    for (std::string_view token : {kRegistryToken, kGenericToken, kPausedToken}) {
      EXPECT_EQ(response.body.find(token), std::string::npos) << response.body;
    }
    for (const auto& [key, path] : endpoint_.Paths()) {
      EXPECT_EQ(response.body.find(path.substr(6)), std::string::npos) << response.body;
    }
    return response;
  }

  static nlohmann::json Json(const metrics::ServerResponse& response) {
    nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
    EXPECT_TRUE(body.is_object()) << response.body;
    return body;
  }

  std::string RegistryPath() const { return WebhookPath(RegistryReceiver(), kRegistryToken); }
  std::string GenericPath() const { return WebhookPath(GenericReceiver(), kGenericToken); }
  std::string PausedPath() const { return WebhookPath(PausedReceiver(), kPausedToken); }

  std::string LogText() {
    std::fflush(log_);
    std::rewind(log_);
    std::string text;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, log_)) > 0;) {
      text.append(buffer, n);
    }
    return text;
  }

  void TearDown() override {
    // Logs carry neither the tokens nor the secret paths derived from them.
    const std::string logs = LogText();
    for (std::string_view token : {kRegistryToken, kGenericToken, kPausedToken}) {
      EXPECT_EQ(logs.find(token), std::string::npos) << logs;
    }
    for (const std::string& path : {RegistryPath(), GenericPath(), PausedPath()}) {
      EXPECT_EQ(logs.find(path.substr(6)), std::string::npos) << logs;
    }
  }

  imgauto::testing::FakeClock clock_;
  RecordingReconcileMetrics metrics_;
  DeliveryTracker delivery_{clock_};
  std::FILE* log_ = std::tmpfile();
  Logger logger_{LogOptions{.level = LogLevel::kDebug, .sink = log_}};
  std::vector<RepositoryInfo> repositories_ = Repositories();
  std::set<ObjectKey> missing_;                     // keys request_scans reports as unknown
  std::vector<std::vector<ObjectKey>> scan_calls_;  // every request_scans argument
  WebhookEndpoint endpoint_{delivery_, logger_, clock_,
                            WebhookHooks{.repositories = [this] { return repositories_; },
                                         .request_scans =
                                             [this](const std::vector<ObjectKey>& keys) {
                                               // As the runners do: known repositories get a
                                               // webhook-triggered scan.
                                               scan_calls_.push_back(keys);
                                               std::vector<ObjectKey> out;
                                               for (const ObjectKey& key : keys) {
                                                 if (missing_.contains(key)) continue;
                                                 delivery_.ScanRequested(key.ns + "/" + key.name);
                                                 out.push_back(key);
                                               }
                                               return out;
                                             }}};
};

TEST_F(WebhookEndpointTest, ConfigureReportsReceiversSilentAfterLongestCoveredInterval) {
  ASSERT_NE(log_, nullptr);
  EXPECT_FALSE(endpoint_.HasReceivers());
  ConfigureAll();
  EXPECT_TRUE(endpoint_.HasReceivers());

  const auto sets = metrics_.ReceiverSets();
  ASSERT_EQ(sets.size(), 1u);
  ASSERT_EQ(sets[0].size(), 3u);
  EXPECT_EQ(sets[0][0].receiver, "apps/registry");
  EXPECT_EQ(sets[0][0].silent_after, minutes(10));  // web 5m, api 10m
  EXPECT_EQ(sets[0][1].receiver, "apps/generic");
  EXPECT_EQ(sets[0][1].silent_after, minutes(30));  // api 10m, worker 30m; not infra/shared
  EXPECT_EQ(sets[0][2].receiver, "apps/paused");
  EXPECT_EQ(sets[0][2].silent_after, std::chrono::nanoseconds(0));  // suspended

  EXPECT_EQ(endpoint_.Paths(),
            (std::vector<std::pair<std::string, std::string>>{{"apps/generic", GenericPath()},
                                                              {"apps/paused", PausedPath()},
                                                              {"apps/registry", RegistryPath()}}));

  // A reload without receivers clears them.
  endpoint_.Configure({}, repositories_, Intervals());
  EXPECT_FALSE(endpoint_.HasReceivers());
  ASSERT_EQ(metrics_.ReceiverSets().size(), 2u);
  EXPECT_TRUE(metrics_.ReceiverSets()[1].empty());
  EXPECT_EQ(Send(Request("POST", RegistryPath(), Envelope({}))).status, 404);
}

TEST_F(WebhookEndpointTest, ReceiverWithoutKnownIntervalsIsNeverSilent) {
  endpoint_.Configure({{RegistryReceiver(), std::string(kRegistryToken)}}, repositories_, {});
  const auto sets = metrics_.ReceiverSets();
  ASSERT_EQ(sets.size(), 1u);
  ASSERT_EQ(sets[0].size(), 1u);
  EXPECT_EQ(sets[0][0].silent_after, std::chrono::nanoseconds(0));
}

TEST_F(WebhookEndpointTest, DistributionPushScansThatRepositoryAndRecordsPushTime) {
  ConfigureAll();
  // Pushed two seconds before the clock's start (2024-05-01T10:00:00Z).
  const auto pushed = clock_.Now() - seconds(2);
  metrics::ServerResponse response = Send(Request(
      "POST", RegistryPath(), Envelope({PushEventJson("web", "1.2.3", "2024-05-01T09:59:58Z")})));

  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(scan_calls_, (std::vector<std::vector<ObjectKey>>{{{"apps", "web"}}}));
  nlohmann::json body = Json(response);
  EXPECT_EQ(body["events"], 1);
  EXPECT_EQ(Strings(body["scans"]), (std::vector<std::string>{"apps/web"}));
  EXPECT_EQ(body["message"], "accepted: 1 push event");
  EXPECT_EQ(response.body.back(), '\n');
  EXPECT_EQ(metrics_.WebhookRequests(), (std::vector<HookRequest>{{"apps/registry", 200}}));
  EXPECT_EQ(metrics_.WebhookEvents(), (std::vector<HookEvent>{{"apps/registry", 1, 1}}));
  EXPECT_NE(LogText().find("webhook accepted"), std::string::npos);  // the log check sees lines

  // The tracker learned the event's push time: the requested scan and the policy that selects
  // the tag measure from it.
  clock_.Advance(seconds(3));
  delivery_.ScanFinished("apps/web");
  const auto scanned = clock_.Now();
  reflector::api::ImagePolicy policy;
  policy.metadata.ns = "apps";
  policy.metadata.name = "web";
  policy.spec.image_repository_name = "web";
  policy.status.latest_ref =
      reflector::api::ImageRef{"registry.example.com:5000/team/web", "1.2.3", ""};
  policy.status.conditions.push_back({"Ready", "True", "Succeeded", "", 0, ""});
  int lookups = 0;
  delivery_.PolicyReconciled(policy, true, [&lookups] {
    ++lookups;
    return std::optional<DeliveryTracker::TimePoint>();
  });
  EXPECT_EQ(lookups, 0);
  EXPECT_EQ(metrics_.Detections(), (std::vector<Detection>{{"webhook", scanned - pushed}}));
  EXPECT_EQ(scanned - pushed, seconds(5));
}

TEST_F(WebhookEndpointTest, EventWithoutTimestampIsPushedWhenReceived) {
  ConfigureAll();
  clock_.Advance(seconds(30));
  const auto received = clock_.Now();
  ASSERT_EQ(
      Send(Request("POST", RegistryPath(), Envelope({PushEventJson("api", "0.9.0", "")}))).status,
      200);
  EXPECT_EQ(scan_calls_, (std::vector<std::vector<ObjectKey>>{{{"apps", "api"}}}));
  clock_.Advance(seconds(4));
  delivery_.ScanFinished("apps/api");
  reflector::api::ImagePolicy policy;
  policy.metadata.ns = "apps";
  policy.metadata.name = "api";
  policy.spec.image_repository_name = "api";
  policy.status.latest_ref =
      reflector::api::ImageRef{"registry.example.com:5000/team/api", "0.9.0", ""};
  policy.status.conditions.push_back({"Ready", "True", "Succeeded", "", 0, ""});
  delivery_.PolicyReconciled(policy, true, nullptr);
  EXPECT_EQ(metrics_.Detections(), (std::vector<Detection>{{"webhook", clock_.Now() - received}}));
  EXPECT_EQ(clock_.Now() - received, seconds(4));
}

TEST_F(WebhookEndpointTest, UnknownPathIsNotFoundWithoutScans) {
  ConfigureAll();
  const std::string body = Envelope({PushEventJson("web", "1.2.3", "")});
  // The right receiver with a wrong token, a bare prefix, and a path outside /hook/.
  const std::string guessed = WebhookPath(RegistryReceiver(), "not-the-token");
  metrics::ServerResponse first = Send(Request("POST", guessed, body));
  metrics::ServerResponse second = Send(Request("POST", "/hook/", body));
  metrics::ServerResponse third = Send(Request("POST", RegistryPath() + "/x", body));

  EXPECT_EQ(first.status, 404);
  EXPECT_EQ(second.status, 404);
  EXPECT_EQ(third.status, 404);
  // Every unknown path gets the same answer.
  EXPECT_EQ(first.body, second.body);
  EXPECT_EQ(first.body, third.body);
  EXPECT_FALSE(Json(first).contains("scans"));
  EXPECT_TRUE(scan_calls_.empty());
  EXPECT_EQ(metrics_.WebhookRequests(),
            (std::vector<HookRequest>{{"unknown", 404}, {"unknown", 404}, {"unknown", 404}}));
  EXPECT_TRUE(metrics_.WebhookEvents().empty());

  // Nothing reached the tracker: a later selection of that tag has no push time.
  delivery_.ScanFinished("apps/web");
  reflector::api::ImagePolicy policy;
  policy.metadata.ns = "apps";
  policy.metadata.name = "web";
  policy.spec.image_repository_name = "web";
  policy.status.latest_ref =
      reflector::api::ImageRef{"registry.example.com:5000/team/web", "1.2.3", ""};
  policy.status.conditions.push_back({"Ready", "True", "Succeeded", "", 0, ""});
  delivery_.PolicyReconciled(policy, true, nullptr);
  EXPECT_TRUE(metrics_.Detections().empty());
}

TEST_F(WebhookEndpointTest, OtherMethodsAreRefused) {
  ConfigureAll();
  const std::string body = Envelope({PushEventJson("web", "1.2.3", "")});
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    metrics::ServerResponse response = Send(Request(method, RegistryPath(), body));
    EXPECT_EQ(response.status, 405) << method;
  }
  EXPECT_TRUE(scan_calls_.empty());
  EXPECT_EQ(metrics_.WebhookRequests(),
            (std::vector<HookRequest>{
                {"apps/registry", 405}, {"apps/registry", 405}, {"apps/registry", 405}}));
  EXPECT_TRUE(metrics_.WebhookEvents().empty());
}

TEST_F(WebhookEndpointTest, SuspendedReceiverIsUnavailable) {
  ConfigureAll();
  metrics::ServerResponse response =
      Send(Request("POST", PausedPath(), Envelope({PushEventJson("web", "1.2.3", "")})));
  EXPECT_EQ(response.status, 503);
  EXPECT_TRUE(scan_calls_.empty());
  EXPECT_EQ(metrics_.WebhookRequests(), (std::vector<HookRequest>{{"apps/paused", 503}}));
  EXPECT_TRUE(metrics_.WebhookEvents().empty());
}

TEST_F(WebhookEndpointTest, MalformedPayloadIsBadRequest) {
  ConfigureAll();
  metrics::ServerResponse response = Send(Request("POST", RegistryPath(), R"({"events":)"));
  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(scan_calls_.empty());
  EXPECT_EQ(metrics_.WebhookRequests(), (std::vector<HookRequest>{{"apps/registry", 400}}));
  EXPECT_TRUE(metrics_.WebhookEvents().empty());
}

TEST_F(WebhookEndpointTest, GenericReceiverScansAllItsResources) {
  ConfigureAll();
  metrics::ServerResponse response =
      Send(Request("POST", GenericPath(), R"({"source":"ci","run":42})", "application/json"));
  EXPECT_EQ(response.status, 200) << response.body;
  // tier=backend in the receiver's namespace, in the repositories' order.
  EXPECT_EQ(scan_calls_,
            (std::vector<std::vector<ObjectKey>>{{{"apps", "api"}, {"apps", "worker"}}}));
  nlohmann::json body = Json(response);
  EXPECT_EQ(body["events"], 1);
  EXPECT_EQ(Strings(body["scans"]), (std::vector<std::string>{"apps/api", "apps/worker"}));
  EXPECT_EQ(metrics_.WebhookRequests(), (std::vector<HookRequest>{{"apps/generic", 200}}));
  EXPECT_EQ(metrics_.WebhookEvents(), (std::vector<HookEvent>{{"apps/generic", 1, 2}}));
}

TEST_F(WebhookEndpointTest, EventForAnImageNoResourceHasScansNothing) {
  ConfigureAll();
  // team/worker exists but only the generic receiver covers it; team/unknown exists nowhere.
  metrics::ServerResponse response =
      Send(Request("POST", RegistryPath(),
                   Envelope({PushEventJson("worker", "2.0.0", "2024-05-01T09:59:00Z"),
                             PushEventJson("unknown", "1.0.0", "2024-05-01T09:59:00Z")})));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(scan_calls_.empty());
  nlohmann::json body = Json(response);
  EXPECT_EQ(body["events"], 2);
  EXPECT_TRUE(Strings(body["scans"]).empty());
  EXPECT_EQ(metrics_.WebhookRequests(), (std::vector<HookRequest>{{"apps/registry", 200}}));
  EXPECT_EQ(metrics_.WebhookEvents(), (std::vector<HookEvent>{{"apps/registry", 2, 0}}));
}

TEST_F(WebhookEndpointTest, EnvelopeWithoutManifestPushesIsAcceptedAndIgnored) {
  ConfigureAll();
  metrics::ServerResponse response = Send(Request("POST", RegistryPath(), Envelope({})));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(scan_calls_.empty());
  nlohmann::json body = Json(response);
  EXPECT_EQ(body["events"], 0);
  EXPECT_TRUE(body.contains("ignored"));
  EXPECT_EQ(metrics_.WebhookRequests(), (std::vector<HookRequest>{{"apps/registry", 200}}));
  EXPECT_TRUE(metrics_.WebhookEvents().empty());  // no valid event: the silence goes on
}

TEST_F(WebhookEndpointTest, AnswerListsOnlyTheScansTheRunnerStarted) {
  ConfigureAll();
  missing_.insert({"apps", "api"});  // deleted since the last load
  metrics::ServerResponse response = Send(
      Request("POST", RegistryPath(),
              Envelope({PushEventJson("web", "1.2.4", ""), PushEventJson("api", "1.0.1", "")})));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(scan_calls_, (std::vector<std::vector<ObjectKey>>{{{"apps", "web"}, {"apps", "api"}}}));
  EXPECT_EQ(Strings(Json(response)["scans"]), (std::vector<std::string>{"apps/web"}));
  EXPECT_EQ(metrics_.WebhookEvents(), (std::vector<HookEvent>{{"apps/registry", 2, 1}}));
}

TEST_F(WebhookEndpointTest, ReconfigureReplacesReceivers) {
  ConfigureAll();
  endpoint_.Configure({{GenericReceiver(), std::string(kGenericToken)}}, repositories_,
                      Intervals());
  EXPECT_EQ(Send(Request("POST", RegistryPath(), Envelope({PushEventJson("web", "1", "")}))).status,
            404);
  EXPECT_EQ(Send(Request("POST", GenericPath(), "", "text/plain")).status, 200);
  EXPECT_EQ(metrics_.WebhookRequests(),
            (std::vector<HookRequest>{{"unknown", 404}, {"apps/generic", 200}}));
}

TEST_F(WebhookEndpointTest, RouteIsRateLimitedPostUnderHookPrefix) {
  ConfigureAll();
  metrics::Route route = endpoint_.Route();
  EXPECT_EQ(route.method, "POST");
  EXPECT_EQ(route.path, "/hook/");
  EXPECT_TRUE(route.prefix);
  EXPECT_EQ(route.rate_limit_per_second, WebhookEndpoint::kRouteRate);
  EXPECT_EQ(route.rate_limit_burst, static_cast<int>(2 * WebhookEndpoint::kRouteRate));
  ASSERT_TRUE(route.handler);
  metrics::ServerResponse response =
      route.handler(Request("POST", RegistryPath(), Envelope({PushEventJson("web", "1.0", "")})));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(scan_calls_, (std::vector<std::vector<ObjectKey>>{{{"apps", "web"}}}));
}

TEST_F(WebhookEndpointTest, FloodOfUnknownPathsDoesNotSilenceRealReceivers) {
  ConfigureAll();
  int limited = 0;
  for (int i = 0; i < 100; ++i) {
    if (Send(Request("POST", "/hook/guess-" + std::to_string(i), "{}")).status == 429) ++limited;
  }
  // The shared bucket of unknown paths ran dry (its burst is far below 100 requests)...
  EXPECT_GE(limited, 100 - static_cast<int>(WebhookEndpoint::kUnknownBurst) - 5);
  // ...while a configured receiver still has its own.
  metrics::ServerResponse ok = Send(
      Request("POST", RegistryPath(), Envelope({PushEventJson("web", "1.2.3", "")})));
  EXPECT_EQ(ok.status, 200) << ok.body;
  const std::vector<HookRequest> requests = metrics_.WebhookRequests();
  EXPECT_EQ(std::count(requests.begin(), requests.end(), HookRequest{"unknown", 429}), limited);
}

TEST_F(WebhookEndpointTest, AReceiverOverItsRateIsAnswered429WithRetryAfter) {
  ConfigureAll();
  const std::string body = Envelope({PushEventJson("web", "1.2.3", "")});
  int limited = 0;
  metrics::ServerResponse last;
  for (int i = 0; i < 200; ++i) {
    metrics::ServerResponse r = Send(Request("POST", RegistryPath(), body));
    if (r.status == 429) {
      ++limited;
      last = r;
    }
  }
  ASSERT_GT(limited, 0);
  EXPECT_EQ(last.headers, (std::vector<std::pair<std::string, std::string>>{{"Retry-After", "1"}}));
  const std::vector<HookRequest> requests = metrics_.WebhookRequests();
  EXPECT_EQ(std::count(requests.begin(), requests.end(), HookRequest{"apps/registry", 429}),
            limited);
}

TEST_F(WebhookEndpointTest, TooManyEventsInOneRequestIs400) {
  ConfigureAll();
  std::vector<std::string> pushes;
  for (int i = 0; i <= WebhookEndpoint::kMaxEvents; ++i) {
    pushes.push_back(PushEventJson("web", "1.0." + std::to_string(i), ""));
  }
  metrics::ServerResponse r = Send(Request("POST", RegistryPath(), Envelope(pushes)));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("at most"), std::string::npos);
  EXPECT_TRUE(scan_calls_.empty());
}

TEST_F(WebhookEndpointTest, ImplausibleEventTimeIsReplacedByTheReceiptTime) {
  ConfigureAll();
  // Two days before the fake clock: a replayed delivery or a registry with a wrong clock.
  const auto received = clock_.Now();
  ASSERT_EQ(Send(Request("POST", RegistryPath(),
                         Envelope({PushEventJson("web", "1.2.3", "2024-04-29T10:00:00Z")})))
                .status,
            200);
  clock_.Advance(seconds(2));
  delivery_.ScanFinished("apps/web");
  reflector::api::ImagePolicy policy;
  policy.metadata.ns = "apps";
  policy.metadata.name = "web";
  policy.spec.image_repository_name = "web";
  policy.status.latest_ref =
      reflector::api::ImageRef{"registry.example.com:5000/team/web", "1.2.3", ""};
  policy.status.conditions.push_back({"Ready", "True", "Succeeded", "", 0, ""});
  delivery_.PolicyReconciled(policy, true, nullptr);
  EXPECT_EQ(metrics_.Detections(),
            (std::vector<Detection>{{"webhook", clock_.Now() - received}}));
}

TEST_F(WebhookEndpointTest, WorksWithoutMetrics) {
  endpoint_.set_metrics(nullptr);
  ConfigureAll();
  EXPECT_TRUE(metrics_.ReceiverSets().empty());
  EXPECT_EQ(
      Send(Request("POST", RegistryPath(), Envelope({PushEventJson("web", "1.0", "")}))).status,
      200);
  EXPECT_EQ(Send(Request("POST", "/hook/nothing", "")).status, 404);
  EXPECT_EQ(scan_calls_.size(), 1u);
  EXPECT_TRUE(metrics_.WebhookRequests().empty());
  EXPECT_TRUE(metrics_.WebhookEvents().empty());
}

}  // namespace
}  // namespace imgauto::cmd
