// ApiClient: the Kubernetes API client of the in-cluster controllers. JSON in, JSON out
// (nlohmann::json); typed decoding stays with reflector/api and automation/api.
//
//   Result<ApiClientPtr> client = ApiClient::Create(*config, {.logger = &log});
//   Result<std::string> version =
//       (*client)->PreferredVersion("image.toolkit.fluxcd.io", {"v1", "v1beta2"});
//   const Resource policies{"image.toolkit.fluxcd.io", *version, "imagepolicies"};
//   Result<nlohmann::json> list = (*client)->List(policies, "apps");
//   (*client)->MergePatchStatus(policies, "apps", "app", {{"status", status_json}});
//   (*client)->Watch(policies, "", "", [](const WatchEvent& e) { … }, stop_source.get_token());
//
// Requests carry the bearer token of the configuration (a token file is re-read when it
// changes, and once more after a 401). Errors name the verb, the resource and the object and
// carry the Status message of the API server; they never contain the token.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/kube/kubeconfig.h"

namespace imgauto {
class Logger;
}  // namespace imgauto

namespace imgauto::kube {

// A resource collection: {"image.toolkit.fluxcd.io", "v1", "imagepolicies"}; group "" is the
// core group ("/api/v1/…").
struct Resource {
  std::string group{};
  std::string version{};
  std::string plural{};
  bool namespaced = true;

  // "/apis/<g>/<v>[/namespaces/<ns>]/<plural>" ("" namespace: across all namespaces, or a
  // cluster-scoped kind).
  std::string CollectionPath(std::string_view ns) const;
  // CollectionPath(ns) + "/<name>"
  std::string ObjectPath(std::string_view ns, std::string_view name) const;
  // "imagepolicies.image.toolkit.fluxcd.io" (as in API messages)
  std::string Qualified() const;
};

struct ListOptions {
  std::string label_selector{};  // "app=a,tier in (web)"
  std::string field_selector{};  // "metadata.name=x"
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted };
  Type type = Type::kAdded;
  nlohmann::json object;
};

using WatchCallback = std::function<void(const WatchEvent&)>;

struct WatchOptions {
  ListOptions selectors{};
  // timeoutSeconds of each watch request; the server ends the stream then and we reconnect.
  std::chrono::seconds server_timeout{300};
  // Reconnect backoff after a failure: doubles from min to max, reset by a delivered event.
  std::chrono::milliseconds min_backoff{250};
  std::chrono::milliseconds max_backoff{30000};
  // Silence (no event, no bookmark) after which the connection counts as dead.
  std::chrono::milliseconds idle_timeout{0};  // zero: server_timeout + 30 s
};

struct ApiClientOptions {
  std::chrono::milliseconds timeout{30000};  // per request
  // Retries of 429 (every verb) and of 5xx / transport failures (reads only).
  int max_retries = 3;
  std::chrono::milliseconds retry_backoff{200};
  // Extra attempts of MergePatchStatus after a 409 Conflict.
  int max_conflict_retries = 5;
  bool proxy_from_environment = true;
  const Logger* logger = nullptr;  // borrowed; may be null
  // Called after every HTTP request (each retry, each watch connection) with the method, the
  // API server's host[:port] as configured, and the status code, 0 when no answer arrived
  // (client-go's rest_client_requests_total). A watch is reported as 200 when its first line
  // arrives, else with its status when the request ends. Called from the requesting thread,
  // concurrently when watches run: it must be thread-safe.
  std::function<void(std::string_view method, std::string_view host, int code)> on_response{};
};

// Thread-safe: plain requests share one keep-alive connection (serialised); every Watch has its
// own connection and runs on the calling thread.
class ApiClient {
 public:
  // Validates the TLS material (kInvalidSpec) and the server URL.
  static Result<std::unique_ptr<ApiClient>> Create(ClusterConfig config,
                                                   ApiClientOptions options = {});
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // The version of `group` to use: the server's preferred version when we support it, else the
  // first served version (in the server's priority order) that we support. kNotFound when the
  // group is not served or none of `supported` is.
  Result<std::string> PreferredVersion(std::string_view group,
                                       const std::vector<std::string>& supported);

  // Errors: kNotFound (404), kConflict (409), kUnauthorized (401/403), kTransient (429, 5xx,
  // transport), kInvalidSpec (other 4xx).
  Result<nlohmann::json> Get(const Resource& resource, std::string_view ns, std::string_view name);
  // The <Kind>List object (items, metadata.resourceVersion).
  Result<nlohmann::json> List(const Resource& resource, std::string_view ns,
                              const ListOptions& options = {});
  Result<nlohmann::json> Create(const Resource& resource, std::string_view ns,
                                const nlohmann::json& object);
  // PUT; object.metadata.resourceVersion, when set, is a precondition (kConflict).
  Result<nlohmann::json> Update(const Resource& resource, std::string_view ns,
                                const nlohmann::json& object);
  Result<void> Delete(const Resource& resource, std::string_view ns, std::string_view name);
  // application/merge-patch+json on the object (the server ignores .status there).
  Result<nlohmann::json> MergePatch(const Resource& resource, std::string_view ns,
                                    std::string_view name, const nlohmann::json& patch);
  // application/merge-patch+json on /status. When the patch carries metadata.resourceVersion
  // and the server answers 409, the object is read again and the patch re-sent with the new
  // resourceVersion, at most max_conflict_retries times.
  Result<nlohmann::json> MergePatchStatus(const Resource& resource, std::string_view ns,
                                          std::string_view name, const nlohmann::json& patch);

  // Lists (when `resource_version` is "") and then watches `resource` in `ns` ("" for all),
  // calling `callback` on this thread for every change: the initial list arrives as kAdded.
  // Bookmarks advance the resourceVersion silently. On 410 Gone (HTTP or ERROR event) it lists
  // again and reports the difference to what it reported before (kAdded / kModified /
  // kDeleted), so no change is lost. Dropped connections and server errors reconnect from the
  // last resourceVersion with exponential backoff. Returns success when `stop` is requested;
  // an error only for permanent failures (401 after the token was re-read, 403, 404).
  Result<void> Watch(const Resource& resource, std::string_view ns, std::string resource_version,
                     const WatchCallback& callback, std::stop_token stop,
                     const WatchOptions& options = {});

 private:
  class Impl;
  explicit ApiClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

using ApiClientPtr = std::unique_ptr<ApiClient>;

}  // namespace imgauto::kube
