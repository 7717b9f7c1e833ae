// Wire tests of the loopback Kubernetes API server: every behaviour through a real HTTP client
// (BeastHttpClient) and, for watch streams, a raw socket that decodes the chunked stream itself.
#include "tests/servers/fake_kube_api_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/http/beast_client.h"

namespace imgauto::testing {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kPolicies = "/apis/image.toolkit.fluxcd.io/v1/namespaces/apps/imagepolicies";

// Reads one watch response from a raw socket and decodes its chunked body line by line.
class WatchStream {
 public:
  WatchStream(std::uint16_t port, const std::string& target, const std::string& token = "") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.empty()) {
      request += "Authorization: Bearer " + token + "\r\n";
    }
    request += "\r\n";
    EXPECT_EQ(::send(fd_, request.data(), request.size(), 0),
              static_cast<ssize_t>(request.size()));
    ReadHeader();
  }
  ~WatchStream() { ::close(fd_); }

  int status() const { return status_; }
  const std::string& header() const { return header_; }
  // The whole body of a non-streaming (error) response.
  json ErrorBody() {
    const std::size_t at = header_.find("Content-Length: ");
    const std::size_t length = at == std::string::npos ? 0 : std::stoul(header_.substr(at + 16));
    while (raw_.size() < length && Fill(milliseconds(3000))) {
    }
    return json::parse(raw_.substr(0, length), nullptr, false);
  }

  // The next event, or nullopt when the stream ended, dropped or `timeout` passed.
  std::optional<json> Next(milliseconds timeout = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      Decode();
      if (const std::size_t nl = data_.find('\n'); nl != std::string::npos) {
        const std::string line = data_.substr(0, nl);
        data_.erase(0, nl + 1);
        return json::parse(line);
      }
      if (ended_ || closed_) {
        return std::nullopt;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
      if (left.count() <= 0 || !Fill(left)) {
        if (!closed_) {
          return std::nullopt;
        }
      }
    }
  }

  // The next event that is not a BOOKMARK.
  std::optional<json> NextEvent(milliseconds timeout = milliseconds(5000)) {
    for (;;) {
      std::optional<json> event = Next(timeout);
      if (!event || (*event)["type"] != "BOOKMARK") {
        return event;
      }
    }
  }

  bool ended_cleanly() const { return ended_; }  // the terminating chunk arrived
  bool dropped() const { return closed_ && !ended_; }

 private:
  bool Fill(milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      return false;
    }
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    raw_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  void ReadHeader() {
    while (raw_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill(milliseconds(5000))) {
        ADD_FAILURE() << "no response header";
        return;
      }
    }
    const std::size_t end = raw_.find("\r\n\r\n");
    header_ = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    status_ = std::stoi(header_.substr(9, 3));
  }

  // Moves complete chunks from raw_ to data_.
  void Decode() {
    if (status_ != 200) {
      return;
    }
    for (;;) {
      const std::size_t crlf = raw_.find("\r\n");
      if (crlf == std::string::npos) {
        return;
      }
      const std::size_t size = std::stoul(raw_.substr(0, crlf), nullptr, 16);
      if (size == 0) {
        ended_ = raw_.size() >= crlf + 4;
        return;
      }
      if (raw_.size() < crlf + 2 + size + 2) {
        return;
      }
      data_ += raw_.substr(crlf + 2, size);
      raw_.erase(0, crlf + 2 + size + 2);
    }
  }

  int fd_ = -1;
  int status_ = 0;
  std::string header_;
  std::string raw_;
  std::string data_;
  bool ended_ = false;
  bool closed_ = false;
};

class FakeKubeApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(FakeKubeApiServerOptions options) {
    server_.reset();
    http::ClientOptions client_options{.timeout = milliseconds(5000)};
    client_options.proxy_from_environment = false;
    if (options.tls) {
      server_ = std::make_unique<FakeKubeApiServer>(options);
      client_options.tls.ca_pem = server_->ca_pem();
    } else {
      server_ = std::make_unique<FakeKubeApiServer>(options);
    }
    Result<http::HttpClientPtr> client = http::BeastHttpClient::Create(client_options);
    ASSERT_TRUE(client) << client.error().message();
    client_ = std::move(*client);
  }

  http::Response Send(const std::string& method, const std::string& target,
                      const std::string& body = "",
                      const std::string& content_type = "application/json",
                      const std::string& token = "") {
    http::Request request{.method = method, .url = server_->Url(target)};
    if (!body.empty()) {
      request.body = body;
      request.headers.emplace_back("Content-Type", content_type);
    }
    if (!token.empty()) {
      request.headers.emplace_back("Authorization", "Bearer " + token);
    }
    Result<http::Response> response = client_->Send(request);
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : http::Response{};
  }

  static json Body(const http::Response& response) {
    return json::parse(response.body, nullptr, false);
  }

  json Policy(const std::string& name, json labels = json::object(), json spec = nullptr) {
    if (spec.is_null()) {
      spec = {{"imageRepositoryRef", {{"name", "app"}}}, {"policy", {{"semver", {{"range", "1.x"}}}}}};
    }
    return {{"apiVersion", "image.toolkit.fluxcd.io/v1"},
            {"kind", "ImagePolicy"},
            {"metadata", {{"name", name}, {"namespace", "apps"}, {"labels", labels}}},
            {"spec", spec}};
  }

  json CreatePolicy(const std::string& name, json labels = json::object()) {
    http::Response response = Send("POST", kPolicies, Policy(name, std::move(labels)).dump());
    EXPECT_EQ(response.status, 201) << response.body;
    return Body(response);
  }

  std::unique_ptr<FakeKubeApiServer> server_;
  http::HttpClientPtr client_;
};

std::vector<std::string> Names(const json& list) {
  std::vector<std::string> names;
  for (const json& item : list["items"]) {
    names.push_back(item["metadata"]["name"]);
  }
  return names;
}

json FindResource(const json& list, const std::string& name) {
  for (const json& resource : list["resources"]) {
    if (resource["name"] == name) {
      return resource;
    }
  }
  return nullptr;
}

TEST_F(FakeKubeApiServerTest, ServesDiscoveryDocuments) {
  json api = Body(Send("GET", "/api"));
  EXPECT_EQ(api["kind"], "APIVersions");
  EXPECT_EQ(api["versions"], json({"v1"}));

  json core = Body(Send("GET", "/api/v1"));
  EXPECT_EQ(core["kind"], "APIResourceList");
  EXPECT_EQ(FindResource(core, "namespaces")["namespaced"], false);
  EXPECT_EQ(FindResource(core, "secrets")["kind"], "Secret");
  EXPECT_EQ(FindResource(core, "serviceaccounts")["namespaced"], true);
  EXPECT_FALSE(FindResource(core, "events").is_null());

  json groups = Body(Send("GET", "/apis"));
  EXPECT_EQ(groups["kind"], "APIGroupList");
  std::map<std::string, json> by_name;
  for (const json& group : groups["groups"]) {
    by_name[group["name"]] = group;
  }
  ASSERT_EQ(by_name.count("image.toolkit.fluxcd.io"), 1u);
  EXPECT_EQ(by_name["image.toolkit.fluxcd.io"]["preferredVersion"]["version"], "v1");
  EXPECT_EQ(by_name["image.toolkit.fluxcd.io"]["versions"].size(), 3u);
  EXPECT_EQ(by_name["source.toolkit.fluxcd.io"]["preferredVersion"]["groupVersion"],
            "source.toolkit.fluxcd.io/v1");
  EXPECT_EQ(by_name.count("coordination.k8s.io"), 1u);
  EXPECT_EQ(by_name.count("events.k8s.io"), 1u);

  json group = Body(Send("GET", "/apis/image.toolkit.fluxcd.io"));
  EXPECT_EQ(group["kind"], "APIGroup");
  EXPECT_EQ(group["versions"][0]["version"], "v1");
  EXPECT_EQ(group["versions"][1]["version"], "v1beta2");
  EXPECT_EQ(group["versions"][2]["version"], "v1beta1");

  json v1 = Body(Send("GET", "/apis/image.toolkit.fluxcd.io/v1"));
  EXPECT_EQ(v1["groupVersion"], "image.toolkit.fluxcd.io/v1");
  EXPECT_EQ(FindResource(v1, "imagepolicies")["kind"], "ImagePolicy");
  EXPECT_EQ(FindResource(v1, "imagepolicies")["verbs"].size(), 8u);
  json status = FindResource(v1, "imagepolicies/status");
  ASSERT_FALSE(status.is_null());
  EXPECT_EQ(status["verbs"], json({"get", "patch", "update"}));
  EXPECT_FALSE(FindResource(v1, "imagerepositories/status").is_null());

  json v1beta1 = Body(Send("GET", "/apis/image.toolkit.fluxcd.io/v1beta1"));
  EXPECT_EQ(v1beta1["resources"].size(), 2u);  // imageupdateautomations and its /status
  EXPECT_FALSE(FindResource(v1beta1, "imageupdateautomations").is_null());

  json leases = Body(Send("GET", "/apis/coordination.k8s.io/v1"));
  EXPECT_EQ(FindResource(leases, "leases")["kind"], "Lease");
  EXPECT_EQ(Send("GET", "/apis/nope.example.com").status, 404);
}

TEST_F(FakeKubeApiServerTest, ServedVersionsAreConfigurable) {
  Start({.served_versions = {{"image.toolkit.fluxcd.io", {"v1beta2"}}}});
  json group = Body(Send("GET", "/apis/image.toolkit.fluxcd.io"));
  EXPECT_EQ(group["preferredVersion"]["version"], "v1beta2");
  EXPECT_EQ(group["versions"].size(), 1u);
  EXPECT_EQ(Send("GET", "/apis/image.toolkit.fluxcd.io/v1").status, 404);
  EXPECT_EQ(Send("GET", kPolicies).status, 404);
  EXPECT_EQ(Send("GET", "/apis/image.toolkit.fluxcd.io/v1beta2/namespaces/apps/imagepolicies").status,
            200);

  server_->SetServedVersions("image.toolkit.fluxcd.io", {"v1", "v1beta2"});
  EXPECT_EQ(Body(Send("GET", "/apis/image.toolkit.fluxcd.io"))["preferredVersion"]["version"],
            "v1");
}

TEST_F(FakeKubeApiServerTest, CreateAssignsMetadataAndRejectsDuplicates) {
  const std::int64_t before = server_->CurrentResourceVersion();
  json created = CreatePolicy("app");
  EXPECT_EQ(created["apiVersion"], "image.toolkit.fluxcd.io/v1");
  EXPECT_EQ(created["kind"], "ImagePolicy");
  EXPECT_EQ(created["metadata"]["generation"], 1);
  EXPECT_EQ(created["metadata"]["resourceVersion"], std::to_string(before + 1));
  EXPECT_EQ(created["metadata"]["uid"].get<std::string>().size(), 36u);
  EXPECT_TRUE(created["metadata"].contains("creationTimestamp"));
  EXPECT_EQ(created["metadata"]["namespace"], "apps");

  http::Response again = Send("POST", kPolicies, Policy("app").dump());
  EXPECT_EQ(again.status, 409);
  json status = Body(again);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "AlreadyExists");
  EXPECT_EQ(status["code"], 409);
  EXPECT_EQ(status["message"], "imagepolicies.image.toolkit.fluxcd.io \"app\" already exists");

  // The same object through another served version.
  json v1beta2 =
      Body(Send("GET", "/apis/image.toolkit.fluxcd.io/v1beta2/namespaces/apps/imagepolicies/app"));
  EXPECT_EQ(v1beta2["apiVersion"], "image.toolkit.fluxcd.io/v1beta2");
  EXPECT_EQ(v1beta2["metadata"]["uid"], created["metadata"]["uid"]);
}

TEST_F(FakeKubeApiServerTest, CreateDropsStatusAndNeedsAName) {
  json policy = Policy("app");
  policy["status"] = {{"observedGeneration", 7}};
  json created = Body(Send("POST", kPolicies, policy.dump()));
  EXPECT_FALSE(created.contains("status"));

  json unnamed = Policy("");
  unnamed["metadata"].erase("name");
  http::Response response = Send("POST", kPolicies, unnamed.dump());
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(Body(response)["reason"], "Invalid");
  unnamed["metadata"]["generateName"] = "app-";
  json generated = Body(Send("POST", kPolicies, unnamed.dump()));
  EXPECT_EQ(generated["metadata"]["name"].get<std::string>().rfind("app-", 0), 0u);

  json elsewhere = Policy("x");
  elsewhere["metadata"]["namespace"] = "other";
  EXPECT_EQ(Send("POST", kPolicies, elsewhere.dump()).status, 400);
}

TEST_F(FakeKubeApiServerTest, GetAndDeleteAnswerNotFoundLikeTheRealServer) {
  CreatePolicy("app");
  http::Response got = Send("GET", std::string(kPolicies) + "/app");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.Header("Content-Type"), "application/json");

  http::Response missing = Send("GET", std::string(kPolicies) + "/nope");
  EXPECT_EQ(missing.status, 404);
  json status = Body(missing);
  EXPECT_EQ(status["reason"], "NotFound");
  EXPECT_EQ(status["message"], "imagepolicies.image.toolkit.fluxcd.io \"nope\" not found");
  EXPECT_EQ(status["details"]["kind"], "imagepolicies");
  EXPECT_EQ(Body(Send("GET", "/api/v1/namespaces/apps/secrets/s"))["message"],
            "secrets \"s\" not found");

  EXPECT_EQ(Send("DELETE", std::string(kPolicies) + "/app").status, 200);
  EXPECT_EQ(Send("GET", std::string(kPolicies) + "/app").status, 404);
  EXPECT_EQ(Send("DELETE", std::string(kPolicies) + "/app").status, 404);
  EXPECT_EQ(Send("GET", "/apis/image.toolkit.fluxcd.io/v1/namespaces/apps/nothings").status, 404);
}

TEST_F(FakeKubeApiServerTest, ListsFilterByLabelSelectorAndNamespace) {
  CreatePolicy("a", {{"app", "a"}, {"tier", "web"}});
  CreatePolicy("b", {{"app", "b"}});
  CreatePolicy("c", {{"app", "c"}, {"tier", "db"}});
  json other = Policy("d", {{"app", "a"}});
  other["metadata"]["namespace"] = "other";
  server_->Put(other);

  json all = Body(Send("GET", kPolicies));
  EXPECT_EQ(all["kind"], "ImagePolicyList");
  EXPECT_EQ(all["metadata"]["resourceVersion"], std::to_string(server_->CurrentResourceVersion()));
  EXPECT_EQ(Names(all), (std::vector<std::string>{"a", "b", "c"}));

  auto select = [&](const std::string& encoded) {
    return Names(Body(Send("GET", std::string(kPolicies) + "?labelSelector=" + encoded)));
  };
  EXPECT_EQ(select("app%3Da"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(select("app%3D%3Db"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(select("app!%3Da"), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(select("app%20in%20(a%2Cc)"), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(select("app+notin+(a,c)"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(select("tier"), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(select("!tier"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(select("app%20in%20(a,b),tier!%3Dweb"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(Send("GET", std::string(kPolicies) + "?labelSelector=app%20in%20a").status, 400);

  EXPECT_EQ(Names(Body(Send("GET", std::string(kPolicies) + "?fieldSelector=metadata.name%3Db"))),
            (std::vector<std::string>{"b"}));
  EXPECT_EQ(Send("GET", std::string(kPolicies) + "?fieldSelector=spec.x%3Db").status, 400);

  json everywhere = Body(Send("GET", "/apis/image.toolkit.fluxcd.io/v1/imagepolicies"));
  EXPECT_EQ(everywhere["items"].size(), 4u);
  EXPECT_EQ(Names(Body(Send("GET", "/apis/image.toolkit.fluxcd.io/v1/imagepolicies?labelSelector=app%3Da"))),
            (std::vector<std::string>{"a", "d"}));  // ordered by namespace, then name
}

TEST_F(FakeKubeApiServerTest, UpdateHonoursResourceVersionPreconditionAndKeepsStatus) {
  json created = CreatePolicy("app");
  server_->Put([&] {
    json with_status = created;
    with_status["status"] = {{"observedGeneration", 1}};
    return with_status;
  }());
  json current = Body(Send("GET", std::string(kPolicies) + "/app"));

  json stale = current;
  stale["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"];
  stale["spec"]["policy"]["semver"]["range"] = "2.x";
  http::Response conflict = Send("PUT", std::string(kPolicies) + "/app", stale.dump());
  EXPECT_EQ(conflict.status, 409);
  json status = Body(conflict);
  EXPECT_EQ(status["reason"], "Conflict");
  EXPECT_EQ(status["message"],
            "Operation cannot be fulfilled on imagepolicies.image.toolkit.fluxcd.io \"app\": the "
            "object has been modified; please apply your changes to the latest version and try "
            "again");

  json fresh = current;
  fresh["spec"]["policy"]["semver"]["range"] = "2.x";
  fresh["status"] = {{"observedGeneration", 99}};
  json updated = Body(Send("PUT", std::string(kPolicies) + "/app", fresh.dump()));
  EXPECT_EQ(updated["metadata"]["generation"], 2);
  EXPECT_EQ(updated["status"]["observedGeneration"], 1);  // the main resource ignores .status
  EXPECT_EQ(std::stoll(updated["metadata"]["resourceVersion"].get<std::string>()),
            std::stoll(current["metadata"]["resourceVersion"].get<std::string>()) + 1);
  EXPECT_EQ(updated["metadata"]["uid"], created["metadata"]["uid"]);

  // A no-op update keeps the resourceVersion.
  json same = Body(Send("PUT", std::string(kPolicies) + "/app", updated.dump()));
  EXPECT_EQ(same["metadata"]["resourceVersion"], updated["metadata"]["resourceVersion"]);

  // PUT on /status changes only .status.
  json status_write = updated;
  status_write["status"] = {{"observedGeneration", 2}};
  status_write["spec"]["policy"]["semver"]["range"] = "3.x";
  json after = Body(Send("PUT", std::string(kPolicies) + "/app/status", status_write.dump()));
  EXPECT_EQ(after["status"]["observedGeneration"], 2);
  EXPECT_EQ(after["spec"]["policy"]["semver"]["range"], "2.x");
  EXPECT_EQ(after["metadata"]["generation"], 2);
  EXPECT_EQ(Send("PUT", std::string(kPolicies) + "/nope", Policy("nope").dump()).status, 404);
}

TEST_F(FakeKubeApiServerTest, MergePatchFollowsRfc7386AndTheStatusSubresource) {
  CreatePolicy("app", {{"keep", "1"}, {"drop", "2"}});
  const std::string path = std::string(kPolicies) + "/app";
  const std::string merge = "application/merge-patch+json";

  // Status patch: only .status changes, generation stays.
  json patched = Body(Send(
      "PATCH", path + "/status",
      R"({"spec":{"policy":{"semver":{"range":"9.x"}}},"status":{"observedGeneration":1,"latestRef":{"name":"a","tag":"1.0.0"}}})",
      merge));
  EXPECT_EQ(patched["spec"]["policy"]["semver"]["range"], "1.x");
  EXPECT_EQ(patched["status"]["latestRef"]["tag"], "1.0.0");
  EXPECT_EQ(patched["metadata"]["generation"], 1);

  // Main patch: .status is ignored; labels do not bump the generation; null deletes.
  json labels = Body(Send("PATCH", path,
                          R"({"metadata":{"labels":{"drop":null,"new":"3"}},"status":{"x":1}})",
                          merge));
  EXPECT_EQ(labels["metadata"]["labels"], json({{"keep", "1"}, {"new", "3"}}));
  EXPECT_FALSE(labels["status"].contains("x"));
  EXPECT_EQ(labels["status"]["latestRef"]["tag"], "1.0.0");
  EXPECT_EQ(labels["metadata"]["generation"], 1);

  json spec = Body(Send("PATCH", path, R"({"spec":{"policy":{"semver":{"range":"2.x"}}}})", merge));
  EXPECT_EQ(spec["metadata"]["generation"], 2);
  EXPECT_EQ(spec["spec"]["imageRepositoryRef"]["name"], "app");

  // resourceVersion in the patch is a precondition.
  http::Response stale = Send("PATCH", path + "/status",
                              R"({"metadata":{"resourceVersion":"1"},"status":{"a":1}})", merge);
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(Body(stale)["reason"], "Conflict");
  json ok = Body(Send("PATCH", path + "/status",
                      json{{"metadata", {{"resourceVersion", spec["metadata"]["resourceVersion"]}}},
                           {"status", {{"a", 1}}}}
                          .dump(),
                      merge));
  EXPECT_EQ(ok["status"]["a"], 1);

  EXPECT_EQ(Send("PATCH", path, R"([{"op":"remove","path":"/spec"}])", "application/json-patch+json")
                .status,
            415);
  EXPECT_EQ(Send("PATCH", std::string(kPolicies) + "/nope", "{}", merge).status, 404);
  EXPECT_EQ(Send("PATCH", "/api/v1/namespaces/apps/secrets/s/status", "{}", merge).status, 404);
}

TEST_F(FakeKubeApiServerTest, InvalidJsonIsUnprocessable) {
  http::Response response = Send("POST", kPolicies, "{not json");
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(Body(response)["code"], 422);
  CreatePolicy("app");
  EXPECT_EQ(Send("PATCH", std::string(kPolicies) + "/app", "{oops", "application/merge-patch+json")
                .status,
            422);
}

TEST_F(FakeKubeApiServerTest, BearerTokenIsRequiredWhenConfigured) {
  Start({.bearer_token = "first-token"});
  http::Response none = Send("GET", "/api");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(Body(none)["reason"], "Unauthorized");
  EXPECT_EQ(Send("GET", "/api", "", "", "wrong").status, 401);
  EXPECT_EQ(Send("GET", "/api", "", "", "first-token").status, 200);
  server_->SetBearerToken("second-token");
  EXPECT_EQ(Send("GET", "/api", "", "", "first-token").status, 401);
  EXPECT_EQ(Send("GET", "/api", "", "", "second-token").status, 200);
  EXPECT_EQ(server_->Requests().back().bearer_token, "second-token");
}

TEST_F(FakeKubeApiServerTest, FailNextInjectsErrorsAndRequestsAreLogged) {
  server_->FailNext(2, 503);
  EXPECT_EQ(Send("GET", kPolicies).status, 503);
  http::Response second = Send("GET", kPolicies);
  EXPECT_EQ(second.status, 503);
  EXPECT_EQ(Body(second)["reason"], "ServiceUnavailable");
  EXPECT_EQ(Send("GET", kPolicies).status, 200);
  server_->FailNext(1, 429);
  EXPECT_EQ(Send("GET", kPolicies).status, 429);

  server_->ClearRequests();
  Send("PATCH", std::string(kPolicies) + "/x", "{}", "application/merge-patch+json");
  Send("GET", std::string(kPolicies) + "?labelSelector=a%3Db");
  std::vector<KubeRequest> log = server_->Requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].method, "PATCH");
  EXPECT_EQ(log[0].path, std::string(kPolicies) + "/x");
  EXPECT_EQ(log[0].content_type, "application/merge-patch+json");
  EXPECT_EQ(log[0].status, 404);
  EXPECT_EQ(log[1].query, "labelSelector=a%3Db");
  EXPECT_FALSE(log[1].watch);
}

TEST_F(FakeKubeApiServerTest, NamespacesAreClusterScoped) {
  http::Response created = Send(
      "POST", "/api/v1/namespaces", R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"apps","labels":{"team":"a"}}})");
  EXPECT_EQ(created.status, 201);
  json ns = Body(Send("GET", "/api/v1/namespaces/apps"));
  EXPECT_EQ(ns["metadata"]["labels"]["team"], "a");
  EXPECT_FALSE(ns["metadata"].contains("namespace"));
  EXPECT_EQ(ns["status"]["phase"], "Active");
  EXPECT_EQ(Body(Send("GET", "/api/v1/namespaces"))["items"].size(), 1u);

  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata", {{"name", "creds"}}},
                 {"data", {{"token", "dG9rZW4="}}}};
  EXPECT_EQ(Send("POST", "/api/v1/namespaces/apps/secrets", secret.dump()).status, 201);
  EXPECT_EQ(Body(Send("GET", "/api/v1/namespaces/apps/secrets/creds"))["data"]["token"],
            "dG9rZW4=");
  EXPECT_EQ(Body(Send("GET", "/api/v1/secrets"))["items"].size(), 1u);
}

TEST_F(FakeKubeApiServerTest, FinalizersDelayDeletion) {
  json policy = Policy("app");
  policy["metadata"]["finalizers"] = {"finalizers.fluxcd.io"};
  Send("POST", kPolicies, policy.dump());
  const std::string path = std::string(kPolicies) + "/app";
  json deleting = Body(Send("DELETE", path));
  EXPECT_TRUE(deleting["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(Send("GET", path).status, 200);
  Send("PATCH", path, R"({"metadata":{"finalizers":null}})", "application/merge-patch+json");
  EXPECT_EQ(Send("GET", path).status, 404);
}

TEST_F(FakeKubeApiServerTest, PutAndGetHooksTrackGeneration) {
  json stored = server_->Put(Policy("app"));
  EXPECT_EQ(stored["metadata"]["generation"], 1);
  json changed = Policy("app");
  changed["spec"]["policy"]["semver"]["range"] = "5.x";
  changed["status"] = {{"observedGeneration", 1}};
  stored = server_->Put(changed);
  EXPECT_EQ(stored["metadata"]["generation"], 2);
  std::optional<json> got =
      server_->Get("image.toolkit.fluxcd.io/v1beta2", "ImagePolicy", "apps", "app");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["apiVersion"], "image.toolkit.fluxcd.io/v1beta2");
  EXPECT_EQ((*got)["status"]["observedGeneration"], 1);
  EXPECT_TRUE(server_->Delete("image.toolkit.fluxcd.io/v1", "ImagePolicy", "apps", "app"));
  EXPECT_FALSE(server_->Get("image.toolkit.fluxcd.io/v1", "ImagePolicy", "apps", "app"));
}

TEST_F(FakeKubeApiServerTest, WatchStreamsEventsAfterTheResourceVersion) {
  CreatePolicy("before");
  const std::string rv = std::to_string(server_->CurrentResourceVersion());
  WatchStream watch(server_->port(), std::string(kPolicies) + "?watch=1&resourceVersion=" + rv);
  ASSERT_EQ(watch.status(), 200);
  EXPECT_NE(watch.header().find("Transfer-Encoding: chunked"), std::string::npos);
  ASSERT_TRUE(server_->WaitForActiveWatches(1, milliseconds(2000)));

  CreatePolicy("app");
  Send("PATCH", std::string(kPolicies) + "/app", R"({"spec":{"suspend":true}})",
       "application/merge-patch+json");
  Send("DELETE", std::string(kPolicies) + "/app");

  std::optional<json> added = watch.Next();
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)["type"], "ADDED");
  EXPECT_EQ((*added)["object"]["metadata"]["name"], "app");
  EXPECT_EQ((*added)["object"]["apiVersion"], "image.toolkit.fluxcd.io/v1");
  std::optional<json> modified = watch.Next();
  ASSERT_TRUE(modified);
  EXPECT_EQ((*modified)["type"], "MODIFIED");
  EXPECT_EQ((*modified)["object"]["spec"]["suspend"], true);
  std::optional<json> deleted = watch.Next();
  ASSERT_TRUE(deleted);
  EXPECT_EQ((*deleted)["type"], "DELETED");
  EXPECT_GT(std::stoll((*deleted)["object"]["metadata"]["resourceVersion"].get<std::string>()),
            std::stoll((*modified)["object"]["metadata"]["resourceVersion"].get<std::string>()));
  EXPECT_FALSE(watch.Next(milliseconds(200)));  // nothing else, "before" included
  int watches = 0;
  for (const KubeRequest& request : server_->Requests()) {
    watches += request.watch ? 1 : 0;
  }
  EXPECT_EQ(watches, 1);
}

TEST_F(FakeKubeApiServerTest, WatchFromZeroStartsWithTheCurrentObjects) {
  CreatePolicy("a");
  CreatePolicy("b");
  WatchStream watch(server_->port(), std::string(kPolicies) + "?watch=true&resourceVersion=0");
  std::optional<json> first = watch.Next();
  std::optional<json> second = watch.Next();
  ASSERT_TRUE(first && second);
  EXPECT_EQ((*first)["type"], "ADDED");
  EXPECT_EQ((*second)["object"]["metadata"]["name"], "b");
}

TEST_F(FakeKubeApiServerTest, WatchWithLabelSelectorSeesObjectsEnterAndLeave) {
  CreatePolicy("app", {{"shard", "a"}});
  WatchStream watch(server_->port(),
                    std::string(kPolicies) + "?watch=1&labelSelector=shard%3Da&resourceVersion=" +
                        std::to_string(server_->CurrentResourceVersion()));
  ASSERT_TRUE(server_->WaitForActiveWatches(1, milliseconds(2000)));
  const std::string merge = "application/merge-patch+json";
  Send("PATCH", std::string(kPolicies) + "/app", R"({"metadata":{"labels":{"shard":"b"}}})", merge);
  CreatePolicy("other", {{"shard", "b"}});
  Send("PATCH", std::string(kPolicies) + "/app", R"({"metadata":{"labels":{"shard":"a"}}})", merge);
  std::optional<json> left = watch.Next();
  std::optional<json> back = watch.Next();
  ASSERT_TRUE(left && back);
  EXPECT_EQ((*left)["type"], "DELETED");
  EXPECT_EQ((*back)["type"], "ADDED");
  EXPECT_EQ((*back)["object"]["metadata"]["name"], "app");
}

TEST_F(FakeKubeApiServerTest, WatchSendsBookmarksWhenAllowed) {
  Start({.bookmark_interval = milliseconds(100)});
  CreatePolicy("app");
  WatchStream watch(server_->port(),
                    std::string(kPolicies) + "?watch=1&allowWatchBookmarks=true&resourceVersion=" +
                        std::to_string(server_->CurrentResourceVersion()));
  server_->Put(json{{"apiVersion", "v1"},
                    {"kind", "Secret"},
                    {"metadata", {{"name", "s"}, {"namespace", "apps"}}}});  // another resource
  std::optional<json> bookmark = watch.Next(milliseconds(2000));
  ASSERT_TRUE(bookmark);
  EXPECT_EQ((*bookmark)["type"], "BOOKMARK");
  EXPECT_EQ((*bookmark)["object"]["metadata"].size(), 1u);
  EXPECT_EQ((*bookmark)["object"]["metadata"]["resourceVersion"],
            std::to_string(server_->CurrentResourceVersion()));

  WatchStream plain(server_->port(), std::string(kPolicies) + "?watch=1&resourceVersion=" +
                                         std::to_string(server_->CurrentResourceVersion()));
  EXPECT_FALSE(plain.Next(milliseconds(400)));
  EXPECT_FALSE(plain.dropped());
}

TEST_F(FakeKubeApiServerTest, WatchEndsCleanlyAtTimeoutSeconds) {
  const auto start = std::chrono::steady_clock::now();
  WatchStream watch(server_->port(), std::string(kPolicies) + "?watch=1&timeoutSeconds=1");
  EXPECT_FALSE(watch.Next(milliseconds(3000)));
  EXPECT_TRUE(watch.ended_cleanly());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(900));
  EXPECT_TRUE([&] {
    for (int i = 0; i < 100 && server_->ActiveWatches() != 0; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    return server_->ActiveWatches() == 0;
  }());
}

TEST_F(FakeKubeApiServerTest, WatchFromACompactedResourceVersionIsGone) {
  CreatePolicy("a");
  const std::string old_rv = std::to_string(server_->CurrentResourceVersion());
  CreatePolicy("b");
  server_->Compact(server_->CurrentResourceVersion());
  WatchStream watch(server_->port(),
                    std::string(kPolicies) + "?watch=1&resourceVersion=" + old_rv);
  EXPECT_EQ(watch.status(), 410);
  json status = watch.ErrorBody();
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["code"], 410);
  EXPECT_EQ(status["reason"], "Expired");

  // From the compaction point itself nothing was lost: the watch starts.
  WatchStream current(server_->port(), std::string(kPolicies) + "?watch=1&resourceVersion=" +
                                           std::to_string(server_->CurrentResourceVersion()));
  EXPECT_EQ(current.status(), 200);
}

TEST_F(FakeKubeApiServerTest, CompactionDuringAWatchSendsAnErrorEvent) {
  WatchStream watch(server_->port(), std::string(kPolicies) + "?watch=1&resourceVersion=" +
                                         std::to_string(server_->CurrentResourceVersion()));
  ASSERT_TRUE(server_->WaitForActiveWatches(1, milliseconds(2000)));
  server_->HoldWatchEvents(true);
  CreatePolicy("a");
  CreatePolicy("b");
  server_->Compact(server_->CurrentResourceVersion());
  std::optional<json> error = watch.Next();
  ASSERT_TRUE(error);
  EXPECT_EQ((*error)["type"], "ERROR");
  EXPECT_EQ((*error)["object"]["code"], 410);
  EXPECT_EQ((*error)["object"]["reason"], "Expired");
  EXPECT_FALSE(watch.Next());
  EXPECT_TRUE(watch.ended_cleanly());
  server_->HoldWatchEvents(false);
}

TEST_F(FakeKubeApiServerTest, DropWatchConnectionsClosesStreamsAbruptly) {
  WatchStream watch(server_->port(), std::string(kPolicies) + "?watch=1");
  ASSERT_TRUE(server_->WaitForActiveWatches(1, milliseconds(2000)));
  server_->DropWatchConnections();
  EXPECT_FALSE(watch.Next());
  EXPECT_TRUE(watch.dropped());
  // New watches work afterwards.
  WatchStream again(server_->port(), std::string(kPolicies) + "?watch=1");
  CreatePolicy("a");
  std::optional<json> added = again.Next();
  ASSERT_TRUE(added);
  EXPECT_EQ((*added)["type"], "ADDED");
}

TEST_F(FakeKubeApiServerTest, WatchRequiresTheBearerToken) {
  Start({.bearer_token = "t0ken-value"});
  WatchStream denied(server_->port(), std::string(kPolicies) + "?watch=1");
  EXPECT_EQ(denied.status(), 401);
  WatchStream allowed(server_->port(), std::string(kPolicies) + "?watch=1", "t0ken-value");
  EXPECT_EQ(allowed.status(), 200);
}

TEST_F(FakeKubeApiServerTest, ServesTlsWithAGeneratedCa) {
  Start({.tls = true});
  EXPECT_EQ(server_->base_url().rfind("https://127.0.0.1:", 0), 0u);
  EXPECT_NE(server_->ca_pem().find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(Send("GET", "/apis").status, 200);
}

}  // namespace
}  // namespace imgauto::testing
