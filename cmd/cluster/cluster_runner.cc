#include "cmd/cluster/cluster_runner.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <stop_token>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "automation/api/git_repository.h"
#include "automation/api/image_update_automation.h"
#include "automation/api/secret.h"
#include "automation/api/status_json.h"
#include "automation/controller/image_update_automation_reconciler.h"
#include "automation/git/library.h"
#include "cmd/cluster/api_lease_store.h"
#include "cmd/cluster/merge_patch.h"
#include "cmd/app.h"
#include "cmd/delivery_tracker.h"
#include "cmd/reconcile_record.h"
#include "cmd/registry_client_factory.h"
#include "cmd/webhook_endpoint.h"
#include "core/duration.h"
#include "core/events/notification_forwarder.h"
#include "core/http/beast_client.h"
#include "core/redact.h"
#include "core/runtime/leader_elector.h"
#include "core/runtime/work_queue.h"
#include "metrics/http_server.h"
#include "metrics/prometheus_metrics.h"
#include "reflector/api/image_policy.h"
#include "reflector/api/image_repository.h"
#include "reflector/api/status_json.h"
#include "reflector/controller/image_policy_reconciler.h"
#include "reflector/controller/image_repository_getter.h"
#include "reflector/controller/image_repository_reconciler.h"
#include "reflector/controller/secret_getter.h"
#include "reflector/controller/status_conditions.h"
#include "reflector/store/file_tag_store.h"
#include "reflector/webhook/receiver.h"

namespace imgauto::cmd::cluster {
namespace {

namespace rapi = reflector::api;
namespace aapi = automation::api;
namespace rctl = reflector::controller;
namespace actl = automation::controller;
using nlohmann::json;
using kube::ObjectKey;

constexpr std::string_view kImageGroup = "image.toolkit.fluxcd.io";
constexpr std::string_view kSourceGroup = "source.toolkit.fluxcd.io";
constexpr std::string_view kRequestAnnotation = "reconcile.fluxcd.io/requestedAt";
constexpr const char* kFinalizer = "finalizers.fluxcd.io";

enum class Kind { kRepository, kPolicy, kAutomation, kGitRepository };

char KindCode(Kind kind) {
  switch (kind) {
    case Kind::kRepository: return 'R';
    case Kind::kPolicy: return 'P';
    case Kind::kAutomation: return 'A';
    case Kind::kGitRepository: return 'G';
  }
  return '?';
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kRepository: return "ImageRepository";
    case Kind::kPolicy: return "ImagePolicy";
    case Kind::kAutomation: return "ImageUpdateAutomation";
    case Kind::kGitRepository: return "GitRepository";
  }
  return "";
}

// The node at `path`, or null.
const json* Find(const json& j, std::initializer_list<const char*> path) {
  const json* node = &j;
  for (const char* key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

std::string Str(const json& j, std::initializer_list<const char*> path) {
  const json* node = Find(j, path);
  if (node == nullptr) return {};
  return node->is_string() ? node->get<std::string>() : node->is_number() ? node->dump() : "";
}

ObjectKey KeyOf(const json& obj) {
  return {Str(obj, {"metadata", "namespace"}), Str(obj, {"metadata", "name"})};
}

std::string Identity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "imgauto");
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host) + "_" + suffix;
}

// The thing a cache stores per object.
using Cache = std::map<ObjectKey, json>;

}  // namespace

class ClusterRunner::Impl final : public rctl::ImageRepositoryGetter,
                                  public rctl::SecretGetter,
                                  public actl::AutomationObjects {
 public:
  Impl(kube::ApiClient& client, ControllerOptions options, ControllerSet controllers,
       const Logger& logger, const Clock& clock)
      : client_(client),
        options_(std::move(options)),
        controllers_(controllers),
        logger_(logger),
        clock_(clock),
        factory_({.logger = &logger,
                  .secrets = &secrets_,
                  .proxy_environment = std::nullopt,
                  .clock = &clock,
                  .on_registry_response =
                      [this](std::string_view registry, int code) {
                        metrics_.load()->RecordRegistryRequest(std::string(registry), code);
                      }}),
        prometheus_({.version = std::string(kVersion), .process_metrics = true}),
        queue_({.min_retry_delay = options_.min_retry_delay,
                .max_retry_delay = options_.max_retry_delay,
                .clock = nullptr,
                .metrics = prometheus_.work_queue_metrics(),
                .name_of = [](const std::string& key) -> std::string {
                  switch (key.empty() ? 'A' : key.front()) {
                    case 'R': return "imagerepository";
                    case 'P': return "imagepolicy";
                    default: return "imageupdateautomation";
                  }
                }}),
        delivery_(clock),
        webhooks_(delivery_, logger, clock,
                  WebhookHooks{.repositories = [this] { return RepositoryInfos(); },
                               .request_scans = [this](const std::vector<ObjectKey>& keys) {
                                 return RequestScans(keys);
                               }}) {}

  ~Impl() {
    if (!automation_cache_root_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(automation_cache_root_, ec);
    }
    if (cache_lock_fd_ >= 0) ::close(cache_lock_fd_);
  }

  Result<void> Setup() {
    Result<std::string> image_version = client_.PreferredVersion(kImageGroup, {"v1", "v1beta2"});
    if (!image_version) {
      return image_version.error().Wrap("discovering " + std::string(kImageGroup));
    }
    image_version_ = *image_version;
    repositories_ = {std::string(kImageGroup), image_version_, "imagerepositories", true};
    policies_ = {std::string(kImageGroup), image_version_, "imagepolicies", true};
    automations_ = {std::string(kImageGroup), image_version_, "imageupdateautomations", true};
    if (controllers_.automation) {
      Result<std::string> source = client_.PreferredVersion(kSourceGroup, {"v1", "v1beta2"});
      if (!source) {
        return source.error().Wrap("discovering " + std::string(kSourceGroup));
      }
      git_repositories_ = {std::string(kSourceGroup), *source, "gitrepositories", true};
    }
    if (controllers_.reflector) {
      Result<std::unique_ptr<reflector::store::FileTagStore>> store =
          reflector::store::FileTagStore::Create(options_.storage_path);
      if (!store) {
        return store.error().Wrap("opening the tag store in --storage-path");
      }
      tags_ = std::move(*store);
      repo_reconciler_ = std::make_unique<rctl::ImageRepositoryReconciler>(
          factory_, *this, *tags_, clock_,
          rctl::ImageRepositoryReconcilerOptions{
              .object_level_workload_identity =
                  options_.feature_gates["ObjectLevelWorkloadIdentity"]});
      rctl::ImagePolicyReconcilerOptions policy_options;
      policy_options.no_cross_namespace_refs = options_.no_cross_namespace_refs;
      policy_options.object_level_workload_identity =
          options_.feature_gates["ObjectLevelWorkloadIdentity"];
      policy_options.requeue_dependency = options_.requeue_dependency;
      policy_reconciler_ = std::make_unique<rctl::ImagePolicyReconciler>(
          *this, factory_, *this, *tags_, clock_, policy_options);
    }
    if (controllers_.automation) {
      actl::AutomationReconcilerOptions automation_options;
      // Clone caches private to this process (removed when it ends): two controllers on one
      // machine (shards, tests) must never work in each other's checkouts.
      std::string pattern =
          (std::filesystem::temp_directory_path() / "imgauto-git-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        return Error(ErrorKind::kTransient,
                     "creating the git clone cache under " +
                         std::filesystem::temp_directory_path().string() + ": " +
                         std::strerror(errno));
      }
      automation_cache_root_ = pattern;
      // Held for the life of the process: a cache whose lock nobody holds is abandoned.
      cache_lock_fd_ = ::open((automation_cache_root_ / kCacheLock).c_str(),
                              O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (cache_lock_fd_ < 0 || ::flock(cache_lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        return Error(ErrorKind::kTransient, "locking the git clone cache " +
                                                automation_cache_root_.string() + ": " +
                                                std::strerror(errno));
      }
      RemoveAbandonedCloneCaches();
      automation_options.cache_root = automation_cache_root_;
      automation_options.no_cross_namespace_refs = options_.no_cross_namespace_refs;
      automation_options.force_push_branch = options_.feature_gates["GitForcePushBranch"];
      automation_reconciler_ =
          std::make_unique<actl::ImageUpdateAutomationReconciler>(automation_options, clock_);
    }
    if (!options_.events_addr.empty()) {
      Result<http::HttpClientPtr> events_http = http::BeastHttpClient::Create({});
      if (!events_http) return events_http.error();
      events_http_ = std::move(*events_http);
      forwarder_ = std::make_unique<events::NotificationForwarder>(
          *events_http_,
          events::ForwarderOptions{.address = options_.events_addr,
                                   .controller = std::string(ControllerName(options_.kind)),
                                   .instance = identity_},
          clock_);
    }
    return {};
  }

  // ---- caches ----

  void StartInformers(std::stop_token stop) {
    informer_count_ = (controllers_.reflector ? 1 : 0) + 1 + (controllers_.automation ? 2 : 0);
    auto start = [&](Kind kind, const kube::Resource& resource) {
      informers_.emplace_back([this, kind, resource, stop] { Inform(kind, resource, stop); });
    };
    if (controllers_.reflector) start(Kind::kRepository, repositories_);
    start(Kind::kPolicy, policies_);  // the reflector reconciles them, automations read them
    if (controllers_.automation) {
      start(Kind::kAutomation, automations_);
      start(Kind::kGitRepository, git_repositories_);
    }
  }

  // Clone caches of processes that are gone: a crash or SIGKILL skips ~Impl, and /tmp (an
  // emptyDir in the Deployments) outlives container restarts. A cache changed in the last minute
  // may belong to a process starting right now (between mkdtemp and its lock) and is left alone.
  // Best effort: any error leaves the rest for the next start.
  void RemoveAbandonedCloneCaches() noexcept {
    try {
      RemoveAbandonedCloneCachesOrThrow();
    } catch (const std::exception& e) {
      logger_.Info("looking for abandoned git clone caches failed", {{"error", e.what()}});
    }
  }
  void RemoveAbandonedCloneCachesOrThrow() {
    std::error_code ec;
    const std::filesystem::path parent = automation_cache_root_.parent_path();
    for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
      const std::filesystem::path dir = entry.path();
      if (dir == automation_cache_root_ || dir.filename().string().rfind("imgauto-git-", 0) != 0 ||
          !entry.is_directory(ec)) {
        continue;
      }
      const auto changed = std::filesystem::last_write_time(dir, ec);
      if (ec || std::filesystem::file_time_type::clock::now() - changed < std::chrono::minutes(1)) {
        continue;
      }
      // No lock file a minute after mkdtemp: its process died before taking the lock.
      const int fd = ::open((dir / kCacheLock).c_str(), O_RDWR | O_CLOEXEC);
      const bool abandoned = fd < 0 ? errno == ENOENT : ::flock(fd, LOCK_EX | LOCK_NB) == 0;
      if (abandoned) {
        std::error_code removed;
        std::filesystem::remove_all(dir, removed);
        logger_.Info("removed an abandoned git clone cache", {{"path", dir.string()}});
      }
      if (fd >= 0) ::close(fd);
    }
  }

  // With leader election a replica starts as a standby: its caches fill (so it is ready and
  // can serve webhooks) but nothing is queued, so its workqueue_* series stay at zero like a
  // controller-runtime manager's that has not started its controllers. Called before the
  // informers start.
  void BeStandby() { leading_.store(false); }
  // Leadership acquired: queue every object this replica reconciles, as the initial list would
  // have. Events racing with this are queued twice at most (the queue de-duplicates).
  void StartLeading() {
    leading_.store(true);
    std::vector<std::pair<Kind, ObjectKey>> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (controllers_.reflector) {
        for (const auto& [key, obj] : repo_cache_) all.emplace_back(Kind::kRepository, key);
        for (const auto& [key, obj] : policy_cache_) all.emplace_back(Kind::kPolicy, key);
      }
      if (controllers_.automation) {
        for (const auto& [key, obj] : automation_cache_) all.emplace_back(Kind::kAutomation, key);
      }
    }
    for (const auto& [kind, key] : all) Enqueue(kind, key);
  }

  bool Synced() const {
    const int expected = informer_count_.load();
    return expected > 0 && synced_count_.load() >= expected;
  }

  void JoinInformers() {
    for (std::thread& t : informers_) t.join();
    informers_.clear();
  }

  // ---- the workers ----

  void Worker() {
    while (std::optional<std::string> item = queue_.Get()) {
      const Kind kind = item->front() == 'R'   ? Kind::kRepository
                        : item->front() == 'P' ? Kind::kPolicy
                                               : Kind::kAutomation;
      size_t slash = item->find('/', 2);
      ObjectKey key{item->substr(2, slash - 2), item->substr(slash + 1)};
      Outcome outcome;
      try {
        outcome = Reconcile(kind, key);
      } catch (const std::exception& e) {
        // A bug must not take the controller down: report it and retry with backoff.
        logger_.Error("reconcile failed unexpectedly",
                      {{"kind", KindName(kind)}, {"name", key.String()}, {"error", e.what()}});
        outcome.failed = true;
      }
      if (outcome.failed) {
        queue_.AddRateLimited(*item);
      } else {
        queue_.Forget(*item);
        if (outcome.requeue_after.count() > 0) queue_.AddAfter(*item, outcome.requeue_after);
      }
      queue_.Done(*item);
    }
  }

  runtime::WorkQueue& queue() { return queue_; }
  kube::ApiClient& client() { return client_; }
  const Clock& clock() const { return clock_; }
  const Logger& logger() const { return logger_; }
  const ControllerOptions& options() const { return options_; }
  void set_identity(std::string id) { identity_ = std::move(id); }
  void set_metrics(runtime::ReconcileMetrics* metrics) {
    metrics_ = metrics != nullptr ? metrics : &no_metrics_;
    delivery_.set_metrics(metrics);
    webhooks_.set_metrics(metrics);
  }
  WebhookEndpoint& webhooks() { return webhooks_; }
  metrics::PrometheusMetrics& prometheus() { return prometheus_; }

  // ---- registry webhooks ----

  // (Re)reads --webhook-config: every Receiver document, with its token from the Secret it
  // names. A document that cannot be used is logged and skipped; the others are served.
  Result<void> LoadWebhookConfig() {
    std::ifstream in(options_.webhook_config);
    if (!in) {
      return Error(ErrorKind::kNotFound, "--webhook-config " + options_.webhook_config +
                                             ": cannot be read");
    }
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(in);
    } catch (const YAML::Exception& e) {
      return Error(ErrorKind::kInvalidSpec,
                   "--webhook-config " + options_.webhook_config + ": " + e.what());
    }
    std::vector<reflector::webhook::ConfiguredReceiver> receivers;
    for (const YAML::Node& doc : docs) {
      if (!doc || doc.IsNull()) continue;
      YAML::Emitter out;
      out << doc;
      Result<reflector::webhook::Receiver> receiver =
          reflector::webhook::DecodeReceiver(out.c_str(), options_.leader_election.ns);
      if (!receiver) {
        logger_.Error("invalid Receiver in --webhook-config",
                      {{"error", receiver.error().message()}});
        continue;
      }
      if (Result<void> ok = CheckReceiverNamespaces(*receiver); !ok) {
        logger_.Error("Receiver not served", {{"receiver", receiver->Key()},
                                              {"error", ok.error().message()}});
        continue;
      }
      Result<aapi::Secret> secret = GetSecret(receiver->ns, receiver->secret_name);
      std::string token;
      if (secret) {
        auto it = secret->data.find("token");
        if (it != secret->data.end()) token = it->second;
      } else if (secret.error().kind() != ErrorKind::kNotFound) {
        // The API server hiccuped: keep serving with the token we have rather than 404 the
        // registry's deliveries until the next reload.
        if (auto previous = webhooks_.Find(receiver->Key())) token = previous->token;
      }
      if (token.empty()) {
        logger_.Error("Receiver not served: no token",
                      {{"receiver", receiver->Key()},
                       {"error", secret ? "secret '" + receiver->secret_name +
                                              "' has no 'token' key"
                                        : secret.error().message()}});
        continue;
      }
      logger_.Debug("Receiver configured", {{"receiver", receiver->Key()},
                                            {"type", std::string(ReceiverTypeName(receiver->type))}});
      receivers.push_back({std::move(*receiver), std::move(token)});
    }
    std::map<ObjectKey, std::chrono::nanoseconds> intervals;
    for (const reflector::webhook::RepositoryInfo& info : RepositoryInfos()) {
      std::optional<json> obj = Cached(Kind::kRepository, ObjectKey{info.ns, info.name});
      if (!obj) continue;
      Result<std::chrono::nanoseconds> interval =
          ParseGoDuration(Str(*obj, {"spec", "interval"}));
      if (interval) intervals[ObjectKey{info.ns, info.name}] = *interval;
    }
    webhooks_.Configure(std::move(receivers), RepositoryInfos(), intervals);
    return {};
  }

  // ---- lead time across processes ----

  // The reflector's half when the automation controller runs apart: the new selection's
  // measurement goes on the ImagePolicy (an annotation; no generation change, no trigger).
  void PublishSelection(const ObjectKey& key, const rapi::ImagePolicy& policy) {
    std::optional<runtime::PendingSelection> pending = delivery_.Pending(key.ns + "/" + key.name);
    if (!pending || !policy.status.latest_ref || pending->tag != policy.status.latest_ref->tag) {
      return;
    }
    json patch = {{"metadata",
                   {{"annotations", {{std::string(kDetectionAnnotation), EncodeSelection(*pending)}}}}}};
    if (Result<json> ok = client_.MergePatch(policies_, key.ns, key.name, patch); !ok) {
      logger_.Debug("publishing the detection failed",
                    {{"name", key.String()}, {"error", ok.error().message()}});
    }
  }

  // The scanning replica's half of a webhook handed over by another replica: when this reconcile
  // serves the request the annotation names (not yet handled), its scan counts as
  // webhook-triggered and the reported push times are known here. Implausible times (the
  // annotation is user-editable) are ignored.
  void AdoptWebhookRequest(const ObjectKey& key, const json& obj,
                           const rapi::ImageRepository& repo) {
    const std::string name(kWebhookPushesAnnotation);
    const json* annotation = Find(obj, {"metadata", "annotations", name.c_str()});
    if (annotation == nullptr || !annotation->is_string()) return;
    std::optional<WebhookHandoff> handoff = DecodeWebhookHandoff(annotation->get<std::string>());
    const std::string request(kRequestAnnotation);
    const std::string requested = Str(obj, {"metadata", "annotations", request.c_str()});
    if (!handoff || handoff->requested_at != requested ||
        repo.status.last_handled_reconcile_at == requested) {
      return;
    }
    const std::string repo_key = key.ns + "/" + key.name;
    const auto now = clock_.Now();
    for (const DeliveryTracker::TagPush& push : handoff->pushes) {
      if (push.pushed < now - std::chrono::hours(1) ||
          push.pushed > now + std::chrono::minutes(5)) {
        continue;
      }
      delivery_.HandedOverPush(repo_key, push.tag, push.pushed);
    }
    delivery_.ScanRequested(repo_key);
  }

  // The automation controller's half: measurements the reflector published for the policies a
  // push changed, when they are about the tag the policy selects now.
  void AdoptSelections(const actl::AutomationReconcileResult& r) {
    for (const std::string& policy : r.changed_policies) {
      const size_t slash = policy.find('/');
      if (slash == std::string::npos) continue;
      std::optional<json> obj =
          Cached(Kind::kPolicy, ObjectKey{policy.substr(0, slash), policy.substr(slash + 1)});
      if (!obj) continue;
      const std::string name(kDetectionAnnotation);
      const json* annotation = Find(*obj, {"metadata", "annotations", name.c_str()});
      if (annotation == nullptr || !annotation->is_string()) continue;
      std::optional<runtime::PendingSelection> selection =
          DecodeSelection(annotation->get<std::string>());
      if (selection && selection->tag == Str(*obj, {"status", "latestRef", "tag"})) {
        delivery_.Adopt(policy, *selection);
      }
    }
  }

  // With --no-cross-namespace-refs a Receiver may only name ImageRepositories of its namespace.
  Result<void> CheckReceiverNamespaces(const reflector::webhook::Receiver& receiver) const {
    if (!options_.no_cross_namespace_refs) return {};
    for (const reflector::webhook::ResourceRef& r : receiver.resources) {
      if (!r.ns.empty() && r.ns != receiver.ns) {
        return Error(ErrorKind::kInvalidSpec,
                     "cross-namespace references are not allowed: resource ImageRepository " +
                         r.ns + "/" + r.name);
      }
    }
    return {};
  }

  std::vector<reflector::webhook::RepositoryInfo> RepositoryInfos() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<reflector::webhook::RepositoryInfo> out;
    for (const auto& [key, obj] : repo_cache_) {
      reflector::webhook::RepositoryInfo info{key.ns, key.name, Str(obj, {"spec", "image"}), {}};
      if (const json* labels = Find(obj, {"metadata", "labels"}); labels && labels->is_object()) {
        for (const auto& [k, v] : labels->items()) {
          if (v.is_string()) info.labels[k] = v.get<std::string>();
        }
      }
      out.push_back(std::move(info));
    }
    return out;
  }

  // Asks for a scan now the way Flux's Receiver does: a new reconcile.fluxcd.io/requestedAt on
  // each ImageRepository; the watch brings it to a worker, which scans because the token is new.
  // The webhook's push times travel with it (kWebhookPushesAnnotation) to whichever replica
  // leads.
  std::vector<ObjectKey> RequestScans(const std::vector<ObjectKey>& keys) {
    std::vector<ObjectKey> done;
    const auto now = std::chrono::steady_clock::now();
    for (const ObjectKey& key : keys) {
      if (!Cached(Kind::kRepository, key)) continue;
      // The pushes go along for the replica that scans, which need not be this one; that replica
      // also counts the scan as webhook-triggered (AdoptWebhookRequest), so a standby records
      // no request it would never serve.
      const std::vector<DeliveryTracker::TagPush> pushes =
          delivery_.RecentWebhookPushes(key.ns + "/" + key.name);
      std::string signature;
      for (const DeliveryTracker::TagPush& push : pushes) {
        signature += push.tag + "@" + std::to_string(push.pushed.time_since_epoch().count()) + " ";
      }
      {
        // Coalesce repeats (redeliveries, floods): a request for the same pushes patched less
        // than a second ago has not been served yet. New pushes always go through.
        std::lock_guard<std::mutex> lock(patch_mu_);
        auto [it, inserted] = last_scan_patch_.try_emplace(key);
        if (!inserted && now - it->second.at < std::chrono::seconds(1) &&
            it->second.pushes == signature) {
          done.push_back(key);
          continue;
        }
        it->second = {now, signature};
      }
      const std::string requested_at = FormatRfc3339Nano(clock_.Now());
      const std::string handoff = EncodeWebhookHandoff({requested_at, pushes});
      json patch = {{"metadata",
                     {{"annotations",
                       {{std::string(kRequestAnnotation), requested_at},
                        {std::string(kWebhookPushesAnnotation), handoff}}}}}};
      if (Result<json> ok = client_.MergePatch(repositories_, key.ns, key.name, patch); !ok) {
        logger_.Error("requesting a scan failed",
                      {{"name", key.String()}, {"error", ok.error().message()}});
        continue;
      }
      done.push_back(key);
    }
    return done;
  }
  runtime::ReconcileMetrics& metrics() { return *metrics_.load(); }
  DeliveryTracker& delivery() { return delivery_; }

  // ---- lookups for the reconcilers ----

  Result<rapi::ImageRepository> GetImageRepository(const ObjectKey& key) const override {
    json obj;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = repo_cache_.find(key);
      if (it == repo_cache_.end()) {
        return Error(ErrorKind::kNotFound,
                     "imagerepositories.image.toolkit.fluxcd.io \"" + key.name + "\" not found");
      }
      obj = it->second;
    }
    return rapi::DecodeImageRepository(obj.dump());
  }
  Result<std::map<std::string, std::string>> GetNamespaceLabels(
      std::string_view name) const override {
    Result<json> ns = client_.Get({"", "v1", "namespaces", false}, "", name);
    if (!ns) {
      if (ns.error().kind() == ErrorKind::kNotFound) {
        return Error(ErrorKind::kNotFound, "namespaces \"" + std::string(name) + "\" not found");
      }
      return ns.error();
    }
    std::map<std::string, std::string> labels;
    const json& l = (*ns)["metadata"].value("labels", json::object());
    for (auto it = l.begin(); it != l.end(); ++it) {
      if (it->is_string()) labels[it.key()] = it->get<std::string>();
    }
    return labels;
  }
  Result<rctl::SecretData> GetSecret(const ObjectKey& key) const override {
    Result<aapi::Secret> secret = GetSecret(key.ns, key.name);
    if (!secret) return secret.error();
    return secret->data;
  }
  Result<std::vector<std::string>> GetImagePullSecretNames(const ObjectKey& key) const override {
    Result<json> sa = client_.Get({"", "v1", "serviceaccounts", true}, key.ns, key.name);
    if (!sa) {
      if (sa.error().kind() == ErrorKind::kNotFound) {
        return Error(ErrorKind::kNotFound, "serviceaccounts \"" + key.name + "\" not found");
      }
      return sa.error();
    }
    std::vector<std::string> names;
    for (const json& ref : sa->value("imagePullSecrets", json::array())) {
      if (ref.contains("name") && ref["name"].is_string()) names.push_back(ref["name"]);
    }
    return names;
  }
  Result<std::vector<rapi::ImagePolicy>> ListImagePolicies(std::string_view ns) const override {
    std::vector<json> objects;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [key, obj] : policy_cache_) {
        if (key.ns == ns) objects.push_back(obj);
      }
    }
    std::vector<rapi::ImagePolicy> out;
    for (const json& obj : objects) {
      Result<rapi::ImagePolicy> policy = rapi::DecodeImagePolicy(obj.dump());
      if (policy) out.push_back(std::move(*policy));
    }
    return out;
  }
  Result<aapi::GitRepository> GetGitRepository(std::string_view ns,
                                               std::string_view name) const override {
    json obj;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = git_cache_.find(ObjectKey{std::string(ns), std::string(name)});
      if (it == git_cache_.end()) {
        return Error(ErrorKind::kNotFound, "gitrepositories.source.toolkit.fluxcd.io \"" +
                                               std::string(name) + "\" not found");
      }
      obj = it->second;
    }
    return aapi::DecodeGitRepository(obj.dump());
  }
  Result<aapi::Secret> GetSecret(std::string_view ns, std::string_view name) const override {
    Result<json> secret = client_.Get({"", "v1", "secrets", true}, ns, name);
    if (!secret) {
      if (secret.error().kind() == ErrorKind::kNotFound) {
        return Error(ErrorKind::kNotFound, "secrets \"" + std::string(name) + "\" not found");
      }
      return secret.error();
    }
    (*secret)["apiVersion"] = "v1";
    (*secret)["kind"] = "Secret";
    Result<aapi::Secret> decoded = aapi::DecodeSecret(secret->dump());
    if (decoded) {
      for (const auto& [k, v] : decoded->data) {
        if (IsSensitiveSecretKey(k)) secrets_.Add(v);
      }
    }
    return decoded;
  }

 private:
  struct Outcome {
    std::chrono::nanoseconds requeue_after{0};
    bool failed = false;
  };

  Cache& CacheFor(Kind kind) {
    switch (kind) {
      case Kind::kRepository: return repo_cache_;
      case Kind::kPolicy: return policy_cache_;
      case Kind::kAutomation: return automation_cache_;
      case Kind::kGitRepository: return git_cache_;
    }
    return repo_cache_;
  }

  void Enqueue(Kind kind, const ObjectKey& key) {
    if (!leading_.load()) return;  // a standby queues everything when it starts leading
    queue_.Add(std::string(1, KindCode(kind)) + "|" + key.ns + "/" + key.name);
  }

  // List, then watch from the list's resourceVersion; relist after a failed watch.
  void Inform(Kind kind, const kube::Resource& resource, std::stop_token stop) {
    const std::string ns = options_.watch_all_namespaces ? "" : options_.watch_namespace;
    kube::WatchOptions watch_options;
    watch_options.selectors.label_selector = options_.watch_label_selector;
    bool counted = false;
    std::chrono::milliseconds backoff{500};
    while (!stop.stop_requested()) {
      Result<json> list = client_.List(resource, ns, watch_options.selectors);
      if (!list) {
        logger_.Error("listing failed", {{"resource", resource.Qualified()},
                                         {"error", list.error().message()}});
        for (auto waited = std::chrono::milliseconds(0);
             waited < backoff && !stop.stop_requested(); waited += std::chrono::milliseconds(50)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
        continue;
      }
      backoff = std::chrono::milliseconds(500);
      // Reconcile the cache with the list: removed objects are deletions.
      std::map<ObjectKey, json> listed;
      for (json& item : (*list)["items"]) {
        Normalize(kind, resource, item);
        // The key first: the right operand of `=` (moving `item` out) is evaluated before the
        // left one, so KeyOf(item) in the subscript would read a moved-from object.
        const ObjectKey key = KeyOf(item);
        listed[key] = std::move(item);
      }
      std::vector<json> gone;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [key, obj] : CacheFor(kind)) {
          if (!listed.contains(key)) gone.push_back(obj);
        }
      }
      for (const json& obj : gone) OnEvent(kind, kube::WatchEvent::Type::kDeleted, obj);
      for (const auto& [key, obj] : listed) OnEvent(kind, kube::WatchEvent::Type::kAdded, obj);
      if (!counted) {
        counted = true;
        ++synced_count_;
      }
      const std::string rv = Str(*list, {"metadata", "resourceVersion"});
      Result<void> watched = client_.Watch(
          resource, ns, rv,
          [&](const kube::WatchEvent& event) {
            json obj = event.object;
            Normalize(kind, resource, obj);
            OnEvent(kind, event.type, obj);
          },
          stop, watch_options);
      if (watched) return;  // stopped
      logger_.Error("watch failed", {{"resource", resource.Qualified()},
                                     {"error", watched.error().message()}});
      // A permanent failure (403 on watch, say) must not spin LIST/WATCH at full speed.
      for (auto waited = std::chrono::milliseconds(0);
           waited < backoff && !stop.stop_requested(); waited += std::chrono::milliseconds(50)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
  }

  static void Normalize(Kind kind, const kube::Resource& resource, json& obj) {
    obj["apiVersion"] = resource.group + "/" + resource.version;
    obj["kind"] = KindName(kind);
  }

  static bool Triggers(const json* before, const json& after) {
    if (before == nullptr) return true;
    return Str(*before, {"metadata", "generation"}) != Str(after, {"metadata", "generation"}) ||
           Str(*before, {"metadata", "deletionTimestamp"}) !=
               Str(after, {"metadata", "deletionTimestamp"}) ||
           Str(*before, {"metadata", "annotations", std::string(kRequestAnnotation).c_str()}) !=
               Str(after, {"metadata", "annotations", std::string(kRequestAnnotation).c_str()});
  }

  static ObjectKey PolicyRepository(const json& policy) {
    std::string ns = Str(policy, {"spec", "imageRepositoryRef", "namespace"});
    if (ns.empty()) ns = Str(policy, {"metadata", "namespace"});
    return {ns, Str(policy, {"spec", "imageRepositoryRef", "name"})};
  }

  static json LatestOf(const json& policy) {
    const json status = policy.value("status", json::object());
    if (status.contains("latestRef")) return status["latestRef"];
    return status.value("latestImage", json());
  }

  void OnEvent(Kind kind, kube::WatchEvent::Type type, const json& obj) {
    const ObjectKey key = KeyOf(obj);
    std::optional<json> before;
    std::vector<ObjectKey> dependents;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Cache& cache = CacheFor(kind);
      auto it = cache.find(key);
      if (it != cache.end()) before = it->second;
      if (type == kube::WatchEvent::Type::kDeleted) {
        cache.erase(key);
      } else {
        cache[key] = obj;
      }
      if (kind == Kind::kRepository && controllers_.reflector) {
        const bool revision_changed =
            !before || type == kube::WatchEvent::Type::kDeleted ||
            Str(*before, {"status", "lastScanResult", "revision"}) !=
                Str(obj, {"status", "lastScanResult", "revision"});
        if (revision_changed && before) {
          for (const auto& [pkey, policy] : policy_cache_) {
            if (PolicyRepository(policy) == key) dependents.push_back(pkey);
          }
        }
      }
      if (kind == Kind::kPolicy && controllers_.automation && before &&
          type != kube::WatchEvent::Type::kDeleted && LatestOf(*before) != LatestOf(obj)) {
        for (const auto& [akey, automation] : automation_cache_) {
          if (akey.ns == key.ns) dependents.push_back(akey);
        }
      }
      if (kind == Kind::kGitRepository && before && type != kube::WatchEvent::Type::kDeleted &&
          Str(*before, {"metadata", "generation"}) != Str(obj, {"metadata", "generation"})) {
        for (const auto& [akey, automation] : automation_cache_) {
          std::string ns = Str(automation, {"spec", "sourceRef", "namespace"});
          if (ns.empty()) ns = akey.ns;
          if (ns == key.ns && Str(automation, {"spec", "sourceRef", "name"}) == key.name) {
            dependents.push_back(akey);
          }
        }
      }
    }
    if (kind == Kind::kRepository && controllers_.reflector) {
      for (const ObjectKey& p : dependents) Enqueue(Kind::kPolicy, p);
      if (type == kube::WatchEvent::Type::kDeleted) {
        metrics_.load()->Forget("ImageRepository", key.ns, key.name);
        if (Result<void> ok = repo_reconciler_->Forget(key); !ok) {
          logger_.Error("forgetting tags failed", {{"name", key.String()},
                                                   {"error", ok.error().message()}});
        }
      } else if (Triggers(before ? &*before : nullptr, obj)) {
        Enqueue(kind, key);
      }
      return;
    }
    if (kind == Kind::kPolicy) {
      for (const ObjectKey& a : dependents) Enqueue(Kind::kAutomation, a);
      if (!controllers_.reflector) return;
      if (type == kube::WatchEvent::Type::kDeleted) {
        metrics_.load()->Forget("ImagePolicy", key.ns, key.name);
        policy_reconciler_->Forget(key);
      } else if (Triggers(before ? &*before : nullptr, obj)) {
        Enqueue(kind, key);
      }
      return;
    }
    if (kind == Kind::kGitRepository) {
      for (const ObjectKey& a : dependents) Enqueue(Kind::kAutomation, a);
      return;
    }
    if (kind == Kind::kAutomation && type == kube::WatchEvent::Type::kDeleted) {
      metrics_.load()->Forget("ImageUpdateAutomation", key.ns, key.name);
    }
    if (kind == Kind::kAutomation && type != kube::WatchEvent::Type::kDeleted &&
        Triggers(before ? &*before : nullptr, obj)) {
      Enqueue(kind, key);
    }
  }

  // Merge-patches /status from `current` (what the server has) to `next`.
  Result<void> PatchStatus(const kube::Resource& resource, const ObjectKey& key, json& current,
                           const json& unredacted) {
    json next = RedactConditionMessages(unredacted, secrets_);
    json patch = CreateMergePatch(current, next);
    if (patch.is_object() && patch.empty()) return {};
    Result<json> patched = client_.MergePatchStatus(resource, key.ns, key.name, {{"status", patch}});
    if (!patched) {
      logger_.Error("status update failed",
                    {{"name", key.String()}, {"error", patched.error().message()}});
      return patched.error();
    }
    current = next;
    return {};
  }

  void RecordEvent(Kind kind, const json& obj, const std::string& type, const std::string& reason,
                   const std::string& raw_message) {
    // Secret values resolved for this process never leave it, even if a remote echoed one.
    const std::string message = secrets_.Redact(raw_message);
    const ObjectKey key = KeyOf(obj);
    const LogLevel level = type == "Trace"     ? LogLevel::kDebug
                           : type == "Warning" ? LogLevel::kError
                                               : LogLevel::kInfo;
    logger_.Log(level, message, {{"kind", KindName(kind)}, {"name", key.String()},
                                 {"type", type}, {"reason", reason}});
    const std::string now = FormatRfc3339(clock_.Now());
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           clock_.Now().time_since_epoch()).count();
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".%llx", static_cast<unsigned long long>(nanos));
    json involved = {{"apiVersion", Str(obj, {"apiVersion"})}, {"kind", KindName(kind)},
                     {"name", key.name}, {"namespace", key.ns},
                     {"uid", Str(obj, {"metadata", "uid"})},
                     {"resourceVersion", Str(obj, {"metadata", "resourceVersion"})}};
    json event = {{"apiVersion", "v1"},
                  {"kind", "Event"},
                  {"metadata", {{"name", key.name + suffix}, {"namespace", key.ns}}},
                  {"involvedObject", involved},
                  {"reason", reason},
                  {"message", message},
                  // Kubernetes has no Trace type: Flux records those as Normal.
                  {"type", type == "Warning" ? "Warning" : "Normal"},
                  {"source", {{"component", std::string(ControllerName(options_.kind))}}},
                  {"firstTimestamp", now},
                  {"lastTimestamp", now},
                  {"count", 1},
                  {"reportingComponent", std::string(ControllerName(options_.kind))},
                  {"reportingInstance", identity_}};
    if (Result<json> created = client_.Create({"", "v1", "events", true}, key.ns, event);
        !created) {
      logger_.Debug("recording event failed", {{"error", created.error().message()}});
    }
    if (forwarder_) {
      events::EventRecord record;
      record.object = {Str(obj, {"apiVersion"}), KindName(kind), key.ns, key.name,
                       Str(obj, {"metadata", "uid"}), Str(obj, {"metadata", "resourceVersion"})};
      record.type = type;
      record.reason = reason;
      record.message = message;
      if (obj["metadata"].contains("annotations")) {
        for (auto it = obj["metadata"]["annotations"].begin();
             it != obj["metadata"]["annotations"].end(); ++it) {
          if (it->is_string()) record.annotations.emplace_back(it.key(), it->get<std::string>());
        }
      }
      if (Result<void> sent = forwarder_->Forward(record); !sent) {
        logger_.Error("forwarding event failed", {{"error", sent.error().message()}});
      }
    }
  }

  std::optional<json> Cached(Kind kind, const ObjectKey& key) {
    std::lock_guard<std::mutex> lock(mu_);
    Cache& cache = CacheFor(kind);
    auto it = cache.find(key);
    if (it == cache.end()) return std::nullopt;
    return it->second;
  }

  const kube::Resource& ResourceFor(Kind kind) const {
    switch (kind) {
      case Kind::kRepository: return repositories_;
      case Kind::kPolicy: return policies_;
      default: return automations_;
    }
  }

  // Flux's finalizer: added before the first reconcile; on deletion the object's local state is
  // cleaned up (the tag store of an ImageRepository, the cached selector of an ImagePolicy, the
  // clone of an automation) and the finalizer removed so the API server can delete it. Returns
  // true when the reconcile must stop here.
  bool HandleFinalizer(Kind kind, const ObjectKey& key, const json& obj, bool& failed) {
    const json finalizers = obj["metadata"].value("finalizers", json::array());
    const bool has = std::find(finalizers.begin(), finalizers.end(), json(kFinalizer)) !=
                     finalizers.end();
    const bool deleting = !Str(obj, {"metadata", "deletionTimestamp"}).empty();
    if (deleting) {
      if (!has) return true;
      if (kind == Kind::kRepository) {
        if (Result<void> ok = repo_reconciler_->Forget(key); !ok) {
          logger_.Error("cleaning up tags failed",
                        {{"name", key.String()}, {"error", ok.error().message()}});
          failed = true;
          return true;
        }
      } else if (kind == Kind::kPolicy) {
        policy_reconciler_->Forget(key);
      } else {
        std::error_code ec;
        std::filesystem::remove_all(automation_cache_root_ / key.ns / key.name, ec);
      }
      json remaining = json::array();
      for (const json& f : finalizers) {
        if (f != json(kFinalizer)) remaining.push_back(f);
      }
      json patch = {{"metadata", {{"finalizers", remaining},
                                  {"resourceVersion", Str(obj, {"metadata", "resourceVersion"})}}}};
      if (Result<json> ok = client_.MergePatch(ResourceFor(kind), key.ns, key.name, patch); !ok &&
          ok.error().kind() != ErrorKind::kNotFound) {
        logger_.Error("removing the finalizer failed",
                      {{"name", key.String()}, {"error", ok.error().message()}});
        failed = true;
      }
      return true;
    }
    if (!has) {
      json updated = finalizers;
      updated.push_back(kFinalizer);
      json patch = {{"metadata", {{"finalizers", updated},
                                  {"resourceVersion", Str(obj, {"metadata", "resourceVersion"})}}}};
      if (Result<json> ok = client_.MergePatch(ResourceFor(kind), key.ns, key.name, patch); !ok) {
        // Retried with backoff either way. A conflict means the cache is behind (typically our
        // own finalizer patch has not come back through the watch yet): the newer version is on
        // its way, but its event does not trigger a reconcile by itself (no generation change),
        // so waiting for it would leave the object unreconciled until its interval.
        failed = true;
        if (ok.error().kind() == ErrorKind::kConflict) {
          logger_.Debug("adding the finalizer conflicted; retrying",
                        {{"name", key.String()}, {"error", ok.error().message()}});
        } else {
          logger_.Error("adding the finalizer failed",
                        {{"name", key.String()}, {"error", ok.error().message()}});
        }
        return true;
      }
      // Added: go on with this reconcile (a metadata-only change does not trigger another).
    }
    return false;
  }

  Outcome Reconcile(Kind kind, const ObjectKey& key) {
    std::optional<json> obj = Cached(kind, key);
    if (!obj) return {};  // deleted meanwhile
    bool finalizer_failed = false;
    if (HandleFinalizer(kind, key, *obj, finalizer_failed)) {
      return {std::chrono::nanoseconds(0), finalizer_failed};
    }
    json current = obj->value("status", json::object());
    const rapi::ServedVersion version =
        rapi::ServedVersionOf(Str(*obj, {"apiVersion"})).value_or(rapi::ServedVersion::kV1);
    if (kind == Kind::kRepository) {
      Result<rapi::ImageRepository> repo = rapi::DecodeImageRepository(obj->dump());
      if (!repo) {
        logger_.Error("invalid object", {{"name", key.String()}, {"error", repo.error().message()}});
        return {};
      }
      AdoptWebhookRequest(key, *obj, *repo);
      rctl::ReconcileContext context;
      context.persist_progress = [&] {
        (void)PatchStatus(repositories_, key, current,
                          rapi::ImageRepositoryStatusToJson(repo->status, version));
      };
      const auto started = std::chrono::steady_clock::now();
      rctl::ReconcileResult r = repo_reconciler_->Reconcile(*repo, context);
      delivery_.ScanFinished(key.ns + "/" + key.name);
      bool failed = !PatchStatus(repositories_, key, current,
                                 rapi::ImageRepositoryStatusToJson(repo->status, version))
                         .has_value();
      metrics_.load()->RecordReconcile(WithScanTimes(
          MakeReconcileRecord("ImageRepository", key.ns, key.name,
                              std::chrono::steady_clock::now() - started,
                              failed || r.error.has_value(), r.requeue_after,
                              repo->status.conditions, repo->spec.suspend),
          *repo));
      if (r.event) {
        RecordEvent(kind, *obj, std::string(rctl::EventTypeName(r.event->type)), r.event->reason,
                    r.event->message);
      }
      return {r.requeue_after, failed || r.error.has_value()};
    }
    if (kind == Kind::kPolicy) {
      Result<rapi::ImagePolicy> policy = rapi::DecodeImagePolicy(obj->dump());
      if (!policy) {
        logger_.Error("invalid object",
                      {{"name", key.String()}, {"error", policy.error().message()}});
        return {};
      }
      rctl::ReconcileContext context;
      context.persist_progress = [&] {
        (void)PatchStatus(policies_, key, current,
                          rapi::ImagePolicyStatusToJson(policy->status, version));
      };
      const auto started = std::chrono::steady_clock::now();
      const rapi::ImagePolicyStatus before = policy->status;
      rctl::ReconcileResult r = policy_reconciler_->Reconcile(*policy, context);
      const bool latest_changed = rctl::LatestRefChanged(before, policy->status);
      delivery_.PolicyReconciled(
          *policy, latest_changed,
          policy->status.latest_ref
              ? RegistryCreatedLookup(factory_, *this, *this, rctl::RepositoryKey(*policy),
                                      policy->status.latest_ref->tag, logger_)
              : DeliveryTracker::CreatedLookup());
      bool failed = !PatchStatus(policies_, key, current,
                                 rapi::ImagePolicyStatusToJson(policy->status, version))
                         .has_value();
      if (latest_changed && !controllers_.automation) PublishSelection(key, *policy);
      metrics_.load()->RecordReconcile(MakeReconcileRecord(
          "ImagePolicy", key.ns, key.name, std::chrono::steady_clock::now() - started,
          failed || r.error.has_value(), r.requeue_after, policy->status.conditions,
          policy->spec.suspend));
      if (!policy->spec.suspend) {
        const bool ready = rctl::IsReady(policy->status.conditions);
        const auto& latest = policy->status.latest_ref;
        metrics_.load()->RecordPolicyEvaluation(key.ns, key.name, ready, latest ? latest->name : "",
                                         ready && latest ? latest->tag : "");
      }
      if (r.event) {
        RecordEvent(kind, *obj, std::string(rctl::EventTypeName(r.event->type)), r.event->reason,
                    r.event->message);
      }
      return {r.requeue_after, failed || r.error.has_value()};
    }
    Result<aapi::ImageUpdateAutomation> automation = aapi::DecodeImageUpdateAutomation(obj->dump());
    if (!automation) {
      logger_.Error("invalid object",
                    {{"name", key.String()}, {"error", automation.error().message()}});
      return {};
    }
    const auto started = std::chrono::steady_clock::now();
    actl::AutomationReconcileResult r = automation_reconciler_->Reconcile(*automation, *this);
    if (!controllers_.reflector) AdoptSelections(r);
    delivery_.AutomationFinished(r);
    bool failed = !PatchStatus(automations_, key, current,
                               aapi::ImageUpdateAutomationStatusToJson(automation->status))
                      .has_value();
    runtime::ReconcileRecord record = MakeReconcileRecord(
        "ImageUpdateAutomation", key.ns, key.name, std::chrono::steady_clock::now() - started,
        failed || (r.failed && !r.stalled), r.requeue_after.value_or(std::chrono::nanoseconds(0)),
        automation->status.conditions, automation->spec.suspend);
    record.interval = automation->spec.interval;
    metrics_.load()->RecordReconcile(record);
    metrics_.load()->RecordAutomationRun(key.ns, key.name, AutomationRunResult(r));
    if (r.event) RecordEvent(kind, *obj, r.event->type, r.event->reason, r.event->message);
    return {r.requeue_after.value_or(std::chrono::nanoseconds(0)),
            failed || (r.failed && !r.stalled)};
  }

  kube::ApiClient& client_;
  ControllerOptions options_;
  ControllerSet controllers_;
  const Logger& logger_;
  const Clock& clock_;
  mutable SecretRegistry secrets_;
  HttpRegistryClientFactory factory_;
  automation::git::Library git_library_;
  metrics::PrometheusMetrics prometheus_;
  runtime::WorkQueue queue_;
  std::atomic<bool> leading_{true};
  std::string identity_;
  runtime::NoopReconcileMetrics no_metrics_;
  std::atomic<runtime::ReconcileMetrics*> metrics_{&no_metrics_};
  DeliveryTracker delivery_;
  WebhookEndpoint webhooks_;
  std::mutex patch_mu_;
  struct ScanPatch {
    std::chrono::steady_clock::time_point at{};
    std::string pushes;  // the handed-over pushes, to tell a repeat from news
  };
  std::map<ObjectKey, ScanPatch> last_scan_patch_;
  std::filesystem::path automation_cache_root_;
  static constexpr const char* kCacheLock = ".lock";
  int cache_lock_fd_ = -1;
  std::string image_version_;
  kube::Resource repositories_, policies_, automations_, git_repositories_;
  std::unique_ptr<reflector::store::FileTagStore> tags_;
  std::unique_ptr<rctl::ImageRepositoryReconciler> repo_reconciler_;
  std::unique_ptr<rctl::ImagePolicyReconciler> policy_reconciler_;
  std::unique_ptr<actl::ImageUpdateAutomationReconciler> automation_reconciler_;
  http::HttpClientPtr events_http_;
  std::unique_ptr<events::NotificationForwarder> forwarder_;

  mutable std::mutex mu_;  // guards the caches; never held during API calls or reconciles
  Cache repo_cache_, policy_cache_, automation_cache_, git_cache_;
  std::vector<std::thread> informers_;
  std::atomic<int> informer_count_{0};
  std::atomic<int> synced_count_{0};
};

ClusterRunner::ClusterRunner(kube::ApiClient& client, ControllerOptions options,
                             ControllerSet controllers, const Logger& logger, const Clock& clock)
    : impl_(std::make_unique<Impl>(client, std::move(options), controllers, logger, clock)) {}

ClusterRunner::~ClusterRunner() = default;

void ClusterRunner::RecordApiRequest(std::string_view method, std::string_view host, int code) {
  impl_->metrics().RecordApiRequest(std::string(method), std::string(host), code);
}

Result<void> ClusterRunner::Run(const std::atomic<bool>& stop) {
  const std::string identity = Identity();
  impl_->set_identity(identity);
  if (Result<void> ok = impl_->Setup(); !ok) {
    return ok;
  }
  const ControllerOptions& options = impl_->options();
  Impl* impl = impl_.get();
  std::unique_ptr<metrics::HttpServer> health;
  if (!options.health_addr.empty()) {
    Result<std::unique_ptr<metrics::HttpServer>> server = metrics::HttpServer::Start(
        {.address = options.health_addr},
        metrics::HealthRoutes([impl] { return impl->Synced(); }, "caches not synced"));
    if (!server) return server.error().Wrap("--health-addr");
    health = std::move(*server);
  }

  metrics::PrometheusMetrics& prometheus = impl_->prometheus();
  std::unique_ptr<metrics::HttpServer> metrics_server;
  if (!options.metrics_addr.empty()) {
    Result<std::unique_ptr<metrics::HttpServer>> server = metrics::HttpServer::Start(
        {.address = options.metrics_addr},
        {metrics::MetricsRoute(prometheus)});
    if (!server) return server.error().Wrap("--metrics-addr");
    metrics_server = std::move(*server);
  }
  impl_->set_metrics(&prometheus);
  struct DetachMetrics {
    Impl* impl;
    ~DetachMetrics() { impl->set_metrics(nullptr); }
  } detach{impl};
  // Registry webhooks: served on every replica (a request only patches an annotation; the
  // leader's workers scan). The port is bound before anything else starts, so a bad address is a
  // clean startup error; the Receivers are loaded once the caches are synced and re-read every
  // minute (a mounted ConfigMap changes in place, Secrets rotate). Until then every path is 404.
  std::unique_ptr<metrics::HttpServer> webhook_server;
  if (!options.webhook_config.empty() && !options.webhook_addr.empty()) {
    Result<std::unique_ptr<metrics::HttpServer>> server = metrics::HttpServer::Start(
        {.address = options.webhook_addr}, {impl->webhooks().Route()});
    if (!server) return server.error().Wrap("--webhook-addr");
    webhook_server = std::move(*server);
  }
  std::stop_source informer_stop;
  if (options.leader_election.enabled) impl_->BeStandby();
  impl_->StartInformers(informer_stop.get_token());
  std::jthread webhook_reloader;
  if (webhook_server) {
    webhook_reloader = std::jthread([impl, &stop](std::stop_token token) {
      while (!impl->Synced() && !token.stop_requested() && !stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      auto next = std::chrono::steady_clock::now();
      while (!token.stop_requested() && !stop.load()) {
        if (std::chrono::steady_clock::now() >= next) {
          next = std::chrono::steady_clock::now() + std::chrono::minutes(1);
          if (Result<void> ok = impl->LoadWebhookConfig(); !ok) {
            impl->logger().Error("loading --webhook-config failed (retrying every minute)",
                                 {{"error", ok.error().message()}});
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  std::vector<std::thread> workers;
  auto start_workers = [&] {
    // Like controller-runtime: no reconcile before every cache has its initial list, so a
    // reconciler never mistakes "not listed yet" for "does not exist".
    while (!impl->Synced() && !stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (stop.load()) return;
    for (int i = 0; i < options.concurrent; ++i) workers.emplace_back([impl] { impl->Worker(); });
  };
  auto stop_all = [&] {
    impl->queue().ShutDown();
    for (std::thread& w : workers) w.join();
    workers.clear();
    informer_stop.request_stop();
    impl->JoinInformers();
  };

  if (!options.leader_election.enabled) {
    start_workers();
    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop_all();
    return {};
  }
  ApiLeaseStore store(impl->client(), options.leader_election.ns, options.leader_election.id);
  runtime::LeaderElectorOptions elector_options;
  elector_options.identity = identity;
  elector_options.lease_duration = options.leader_election.lease_duration;
  elector_options.renew_deadline = options.leader_election.renew_deadline;
  elector_options.retry_period = options.leader_election.retry_period;
  elector_options.release_on_cancel = options.leader_election.release_on_cancel;
  elector_options.sleep = [&stop](std::chrono::nanoseconds d) {
    // Sleep in small steps so SIGTERM is handled promptly.
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  // Sync the caches before campaigning, so the lease is never held while waiting for them.
  while (!impl->Synced() && !stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  impl->metrics().SetLeader(options.leader_election.id, false);
  runtime::LeaderElector elector(store, elector_options, impl->clock());
  const Logger& logger = impl->logger();
  logger.Info("waiting for leadership", {{"lease", options.leader_election.ns + "/" +
                                                       options.leader_election.id},
                                         {"identity", identity}});
  const bool by_request = elector.Run(
      stop,
      [&] {
        logger.Info("leadership acquired", {{"identity", identity}});
        impl->metrics().SetLeader(options.leader_election.id, true);
        impl->StartLeading();
        start_workers();
      },
      [&] {
        impl->metrics().SetLeader(options.leader_election.id, false);
        impl->queue().ShutDown();
        for (std::thread& w : workers) w.join();
        workers.clear();
      });
  stop_all();
  if (!by_request) {
    return Error(ErrorKind::kTransient, "leader election lost: the lease " +
                                            options.leader_election.ns + "/" +
                                            options.leader_election.id + " is held by another replica");
  }
  return {};
}

}  // namespace imgauto::cmd::cluster
