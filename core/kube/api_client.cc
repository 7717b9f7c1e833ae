#include "core/kube/api_client.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/http/beast_client.h"
#include "core/http/client.h"
#include "core/http/stream_client.h"
#include "core/kube/token_source.h"
#include "core/log.h"
#include "core/strings.h"

namespace imgauto::kube {
namespace {

using json = nlohmann::json;

// Percent-encodes a query component (RFC 3986 unreserved bytes stay).
std::string QueryEscape(std::string_view text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string SelectorQuery(const ListOptions& options) {
  std::string query;
  if (!options.label_selector.empty()) {
    query += "&labelSelector=" + QueryEscape(options.label_selector);
  }
  if (!options.field_selector.empty()) {
    query += "&fieldSelector=" + QueryEscape(options.field_selector);
  }
  return query;
}

ErrorKind KindForStatus(int status) {
  switch (status) {
    case 404:
      return ErrorKind::kNotFound;
    case 409:
      return ErrorKind::kConflict;
    case 410:
      return ErrorKind::kTransient;
    default:
      return http::ErrorKindForStatus(status);
  }
}

// "<what>: <Status message>" (or the HTTP status when the body is no Status).
Error ApiError(const http::Response& response, const std::string& what) {
  std::string detail;
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    detail = body["message"].get<std::string>();
  } else {
    detail = "HTTP " + std::to_string(response.status) +
             (response.reason.empty() ? "" : " " + response.reason);
  }
  return Error(KindForStatus(response.status), what + ": " + detail);
}

std::string ObjectKey(const json& object) {
  const json& meta = object.contains("metadata") ? object["metadata"] : json::object();
  return meta.value("namespace", "") + "/" + meta.value("name", "");
}

std::string ResourceVersionOf(const json& object) {
  if (object.is_object() && object.contains("metadata") && object["metadata"].is_object()) {
    return object["metadata"].value("resourceVersion", "");
  }
  return "";
}

// Waits `duration` unless `stop` fires first; false when stopped.
bool SleepFor(std::chrono::milliseconds duration, const std::stop_token& stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace

std::string Resource::CollectionPath(std::string_view ns) const {
  std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) {
    path += "/namespaces/" + std::string(ns);
  }
  return path + "/" + plural;
}

std::string Resource::ObjectPath(std::string_view ns, std::string_view name) const {
  return CollectionPath(ns) + "/" + std::string(name);
}

std::string Resource::Qualified() const { return group.empty() ? plural : plural + "." + group; }

class ApiClient::Impl {
 public:
  Impl(ClusterConfig config, ApiClientOptions options)
      : config_(std::move(config)),
        options_(options),
        tokens_(config_.token, config_.token_file) {
    while (!config_.server.empty() && config_.server.back() == '/') {
      config_.server.pop_back();
    }
    const std::size_t scheme = config_.server.find("://");
    host_ = scheme == std::string::npos ? config_.server : config_.server.substr(scheme + 3);
    host_ = host_.substr(0, host_.find('/'));
  }

  Result<void> Init() {
    if (config_.server.rfind("https://", 0) != 0 && config_.server.rfind("http://", 0) != 0) {
      return Error(ErrorKind::kInvalidSpec,
                   "invalid API server address " + Quote(config_.server) +
                       ": expected https://host[:port]");
    }
    http::ClientOptions client_options;
    client_options.timeout = options_.timeout;
    client_options.tls = Tls();
    client_options.proxy_from_environment = options_.proxy_from_environment;
    client_options.logger = options_.logger;
    Result<http::HttpClientPtr> client = http::BeastHttpClient::Create(client_options);
    if (!client) {
      return client.error().Wrap("configuring the Kubernetes API client");
    }
    http_ = std::move(*client);
    return {};
  }

  // Sends one request with the token, retrying 429 (and 5xx / transport failures when
  // `idempotent`), and once after a 401 with the token file re-read.
  Result<http::Response> Send(const std::string& method, const std::string& target,
                              const std::string& body, const std::string& content_type,
                              bool idempotent) {
    bool reauthenticated = false;
    std::chrono::milliseconds backoff = options_.retry_backoff;
    for (int attempt = 0;; ++attempt) {
      http::Request request{.method = method, .url = config_.server + target};
      request.headers.emplace_back("Accept", "application/json");
      AddToken(request.headers);
      if (!body.empty()) {
        request.body = body;
        request.headers.emplace_back("Content-Type", content_type);
      }
      Result<http::Response> response = http_->Send(request);
      Report(method, response ? response->status : 0);
      const bool retries_left = attempt < options_.max_retries;
      if (!response) {
        if (idempotent && retries_left && response.error().kind() == ErrorKind::kTransient) {
          std::this_thread::sleep_for(backoff);
          backoff *= 2;
          continue;
        }
        return response.error();
      }
      if (response->status == 401 && !reauthenticated && !config_.token_file.empty()) {
        reauthenticated = true;
        tokens_.Invalidate();
        continue;
      }
      if (retries_left &&
          (response->status == 429 || (idempotent && response->status >= 500))) {
        std::chrono::milliseconds wait = backoff;
        if (std::optional<std::string> after = response->Header("Retry-After")) {
          const long seconds = std::atol(after->c_str());
          if (seconds > 0) {
            wait = std::min(std::chrono::milliseconds(seconds * 1000),
                            std::chrono::milliseconds(10000));
          }
        }
        std::this_thread::sleep_for(wait);
        backoff *= 2;
        continue;
      }
      return response;
    }
  }

  void AddToken(http::HeaderList& headers) {
    const std::string token = tokens_.Token();
    if (!token.empty()) {
      headers.emplace_back("Authorization", "Bearer " + token);
    }
  }

  // Decodes a 2xx JSON body, or turns the answer into an error.
  Result<json> Decode(Result<http::Response> response, const std::string& what) {
    if (!response) {
      return response.error().Wrap(what);
    }
    if (response->status < 200 || response->status >= 300) {
      return ApiError(*response, what);
    }
    json body = json::parse(response->body, nullptr, false);
    if (body.is_discarded()) {
      return Error(ErrorKind::kTransient, what + ": the response is not JSON");
    }
    return body;
  }

  Result<std::string> PreferredVersion(std::string_view group,
                                       const std::vector<std::string>& supported) {
    const std::string what = "discovering API group " + Quote(group.empty() ? "core" : group);
    std::vector<std::string> served;
    std::string preferred;
    if (group.empty()) {
      Result<json> versions = Decode(Send("GET", "/api", "", "", true), what);
      if (!versions) {
        return versions.error();
      }
      for (const json& v : (*versions).value("versions", json::array())) {
        served.push_back(v.get<std::string>());
      }
    } else {
      Result<json> doc = Decode(Send("GET", "/apis/" + std::string(group), "", "", true), what);
      if (!doc) {
        if (doc.error().kind() == ErrorKind::kNotFound) {
          return Error(ErrorKind::kNotFound,
                       what + ": the API server does not serve it (are the CRDs installed?)");
        }
        return doc.error();
      }
      for (const json& v : (*doc).value("versions", json::array())) {
        served.push_back(v.value("version", ""));
      }
      if (doc->contains("preferredVersion")) {
        preferred = (*doc)["preferredVersion"].value("version", "");
      }
    }
    auto is_supported = [&](const std::string& v) {
      return std::find(supported.begin(), supported.end(), v) != supported.end();
    };
    if (!preferred.empty() && is_supported(preferred)) {
      return preferred;
    }
    for (const std::string& v : served) {
      if (is_supported(v)) {
        return v;
      }
    }
    return Error(ErrorKind::kNotFound, what + ": none of the supported versions (" +
                                           Join(supported, ", ") + ") is served (served: " +
                                           Join(served, ", ") + ")");
  }

  Result<json> Get(const Resource& r, std::string_view ns, std::string_view name) {
    return Decode(Send("GET", r.ObjectPath(ns, name), "", "", true),
                  "get " + r.Qualified() + " " + Describe(ns, name));
  }

  Result<json> List(const Resource& r, std::string_view ns, const ListOptions& options) {
    std::string query = SelectorQuery(options);
    if (!query.empty()) {
      query[0] = '?';
    }
    return Decode(Send("GET", r.CollectionPath(ns) + query, "", "", true),
                  "list " + r.Qualified() + (ns.empty() ? "" : " in " + std::string(ns)));
  }

  Result<json> Create(const Resource& r, std::string_view ns, const json& object) {
    const std::string name = object.contains("metadata") ? object["metadata"].value("name", "")
                                                         : std::string();
    return Decode(Send("POST", r.CollectionPath(ns), object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json", false),
                  "create " + r.Qualified() + " " + Describe(ns, name));
  }

  Result<json> Update(const Resource& r, std::string_view ns, const json& object) {
    const std::string name = object.contains("metadata") ? object["metadata"].value("name", "")
                                                         : std::string();
    return Decode(
        Send("PUT", r.ObjectPath(ns, name), object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json", false),
        "update " + r.Qualified() + " " + Describe(ns, name));
  }

  Result<void> Delete(const Resource& r, std::string_view ns, std::string_view name) {
    Result<json> done = Decode(Send("DELETE", r.ObjectPath(ns, name), "", "", false),
                               "delete " + r.Qualified() + " " + Describe(ns, name));
    if (!done) {
      return done.error();
    }
    return {};
  }

  Result<json> MergePatch(const Resource& r, std::string_view ns, std::string_view name,
                          const json& patch, bool status) {
    const std::string path = r.ObjectPath(ns, name) + (status ? "/status" : "");
    const std::string what =
        "patch " + r.Qualified() + (status ? " status of " : " ") + Describe(ns, name);
    return Decode(Send("PATCH", path, patch.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/merge-patch+json", false), what);
  }

  Result<json> MergePatchStatus(const Resource& r, std::string_view ns, std::string_view name,
                                json patch) {
    for (int attempt = 0;; ++attempt) {
      Result<json> patched = MergePatch(r, ns, name, patch, true);
      if (patched || patched.error().kind() != ErrorKind::kConflict ||
          attempt >= options_.max_conflict_retries || ResourceVersionOf(patch).empty()) {
        return patched;
      }
      Result<json> current = Get(r, ns, name);
      if (!current) {
        return current.error();
      }
      if (options_.logger != nullptr) {
        options_.logger->Debug("status patch conflict, retrying",
                               {{"resource", r.Qualified()}, {"object", Describe(ns, name)}});
      }
      patch["metadata"]["resourceVersion"] = ResourceVersionOf(*current);
    }
  }

  Result<void> Watch(const Resource& r, std::string_view ns, std::string rv,
                     const WatchCallback& callback, std::stop_token stop,
                     const WatchOptions& options) {
    std::map<std::string, json> known;  // what the callback has been told exists
    bool need_list = rv.empty();
    std::chrono::milliseconds backoff = options.min_backoff;
    int auth_failures = 0;
    const std::string what = "watch " + r.Qualified() + (ns.empty() ? "" : " in " + std::string(ns));
    auto fail_wait = [&]() {
      const bool go_on = SleepFor(backoff, stop);
      backoff = std::min(backoff * 2, options.max_backoff);
      return go_on;
    };
    const std::chrono::milliseconds idle =
        options.idle_timeout.count() > 0
            ? options.idle_timeout
            : std::chrono::duration_cast<std::chrono::milliseconds>(options.server_timeout) +
                  std::chrono::seconds(30);
    Result<http::StreamingHttpClientPtr> streamer =
        http::StreamingHttpClient::Create({.tls = Tls(), .idle_timeout = idle});
    if (!streamer) {
      return streamer.error().Wrap(what);
    }
    while (!stop.stop_requested()) {
      if (need_list) {
        Result<json> list = List(r, ns, options.selectors);
        if (!list) {
          if (IsPermanent(list.error().kind())) {
            return list.error();
          }
          Log("relist failed", list.error().message());
          if (!fail_wait()) {
            break;
          }
          continue;
        }
        Reconcile(*list, known, callback);
        rv = (*list)["metadata"].value("resourceVersion", "");
        need_list = false;
      }
      const std::string target = r.CollectionPath(ns) + "?watch=1&allowWatchBookmarks=true" +
                                 "&resourceVersion=" + QueryEscape(rv) + "&timeoutSeconds=" +
                                 std::to_string(options.server_timeout.count()) +
                                 SelectorQuery(options.selectors);
      http::Request request{.url = config_.server + target};
      request.headers.emplace_back("Accept", "application/json");
      AddToken(request.headers);
      bool expired = false;
      bool progressed = false;
      bool reported = false;  // on_response is told at the first line (a 2xx body), not at the end
      std::optional<std::string> stream_error;
      Result<http::Response> response = (*streamer)->Stream(
          request,
          [&](std::string_view line) {
            if (!reported) {
              reported = true;
              Report("GET", 200);
            }
            const json event = json::parse(line, nullptr, false);
            if (!event.is_object() || !event.contains("object")) {
              stream_error = "undecodable watch event";
              return false;
            }
            const std::string type = event.value("type", "");
            const json& object = event["object"];
            if (type == "ERROR") {
              if (object.value("code", 0) == 410) {
                expired = true;
              } else {
                stream_error = "watch error: " + object.value("message", std::string("unknown"));
              }
              return false;
            }
            const std::string event_rv = ResourceVersionOf(object);
            if (!event_rv.empty()) {
              rv = event_rv;
            }
            progressed = true;
            if (type == "BOOKMARK") {
              return true;
            }
            const std::string key = ObjectKey(object);
            if (type == "DELETED") {
              known.erase(key);
              callback({WatchEvent::Type::kDeleted, object});
            } else if (type == "ADDED" || type == "MODIFIED") {
              const bool seen = known.count(key) != 0;
              known[key] = object;
              callback({seen ? WatchEvent::Type::kModified : WatchEvent::Type::kAdded, object});
            }
            return true;
          },
          stop);
      if (!reported && (response || !stop.stop_requested())) {
        Report("GET", response ? response->status : 0);
      }
      if (stop.stop_requested()) {
        break;
      }
      if (progressed) {
        backoff = options.min_backoff;
      }
      if (!response) {
        Log("watch connection failed", response.error().message());
        if (!fail_wait()) {
          break;
        }
        continue;
      }
      if (response->status == 410 || expired) {
        need_list = true;
        continue;
      }
      if (response->status == 401 && !config_.token_file.empty() && ++auth_failures <= 3) {
        tokens_.Invalidate();
        if (!fail_wait()) {
          break;
        }
        continue;
      }
      if (response->status < 200 || response->status >= 300) {
        Error error = ApiError(*response, what);
        if (IsPermanent(error.kind())) {
          return error;
        }
        Log("watch request failed", error.message());
        if (!fail_wait()) {
          break;
        }
        continue;
      }
      auth_failures = 0;
      if (stream_error) {
        Log("watch stream failed", *stream_error);
        if (!fail_wait()) {
          break;
        }
      }
      // A clean end (the server's timeout): reconnect from rv at once.
    }
    return {};
  }

 private:
  static std::string Describe(std::string_view ns, std::string_view name) {
    return ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name);
  }

  static bool IsPermanent(ErrorKind kind) {
    return kind == ErrorKind::kNotFound || kind == ErrorKind::kUnauthorized ||
           kind == ErrorKind::kInvalidSpec;
  }

  void Report(std::string_view method, int code) const {
    if (options_.on_response) {
      options_.on_response(method, host_, code);
    }
  }

  void Log(std::string_view message, const std::string& detail) const {
    if (options_.logger != nullptr) {
      options_.logger->Debug(message, {{"error", detail}});
    }
  }

  // Reports the difference between a fresh list and what was reported before.
  static void Reconcile(const json& list, std::map<std::string, json>& known,
                        const WatchCallback& callback) {
    std::map<std::string, json> listed;
    std::string api_version = list.value("apiVersion", "");
    std::string kind = list.value("kind", "");
    if (kind.size() > 4 && kind.ends_with("List")) {
      kind.resize(kind.size() - 4);
    }
    for (json item : list.value("items", json::array())) {
      if (!item.contains("apiVersion")) {
        item["apiVersion"] = api_version;
      }
      if (!item.contains("kind")) {
        item["kind"] = kind;
      }
      const std::string key = ObjectKey(item);  // before the move: `=` evaluates its right first
      listed[key] = std::move(item);
    }
    for (const auto& [key, object] : listed) {
      auto it = known.find(key);
      if (it == known.end()) {
        callback({WatchEvent::Type::kAdded, object});
      } else if (ResourceVersionOf(it->second) != ResourceVersionOf(object)) {
        callback({WatchEvent::Type::kModified, object});
      }
    }
    for (const auto& [key, object] : known) {
      if (!listed.count(key)) {
        callback({WatchEvent::Type::kDeleted, object});
      }
    }
    known = std::move(listed);
  }

  http::TlsOptions Tls() const {
    return {.ca_pem = config_.ca_pem,
            .cert_pem = config_.client_cert_pem,
            .key_pem = config_.client_key_pem,
            .insecure_skip_verify = config_.insecure_skip_tls_verify};
  }

  ClusterConfig config_;
  ApiClientOptions options_;
  std::string host_;  // host[:port] of config_.server, for on_response
  TokenSource tokens_;
  http::HttpClientPtr http_;
};

Result<std::unique_ptr<ApiClient>> ApiClient::Create(ClusterConfig config,
                                                     ApiClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(config), options);
  if (Result<void> ok = impl->Init(); !ok) {
    return ok.error();
  }
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(impl)));
}

ApiClient::ApiClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiClient::~ApiClient() = default;

Result<std::string> ApiClient::PreferredVersion(std::string_view group,
                                                const std::vector<std::string>& supported) {
  return impl_->PreferredVersion(group, supported);
}
Result<json> ApiClient::Get(const Resource& resource, std::string_view ns, std::string_view name) {
  return impl_->Get(resource, ns, name);
}
Result<json> ApiClient::List(const Resource& resource, std::string_view ns,
                             const ListOptions& options) {
  return impl_->List(resource, ns, options);
}
Result<json> ApiClient::Create(const Resource& resource, std::string_view ns, const json& object) {
  return impl_->Create(resource, ns, object);
}
Result<json> ApiClient::Update(const Resource& resource, std::string_view ns, const json& object) {
  return impl_->Update(resource, ns, object);
}
Result<void> ApiClient::Delete(const Resource& resource, std::string_view ns,
                               std::string_view name) {
  return impl_->Delete(resource, ns, name);
}
Result<json> ApiClient::MergePatch(const Resource& resource, std::string_view ns,
                                   std::string_view name, const json& patch) {
  return impl_->MergePatch(resource, ns, name, patch, false);
}
Result<json> ApiClient::MergePatchStatus(const Resource& resource, std::string_view ns,
                                         std::string_view name, const json& patch) {
  return impl_->MergePatchStatus(resource, ns, name, patch);
}
Result<void> ApiClient::Watch(const Resource& resource, std::string_view ns,
                              std::string resource_version, const WatchCallback& callback,
                              std::stop_token stop, const WatchOptions& options) {
  return impl_->Watch(resource, ns, std::move(resource_version), callback, std::move(stop),
                      options);
}

}  // namespace imgauto::kube
