// The in-cluster API client against the loopback Kubernetes API server.
#include "core/kube/api_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "tests/servers/fake_kube_api_server.h"
#include "tests/servers/test_http_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace imgauto::kube {
namespace {

using imgauto::testing::FakeKubeApiServer;
using imgauto::testing::FakeKubeApiServerOptions;
using imgauto::testing::KubeRequest;
using imgauto::testing::TempDir;
using json = nlohmann::json;
using std::chrono::milliseconds;

const Resource kPolicies{"image.toolkit.fluxcd.io", "v1", "imagepolicies"};

json Policy(const std::string& name, const std::string& range = "1.x") {
  return {{"apiVersion", "image.toolkit.fluxcd.io/v1"},
          {"kind", "ImagePolicy"},
          {"metadata", {{"name", name}, {"namespace", "apps"}, {"labels", {{"app", name}}}}},
          {"spec",
           {{"imageRepositoryRef", {{"name", "app"}}},
            {"policy", {{"semver", {{"range", range}}}}}}}};
}

ApiClientPtr ClientFor(const FakeKubeApiServer& server, ClusterConfig config = {},
                       ApiClientOptions options = {}) {
  config.server = server.base_url();
  if (config.ca_pem.empty()) {
    config.ca_pem = server.ca_pem();
  }
  options.retry_backoff = milliseconds(10);
  options.proxy_from_environment = false;
  Result<ApiClientPtr> client = ApiClient::Create(std::move(config), options);
  EXPECT_TRUE(client) << client.error().message();
  return client ? std::move(*client) : nullptr;
}

// Collects watch events from the watching thread.
class EventLog {
 public:
  void Add(const WatchEvent& event) {
    std::lock_guard<std::mutex> lock(mu_);
    static const char* const kNames[] = {"ADDED", "MODIFIED", "DELETED"};
    entries_.push_back(std::string(kNames[static_cast<int>(event.type)]) + " " +
                       event.object["metadata"].value("name", ""));
    cv_.notify_all();
  }
  std::vector<std::string> Entries() {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }
  // Waits until `entry` has been seen `count` times.
  bool WaitFor(const std::string& entry, int count = 1, milliseconds timeout = milliseconds(5000)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      return std::count(entries_.begin(), entries_.end(), entry) >= count;
    });
  }
  int Count(const std::string& entry) {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(std::count(entries_.begin(), entries_.end(), entry));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> entries_;
};

// Runs ApiClient::Watch on a thread until destroyed.
class Watcher {
 public:
  Watcher(ApiClient& client, const Resource& resource, std::string ns, std::string rv = "",
          WatchOptions options = {}) {
    options.min_backoff = milliseconds(20);
    thread_ = std::jthread([&client, resource, ns, rv, options, this](std::stop_token stop) {
      result_ = client.Watch(
          resource, ns, rv, [this](const WatchEvent& e) { log.Add(e); }, stop, options);
      done_ = true;
    });
  }
  ~Watcher() { (void)Stop(); }
  Result<void> Stop() {
    thread_.request_stop();
    if (thread_.joinable()) {
      thread_.join();
    }
    return result_;
  }
  bool done() const { return done_; }

  EventLog log;

 private:
  Result<void> result_ = Error(ErrorKind::kInternal, "not finished");
  std::atomic<bool> done_{false};
  std::jthread thread_;
};

int CountRequests(const FakeKubeApiServer& server, const std::function<bool(const KubeRequest&)>& f) {
  int n = 0;
  for (const KubeRequest& request : server.Requests()) {
    n += f(request) ? 1 : 0;
  }
  return n;
}

std::string QueryParam(const std::string& query, const std::string& name) {
  const std::string key = name + "=";
  for (std::size_t at = 0; at <= query.size();) {
    const std::size_t end = std::min(query.find('&', at), query.size());
    if (query.compare(at, key.size(), key) == 0) {
      return query.substr(at + key.size(), end - at - key.size());
    }
    at = end + 1;
  }
  return "";
}

TEST(ApiClientTest, DiscoveryPrefersV1WhenServed) {
  FakeKubeApiServer server;
  ApiClientPtr client = ClientFor(server);
  Result<std::string> version =
      client->PreferredVersion("image.toolkit.fluxcd.io", {"v1", "v1beta2"});
  ASSERT_TRUE(version) << version.error().message();
  EXPECT_EQ(*version, "v1");
  // Only v1beta2 supported by us: the first served one we support.
  EXPECT_EQ(client->PreferredVersion("image.toolkit.fluxcd.io", {"v1beta2"}).value_or(""),
            "v1beta2");
  EXPECT_EQ(client->PreferredVersion("source.toolkit.fluxcd.io", {"v1beta2", "v1"}).value_or(""),
            "v1");
  EXPECT_EQ(client->PreferredVersion("", {"v1"}).value_or(""), "v1");
}

TEST(ApiClientTest, DiscoveryFallsBackToV1Beta2WhenOnlyItIsServed) {
  FakeKubeApiServer server({.served_versions = {{"image.toolkit.fluxcd.io", {"v1beta2"}}}});
  ApiClientPtr client = ClientFor(server);
  EXPECT_EQ(client->PreferredVersion("image.toolkit.fluxcd.io", {"v1", "v1beta2"}).value_or(""),
            "v1beta2");
  Result<std::string> none = client->PreferredVersion("image.toolkit.fluxcd.io", {"v1"});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(none.error().message().find("served: v1beta2"), std::string::npos)
      << none.error().message();
  Result<std::string> missing = client->PreferredVersion("nope.example.com", {"v1"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
}

TEST(ApiClientTest, CrudRoundTrip) {
  FakeKubeApiServer server;
  ApiClientPtr client = ClientFor(server);
  Result<json> created = client->Create(kPolicies, "apps", Policy("app"));
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ((*created)["metadata"]["generation"], 1);
  Result<json> again = client->Create(kPolicies, "apps", Policy("app"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kConflict);
  EXPECT_NE(again.error().message().find("already exists"), std::string::npos);

  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("other")));
  Result<json> list = client->List(kPolicies, "apps", {.label_selector = "app in (app)"});
  ASSERT_TRUE(list) << list.error().message();
  ASSERT_EQ((*list)["items"].size(), 1u);
  EXPECT_EQ((*list)["items"][0]["metadata"]["name"], "app");
  Result<json> all = client->List(kPolicies, "");
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)["items"].size(), 2u);

  json stale = *created;
  stale["spec"]["policy"]["semver"]["range"] = "2.x";
  ASSERT_TRUE(client->MergePatch(kPolicies, "apps", "app", {{"metadata", {{"labels", {{"x", "y"}}}}}}));
  Result<json> conflict = client->Update(kPolicies, "apps", stale);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().kind(), ErrorKind::kConflict);
  Result<json> current = client->Get(kPolicies, "apps", "app");
  ASSERT_TRUE(current);
  (*current)["spec"]["policy"]["semver"]["range"] = "2.x";
  Result<json> updated = client->Update(kPolicies, "apps", *current);
  ASSERT_TRUE(updated) << updated.error().message();
  EXPECT_EQ((*updated)["metadata"]["generation"], 2);

  ASSERT_TRUE(client->Delete(kPolicies, "apps", "app"));
  Result<json> gone = client->Get(kPolicies, "apps", "app");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(gone.error().message(),
            "get imagepolicies.image.toolkit.fluxcd.io apps/app: "
            "imagepolicies.image.toolkit.fluxcd.io \"app\" not found");
  EXPECT_EQ(client->Get({"", "v1", "namespaces", false}, "", "nope").error().kind(),
            ErrorKind::kNotFound);
}

TEST(ApiClientTest, RetriesServerErrorsOnReadsOnly) {
  FakeKubeApiServer server;
  ApiClientPtr client = ClientFor(server);
  server.FailNext(2, 503);
  EXPECT_TRUE(client->List(kPolicies, "apps"));
  server.FailNext(1, 429);
  EXPECT_TRUE(client->Create(kPolicies, "apps", Policy("a")));
  server.FailNext(1, 500);
  Result<json> failed = client->Create(kPolicies, "apps", Policy("b"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind(), ErrorKind::kTransient);
}

TEST(ApiClientTest, MergePatchStatusRetriesAConflict) {
  FakeKubeApiServer server;
  ApiClientPtr client = ClientFor(server);
  Result<json> created = client->Create(kPolicies, "apps", Policy("app"));
  ASSERT_TRUE(created);
  const std::string stale_rv = (*created)["metadata"]["resourceVersion"];
  ASSERT_TRUE(client->MergePatch(kPolicies, "apps", "app", {{"metadata", {{"labels", {{"x", "1"}}}}}}));

  server.ClearRequests();
  const json patch = {{"metadata", {{"resourceVersion", stale_rv}}},
                      {"status", {{"observedGeneration", 1}, {"latestRef", {{"tag", "1.2.3"}}}}}};
  Result<json> patched = client->MergePatchStatus(kPolicies, "apps", "app", patch);
  ASSERT_TRUE(patched) << patched.error().message();
  EXPECT_EQ((*patched)["status"]["latestRef"]["tag"], "1.2.3");
  EXPECT_EQ((*patched)["metadata"]["labels"]["x"], "1");
  const std::vector<KubeRequest> log = server.Requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].status, 409);
  EXPECT_EQ(log[0].path, "/apis/image.toolkit.fluxcd.io/v1/namespaces/apps/imagepolicies/app/status");
  EXPECT_EQ(log[0].content_type, "application/merge-patch+json");
  EXPECT_EQ(log[1].method, "GET");
  EXPECT_EQ(log[2].status, 200);

  // Bounded: with no retries the conflict surfaces.
  ApiClientPtr strict = ClientFor(server, {}, {.max_conflict_retries = 0});
  Result<json> conflict = strict->MergePatchStatus(kPolicies, "apps", "app", patch);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().kind(), ErrorKind::kConflict);
}

TEST(ApiClientTest, BearerTokenFileRotationIsPickedUp) {
  TempDir dir("token");
  const auto token_file = dir.Write("token", "token-number-one\n");
  FakeKubeApiServer server({.bearer_token = "token-number-one"});
  ClusterConfig config;
  config.token_file = token_file;
  ApiClientPtr client = ClientFor(server, config);
  ASSERT_TRUE(client->List(kPolicies, "apps"));
  EXPECT_EQ(server.Requests().back().bearer_token, "token-number-one");

  std::this_thread::sleep_for(milliseconds(20));  // a distinct modification time
  dir.Write("token", "token-number-two-rotated\n");
  server.SetBearerToken("token-number-two-rotated");
  Result<json> list = client->List(kPolicies, "apps");
  ASSERT_TRUE(list) << list.error().message();
  EXPECT_EQ(server.Requests().back().bearer_token, "token-number-two-rotated");
  EXPECT_EQ(CountRequests(server, [](const KubeRequest& r) { return r.status == 401; }), 0);

  server.SetBearerToken("something-else");
  Result<json> denied = client->Get(kPolicies, "apps", "x");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_EQ(denied.error().message().find("token-number"), std::string::npos);
}

TEST(ApiClientTest, TokensStayOutOfLogs) {
  TempDir dir("token");
  FakeKubeApiServer server({.bearer_token = "log-secret-token"});
  std::FILE* sink = std::tmpfile();
  ASSERT_NE(sink, nullptr);
  Logger log(LogOptions{.level = LogLevel::kTrace, .sink = sink});
  ClusterConfig config;
  config.token_file = dir.Write("token", "log-secret-token");
  ApiClientPtr client = ClientFor(server, config, {.logger = &log});
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("app")));
  {
    Watcher watcher(*client, kPolicies, "apps");
    ASSERT_TRUE(watcher.log.WaitFor("ADDED app"));
    ASSERT_TRUE(server.WaitForActiveWatches(1, milliseconds(5000)));
    server.FailNext(2, 503);        // the reconnects fail twice: logged
    server.DropWatchConnections();  // logged: the connection failure
    for (int i = 0; i < 500 && CountRequests(server, [](const KubeRequest& r) {
                                 return r.status == 503;
                               }) < 2;
         ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    ASSERT_TRUE(server.WaitForActiveWatches(1, milliseconds(5000)));
    ASSERT_TRUE(client->MergePatch(kPolicies, "apps", "app", {{"metadata", {{"labels", {{"a", "b"}}}}}}));
    ASSERT_TRUE(watcher.log.WaitFor("MODIFIED app"));
  }
  std::fflush(sink);
  std::rewind(sink);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), sink)) > 0;) {
    text.append(buffer, n);
  }
  std::fclose(sink);
  EXPECT_NE(text.find("watch"), std::string::npos) << "nothing was logged";
  EXPECT_EQ(text.find("log-secret-token"), std::string::npos) << text;
}

TEST(ApiClientTest, StaticTokenAndTls) {
  FakeKubeApiServer server({.tls = true, .bearer_token = "static-token"});
  ClusterConfig config;
  config.token = "static-token";
  ApiClientPtr client = ClientFor(server, config);
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("app")));
  Watcher watcher(*client, kPolicies, "apps");
  EXPECT_TRUE(watcher.log.WaitFor("ADDED app"));

  ClusterConfig untrusted;
  untrusted.ca_pem = imgauto::testing::TestCertificates::Generate().ca_pem;
  ApiClientPtr other = ClientFor(server, untrusted);
  Result<json> refused = other->List(kPolicies, "apps");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kUnauthorized);
}

// Collects ApiClientOptions::on_response calls as "METHOD host code".
class ResponseLog {
 public:
  std::function<void(std::string_view, std::string_view, int)> Hook() {
    return [this](std::string_view method, std::string_view host, int code) {
      std::lock_guard<std::mutex> lock(mu_);
      entries_.push_back(std::string(method) + " " + std::string(host) + " " +
                         std::to_string(code));
    };
  }
  std::vector<std::string> Entries() {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }
  int Count(const std::string& entry) {
    std::vector<std::string> all = Entries();
    return static_cast<int>(std::count(all.begin(), all.end(), entry));
  }

 private:
  std::mutex mu_;
  std::vector<std::string> entries_;
};

TEST(ApiClientTest, OnResponseSeesEveryRequestRetryAndWatch) {
  FakeKubeApiServer server;
  ResponseLog responses;
  ApiClientPtr client = ClientFor(server, {}, {.on_response = responses.Hook()});
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  server.FailNext(1, 503);
  ASSERT_TRUE(client->List(kPolicies, "apps"));
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("a")));
  ASSERT_FALSE(client->Get(kPolicies, "apps", "missing"));
  EXPECT_EQ(responses.Entries(),
            (std::vector<std::string>{"GET " + host + " 503", "GET " + host + " 200",
                                      "POST " + host + " 201", "GET " + host + " 404"}));

  Watcher watcher(*client, kPolicies, "apps");
  ASSERT_TRUE(watcher.log.WaitFor("ADDED a"));
  ASSERT_TRUE(server.WaitForActiveWatches(1, milliseconds(5000)));
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("b")));
  ASSERT_TRUE(watcher.log.WaitFor("ADDED b"));
  EXPECT_TRUE(watcher.Stop());
  // The initial list and the watch connection (reported at its first event).
  EXPECT_EQ(responses.Count("GET " + host + " 200"), 3);
  EXPECT_EQ(responses.Count("POST " + host + " 201"), 2);
}

TEST(ApiClientTest, OnResponseReportsTransportFailuresAsZero) {
  Result<int> port = imgauto::testing::FreeLoopbackPort();
  ASSERT_TRUE(port) << port.error().message();
  ResponseLog responses;
  ClusterConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(*port) + "/";
  Result<ApiClientPtr> client = ApiClient::Create(
      config, {.max_retries = 1, .retry_backoff = milliseconds(1),
               .proxy_from_environment = false, .on_response = responses.Hook()});
  ASSERT_TRUE(client) << client.error().message();
  ASSERT_FALSE((*client)->List(kPolicies, "apps"));
  const std::string failed = "GET 127.0.0.1:" + std::to_string(*port) + " 0";
  EXPECT_EQ(responses.Entries(), (std::vector<std::string>{failed, failed}));  // one retry
}

TEST(ApiClientTest, ListAndWatchSeesAddedModifiedDeleted) {
  FakeKubeApiServer server;
  ApiClientPtr client = ClientFor(server);
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("first")));
  Watcher watcher(*client, kPolicies, "apps");
  ASSERT_TRUE(watcher.log.WaitFor("ADDED first"));
  ASSERT_TRUE(server.WaitForActiveWatches(1, milliseconds(5000)));

  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("second")));
  ASSERT_TRUE(client->MergePatch(kPolicies, "apps", "second",
                                 {{"spec", {{"policy", {{"semver", {{"range", "2.x"}}}}}}}}));
  ASSERT_TRUE(client->Delete(kPolicies, "apps", "first"));
  ASSERT_TRUE(watcher.log.WaitFor("DELETED first"));
  EXPECT_TRUE(watcher.Stop());
  EXPECT_EQ(watcher.log.Entries(), (std::vector<std::string>{"ADDED first", "ADDED second",
                                                             "MODIFIED second", "DELETED first"}));
}

TEST(ApiClientTest, CompactionDuringAWatchRelistsWithoutLosingEvents) {
  FakeKubeApiServer server;
  ApiClientPtr client = ClientFor(server);
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("kept")));
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("changed")));
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("removed")));
  Watcher watcher(*client, kPolicies, "apps");
  ASSERT_TRUE(watcher.log.WaitFor("ADDED removed"));
  ASSERT_TRUE(server.WaitForActiveWatches(1, milliseconds(5000)));

  // The watch falls behind, and the history it needs is compacted away.
  server.HoldWatchEvents(true);
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("added")));
  ASSERT_TRUE(client->MergePatch(kPolicies, "apps", "changed",
                                 {{"spec", {{"policy", {{"semver", {{"range", "2.x"}}}}}}}}));
  ASSERT_TRUE(client->Delete(kPolicies, "apps", "removed"));
  server.Compact(server.CurrentResourceVersion());

  EXPECT_TRUE(watcher.log.WaitFor("DELETED removed"));
  EXPECT_TRUE(watcher.log.WaitFor("ADDED added"));
  EXPECT_TRUE(watcher.log.WaitFor("MODIFIED changed"));
  server.HoldWatchEvents(false);
  // The new watch continues from the relist.
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("later")));
  EXPECT_TRUE(watcher.log.WaitFor("ADDED later"));
  EXPECT_EQ(watcher.log.Count("ADDED kept"), 1);
  EXPECT_EQ(watcher.log.Count("MODIFIED kept"), 0);
  EXPECT_EQ(CountRequests(server, [](const KubeRequest& r) { return r.method == "GET" && !r.watch; }),
            2);  // the initial list and the relist
}

TEST(ApiClientTest, WatchFromAnExpiredResourceVersionRelists) {
  FakeKubeApiServer server;
  ApiClientPtr client = ClientFor(server);
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("a")));
  const std::string old_rv = std::to_string(server.CurrentResourceVersion());
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("b")));
  server.Compact(server.CurrentResourceVersion());
  Watcher watcher(*client, kPolicies, "apps", old_rv);
  EXPECT_TRUE(watcher.log.WaitFor("ADDED a"));
  EXPECT_TRUE(watcher.log.WaitFor("ADDED b"));
  EXPECT_EQ(CountRequests(server, [](const KubeRequest& r) { return r.watch && r.status == 410; }),
            1);
}

TEST(ApiClientTest, DroppedWatchReconnectsFromTheLastBookmark) {
  FakeKubeApiServer server({.bookmark_interval = milliseconds(50)});
  ApiClientPtr client = ClientFor(server);
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("a")));
  Watcher watcher(*client, kPolicies, "apps");
  ASSERT_TRUE(watcher.log.WaitFor("ADDED a"));
  ASSERT_TRUE(server.WaitForActiveWatches(1, milliseconds(5000)));

  // Another resource moves the global resourceVersion; a bookmark carries it to the watcher.
  ASSERT_TRUE(client->Create({"", "v1", "secrets"}, "apps",
                             {{"metadata", {{"name", "s"}}}, {"data", json::object()}}));
  const std::string rv_at_drop = std::to_string(server.CurrentResourceVersion());
  std::this_thread::sleep_for(milliseconds(300));
  server.DropWatchConnections();
  ASSERT_TRUE(client->Create(kPolicies, "apps", Policy("b")));
  EXPECT_TRUE(watcher.log.WaitFor("ADDED b"));
  ASSERT_TRUE(server.WaitForActiveWatches(1, milliseconds(5000)));
  ASSERT_TRUE(client->Delete(kPolicies, "apps", "a"));
  EXPECT_TRUE(watcher.log.WaitFor("DELETED a"));

  EXPECT_EQ(watcher.log.Entries(),
            (std::vector<std::string>{"ADDED a", "ADDED b", "DELETED a"}));
  std::vector<std::string> watch_rvs;
  for (const KubeRequest& r : server.Requests()) {
    if (r.watch) {
      watch_rvs.push_back(QueryParam(r.query, "resourceVersion"));
      EXPECT_EQ(QueryParam(r.query, "allowWatchBookmarks"), "true");
    }
  }
  ASSERT_GE(watch_rvs.size(), 2u);
  EXPECT_EQ(watch_rvs[1], rv_at_drop);  // resumed from the bookmark, not relisted
  EXPECT_EQ(CountRequests(server, [](const KubeRequest& r) { return r.method == "GET" && !r.watch; }),
            1);
}

TEST(ApiClientTest, WatchStopsPromptlyAndReportsPermanentErrors) {
  FakeKubeApiServer server;
  ApiClientPtr client = ClientFor(server);
  {
    Watcher watcher(*client, kPolicies, "apps");
    ASSERT_TRUE(server.WaitForActiveWatches(1, milliseconds(5000)));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(watcher.Stop());
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  }
  Watcher missing(*client, {"image.toolkit.fluxcd.io", "v9", "imagepolicies"}, "apps");
  for (int i = 0; i < 200 && !missing.done(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(missing.done());
  Result<void> result = missing.Stop();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace imgauto::kube
