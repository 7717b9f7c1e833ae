#include "cmd/standalone/standalone_runner.h"

#include <algorithm>
#include <condition_variable>
#include <iomanip>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "automation/api/git_repository.h"
#include "automation/api/image_update_automation.h"
#include "automation/api/secret.h"
#include "automation/api/status_json.h"
#include "automation/controller/image_update_automation_reconciler.h"
#include "automation/git/library.h"
#include "cmd/app.h"
#include "cmd/delivery_tracker.h"
#include "cmd/reconcile_record.h"
#include "cmd/registry_client_factory.h"
#include "cmd/standalone/kubevela.h"
#include "cmd/standalone/manifest_dir.h"
#include "cmd/standalone/state_store.h"
#include "cmd/webhook_endpoint.h"
#include "core/duration.h"
#include "metrics/http_server.h"
#include "metrics/prometheus_metrics.h"
#include "core/runtime/work_queue.h"
#include "core/kube/conditions.h"
#include "reflector/controller/status_conditions.h"
#include "reflector/api/image_policy.h"
#include "reflector/api/image_repository.h"
#include "reflector/api/status_json.h"
#include "reflector/controller/image_policy_reconciler.h"
#include "reflector/controller/image_repository_getter.h"
#include "reflector/controller/image_repository_reconciler.h"
#include "reflector/controller/secret_getter.h"
#include "reflector/store/file_tag_store.h"
#include "reflector/webhook/receiver.h"

namespace imgauto::cmd::standalone {
namespace {

namespace rapi = reflector::api;
namespace aapi = automation::api;
namespace rctl = reflector::controller;
namespace actl = automation::controller;
using SteadyTime = std::chrono::steady_clock::time_point;
using kube::ObjectKey;

constexpr std::string_view kImageGroup = "image.toolkit.fluxcd.io/";
constexpr std::string_view kSourceGroup = "source.toolkit.fluxcd.io/";
constexpr std::string_view kNotificationGroup = "notification.toolkit.fluxcd.io/";

// One object of kind T as loaded from the directory, with its scheduling state.
template <typename T>
struct Entry {
  ManifestDocument doc;
  T object;
  SteadyTime due{};  // run when now >= due
  int failures = 0;
  std::string written_status;  // the status JSON last written to the state store
  bool retrigger = false;      // a dependency changed while this object was queued or running
  int scan_requests = 0;       // ImageRepository: webhook scan requests not yet served
};

// Which of the kinds we reconcile a document is, by apiVersion group and kind.
enum class Kind { kRepository, kPolicy, kAutomation, kGitRepository, kSecret, kServiceAccount,
                  kNamespace, kReceiver, kOther };

Kind KindOf(const ManifestDocument& doc) {
  const bool image = doc.api_version.starts_with(kImageGroup);
  if (image && doc.kind == "ImageRepository") return Kind::kRepository;
  if (image && doc.kind == "ImagePolicy") return Kind::kPolicy;
  if (image && doc.kind == "ImageUpdateAutomation") return Kind::kAutomation;
  if (doc.api_version.starts_with(kSourceGroup) && doc.kind == "GitRepository") {
    return Kind::kGitRepository;
  }
  if (doc.api_version.starts_with(kNotificationGroup) && doc.kind == "Receiver") {
    return Kind::kReceiver;
  }
  if (doc.api_version == "v1" && doc.kind == "Secret") return Kind::kSecret;
  if (doc.api_version == "v1" && doc.kind == "ServiceAccount") return Kind::kServiceAccount;
  if (doc.api_version == "v1" && doc.kind == "Namespace") return Kind::kNamespace;
  return Kind::kOther;
}

std::string ReadyStatus(const std::vector<kube::Condition>& conditions, std::string* message) {
  const kube::Condition* ready = kube::FindCondition(conditions, kube::kReadyCondition);
  if (ready == nullptr) {
    *message = "";
    return "Unknown";
  }
  *message = ready->message;
  return ready->status;
}

// JSON text of `j`; invalid UTF-8 in messages (a registry's error body, say) becomes U+FFFD
// instead of an exception.
std::string SafeDump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool PassSummary::AllReady() const {
  return issues.empty() && std::all_of(objects.begin(), objects.end(), [](const ObjectSummary& o) {
           return o.ready;
         });
}

void PrintSummary(const PassSummary& summary, std::ostream& out) {
  std::string kind;
  for (const ObjectSummary& o : summary.objects) {
    if (o.kind != kind) {
      if (!kind.empty()) {
        out << "\n";
      }
      kind = o.kind;
      out << std::left << std::setw(44) << "NAME" << std::setw(11) << "READY" << "MESSAGE\n";
    }
    std::string name = o.kind;
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    name += "/" + o.ns + "/" + o.name;
    std::string message = o.message;
    std::replace(message.begin(), message.end(), '\n', ' ');
    out << std::left << std::setw(44) << name << std::setw(11) << o.status << message << "\n";
  }
  for (const std::string& issue : summary.issues) {
    out << "manifest issue: " << issue << "\n";
  }
}

class StandaloneRunner::Impl final : public rctl::ImageRepositoryGetter,
                                     public rctl::SecretGetter,
                                     public actl::AutomationObjects {
 public:
  Impl(RunnerOptions options, const Logger& logger, const Clock& clock)
      : options_(std::move(options)),
        logger_(logger),
        clock_(clock),
        state_(options_.state_dir),
        factory_(HttpRegistryClientFactoryOptions{
            .logger = &logger,
            .secrets = &secrets_,
            .proxy_environment = std::nullopt,
            .clock = &clock,
            .on_registry_response =
                [this](std::string_view registry, int code) {
                  metrics_.load()->RecordRegistryRequest(std::string(registry), code);
                }}),
        delivery_(clock),
        webhooks_(delivery_, logger, clock,
                  WebhookHooks{.repositories = [this] { return RepositoryInfos(); },
                               .request_scans = [this](const std::vector<ObjectKey>& keys) {
                                 return RequestScans(keys);
                               }}) {}

  Result<void> Init() {
    Result<std::unique_ptr<reflector::store::FileTagStore>> store =
        reflector::store::FileTagStore::Create(state_.TagsDir());
    if (!store) {
      return store.error().Wrap("opening the tag store");
    }
    tags_ = std::move(*store);
    rctl::ImagePolicyReconcilerOptions policy_options;
    policy_options.no_cross_namespace_refs = options_.no_cross_namespace_refs;
    repo_reconciler_ = std::make_unique<rctl::ImageRepositoryReconciler>(factory_, *this, *tags_,
                                                                        clock_);
    policy_reconciler_ = std::make_unique<rctl::ImagePolicyReconciler>(
        *this, factory_, *this, *tags_, clock_, policy_options);
    actl::AutomationReconcilerOptions automation_options;
    automation_options.cache_root = state_.root() / "git";
    automation_options.no_cross_namespace_refs = options_.no_cross_namespace_refs;
    automation_reconciler_ =
        std::make_unique<actl::ImageUpdateAutomationReconciler>(automation_options, clock_);
    return {};
  }

  // ---- lookups for the reconcilers ----
  Result<rapi::ImageRepository> GetImageRepository(const ObjectKey& key) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = repos_.find(key);
    if (it == repos_.end()) {
      return Error(ErrorKind::kNotFound,
                   "imagerepositories.image.toolkit.fluxcd.io \"" + key.name + "\" not found");
    }
    return it->second.object;
  }
  Result<std::map<std::string, std::string>> GetNamespaceLabels(
      std::string_view name) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = namespace_labels_.find(std::string(name));
    // Namespaces are implicit in standalone mode: an undeclared one exists without labels.
    return it == namespace_labels_.end() ? std::map<std::string, std::string>{} : it->second;
  }
  Result<rctl::SecretData> GetSecret(const ObjectKey& key) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = secrets_by_key_.find(key);
    if (it == secrets_by_key_.end()) {
      return Error(ErrorKind::kNotFound, "secrets \"" + key.name + "\" not found");
    }
    return it->second.data;
  }
  Result<std::vector<std::string>> GetImagePullSecretNames(const ObjectKey& key) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pull_secrets_.find(key);
    if (it == pull_secrets_.end()) {
      return Error(ErrorKind::kNotFound, "serviceaccounts \"" + key.name + "\" not found");
    }
    return it->second;
  }
  Result<std::vector<rapi::ImagePolicy>> ListImagePolicies(std::string_view ns) const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<rapi::ImagePolicy> out;
    for (const auto& [key, entry] : policies_) {
      if (key.ns == ns) {
        out.push_back(entry.object);
      }
    }
    return out;
  }
  Result<aapi::GitRepository> GetGitRepository(std::string_view ns,
                                               std::string_view name) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = git_repos_.find(ObjectKey{std::string(ns), std::string(name)});
    if (it == git_repos_.end()) {
      return Error(ErrorKind::kNotFound, "gitrepositories.source.toolkit.fluxcd.io \"" +
                                             std::string(name) + "\" not found");
    }
    return it->second;
  }
  Result<aapi::Secret> GetSecret(std::string_view ns, std::string_view name) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = secrets_by_key_.find(ObjectKey{std::string(ns), std::string(name)});
    if (it == secrets_by_key_.end()) {
      return Error(ErrorKind::kNotFound, "secrets \"" + std::string(name) + "\" not found");
    }
    return it->second;
  }

  // ---- loading ----

  // (Re)loads the directory. Objects keep their schedule when their spec is unchanged.
  Result<void> Load() {
    std::lock_guard<std::mutex> lock(mu_);
    Result<ManifestSnapshot> snap =
        LoadManifestDir(options_.manifests_dir, options_.default_namespace);
    if (!snap) {
      return snap.error();
    }
    fingerprint_ = ManifestDirFingerprint(options_.manifests_dir);
    issues_.clear();
    for (const ManifestIssue& issue : snap->issues) {
      issues_.push_back(issue.file + ": " + issue.reason);
      logger_.Error("skipping manifest", {{"file", issue.file}, {"error", issue.reason}});
    }
    std::map<ObjectKey, Entry<rapi::ImageRepository>> repos;
    std::map<ObjectKey, Entry<rapi::ImagePolicy>> policies;
    std::map<ObjectKey, Entry<aapi::ImageUpdateAutomation>> automations;
    git_repos_.clear();
    secrets_by_key_.clear();
    pull_secrets_.clear();
    namespace_labels_.clear();
    const SteadyTime now = clock_.Monotonic();
    std::vector<ManifestDocument> receiver_docs;
    for (const ManifestDocument& doc : ExpandApplications(std::move(snap->documents))) {
      const ObjectKey key{doc.ns, doc.name};
      const Kind kind = KindOf(doc);
      if (kind == Kind::kReceiver) {
        receiver_docs.push_back(doc);  // after the loop: their Secrets may come later
        continue;
      }
      if (kind == Kind::kOther) {
        logger_.Debug("ignoring object", {{"kind", doc.kind}, {"file", doc.file}});
        continue;
      }
      if (kind == Kind::kSecret) {
        Result<aapi::Secret> secret = aapi::DecodeSecret(doc.text);
        if (!secret) {
          Issue(doc, secret.error().message());
          continue;
        }
        for (const auto& [k, v] : secret->data) {
          if (IsSensitiveSecretKey(k)) secrets_.Add(v);
        }
        secrets_by_key_[key] = std::move(*secret);
        continue;
      }
      if (kind == Kind::kGitRepository) {
        Result<aapi::GitRepository> repo = aapi::DecodeGitRepository(doc.text);
        if (!repo) {
          Issue(doc, repo.error().message());
          continue;
        }
        git_repos_[key] = std::move(*repo);
        continue;
      }
      if (kind == Kind::kServiceAccount || kind == Kind::kNamespace) {
        LoadPlain(doc, kind);
        continue;
      }
      Result<std::string> restored = state_.Restore(doc);
      if (!restored) {
        Issue(doc, restored.error().message());
        continue;
      }
      if (kind == Kind::kRepository) {
        Decode(doc, *restored, rapi::DecodeImageRepository, repos_, repos, now);
      } else if (kind == Kind::kPolicy) {
        Decode(doc, *restored, rapi::DecodeImagePolicy, policies_, policies, now);
      } else {
        Decode(doc, *restored, aapi::DecodeImageUpdateAutomation, automations_, automations, now);
      }
    }
    // Objects that disappeared from the directory: forget their state.
    for (const auto& [key, entry] : repos_) {
      if (!repos.contains(key)) {
        metrics_.load()->Forget("ImageRepository", key.ns, key.name);
        (void)repo_reconciler_->Forget(key);
        (void)state_.Remove(entry.doc.kind, key.ns, key.name);
      }
    }
    for (const auto& [key, entry] : policies_) {
      if (!policies.contains(key)) {
        metrics_.load()->Forget("ImagePolicy", key.ns, key.name);
        policy_reconciler_->Forget(key);
        (void)state_.Remove(entry.doc.kind, key.ns, key.name);
      }
    }
    for (const auto& [key, entry] : automations_) {
      if (!automations.contains(key)) {
        metrics_.load()->Forget("ImageUpdateAutomation", key.ns, key.name);
        (void)state_.Remove(entry.doc.kind, key.ns, key.name);
      }
    }
    repos_ = std::move(repos);
    policies_ = std::move(policies);
    automations_ = std::move(automations);
    LoadReceivers(receiver_docs);
    return {};
  }

  // Configures the webhook receivers (requires mu_). A Receiver whose Secret or token is missing
  // is an issue and is not served; its status file says why.
  void LoadReceivers(const std::vector<ManifestDocument>& docs) {
    std::vector<reflector::webhook::ConfiguredReceiver> receivers;
    std::map<ObjectKey, std::chrono::nanoseconds> intervals;
    for (const auto& [key, entry] : repos_) intervals[key] = entry.object.spec.interval;
    for (const ManifestDocument& doc : docs) {
      Result<reflector::webhook::Receiver> receiver =
          reflector::webhook::DecodeReceiver(doc.text, options_.default_namespace);
      if (!receiver) {
        Issue(doc, receiver.error().message());
        SaveReceiverStatus(doc, "", "False", "InvalidSpec", receiver.error().message());
        continue;
      }
      auto secret = secrets_by_key_.find(ObjectKey{receiver->ns, receiver->secret_name});
      std::string problem;
      if (options_.no_cross_namespace_refs) {
        for (const reflector::webhook::ResourceRef& r : receiver->resources) {
          if (!r.ns.empty() && r.ns != receiver->ns) {
            problem = "cross-namespace references are not allowed: resource ImageRepository " +
                      r.ns + "/" + r.name;
          }
        }
        if (!problem.empty()) {
          Issue(doc, problem);
          SaveReceiverStatus(doc, "", "False", "AccessDenied", problem);
          continue;
        }
      }
      if (secret == secrets_by_key_.end()) {
        problem = "unable to read token from secret '" + receiver->ns + "/" +
                  receiver->secret_name + "': not found";
      } else if (auto token = secret->second.data.find("token");
                 token == secret->second.data.end() || token->second.empty()) {
        problem = "invalid '" + receiver->secret_name + "' secret data: required field 'token'";
      }
      if (!problem.empty()) {
        Issue(doc, problem);
        SaveReceiverStatus(doc, "", "False", "TokenNotFound", problem);
        continue;
      }
      const std::string& token = secret->second.data.at("token");
      const std::string path = reflector::webhook::WebhookPath(*receiver, token);
      SaveReceiverStatus(doc, path, "True", "Succeeded",
                         "Receiver initialized for path: " + path);
      receivers.push_back({std::move(*receiver), token});
    }
    webhooks_.Configure(std::move(receivers), RepositoryInfosLocked(), intervals);
    // Receivers gone from the directory: their status files go too.
    std::set<ObjectKey> present;
    for (const ManifestDocument& doc : docs) present.insert(ObjectKey{doc.ns, doc.name});
    for (auto it = receiver_status_.begin(); it != receiver_status_.end();) {
      if (present.contains(it->first)) {
        ++it;
        continue;
      }
      (void)state_.Remove("Receiver", it->first.ns, it->first.name);
      it = receiver_status_.erase(it);
    }
  }

  // The Receiver's status file, like Flux's (status.webhookPath and a Ready condition), written
  // only when it changed. The path derives from the token but is not the token (Flux shows it).
  void SaveReceiverStatus(const ManifestDocument& doc, const std::string& path,
                          const std::string& status, const std::string& reason,
                          const std::string& message) {
    nlohmann::json j = {{"observedGeneration", 1}};
    if (!path.empty()) j["webhookPath"] = path;
    j["conditions"] = nlohmann::json::array(
        {{{"type", "Ready"}, {"status", status}, {"reason", reason}, {"message", message},
          {"observedGeneration", 1}}});
    const std::string text = SafeDump(RedactConditionMessages(std::move(j), secrets_));
    std::string& written = receiver_status_[ObjectKey{doc.ns, doc.name}];
    if (written == text) return;
    written = text;
    if (Result<void> saved = state_.Save(doc, text); !saved) {
      logger_.Error("writing status failed",
                    {{"name", doc.ns + "/" + doc.name}, {"error", saved.error().message()}});
    }
  }

  std::vector<reflector::webhook::RepositoryInfo> RepositoryInfos() const {
    std::lock_guard<std::mutex> lock(mu_);
    return RepositoryInfosLocked();
  }

  std::vector<reflector::webhook::RepositoryInfo> RepositoryInfosLocked() const {
    std::vector<reflector::webhook::RepositoryInfo> out;
    out.reserve(repos_.size());
    for (const auto& [key, entry] : repos_) {
      out.push_back({key.ns, key.name, entry.object.spec.image,
                     std::map<std::string, std::string>(entry.object.metadata.labels.begin(),
                                                        entry.object.metadata.labels.end())});
    }
    return out;
  }

  WebhookEndpoint& webhooks() { return webhooks_; }
  const Logger& logger() const { return logger_; }

  bool DirectoryChanged() const {
    return ManifestDirFingerprint(options_.manifests_dir) != fingerprint_;
  }

  // ---- reconciling ----

  // Runs every due object in dependency order on this thread. `all` runs everything regardless
  // of due times and makes every repository scan (an explicit request, as --once is).
  void Pass(bool all) {
    for (const ObjectKey& key : DueKeys(repos_, all)) ReconcileRepository(key, all);
    for (const ObjectKey& key : DueKeys(policies_, all)) ReconcilePolicy(key);
    for (const ObjectKey& key : DueKeys(automations_, all)) ReconcileAutomation(key);
  }

  // The loop's share of a tick: repositories and policies here, automations handed to the
  // workers (a slow git remote must not hold up scans).
  void Tick(runtime::WorkQueue& automation_queue) {
    for (const ObjectKey& key : DueKeys(repos_, false)) ReconcileRepository(key, false);
    for (const ObjectKey& key : DueKeys(policies_, false)) ReconcilePolicy(key);
    std::vector<ObjectKey> due = DueKeys(automations_, false);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const ObjectKey& key : due) {
        auto it = automations_.find(key);
        if (it != automations_.end()) it->second.due = SteadyTime::max();  // queued
      }
    }
    for (const ObjectKey& key : due) automation_queue.Add(key.ns + "/" + key.name);
  }

  void ReconcileRepository(const ObjectKey& key, bool request) {
    Entry<rapi::ImageRepository> work;
    if (!Snapshot(repos_, key, work)) return;
    if (work.scan_requests > 0) {
      // A webhook asked for a scan: a fresh token, replacing one the manifest may carry (copied
      // from a cluster where `flux reconcile` set it), so the reconciler sees a new request.
      auto& annotations = work.object.metadata.annotations;
      std::erase_if(annotations, [](const auto& a) {
        return a.first == "reconcile.fluxcd.io/requestedAt";
      });
    }
    if ((request || work.scan_requests > 0) && !rctl::ReconcileRequestToken(work.object.metadata)) {
      // A full pass (--once) is an explicit request, like `flux reconcile image repository`:
      // scan now even when the interval has not elapsed. Nanosecond precision (like `flux
      // reconcile`): two --once runs in the same second must still be two requests.
      work.object.metadata.annotations.push_back(
          {"reconcile.fluxcd.io/requestedAt", FormatRfc3339Nano(clock_.Now())});
    }
    const rapi::ImageRepositoryStatus before = work.object.status;
    const auto started = std::chrono::steady_clock::now();
    rctl::ReconcileResult r = repo_reconciler_->Reconcile(work.object);
    delivery_.ScanFinished(key.ns + "/" + key.name);
    metrics_.load()->RecordReconcile(WithScanTimes(
        MakeReconcileRecord("ImageRepository", key.ns, key.name,
                            std::chrono::steady_clock::now() - started, r.error.has_value(),
                            r.requeue_after, work.object.status.conditions,
                            work.object.spec.suspend),
        work.object));
    const bool revision_changed = rctl::ScanRevisionChanged(before, work.object.status);
    Commit(repos_, work,
           SafeDump(rapi::ImageRepositoryStatusToJson(work.object.status, Version(work.doc))),
           r.requeue_after, r.error.has_value(), r.event, [&] {
             const SteadyTime now = clock_.Monotonic();
             Entry<rapi::ImageRepository>& entry = repos_[key];
             entry.scan_requests = std::max(0, entry.scan_requests - work.scan_requests);
             if (entry.scan_requests > 0) entry.due = now;  // asked again while scanning
             if (!revision_changed) return;
             for (auto& [pkey, policy] : policies_) {
               if (rctl::RepositoryKey(policy.object) == key) policy.due = std::min(policy.due, now);
             }
           });
  }

  void ReconcilePolicy(const ObjectKey& key) {
    Entry<rapi::ImagePolicy> work;
    if (!Snapshot(policies_, key, work)) return;
    const rapi::ImagePolicyStatus before = work.object.status;
    const auto started = std::chrono::steady_clock::now();
    rctl::ReconcileResult r = policy_reconciler_->Reconcile(work.object);
    metrics_.load()->RecordReconcile(MakeReconcileRecord(
        "ImagePolicy", key.ns, key.name, std::chrono::steady_clock::now() - started,
        r.error.has_value(), r.requeue_after, work.object.status.conditions,
        work.object.spec.suspend));
    if (!work.object.spec.suspend) {
      const bool ready = rctl::IsReady(work.object.status.conditions);
      const auto& latest = work.object.status.latest_ref;
      metrics_.load()->RecordPolicyEvaluation(key.ns, key.name, ready,
                                              latest ? latest->name : "",
                                              ready && latest ? latest->tag : "");
    }
    const bool latest_changed = rctl::LatestRefChanged(before, work.object.status);
    if (work.object.status.latest_ref) {
      delivery_.PolicyReconciled(
          work.object, latest_changed,
          RegistryCreatedLookup(factory_, *this, *this, rctl::RepositoryKey(work.object),
                                work.object.status.latest_ref->tag, logger_));
    } else {
      delivery_.PolicyReconciled(work.object, latest_changed, nullptr);
    }
    Commit(policies_, work,
           SafeDump(rapi::ImagePolicyStatusToJson(work.object.status, Version(work.doc))),
           r.requeue_after, r.error.has_value(), r.event, [&] {
             if (!latest_changed) return;
             const SteadyTime now = clock_.Monotonic();
             for (auto& [akey, automation] : automations_) {
               if (akey.ns != key.ns) continue;
               if (automation.due == SteadyTime::max()) {
                 // Queued or running: it may already have read the policies; run it again after.
                 automation.retrigger = true;
               } else {
                 automation.due = std::min(automation.due, now);
               }
             }
           });
  }

  void ReconcileAutomation(const ObjectKey& key) {
    Entry<aapi::ImageUpdateAutomation> work;
    if (!Snapshot(automations_, key, work)) return;
    const auto started = std::chrono::steady_clock::now();
    actl::AutomationReconcileResult r = automation_reconciler_->Reconcile(work.object, *this);
    delivery_.AutomationFinished(r);
    runtime::ReconcileRecord record = MakeReconcileRecord(
        "ImageUpdateAutomation", key.ns, key.name, std::chrono::steady_clock::now() - started,
        r.failed && !r.stalled, r.requeue_after.value_or(std::chrono::nanoseconds(0)),
        work.object.status.conditions, work.object.spec.suspend);
    record.interval = work.object.spec.interval;
    metrics_.load()->RecordReconcile(record);
    metrics_.load()->RecordAutomationRun(key.ns, key.name, AutomationRunResult(r));
    std::optional<rctl::Event> event;
    if (r.event) {
      event = rctl::Event{r.event->type == "Warning" ? rctl::EventType::kWarning
                          : r.event->type == "Trace" ? rctl::EventType::kTrace
                                                     : rctl::EventType::kNormal,
                          r.event->reason, r.event->message};
    }
    std::chrono::nanoseconds requeue = r.requeue_after.value_or(std::chrono::nanoseconds(0));
    Commit(automations_, work, SafeDump(aapi::ImageUpdateAutomationStatusToJson(work.object.status)),
           requeue, r.failed && !r.stalled, event, [] {});
  }

  // Runs automations handed out by `queue` until it shuts down.
  void AutomationWorker(runtime::WorkQueue& queue) {
    while (std::optional<std::string> item = queue.Get()) {
      size_t slash = item->find('/');
      try {
        ReconcileAutomation(ObjectKey{item->substr(0, slash), item->substr(slash + 1)});
      } catch (const std::exception& e) {
        logger_.Error("reconcile failed unexpectedly", {{"name", *item}, {"error", e.what()}});
        std::lock_guard<std::mutex> lock(mu_);
        auto it = automations_.find(ObjectKey{item->substr(0, slash), item->substr(slash + 1)});
        if (it != automations_.end()) it->second.due = clock_.Monotonic() + options_.max_retry_delay;
      }
      queue.Done(*item);
    }
  }

  bool HasObjects() const {
    std::lock_guard<std::mutex> lock(mu_);
    return !repos_.empty() || !policies_.empty() || !automations_.empty();
  }

  SteadyTime NextDue() const {
    std::lock_guard<std::mutex> lock(mu_);
    SteadyTime next = SteadyTime::max();
    for (const auto& [k, e] : repos_) next = std::min(next, e.due);
    for (const auto& [k, e] : policies_) next = std::min(next, e.due);
    for (const auto& [k, e] : automations_) next = std::min(next, e.due);
    return next;
  }

  PassSummary Summary() const {
    std::lock_guard<std::mutex> lock(mu_);
    PassSummary summary;
    auto add = [&](const auto& entries, auto suspended) {
      for (const auto& [key, entry] : entries) {
        ObjectSummary o{entry.doc.kind, key.ns, key.name, false, "", ""};
        if (suspended(entry.object)) {
          o.status = "Suspended";
          o.ready = true;
          o.message = "suspended";
        } else {
          o.status = ReadyStatus(entry.object.status.conditions, &o.message);
          o.ready = o.status == "True";
        }
        summary.objects.push_back(std::move(o));
      }
    };
    add(repos_, [](const rapi::ImageRepository& r) { return r.spec.suspend; });
    add(policies_, [](const rapi::ImagePolicy& p) { return p.spec.suspend; });
    add(automations_, [](const aapi::ImageUpdateAutomation& a) { return a.spec.suspend; });
    summary.issues = issues_;
    return summary;
  }

  const RunnerOptions& options() const { return options_; }
  void set_metrics(runtime::ReconcileMetrics* metrics) {
    metrics_ = metrics ? metrics : &no_metrics_;
    delivery_.set_metrics(metrics);
    webhooks_.set_metrics(metrics);
  }

  // Asks for an immediate scan of each repository (a registry webhook): the loop wakes, scans
  // them even when their interval has not elapsed, and re-scans one that was scanning already.
  // Returns the keys that exist.
  std::vector<ObjectKey> RequestScans(const std::vector<ObjectKey>& keys) {
    std::vector<ObjectKey> found;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const SteadyTime now = clock_.Monotonic();
      for (const ObjectKey& key : keys) {
        auto it = repos_.find(key);
        if (it == repos_.end()) continue;
        ++it->second.scan_requests;
        it->second.due = std::min(it->second.due, now);
        delivery_.ScanRequested(key.ns + "/" + key.name);
        found.push_back(key);
      }
    }
    Wake();
    return found;
  }

  void Wake() {
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      wake_ = true;
    }
    wake_cv_.notify_all();
  }

  // Sleeps for a tick, or less when woken.
  void WaitTick() {
    std::unique_lock<std::mutex> lock(wake_mu_);
    wake_cv_.wait_for(lock, options_.tick, [this] { return wake_; });
    wake_ = false;
  }

  DeliveryTracker& delivery() { return delivery_; }

 private:
  static rapi::ServedVersion Version(const ManifestDocument& doc) {
    return rapi::ServedVersionOf(doc.api_version).value_or(rapi::ServedVersion::kV1);
  }

  void Issue(const ManifestDocument& doc, const std::string& message) {
    std::string text = doc.file + ": " + doc.kind + " " + doc.ns + "/" + doc.name + ": " + message;
    logger_.Error("invalid object", {{"kind", doc.kind},
                                     {"name", doc.ns + "/" + doc.name},
                                     {"file", doc.file},
                                     {"error", message}});
    issues_.push_back(std::move(text));
  }

  // Decodes `text` into a new entry, keeping the schedule of an unchanged existing one.
  template <typename T, typename DecodeFn>
  void Decode(const ManifestDocument& doc, const std::string& text, DecodeFn decode,
              const std::map<ObjectKey, Entry<T>>& old, std::map<ObjectKey, Entry<T>>& out,
              SteadyTime now) {
    Result<T> object = decode(text);
    if (!object) {
      Issue(doc, object.error().message());
      return;
    }
    const ObjectKey key{doc.ns, doc.name};
    Entry<T> entry{doc, std::move(*object), now, 0, "", false};
    auto it = old.find(key);
    if (it != old.end() && it->second.doc.text == doc.text) {
      entry.due = it->second.due;
      entry.failures = it->second.failures;
      entry.object.status = it->second.object.status;
      entry.written_status = it->second.written_status;
    }
    if (it != old.end()) {
      // A webhook's scan request survives a reload (the spec may have changed meanwhile).
      entry.scan_requests = it->second.scan_requests;
      if (entry.scan_requests > 0) entry.due = std::min(entry.due, now);
    }
    out[key] = std::move(entry);
  }

  // Replaces each KubeVela Application by the objects the fluxcd addon derives from it
  // (cmd/standalone/kubevela.h; their `file` is the application's). A derived object that has
  // the identity of one in the directory (or of an earlier derived one) is an issue and dropped.
  std::vector<ManifestDocument> ExpandApplications(std::vector<ManifestDocument> docs) {
    auto identity = [](const ManifestDocument& d) {
      return std::make_tuple(d.api_version.substr(0, d.api_version.find('/')), d.kind, d.ns,
                             d.name);
    };
    std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
    for (const ManifestDocument& doc : docs) {
      if (!IsKubeVelaApplication(doc)) seen.insert(identity(doc));
    }
    std::vector<ManifestDocument> out;
    out.reserve(docs.size());
    for (ManifestDocument& doc : docs) {
      if (!IsKubeVelaApplication(doc)) {
        out.push_back(std::move(doc));
        continue;
      }
      Result<std::vector<ManifestDocument>> derived = DeriveFromApplication(doc);
      if (!derived) {
        logger_.Error("invalid application",
                      {{"file", doc.file}, {"error", derived.error().message()}});
        issues_.push_back(doc.file + ": " + derived.error().message());
        continue;
      }
      for (ManifestDocument& object : *derived) {
        if (!seen.insert(identity(object)).second) {
          Issue(object, "derived from Application " + doc.ns + "/" + doc.name +
                            " but already defined; ignoring the derived one");
          continue;
        }
        out.push_back(std::move(object));
      }
    }
    return out;
  }

  void LoadPlain(const ManifestDocument& doc, Kind kind) {
    try {
      YAML::Node node = YAML::Load(doc.text);
      if (kind == Kind::kNamespace) {
        std::map<std::string, std::string> labels;
        if (YAML::Node l = node["metadata"]["labels"]; l && l.IsMap()) {
          for (const auto& kv : l) labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
        }
        namespace_labels_[doc.name] = std::move(labels);
        return;
      }
      std::vector<std::string> names;
      if (YAML::Node list = node["imagePullSecrets"]; list && list.IsSequence()) {
        for (const auto& item : list) {
          if (item["name"]) names.push_back(item["name"].as<std::string>());
        }
      }
      pull_secrets_[ObjectKey{doc.ns, doc.name}] = std::move(names);
    } catch (const YAML::Exception& e) {
      Issue(doc, e.what());
    }
  }

  // Keys of `entries` that are due (all of them when `all`).
  template <typename T>
  std::vector<ObjectKey> DueKeys(const std::map<ObjectKey, Entry<T>>& entries, bool all) const {
    std::lock_guard<std::mutex> lock(mu_);
    const SteadyTime now = clock_.Monotonic();
    std::vector<ObjectKey> keys;
    for (const auto& [key, entry] : entries) {
      if (all || now >= entry.due) keys.push_back(key);
    }
    return keys;
  }

  // Copies the entry of `key` out of the shared map (false when it is gone).
  template <typename T>
  bool Snapshot(const std::map<ObjectKey, Entry<T>>& entries, const ObjectKey& key,
                Entry<T>& out) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries.find(key);
    if (it == entries.end()) return false;
    out = it->second;
    return true;
  }

  // Stores the reconciled status back (unless the object was edited or removed meanwhile: the
  // next pass reconciles the new spec), schedules the next run, runs `triggers` under the lock,
  // then writes the status file when it changed and logs the event.
  template <typename T, typename Triggers>
  void Commit(std::map<ObjectKey, Entry<T>>& entries, const Entry<T>& work,
              const std::string& unredacted_status, std::chrono::nanoseconds requeue, bool failed,
              const std::optional<rctl::Event>& event, Triggers triggers) {
    // Secret values this process resolved never reach status files or logs.
    std::string status_json = unredacted_status;
    if (nlohmann::json parsed = nlohmann::json::parse(unredacted_status, nullptr, false);
        !parsed.is_discarded()) {
      status_json = SafeDump(RedactConditionMessages(std::move(parsed), secrets_));
    }
    bool write = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries.find(ObjectKey{work.doc.ns, work.doc.name});
      if (it == entries.end() || it->second.doc.text != work.doc.text) {
        return;
      }
      Entry<T>& entry = it->second;
      entry.object.status = work.object.status;
      const SteadyTime now = clock_.Monotonic();
      // Saturating: an interval near Go's maximum duration must not wrap into the past.
      auto after = [&](std::chrono::nanoseconds d) {
        const auto room = SteadyTime::max() - now;
        return d >= room ? SteadyTime::max()
                         : now + std::chrono::duration_cast<SteadyTime::duration>(d);
      };
      if (failed) {
        ++entry.failures;
        std::chrono::nanoseconds delay = options_.min_retry_delay;
        for (int i = 1; i < entry.failures && delay < options_.max_retry_delay; ++i) delay *= 2;
        entry.due = after(std::min<std::chrono::nanoseconds>(delay, options_.max_retry_delay));
      } else {
        entry.failures = 0;
        entry.due = requeue.count() > 0 ? after(requeue) : SteadyTime::max();
      }
      if (entry.retrigger) {
        entry.retrigger = false;
        entry.due = now;
      }
      write = entry.written_status != status_json;
      entry.written_status = status_json;
      triggers();
    }
    if (write) {
      if (Result<void> saved = state_.Save(work.doc, status_json); !saved) {
        logger_.Error("writing status failed", {{"name", work.doc.ns + "/" + work.doc.name},
                                                {"error", saved.error().message()}});
      }
    }
    if (event) {
      const LogLevel level = event->type == rctl::EventType::kTrace     ? LogLevel::kDebug
                             : event->type == rctl::EventType::kWarning ? LogLevel::kError
                                                                        : LogLevel::kInfo;
      logger_.Log(level, secrets_.Redact(event->message),
                  {{"kind", work.doc.kind},
                   {"name", work.doc.ns + "/" + work.doc.name},
                   {"type", std::string(rctl::EventTypeName(event->type))},
                   {"reason", event->reason}});
    }
  }

  RunnerOptions options_;
  const Logger& logger_;
  const Clock& clock_;
  StateStore state_;
  SecretRegistry secrets_;
  HttpRegistryClientFactory factory_;
  automation::git::Library git_library_;
  std::unique_ptr<reflector::store::FileTagStore> tags_;
  std::unique_ptr<rctl::ImageRepositoryReconciler> repo_reconciler_;
  std::unique_ptr<rctl::ImagePolicyReconciler> policy_reconciler_;
  std::unique_ptr<actl::ImageUpdateAutomationReconciler> automation_reconciler_;

  runtime::NoopReconcileMetrics no_metrics_;
  std::atomic<runtime::ReconcileMetrics*> metrics_{&no_metrics_};
  DeliveryTracker delivery_;
  WebhookEndpoint webhooks_;
  std::map<ObjectKey, std::string> receiver_status_;  // status JSON last written per Receiver
  // Wakes the loop before its tick (a webhook asked for a scan).
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  // Guards the object maps below; never held while reconciling.
  mutable std::mutex mu_;
  std::string fingerprint_;
  std::vector<std::string> issues_;
  std::map<ObjectKey, Entry<rapi::ImageRepository>> repos_;
  std::map<ObjectKey, Entry<rapi::ImagePolicy>> policies_;
  std::map<ObjectKey, Entry<aapi::ImageUpdateAutomation>> automations_;
  std::map<ObjectKey, aapi::GitRepository> git_repos_;
  std::map<ObjectKey, aapi::Secret> secrets_by_key_;
  std::map<ObjectKey, std::vector<std::string>> pull_secrets_;
  std::map<std::string, std::map<std::string, std::string>> namespace_labels_;
};

StandaloneRunner::StandaloneRunner(RunnerOptions options, const Logger& logger,
                                   const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), logger, clock)) {}

StandaloneRunner::~StandaloneRunner() = default;

Result<PassSummary> StandaloneRunner::RunOnce() {
  if (Result<void> ok = impl_->Init(); !ok) {
    return ok.error();
  }
  if (Result<void> ok = impl_->Load(); !ok) {
    return ok.error();
  }
  impl_->Pass(true);
  return impl_->Summary();
}

Result<void> StandaloneRunner::Run(const std::atomic<bool>& stop) {
  if (Result<void> ok = impl_->Init(); !ok) {
    return ok.error();
  }
  std::atomic<bool> ready{false};
  std::unique_ptr<metrics::HttpServer> health;
  if (!impl_->options().health_addr.empty()) {
    Result<std::unique_ptr<metrics::HttpServer>> server = metrics::HttpServer::Start(
        {.address = impl_->options().health_addr},
        metrics::HealthRoutes([&ready] { return ready.load(); }, "manifests not loaded yet"));
    if (!server) {
      return server.error().Wrap("--health-addr");
    }
    health = std::move(*server);
  }
  metrics::PrometheusMetrics prometheus({.version = std::string(kVersion),
                                         .process_metrics = true});
  impl_->set_metrics(&prometheus);
  std::unique_ptr<metrics::HttpServer> metrics_server;
  if (!impl_->options().metrics_addr.empty()) {
    Result<std::unique_ptr<metrics::HttpServer>> server = metrics::HttpServer::Start(
        {.address = impl_->options().metrics_addr},
        {metrics::MetricsRoute(prometheus)});
    if (!server) {
      return server.error().Wrap("--metrics-addr");
    }
    metrics_server = std::move(*server);
  }
  if (Result<void> ok = impl_->Load(); !ok) {
    return ok.error();
  }
  // The webhook receivers' server starts once the directory has a Receiver.
  std::unique_ptr<metrics::HttpServer> webhook_server;
  auto start_webhooks = [&]() -> Result<void> {
    if (webhook_server || impl_->options().webhook_addr.empty() || !impl_->webhooks().HasReceivers()) {
      return {};
    }
    Result<std::unique_ptr<metrics::HttpServer>> server = metrics::HttpServer::Start(
        {.address = impl_->options().webhook_addr}, {impl_->webhooks().Route()});
    if (!server) return server.error().Wrap("--webhook-addr");
    webhook_server = std::move(*server);
    impl_->logger().Info("serving webhook receivers",
                         {{"address", impl_->options().webhook_addr},
                          {"port", std::to_string(webhook_server->port())}});
    return {};
  };
  if (Result<void> ok = start_webhooks(); !ok) {
    return ok.error();
  }
  ready.store(true);

  // Automations go through a work queue (workqueue_* series under "imageupdateautomation").
  runtime::WorkQueue queue({.min_retry_delay = impl_->options().min_retry_delay,
                            .max_retry_delay = impl_->options().max_retry_delay,
                            .clock = nullptr,
                            .metrics = prometheus.work_queue_metrics(),
                            .name_of = {},
                            .name = "imageupdateautomation"});
  std::vector<std::thread> workers;
  for (int i = 0; i < std::max(1, impl_->options().concurrent); ++i) {
    workers.emplace_back([this, &queue] { impl_->AutomationWorker(queue); });
  }
  // Everything is due after a load; repositories still honour their intervals.
  impl_->Tick(queue);
  while (!stop.load()) {
    impl_->WaitTick();
    if (impl_->DirectoryChanged()) {
      // A failed load (the directory vanished or became unreadable) keeps the objects we have.
      (void)impl_->Load();
      if (Result<void> ok = start_webhooks(); !ok) {
        impl_->logger().Error("webhook receivers not served", {{"error", ok.error().message()}});
      }
    }
    impl_->Tick(queue);
  }
  queue.ShutDown();
  for (std::thread& worker : workers) {
    worker.join();
  }
  webhook_server.reset();
  metrics_server.reset();
  impl_->set_metrics(nullptr);
  return {};
}

}  // namespace imgauto::cmd::standalone
