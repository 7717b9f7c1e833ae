#include "core/asio.h"
// core/asio.h first: it includes <utility> before Boost (see there).
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <deque>
#include <list>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>

#include "core/check.h"
#include "core/http/url.h"
#include "core/strings.h"
#include "tests/servers/fake_kube_api_server.h"
#include "tests/servers/test_http_server.h"

namespace imgauto::testing {
namespace {

using json = nlohmann::json;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRequestBodyLimit = std::size_t{16} << 20;
constexpr auto kWatchPollInterval = std::chrono::milliseconds(10);

struct ResourceType {
  std::string group;
  std::string plural;
  std::string singular;
  std::string kind;
  std::vector<std::string> versions;  // every version this kind exists in
  bool namespaced = true;
  bool has_status = false;
  std::vector<std::string> short_names{};

  // "imagepolicies.image.toolkit.fluxcd.io", "secrets" (as in API error messages)
  std::string Qualified() const { return group.empty() ? plural : plural + "." + group; }
  std::string Id() const { return group + "/" + plural; }
  std::string ApiVersion(const std::string& version) const {
    return group.empty() ? version : group + "/" + version;
  }
};

const std::vector<ResourceType>& Resources() {
  static const std::vector<ResourceType>* const kResources = new std::vector<ResourceType>{
      {"", "namespaces", "namespace", "Namespace", {"v1"}, false, true, {"ns"}},
      {"", "secrets", "secret", "Secret", {"v1"}, true, false},
      {"", "serviceaccounts", "serviceaccount", "ServiceAccount", {"v1"}, true, false, {"sa"}},
      {"", "events", "event", "Event", {"v1"}, true, false, {"ev"}},
      {"events.k8s.io", "events", "event", "Event", {"v1"}, true, false, {"ev"}},
      {"coordination.k8s.io", "leases", "lease", "Lease", {"v1"}, true, false},
      {"image.toolkit.fluxcd.io",
       "imagerepositories",
       "imagerepository",
       "ImageRepository",
       {"v1", "v1beta2"},
       true,
       true},
      {"image.toolkit.fluxcd.io",
       "imagepolicies",
       "imagepolicy",
       "ImagePolicy",
       {"v1", "v1beta2"},
       true,
       true},
      {"image.toolkit.fluxcd.io",
       "imageupdateautomations",
       "imageupdateautomation",
       "ImageUpdateAutomation",
       {"v1", "v1beta2", "v1beta1"},
       true,
       true},
      {"source.toolkit.fluxcd.io",
       "gitrepositories",
       "gitrepository",
       "GitRepository",
       {"v1", "v1beta2"},
       true,
       true,
       {"gitrepo"}},
  };
  return *kResources;
}

// Kubernetes version priority: GA before beta before alpha, higher numbers first; anything else
// last, alphabetically. Returns a sortable key (smaller sorts first).
std::tuple<int, int, int, std::string> VersionKey(const std::string& version) {
  int major = 0;
  int minor = 0;
  char level[16] = {0};
  int consumed = 0;
  if (std::sscanf(version.c_str(), "v%d%n", &major, &consumed) == 1 && major > 0) {
    const std::string rest = version.substr(static_cast<std::size_t>(consumed));
    if (rest.empty()) {
      return {0, -major, 0, ""};
    }
    if (std::sscanf(rest.c_str(), "%5[a-z]%d", level, &minor) == 2 &&
        (std::string(level) == "beta" || std::string(level) == "alpha")) {
      return {std::string(level) == "beta" ? 1 : 2, -major, -minor, ""};
    }
  }
  return {3, 0, 0, version};
}

void SortVersions(std::vector<std::string>& versions) {
  std::sort(versions.begin(), versions.end(),
            [](const std::string& a, const std::string& b) { return VersionKey(a) < VersionKey(b); });
}

std::string Now3339() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string RandomHex(std::size_t n) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[rng() % 16];
  }
  return out;
}

std::string NewUid() {
  return RandomHex(8) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" + RandomHex(4) + "-" +
         RandomHex(12);
}

const char* ReasonForCode(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "InternalError";
  }
}

json StatusObject(int code, std::string reason, std::string message, json details = nullptr) {
  json status = {{"kind", "Status"},         {"apiVersion", "v1"},  {"metadata", json::object()},
                 {"status", "Failure"},      {"message", message},  {"reason", std::move(reason)},
                 {"code", code}};
  if (!details.is_null()) {
    status["details"] = std::move(details);
  }
  return status;
}

json NameDetails(const ResourceType& type, const std::string& name) {
  return {{"name", name}, {"group", type.group}, {"kind", type.plural}};
}

// RFC 7386 JSON merge patch.
json MergePatch(json target, const json& patch) {
  if (!patch.is_object()) {
    return patch;
  }
  if (!target.is_object()) {
    target = json::object();
  }
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(key);
    } else {
      target[key] = MergePatch(target.contains(key) ? target[key] : json(nullptr), value);
    }
  }
  return target;
}

// Everything but metadata and status: what metadata.generation tracks.
json SpecPart(json object) {
  if (object.is_object()) {
    object.erase("metadata");
    object.erase("status");
    object.erase("apiVersion");
    object.erase("kind");
  }
  return object;
}

std::string StringAt(const json& object, const char* a, const char* b) {
  if (object.is_object() && object.contains(a) && object[a].is_object() && object[a].contains(b) &&
      object[a][b].is_string()) {
    return object[a][b].get<std::string>();
  }
  return "";
}

// ---- label and field selectors ----

struct Requirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  std::string key;
  Op op = Op::kExists;
  std::vector<std::string> values;
};

bool ValidSelectorToken(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

std::vector<std::string> SplitTopLevel(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  std::string current;
  for (char c : text) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
    if (c == ',' && depth == 0) {
      out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(current);
  return out;
}

// Parses "k=v,k2!=v,k3 in (a,b),k4 notin (c),k5,!k6". nullopt on a syntax error.
std::optional<std::vector<Requirement>> ParseLabelSelector(std::string_view text) {
  std::vector<Requirement> out;
  if (TrimSpace(text).empty()) {
    return out;
  }
  for (const std::string& raw : SplitTopLevel(text)) {
    const std::string term(TrimSpace(raw));
    Requirement req;
    if (const std::size_t paren = term.find('('); paren != std::string::npos) {
      if (term.back() != ')') {
        return std::nullopt;
      }
      const std::vector<std::string> head = Split(TrimSpace(term.substr(0, paren)), " ");
      std::vector<std::string> words;
      for (const std::string& w : head) {
        if (!w.empty()) {
          words.push_back(w);
        }
      }
      if (words.size() != 2 || (words[1] != "in" && words[1] != "notin")) {
        return std::nullopt;
      }
      req.key = words[0];
      req.op = words[1] == "in" ? Requirement::Op::kIn : Requirement::Op::kNotIn;
      for (const std::string& v : Split(term.substr(paren + 1, term.size() - paren - 2), ",")) {
        const std::string value(TrimSpace(v));
        if (!value.empty() && !ValidSelectorToken(value)) {
          return std::nullopt;
        }
        req.values.push_back(value);
      }
    } else if (const std::size_t ne = term.find("!="); ne != std::string::npos) {
      req.key = std::string(TrimSpace(term.substr(0, ne)));
      req.op = Requirement::Op::kNotEquals;
      req.values.emplace_back(TrimSpace(term.substr(ne + 2)));
    } else if (const std::size_t eq = term.find('='); eq != std::string::npos) {
      req.key = std::string(TrimSpace(term.substr(0, eq)));
      req.op = Requirement::Op::kEquals;
      const std::size_t value_at = term.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1;
      req.values.emplace_back(TrimSpace(term.substr(value_at)));
    } else if (!term.empty() && term[0] == '!') {
      req.key = std::string(TrimSpace(term.substr(1)));
      req.op = Requirement::Op::kNotExists;
    } else {
      req.key = term;
      req.op = Requirement::Op::kExists;
    }
    if (!ValidSelectorToken(req.key)) {
      return std::nullopt;
    }
    for (const std::string& value : req.values) {
      if (!value.empty() && !ValidSelectorToken(value)) {
        return std::nullopt;
      }
    }
    out.push_back(std::move(req));
  }
  return out;
}

bool LabelsMatch(const std::vector<Requirement>& requirements, const json& object) {
  const json* labels = nullptr;
  if (object.contains("metadata") && object["metadata"].contains("labels") &&
      object["metadata"]["labels"].is_object()) {
    labels = &object["metadata"]["labels"];
  }
  for (const Requirement& req : requirements) {
    std::optional<std::string> value;
    if (labels != nullptr && labels->contains(req.key) && (*labels)[req.key].is_string()) {
      value = (*labels)[req.key].get<std::string>();
    }
    const bool listed = value && std::find(req.values.begin(), req.values.end(), *value) !=
                                     req.values.end();
    bool ok = false;
    switch (req.op) {
      case Requirement::Op::kEquals:
      case Requirement::Op::kIn:
        ok = listed;
        break;
      case Requirement::Op::kNotEquals:
      case Requirement::Op::kNotIn:
        ok = !listed;
        break;
      case Requirement::Op::kExists:
        ok = value.has_value();
        break;
      case Requirement::Op::kNotExists:
        ok = !value.has_value();
        break;
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

struct FieldRequirement {
  std::string field;  // "name" or "namespace"
  bool equals = true;
  std::string value;
};

// Parses "metadata.name=x,metadata.namespace!=y"; an error message for anything else.
std::variant<std::vector<FieldRequirement>, std::string> ParseFieldSelector(std::string_view text) {
  std::vector<FieldRequirement> out;
  if (TrimSpace(text).empty()) {
    return out;
  }
  for (const std::string& raw : Split(text, ",")) {
    const std::string term(TrimSpace(raw));
    FieldRequirement req;
    std::size_t op = term.find("!=");
    std::size_t value_at = 0;
    if (op != std::string::npos) {
      req.equals = false;
      value_at = op + 2;
    } else if ((op = term.find('=')) != std::string::npos) {
      value_at = term.compare(op, 2, "==") == 0 ? op + 2 : op + 1;
    } else {
      return "invalid selector: '" + term + "'; can't understand '" + term + "'";
    }
    const std::string field(TrimSpace(term.substr(0, op)));
    if (field != "metadata.name" && field != "metadata.namespace") {
      return "field label not supported: " + field;
    }
    req.field = field.substr(9);
    req.value = std::string(TrimSpace(term.substr(value_at)));
    out.push_back(std::move(req));
  }
  return out;
}

bool FieldsMatch(const std::vector<FieldRequirement>& requirements, const json& object) {
  for (const FieldRequirement& req : requirements) {
    const std::string actual = StringAt(object, "metadata", req.field.c_str());
    if ((actual == req.value) != req.equals) {
      return false;
    }
  }
  return true;
}

// ---- requests ----

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  for (std::string part : Split(query, "&")) {
    if (part.empty()) {
      continue;
    }
    std::replace(part.begin(), part.end(), '+', ' ');
    const std::size_t eq = part.find('=');
    out[http::PercentDecode(part.substr(0, eq))] =
        eq == std::string::npos ? "" : http::PercentDecode(part.substr(eq + 1));
  }
  return out;
}

std::string Hex(std::size_t n) {
  char text[32];
  std::snprintf(text, sizeof(text), "%zx", n);
  return text;
}

std::string Chunk(std::string_view data) {
  return Hex(data.size()) + "\r\n" + std::string(data) + "\r\n";
}

struct Reply {
  int status = 200;
  json body;
  std::vector<std::pair<std::string, std::string>> headers{};
};

std::string SerializeReply(const Reply& reply) {
  const std::string body = reply.body.dump();
  const auto status = static_cast<unsigned>(reply.status);
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(bhttp::obsolete_reason(bhttp::int_to_status(status))) + "\r\n";
  out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n";
  for (const auto& [name, value] : reply.headers) {
    out += name + ": " + value + "\r\n";
  }
  return out + "\r\n" + body;
}

Reply Fail(int code, const std::string& message, json details = nullptr) {
  return {code, StatusObject(code, ReasonForCode(code), message, std::move(details))};
}

Reply NotFound(const ResourceType& type, const std::string& name) {
  return Fail(404, type.Qualified() + " \"" + name + "\" not found", NameDetails(type, name));
}

Reply NoSuchPath() { return Fail(404, "the server could not find the requested resource"); }

// What a request path names, once resolved against the served resources.
struct Route {
  const ResourceType* type = nullptr;
  std::string version;
  std::string ns;              // "" for cluster-scoped kinds and all-namespace lists
  bool all_namespaces = false;  // a namespaced kind listed across namespaces
  std::string name;            // "" for the collection
  bool status = false;         // the /status subresource
};

struct ObjectId {
  std::string resource;  // ResourceType::Id()
  std::string ns;
  std::string name;
  auto operator<=>(const ObjectId&) const = default;
};

struct Event {
  std::int64_t rv = 0;
  std::string resource;
  std::string type;  // ADDED, MODIFIED, DELETED
  json object;
  json previous;  // MODIFIED: the object before
};

struct WatchFilter {
  const ResourceType* type = nullptr;
  std::string version;
  std::optional<std::string> ns;
  std::vector<Requirement> labels;
  std::vector<FieldRequirement> fields;

  bool Selects(const json& object) const {
    if (ns && StringAt(object, "metadata", "namespace") != *ns) {
      return false;
    }
    return LabelsMatch(labels, object) && FieldsMatch(fields, object);
  }
};

struct WatchState {
  std::int64_t position = 0;  // every event up to here has been considered
  bool expired = false;
  std::uint64_t drop_epoch = 0;
  WatchFilter filter;
};

}  // namespace

class FakeKubeApiServer::Impl {
 public:
  explicit Impl(FakeKubeApiServerOptions options)
      : options_(std::move(options)), acceptor_(io_) {
    if (options_.tls) {
      const TestCertificates certs = TestCertificates::Generate();
      ca_pem_ = certs.ca_pem;
      beast::error_code ec;
      ssl_ctx_.emplace(ssl::context::tls_server);
      ssl_ctx_->use_certificate_chain(net::buffer(certs.server_cert_pem), ec);
      IMGAUTO_CHECK(!ec, "fake kube api server: bad certificate");
      ssl_ctx_->use_private_key(net::buffer(certs.server_key_pem), ssl::context::pem, ec);
      IMGAUTO_CHECK(!ec, "fake kube api server: bad key");
    }
    beast::error_code ec;
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol(), ec);
    IMGAUTO_CHECK(!ec, "fake kube api server: open failed");
    acceptor_.bind(endpoint, ec);
    IMGAUTO_CHECK(!ec, "fake kube api server: bind 127.0.0.1:0 failed");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    IMGAUTO_CHECK(!ec, "fake kube api server: listen failed");
    port_ = acceptor_.local_endpoint().port();
    net::co_spawn(io_, Accept(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  bool tls() const { return ssl_ctx_.has_value(); }
  const std::string& ca_pem() const { return ca_pem_; }

  void SetBearerToken(std::string token) {
    std::lock_guard<std::mutex> lock(mu_);
    options_.bearer_token = std::move(token);
  }

  void SetServedVersions(const std::string& group, std::vector<std::string> versions) {
    std::lock_guard<std::mutex> lock(mu_);
    options_.served_versions[group] = std::move(versions);
  }

  json Put(json object) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string api_version = object.value("apiVersion", "");
    const std::string kind = object.value("kind", "");
    const ResourceType* type = TypeOf(api_version, kind);
    IMGAUTO_CHECK(type != nullptr, "FakeKubeApiServer::Put: unknown apiVersion/kind");
    const std::string ns = type->namespaced ? StringAt(object, "metadata", "namespace") : "";
    IMGAUTO_CHECK(!type->namespaced || !ns.empty(), "FakeKubeApiServer::Put: no namespace");
    const std::string name = StringAt(object, "metadata", "name");
    IMGAUTO_CHECK(!name.empty(), "FakeKubeApiServer::Put: no name");
    const ObjectId id{type->Id(), ns, name};
    auto it = objects_.find(id);
    if (it == objects_.end()) {
      InitMetadata(object, ns);
      return Commit(*type, id, "ADDED", std::move(object), nullptr);
    }
    CarryMetadata(it->second, object, /*status_write=*/false);
    return Commit(*type, id, "MODIFIED", std::move(object), it->second);
  }

  std::optional<json> Get(std::string_view api_version, std::string_view kind,
                          std::string_view ns, std::string_view name) const {
    std::lock_guard<std::mutex> lock(mu_);
    const ResourceType* type = TypeOf(api_version, kind);
    if (type == nullptr) {
      return std::nullopt;
    }
    auto it = objects_.find({type->Id(), std::string(type->namespaced ? ns : ""), std::string(name)});
    if (it == objects_.end()) {
      return std::nullopt;
    }
    json out = it->second;
    out["apiVersion"] = std::string(api_version);
    out["kind"] = type->kind;
    return out;
  }

  bool Delete(std::string_view api_version, std::string_view kind, std::string_view ns,
              std::string_view name) {
    std::lock_guard<std::mutex> lock(mu_);
    const ResourceType* type = TypeOf(api_version, kind);
    if (type == nullptr) {
      return false;
    }
    const ObjectId id{type->Id(), std::string(type->namespaced ? ns : ""), std::string(name)};
    auto it = objects_.find(id);
    if (it == objects_.end()) {
      return false;
    }
    Commit(*type, id, "DELETED", it->second, nullptr);
    return true;
  }

  std::int64_t CurrentResourceVersion() const {
    std::lock_guard<std::mutex> lock(mu_);
    return rv_;
  }

  void Compact(std::int64_t rv) {
    std::lock_guard<std::mutex> lock(mu_);
    compacted_ = std::max(compacted_, rv);
    while (!history_.empty() && history_.front().rv <= compacted_) {
      history_.pop_front();
    }
    for (const auto& watch : watches_) {
      if (watch->position < compacted_) {
        watch->expired = true;
      }
    }
  }

  void DropWatchConnections() {
    std::lock_guard<std::mutex> lock(mu_);
    ++drop_epoch_;
  }

  void HoldWatchEvents(bool hold) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = hold;
  }

  void FailNext(int count, int code) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_count_ = count;
    fail_code_ = code;
  }

  std::vector<KubeRequest> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  void ClearRequests() {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.clear();
  }

  int ActiveWatches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(watches_.size());
  }

 private:
  // ---- resource table ----

  std::vector<std::string> ServedVersions(const std::string& group) const {
    std::vector<std::string> all;
    for (const ResourceType& type : Resources()) {
      if (type.group == group) {
        for (const std::string& v : type.versions) {
          if (std::find(all.begin(), all.end(), v) == all.end()) {
            all.push_back(v);
          }
        }
      }
    }
    if (auto it = options_.served_versions.find(group); it != options_.served_versions.end()) {
      std::erase_if(all, [&](const std::string& v) {
        return std::find(it->second.begin(), it->second.end(), v) == it->second.end();
      });
    }
    SortVersions(all);
    return all;
  }

  bool Serves(const ResourceType& type, const std::string& version) const {
    const std::vector<std::string> served = ServedVersions(type.group);
    return std::find(type.versions.begin(), type.versions.end(), version) != type.versions.end() &&
           std::find(served.begin(), served.end(), version) != served.end();
  }

  static const ResourceType* TypeOf(std::string_view api_version, std::string_view kind) {
    const std::size_t slash = api_version.find('/');
    const std::string_view group = slash == std::string_view::npos ? "" : api_version.substr(0, slash);
    const std::string_view version =
        slash == std::string_view::npos ? api_version : api_version.substr(slash + 1);
    for (const ResourceType& type : Resources()) {
      if (type.group == group && type.kind == kind &&
          std::find(type.versions.begin(), type.versions.end(), version) != type.versions.end()) {
        return &type;
      }
    }
    return nullptr;
  }

  // ---- storage (mu_ held) ----

  void InitMetadata(json& object, const std::string& ns) {
    json& meta = object["metadata"];
    if (!ns.empty()) {
      meta["namespace"] = ns;
    }
    meta["uid"] = NewUid();
    meta["creationTimestamp"] = Now3339();
    meta["generation"] = 1;
    meta.erase("deletionTimestamp");
  }

  // Copies the server-owned metadata of `old` into `updated`, bumping the generation when the
  // spec changed. A status write keeps everything of `old` but .status.
  static void CarryMetadata(const json& old, json& updated, bool status_write) {
    if (status_write) {
      json status = updated.contains("status") ? updated["status"] : json(nullptr);
      updated = old;
      if (status.is_null()) {
        updated.erase("status");
      } else {
        updated["status"] = std::move(status);
      }
      return;
    }
    json& meta = updated["metadata"];
    const json& old_meta = old["metadata"];
    for (const char* field : {"uid", "creationTimestamp", "name", "namespace",
                              "deletionTimestamp", "deletionGracePeriodSeconds"}) {
      if (old_meta.contains(field)) {
        meta[field] = old_meta[field];
      } else {
        meta.erase(field);
      }
    }
    const std::int64_t generation = old_meta.value("generation", std::int64_t{1});
    meta["generation"] = SpecPart(old) == SpecPart(updated) ? generation : generation + 1;
  }

  // Stores (or, for DELETED, removes) the object under a new resourceVersion and records the
  // event. Returns the object as stored.
  json Commit(const ResourceType& type, const ObjectId& id, const std::string& event_type,
              json object, json previous) {
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    object.erase("apiVersion");
    object.erase("kind");
    if (event_type == "DELETED") {
      objects_.erase(id);
    } else {
      objects_[id] = object;
    }
    history_.push_back({rv_, type.Id(), event_type, object, std::move(previous)});
    return object;
  }

  // Writes an update of an existing object; deletes it when it is being deleted and has no
  // finalizers left. `old` is a copy of the stored object.
  json CommitUpdate(const ResourceType& type, const ObjectId& id, const json& old, json updated) {
    json stored_old = old;
    stored_old.erase("apiVersion");
    stored_old.erase("kind");
    json probe = updated;
    probe.erase("apiVersion");
    probe.erase("kind");
    probe["metadata"]["resourceVersion"] = stored_old["metadata"]["resourceVersion"];
    if (probe == stored_old) {
      return stored_old;  // a no-op write keeps the resourceVersion, as the real server does
    }
    json stored = Commit(type, id, "MODIFIED", std::move(updated), stored_old);
    const json& meta = stored["metadata"];
    const bool finalizers_left = meta.contains("finalizers") && meta["finalizers"].is_array() &&
                                 !meta["finalizers"].empty();
    if (meta.contains("deletionTimestamp") && !finalizers_left) {
      stored = Commit(type, id, "DELETED", stored, nullptr);
    }
    return stored;
  }

  json Output(json object, const ResourceType& type, const std::string& version) const {
    object["apiVersion"] = type.ApiVersion(version);
    object["kind"] = type.kind;
    return object;
  }

  // ---- routing ----

  std::optional<Route> Resolve(const std::vector<std::string>& segments, std::size_t at,
                               const std::string& group, const std::string& version) const {
    Route route;
    route.version = version;
    std::vector<std::string> rest(segments.begin() + static_cast<long>(at), segments.end());
    if (rest.empty()) {
      return std::nullopt;
    }
    std::string plural;
    if (rest.size() >= 3 && rest[0] == "namespaces" && !(rest.size() == 3 && rest[2] == "status")) {
      route.ns = rest[1];
      plural = rest[2];
      rest.erase(rest.begin(), rest.begin() + 3);
    } else {
      plural = rest[0];
      rest.erase(rest.begin());
    }
    for (const ResourceType& type : Resources()) {
      if (type.group == group && type.plural == plural && Serves(type, version)) {
        route.type = &type;
      }
    }
    if (route.type == nullptr || rest.size() > 2 || (rest.size() == 2 && rest[1] != "status")) {
      return std::nullopt;
    }
    if (route.type->namespaced != !route.ns.empty()) {
      if (!route.type->namespaced || !rest.empty()) {
        return std::nullopt;
      }
      route.all_namespaces = true;
    }
    if (!rest.empty()) {
      route.name = rest[0];
    }
    route.status = rest.size() == 2;
    if (route.status && !route.type->has_status) {
      return std::nullopt;
    }
    return route;
  }

  json ResourceList(const std::string& group, const std::string& version) const {
    json resources = json::array();
    for (const ResourceType& type : Resources()) {
      if (type.group != group || !Serves(type, version)) {
        continue;
      }
      json entry = {{"name", type.plural},
                    {"singularName", type.singular},
                    {"namespaced", type.namespaced},
                    {"kind", type.kind},
                    {"verbs",
                     {"create", "delete", "deletecollection", "get", "list", "patch", "update",
                      "watch"}},
                    {"storageVersionHash", StorageHash(type.Id())}};
      if (!type.short_names.empty()) {
        entry["shortNames"] = type.short_names;
      }
      resources.push_back(std::move(entry));
      if (type.has_status) {
        resources.push_back({{"name", type.plural + "/status"},
                             {"singularName", ""},
                             {"namespaced", type.namespaced},
                             {"kind", type.kind},
                             {"verbs", {"get", "patch", "update"}}});
      }
    }
    return {{"kind", "APIResourceList"},
            {"apiVersion", "v1"},
            {"groupVersion", group.empty() ? version : group + "/" + version},
            {"resources", resources}};
  }

  static std::string StorageHash(const std::string& text) {
    return std::to_string(std::hash<std::string>{}(text) % 100000000);
  }

  json Group(const std::string& group) const {
    json versions = json::array();
    for (const std::string& v : ServedVersions(group)) {
      versions.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
    }
    json out = {{"name", group}, {"versions", versions}};
    if (!versions.empty()) {
      out["preferredVersion"] = versions[0];
    }
    return out;
  }

  std::vector<std::string> Groups() const {
    std::vector<std::string> groups;
    for (const ResourceType& type : Resources()) {
      if (!type.group.empty() &&
          std::find(groups.begin(), groups.end(), type.group) == groups.end() &&
          !ServedVersions(type.group).empty()) {
        groups.push_back(type.group);
      }
    }
    return groups;
  }

  std::optional<Reply> Discovery(const std::vector<std::string>& seg) const {
    if (seg.size() == 1 && seg[0] == "api") {
      return Reply{200,
                   {{"kind", "APIVersions"},
                    {"versions", {"v1"}},
                    {"serverAddressByClientCIDRs",
                     {{{"clientCIDR", "0.0.0.0/0"},
                       {"serverAddress", "127.0.0.1:" + std::to_string(port_)}}}}}};
    }
    if (seg.size() == 2 && seg[0] == "api" && seg[1] == "v1") {
      return Reply{200, ResourceList("", "v1")};
    }
    if (seg.size() == 1 && seg[0] == "apis") {
      json groups = json::array();
      for (const std::string& group : Groups()) {
        json entry = Group(group);
        groups.push_back(std::move(entry));
      }
      return Reply{200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}};
    }
    if (seg.size() == 2 && seg[0] == "apis") {
      const std::vector<std::string> groups = Groups();
      if (std::find(groups.begin(), groups.end(), seg[1]) == groups.end()) {
        return NoSuchPath();
      }
      json group = Group(seg[1]);
      json out = {{"kind", "APIGroup"}, {"apiVersion", "v1"}};
      out.update(group);
      return Reply{200, out};
    }
    if (seg.size() == 3 && seg[0] == "apis") {
      const std::vector<std::string> served = ServedVersions(seg[1]);
      if (std::find(served.begin(), served.end(), seg[2]) == served.end()) {
        return NoSuchPath();
      }
      return Reply{200, ResourceList(seg[1], seg[2])};
    }
    return std::nullopt;
  }

  // ---- request handling ----

  struct Handled {
    Reply reply;
    std::shared_ptr<WatchState> watch;  // set: stream a watch instead of `reply`
    std::chrono::milliseconds watch_duration{0};
    bool bookmarks = false;
    std::vector<std::string> initial_lines{};
  };

  static std::optional<json> ParseBody(const std::string& body, Reply& error) {
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      error = Fail(422, "the object provided is unrecognized: invalid JSON in the request body");
      return std::nullopt;
    }
    return parsed;
  }

  Handled Handle(const bhttp::request<bhttp::string_body>& request, KubeRequest& log) {
    std::lock_guard<std::mutex> lock(mu_);
    Handled out;
    // Authentication, then injected faults.
    std::string presented;
    if (auto it = request.find(bhttp::field::authorization); it != request.end()) {
      const std::string value(it->value());
      if (value.rfind("Bearer ", 0) == 0) {
        presented = value.substr(7);
      }
    }
    log.bearer_token = presented;
    if (!options_.bearer_token.empty() && presented != options_.bearer_token) {
      out.reply = Fail(401, "Unauthorized");
      return out;
    }
    if (fail_count_ > 0) {
      --fail_count_;
      out.reply = Fail(fail_code_, "injected failure");
      if (fail_code_ == 429) {
        out.reply.headers.emplace_back("Retry-After", "0");
      }
      return out;
    }

    std::vector<std::string> seg;
    for (const std::string& s : Split(log.path, "/")) {
      if (!s.empty()) {
        seg.push_back(http::PercentDecode(s));
      }
    }
    if (log.method == "GET") {
      if (std::optional<Reply> discovery = Discovery(seg)) {
        out.reply = std::move(*discovery);
        return out;
      }
    }
    std::optional<Route> route;
    if (seg.size() >= 3 && seg[0] == "api" && seg[1] == "v1") {
      route = Resolve(seg, 2, "", "v1");
    } else if (seg.size() >= 4 && seg[0] == "apis" && !ServedVersions(seg[1]).empty()) {
      route = Resolve(seg, 3, seg[1], seg[2]);
    }
    if (!route) {
      out.reply = NoSuchPath();
      return out;
    }
    const std::map<std::string, std::string> query = ParseQuery(log.query);
    const ResourceType& type = *route->type;
    if (log.method == "GET" && route->name.empty()) {
      return ListOrWatch(*route, query, log);
    }
    if (log.method == "GET") {
      auto it = objects_.find({type.Id(), route->ns, route->name});
      out.reply = it == objects_.end() ? NotFound(type, route->name)
                                       : Reply{200, Output(it->second, type, route->version)};
      return out;
    }
    if (log.method == "POST" && route->name.empty() && !route->all_namespaces) {
      out.reply = Create(*route, request.body());
      return out;
    }
    if (log.method == "PUT" && !route->name.empty()) {
      out.reply = Update(*route, request.body());
      return out;
    }
    if (log.method == "PATCH" && !route->name.empty()) {
      out.reply = Patch(*route, request.body(), log.content_type);
      return out;
    }
    if (log.method == "DELETE" && !route->name.empty() && !route->status) {
      out.reply = Remove(*route);
      return out;
    }
    out.reply = Fail(405, "the server does not allow this method on the requested resource");
    return out;
  }

  Handled ListOrWatch(const Route& route, const std::map<std::string, std::string>& query,
                      KubeRequest& log) {
    Handled out;
    const ResourceType& type = *route.type;
    WatchFilter filter{&type, route.version, std::nullopt, {}, {}};
    if (!route.ns.empty()) {
      filter.ns = route.ns;
    }
    if (auto it = query.find("labelSelector"); it != query.end()) {
      std::optional<std::vector<Requirement>> labels = ParseLabelSelector(it->second);
      if (!labels) {
        out.reply = Fail(400, "unable to parse requirement: invalid label selector " +
                                  Quote(it->second));
        return out;
      }
      filter.labels = std::move(*labels);
    }
    if (auto it = query.find("fieldSelector"); it != query.end()) {
      auto fields = ParseFieldSelector(it->second);
      if (std::holds_alternative<std::string>(fields)) {
        out.reply = Fail(400, std::get<std::string>(fields));
        return out;
      }
      filter.fields = std::get<0>(std::move(fields));
    }
    const auto watch_param = query.find("watch");
    const bool watch = watch_param != query.end() &&
                       (watch_param->second == "1" || watch_param->second == "true");
    if (!watch) {
      json items = json::array();
      for (const auto& [id, object] : objects_) {
        if (id.resource == type.Id() && filter.Selects(object)) {
          items.push_back(Output(object, type, route.version));
        }
      }
      out.reply = {200,
                   {{"apiVersion", type.ApiVersion(route.version)},
                    {"kind", type.kind + "List"},
                    {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
                    {"items", items}}};
      return out;
    }
    log.watch = true;
    auto state = std::make_shared<WatchState>();
    state->filter = filter;
    state->drop_epoch = drop_epoch_;
    const std::string from = query.count("resourceVersion") ? query.at("resourceVersion") : "";
    if (from.empty() || from == "0") {
      for (const auto& [id, object] : objects_) {
        if (id.resource == type.Id() && filter.Selects(object)) {
          out.initial_lines.push_back(
              json{{"type", "ADDED"}, {"object", Output(object, type, route.version)}}.dump() +
              "\n");
        }
      }
      state->position = rv_;
    } else {
      std::int64_t n = 0;
      if (std::sscanf(from.c_str(), "%ld", &n) != 1 || n < 0) {
        out.reply = Fail(400, "invalid resource version " + Quote(from));
        return out;
      }
      if (n < compacted_) {
        out.reply = {410, StatusObject(410, "Expired",
                                       "too old resource version: " + from + " (" +
                                           std::to_string(compacted_) + ")")};
        return out;
      }
      state->position = n;
    }
    out.watch = state;
    out.bookmarks = query.count("allowWatchBookmarks") &&
                    (query.at("allowWatchBookmarks") == "true" ||
                     query.at("allowWatchBookmarks") == "1");
    std::chrono::milliseconds duration = options_.max_watch_duration;
    if (auto it = query.find("timeoutSeconds"); it != query.end()) {
      const std::chrono::milliseconds asked(std::atoll(it->second.c_str()) * 1000);
      if (asked.count() > 0 && (duration.count() == 0 || asked < duration)) {
        duration = asked;
      }
    }
    out.watch_duration = duration;
    watches_.push_back(state);
    return out;
  }

  Reply Create(const Route& route, const std::string& body) {
    const ResourceType& type = *route.type;
    Reply error;
    std::optional<json> object = ParseBody(body, error);
    if (!object) {
      return error;
    }
    json& meta = (*object)["metadata"];
    if (!meta.is_object()) {
      meta = json::object();
    }
    const std::string body_ns = StringAt(*object, "metadata", "namespace");
    if (!body_ns.empty() && body_ns != route.ns) {
      return Fail(400,
                  "the namespace of the provided object does not match the namespace sent on "
                  "the request");
    }
    std::string name = StringAt(*object, "metadata", "name");
    if (name.empty()) {
      const std::string prefix = StringAt(*object, "metadata", "generateName");
      if (prefix.empty()) {
        return Fail(422, type.kind + "." + type.group + " \"\" is invalid: metadata.name: "
                                                        "Required value: name or generateName "
                                                        "is required");
      }
      name = prefix + RandomHex(5);
      meta["name"] = name;
    }
    const ObjectId id{type.Id(), route.ns, name};
    if (objects_.count(id)) {
      return {409, StatusObject(409, "AlreadyExists",
                                type.Qualified() + " \"" + name + "\" already exists",
                                NameDetails(type, name))};
    }
    meta.erase("resourceVersion");
    InitMetadata(*object, route.ns);
    if (type.has_status) {
      object->erase("status");
    }
    if (type.kind == "Namespace") {
      (*object)["status"] = {{"phase", "Active"}};
    }
    return {201, Output(Commit(type, id, "ADDED", std::move(*object), nullptr), type,
                        route.version)};
  }

  Reply Conflict(const ResourceType& type, const std::string& name) {
    return Fail(409,
                "Operation cannot be fulfilled on " + type.Qualified() + " \"" + name +
                    "\": the object has been modified; please apply your changes to the latest "
                    "version and try again",
                NameDetails(type, name));
  }

  // Completes a write of `updated` over the stored object `old` (precondition already checked).
  Reply Write(const Route& route, const json& old, json updated) {
    const ResourceType& type = *route.type;
    if (type.has_status && !route.status) {
      if (old.contains("status")) {
        updated["status"] = old["status"];
      } else {
        updated.erase("status");
      }
    }
    CarryMetadata(old, updated, route.status);
    const ObjectId id{type.Id(), route.ns, route.name};
    return {200, Output(CommitUpdate(type, id, old, std::move(updated)), type, route.version)};
  }

  Reply Update(const Route& route, const std::string& body) {
    const ResourceType& type = *route.type;
    Reply error;
    std::optional<json> object = ParseBody(body, error);
    if (!object) {
      return error;
    }
    const std::string name = StringAt(*object, "metadata", "name");
    if (name != route.name) {
      return Fail(400, "the name of the object (" + name +
                           ") does not match the name on the URL (" + route.name + ")");
    }
    auto it = objects_.find({type.Id(), route.ns, route.name});
    if (it == objects_.end()) {
      return NotFound(type, route.name);
    }
    const std::string rv = StringAt(*object, "metadata", "resourceVersion");
    if (!rv.empty() && rv != StringAt(it->second, "metadata", "resourceVersion")) {
      return Conflict(type, route.name);
    }
    return Write(route, json(it->second), std::move(*object));
  }

  Reply Patch(const Route& route, const std::string& body, const std::string& content_type) {
    const ResourceType& type = *route.type;
    if (content_type.rfind("application/merge-patch+json", 0) != 0) {
      return Fail(415,
                  "the body of the request was in an unknown format - accepted media types "
                  "include: application/merge-patch+json");
    }
    Reply error;
    std::optional<json> patch = ParseBody(body, error);
    if (!patch) {
      return error;
    }
    auto it = objects_.find({type.Id(), route.ns, route.name});
    if (it == objects_.end()) {
      return NotFound(type, route.name);
    }
    const json old = it->second;
    const std::string rv = StringAt(*patch, "metadata", "resourceVersion");
    if (!rv.empty() && rv != StringAt(old, "metadata", "resourceVersion")) {
      return Conflict(type, route.name);
    }
    return Write(route, old, MergePatch(old, *patch));
  }

  Reply Remove(const Route& route) {
    const ResourceType& type = *route.type;
    const ObjectId id{type.Id(), route.ns, route.name};
    auto it = objects_.find(id);
    if (it == objects_.end()) {
      return NotFound(type, route.name);
    }
    json object = it->second;
    const json& meta = object["metadata"];
    if (meta.contains("finalizers") && meta["finalizers"].is_array() &&
        !meta["finalizers"].empty()) {
      if (!meta.contains("deletionTimestamp")) {
        json updated = object;
        updated["metadata"]["deletionTimestamp"] = Now3339();
        updated["metadata"]["deletionGracePeriodSeconds"] = 0;
        object = Commit(type, id, "MODIFIED", std::move(updated), object);
      }
      return {200, Output(object, type, route.version)};
    }
    return {200, Output(Commit(type, id, "DELETED", object, nullptr), type, route.version)};
  }

  // ---- watch delivery ----

  enum class WatchStep { kContinue, kEnd, kDrop };

  // Collects the lines due for `state` (mu_ taken here).
  WatchStep Poll(WatchState& state, bool bookmark_due, std::vector<std::string>& lines) {
    std::lock_guard<std::mutex> lock(mu_);
    if (state.drop_epoch != drop_epoch_) {
      return WatchStep::kDrop;
    }
    if (state.expired) {
      lines.push_back(json{{"type", "ERROR"},
                           {"object", StatusObject(410, "Expired",
                                                   "too old resource version: " +
                                                       std::to_string(state.position) + " (" +
                                                       std::to_string(compacted_) + ")")}}
                          .dump() +
                      "\n");
      return WatchStep::kEnd;
    }
    if (hold_) {
      return WatchStep::kContinue;
    }
    const WatchFilter& f = state.filter;
    const ResourceType& type = *f.type;
    auto first = std::upper_bound(history_.begin(), history_.end(), state.position,
                                  [](std::int64_t rv, const Event& e) { return rv < e.rv; });
    for (auto it = first; it != history_.end(); ++it) {
      if (it->resource != type.Id()) {
        continue;
      }
      const bool now = f.Selects(it->object);
      const bool before = !it->previous.is_null() && f.Selects(it->previous);
      std::string event_type = it->type;
      if (it->type == "MODIFIED" && now && !before) {
        event_type = "ADDED";
      } else if (it->type == "MODIFIED" && !now && before) {
        event_type = "DELETED";
      } else if (!now) {
        continue;
      }
      lines.push_back(
          json{{"type", event_type}, {"object", Output(it->object, type, f.version)}}.dump() +
          "\n");
    }
    state.position = std::max(state.position, rv_);
    if (bookmark_due) {
      lines.push_back(json{{"type", "BOOKMARK"},
                           {"object",
                            {{"apiVersion", type.ApiVersion(f.version)},
                             {"kind", type.kind},
                             {"metadata", {{"resourceVersion", std::to_string(state.position)}}}}}}
                          .dump() +
                      "\n");
    }
    return WatchStep::kContinue;
  }

  void Unregister(const std::shared_ptr<WatchState>& state) {
    std::lock_guard<std::mutex> lock(mu_);
    watches_.remove(state);
  }

  // Streams a watch; returns true when it ended cleanly (connection reusable).
  template <typename Stream>
  net::awaitable<bool> StreamWatch(Stream& stream, Handled handled) {
    struct Guard {
      Impl* impl;
      std::shared_ptr<WatchState> state;
      ~Guard() { impl->Unregister(state); }
    } guard{this, handled.watch};
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_never();
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const std::string& line : handled.initial_lines) {
      head += Chunk(line);
    }
    co_await net::async_write(stream, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return false;
    }
    const Clock::time_point start = Clock::now();
    Clock::time_point last_bookmark = start;
    net::steady_timer timer(io_);
    for (;;) {
      const Clock::time_point now = Clock::now();
      const bool bookmark_due =
          handled.bookmarks && now - last_bookmark >= options_.bookmark_interval;
      std::vector<std::string> lines;
      bool held = false;
      WatchStep step = Poll(*handled.watch, bookmark_due, lines);
      {
        std::lock_guard<std::mutex> lock(mu_);
        held = hold_;
      }
      if (step == WatchStep::kDrop) {
        co_return false;
      }
      if (bookmark_due && !held) {
        last_bookmark = now;
      }
      const bool timed_out =
          handled.watch_duration.count() > 0 && now - start >= handled.watch_duration;
      std::string out;
      for (const std::string& line : lines) {
        out += Chunk(line);
      }
      if (step == WatchStep::kEnd || timed_out) {
        out += "0\r\n\r\n";
      }
      if (!out.empty()) {
        co_await net::async_write(stream, net::buffer(out),
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec) {
          co_return false;
        }
      }
      if (step == WatchStep::kEnd || timed_out) {
        co_return true;
      }
      timer.expires_after(kWatchPollInterval);
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
  }

  // ---- connections ----

  net::awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      net::ip::tcp::socket socket =
          co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec == net::error::operation_aborted) {
        co_return;
      }
      if (ec) {
        continue;
      }
      net::co_spawn(io_, Session(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> Session(net::ip::tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    if (!ssl_ctx_) {
      co_await Serve(stream);
      co_return;
    }
    TlsStream tls_stream(std::move(stream), *ssl_ctx_);
    beast::get_lowest_layer(tls_stream).expires_after(std::chrono::seconds(10));
    beast::error_code ec;
    co_await tls_stream.async_handshake(ssl::stream_base::server,
                                        net::redirect_error(net::use_awaitable, ec));
    if (!ec) {
      co_await Serve(tls_stream);
    }
  }

  template <typename Stream>
  net::awaitable<void> Serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      beast::error_code ec;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(kRequestBodyLimit);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
      co_await bhttp::async_read(stream, buffer, parser,
                                 net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      const bhttp::request<bhttp::string_body>& request = parser.get();
      KubeRequest log;
      log.method = std::string(request.method_string());
      const std::string target(request.target());
      const std::size_t question = target.find('?');
      log.path = target.substr(0, question);
      log.query = question == std::string::npos ? "" : target.substr(question + 1);
      if (auto it = request.find(bhttp::field::content_type); it != request.end()) {
        log.content_type = std::string(it->value());
      }
      Handled handled = Handle(request, log);
      log.status = handled.watch ? 200 : handled.reply.status;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(log);
      }
      if (handled.watch) {
        const bool reusable = co_await StreamWatch(stream, std::move(handled));
        if (!reusable) {
          co_return;
        }
        continue;
      }
      const std::string raw = SerializeReply(handled.reply);
      co_await net::async_write(stream, net::buffer(raw),
                                net::redirect_error(net::use_awaitable, ec));
      if (ec || !request.keep_alive()) {
        co_return;
      }
    }
  }

  mutable std::mutex mu_;  // declared before io_: coroutine frames destroyed with io_ lock it
  FakeKubeApiServerOptions options_;
  std::string ca_pem_;
  std::int64_t rv_ = 0;
  std::int64_t compacted_ = 0;
  std::map<ObjectId, json> objects_;
  std::deque<Event> history_;
  std::list<std::shared_ptr<WatchState>> watches_;
  std::uint64_t drop_epoch_ = 0;
  bool hold_ = false;
  int fail_count_ = 0;
  int fail_code_ = 500;
  std::vector<KubeRequest> requests_;

  std::optional<ssl::context> ssl_ctx_;  // outlives io_
  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

FakeKubeApiServer::FakeKubeApiServer(FakeKubeApiServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FakeKubeApiServer::~FakeKubeApiServer() = default;

std::uint16_t FakeKubeApiServer::port() const { return impl_->port(); }

std::string FakeKubeApiServer::base_url() const {
  return std::string(impl_->tls() ? "https://" : "http://") + "127.0.0.1:" +
         std::to_string(port());
}

std::string FakeKubeApiServer::Url(std::string_view target) const {
  return base_url() + std::string(target);
}

std::string FakeKubeApiServer::ca_pem() const { return impl_->ca_pem(); }

void FakeKubeApiServer::SetBearerToken(std::string token) {
  impl_->SetBearerToken(std::move(token));
}

void FakeKubeApiServer::SetServedVersions(const std::string& group,
                                          std::vector<std::string> versions) {
  impl_->SetServedVersions(group, std::move(versions));
}

nlohmann::json FakeKubeApiServer::Put(nlohmann::json object) {
  return impl_->Put(std::move(object));
}

std::optional<nlohmann::json> FakeKubeApiServer::Get(std::string_view api_version,
                                                     std::string_view kind, std::string_view ns,
                                                     std::string_view name) const {
  return impl_->Get(api_version, kind, ns, name);
}

bool FakeKubeApiServer::Delete(std::string_view api_version, std::string_view kind,
                               std::string_view ns, std::string_view name) {
  return impl_->Delete(api_version, kind, ns, name);
}

std::int64_t FakeKubeApiServer::CurrentResourceVersion() const {
  return impl_->CurrentResourceVersion();
}

void FakeKubeApiServer::Compact(std::int64_t rv) { impl_->Compact(rv); }
void FakeKubeApiServer::DropWatchConnections() { impl_->DropWatchConnections(); }
void FakeKubeApiServer::HoldWatchEvents(bool hold) { impl_->HoldWatchEvents(hold); }
void FakeKubeApiServer::FailNext(int count, int code) { impl_->FailNext(count, code); }
std::vector<KubeRequest> FakeKubeApiServer::Requests() const { return impl_->Requests(); }
void FakeKubeApiServer::ClearRequests() { impl_->ClearRequests(); }
int FakeKubeApiServer::ActiveWatches() const { return impl_->ActiveWatches(); }

bool FakeKubeApiServer::WaitForActiveWatches(int count, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  while (ActiveWatches() < count) {
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace imgauto::testing
