// FakeKubeApiServer: an in-process Kubernetes API server on 127.0.0.1 (port 0) for wire tests of
// the in-cluster client and the controllers. Objects live in memory as JSON; the server follows
// the real API server's semantics where the controllers depend on them: discovery documents,
// CRUD with resourceVersion preconditions, merge patches on the object and on `/status`,
// generation bookkeeping, finalizers, label selectors, and watch streams with bookmarks and
// 410 Gone. DEVELOPERS.md ("The loopback Kubernetes API server") lists what is left out.
//
//   FakeKubeApiServer server({.bearer_token = "t0ken"});
//   server.Put({{"apiVersion", "image.toolkit.fluxcd.io/v1"}, {"kind", "ImagePolicy"},
//               {"metadata", {{"namespace", "apps"}, {"name", "app"}}}, {"spec", {...}}});
//   client->Send({.url = server.Url("/apis/image.toolkit.fluxcd.io/v1/namespaces/apps/"
//                                   "imagepolicies/app"), .headers = {{"Authorization", ...}}});
//   server.Compact(server.CurrentResourceVersion());  // older watches now get 410 Gone
//   EXPECT_EQ(server.Requests().back().method, "GET");
//
// Every accessor is thread-safe. Objects are stored once per group and resource; each response
// carries the apiVersion of the request's version (no conversion beyond that, as for CRDs with
// the None strategy).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace imgauto::testing {

struct FakeKubeApiServerOptions {
  bool tls = false;  // serve https with a certificate from a throw-away CA (see ca_pem())
  // When set, every request must carry "Authorization: Bearer <token>" (else 401).
  std::string bearer_token{};
  // group ("" for the core group) → the versions served, replacing the defaults for that group;
  // an empty list hides the group. Unknown versions are ignored.
  std::map<std::string, std::vector<std::string>> served_versions{};
  // Interval of BOOKMARK events on watches that allow them.
  std::chrono::milliseconds bookmark_interval{1000};
  // Longest watch; a request's timeoutSeconds shortens it. Zero: no server-side limit.
  std::chrono::milliseconds max_watch_duration{0};
};

// One request as the server saw it.
struct KubeRequest {
  std::string method{};
  std::string path{};
  std::string query{};  // raw, after '?'
  std::string content_type{};
  std::string bearer_token{};  // the token presented, "" when none
  bool watch = false;
  int status = 0;  // the response status (200 for a watch that started streaming)
};

class FakeKubeApiServer {
 public:
  explicit FakeKubeApiServer(FakeKubeApiServerOptions options = {});
  ~FakeKubeApiServer();
  FakeKubeApiServer(const FakeKubeApiServer&) = delete;
  FakeKubeApiServer& operator=(const FakeKubeApiServer&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port>" or "https://…"
  std::string base_url() const;
  // base_url() + target.
  std::string Url(std::string_view target) const;
  // The CA that signed the server certificate (TLS only; "" otherwise).
  std::string ca_pem() const;

  void SetBearerToken(std::string token);
  void SetServedVersions(const std::string& group, std::vector<std::string> versions);

  // Stores `object` (apiVersion and kind select the resource; metadata.namespace is required for
  // namespaced kinds) as a create or a full replace, without preconditions, keeping .status as
  // given. Assigns resourceVersion (and uid, creationTimestamp, generation on create; generation
  // increments when the spec changes), records the watch event, and returns the stored object.
  // Aborts on an unknown kind.
  nlohmann::json Put(nlohmann::json object);
  // The stored object, with `api_version`, or nullopt.
  std::optional<nlohmann::json> Get(std::string_view api_version, std::string_view kind,
                                    std::string_view ns, std::string_view name) const;
  // Deletes immediately (finalizers ignored). Returns false when absent.
  bool Delete(std::string_view api_version, std::string_view kind, std::string_view ns,
              std::string_view name);

  // The newest resourceVersion handed out.
  std::int64_t CurrentResourceVersion() const;
  // Forgets the history up to and including `rv`: a watch request from a resourceVersion below
  // `rv` gets HTTP 410 Gone, and running watches that have not yet delivered everything up to
  // `rv` get an ERROR event (Status 410, reason Expired) and end cleanly.
  void Compact(std::int64_t rv);
  // Closes every running watch connection abruptly (no terminating chunk).
  void DropWatchConnections();
  // While held, running watches deliver nothing (events queue up; bookmarks pause too).
  void HoldWatchEvents(bool hold);
  // The next `count` requests get `code` (e.g. 500, 503, 429) with a Status body.
  void FailNext(int count, int code);

  std::vector<KubeRequest> Requests() const;
  void ClearRequests();
  // Running watch streams.
  int ActiveWatches() const;
  // Waits until at least `count` watches run; false on timeout.
  bool WaitForActiveWatches(int count, std::chrono::milliseconds timeout) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace imgauto::testing
