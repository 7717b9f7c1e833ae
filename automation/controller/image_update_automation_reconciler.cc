#include "automation/controller/image_update_automation_reconciler.h"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include "automation/git/credentials.h"
#include "automation/git/gpg_signer.h"
#include "automation/git/ssh_signer.h"
#include "automation/update_run.h"
#include "core/duration.h"
#include "core/kube/conditions.h"

namespace imgauto::automation::controller {
namespace {

constexpr std::string_view kInvalidSourceConfiguration = "InvalidSourceConfiguration";
constexpr std::string_view kInvalidPolicySelector = "InvalidPolicySelector";
constexpr std::string_view kUpToDate = "repository up-to-date";
constexpr std::string_view kReconcileAnnotation = "reconcile.fluxcd.io/requestedAt";

std::string Annotation(const reflector::api::ObjectMeta& meta, std::string_view key) {
  for (const auto& [k, v] : meta.annotations) {
    if (k == key) {
      return v;
    }
  }
  return {};
}

class StatusWriter {
 public:
  StatusWriter(api::ImageUpdateAutomation& a, std::string now) : a_(a), now_(std::move(now)) {}

  void Set(std::string_view type, std::string_view status, std::string_view reason,
           std::string_view message) {
    kube::SetCondition(a_.status.conditions,
                       kube::Condition{std::string(type), std::string(status), std::string(reason),
                                       std::string(message), a_.metadata.generation, ""},
                       now_);
  }
  void Remove(std::string_view type) { kube::RemoveCondition(a_.status.conditions, type); }

  void Ready() {
    Set(kube::kReadyCondition, "True", kube::reason::kSucceeded, kUpToDate);
    Remove(kube::kReconcilingCondition);
    Remove(kube::kStalledCondition);
    a_.status.observed_generation = a_.metadata.generation;
  }
  void Stalled(std::string_view reason, std::string_view message) {
    Set(kube::kReadyCondition, "False", reason, message);
    Set(kube::kStalledCondition, "True", reason, message);
    Remove(kube::kReconcilingCondition);
    a_.status.observed_generation = a_.metadata.generation;
  }
  void Retrying(std::string_view reason, std::string_view message) {
    Set(kube::kReadyCondition, "False", reason, message);
    Set(kube::kReconcilingCondition, "True", kube::reason::kProgressingWithRetry, message);
    Remove(kube::kStalledCondition);
  }

 private:
  api::ImageUpdateAutomation& a_;
  std::string now_;
};

git::CheckoutRef ToCheckoutRef(const api::GitRepositoryRef& ref) {
  return git::CheckoutRef{ref.branch, ref.tag, ref.semver, ref.name, ref.commit};
}

// The policies ("ns/name", sorted, unique) whose markers a change set rewrote. A marker names
// "ns:name[:field]"; a legacy one without a namespace means the automation's.
std::vector<std::string> ChangedPolicies(const setters::ChangeSet& changes, const std::string& ns) {
  std::set<std::string> keys;
  for (const setters::Change& c : changes.Changes()) {
    std::string_view setter = c.setter;
    const size_t colon = setter.find(':');
    if (colon == std::string_view::npos) {
      keys.insert(ns + "/" + std::string(setter));
      continue;
    }
    std::string_view name = setter.substr(colon + 1);
    name = name.substr(0, name.find(':'));
    keys.insert(std::string(setter.substr(0, colon)) + "/" + std::string(name));
  }
  return {keys.begin(), keys.end()};
}

}  // namespace

std::vector<reflector::api::ImagePolicy> SelectPolicies(
    const std::vector<reflector::api::ImagePolicy>& policies, const api::LabelSelector& selector) {
  std::vector<reflector::api::ImagePolicy> out;
  for (const reflector::api::ImagePolicy& p : policies) {
    if (p.status.latest_ref && selector.Matches(p.metadata.labels)) {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.metadata.name < b.metadata.name; });
  return out;
}

AutomationReconcileResult ImageUpdateAutomationReconciler::Reconcile(
    api::ImageUpdateAutomation& automation, const AutomationObjects& objects) const {
  AutomationReconcileResult result;
  if (automation.spec.suspend) {
    return result;  // Flux returns at once, without recording the annotation
  }
  const bool was_ready = [&] {
    const kube::Condition* ready = kube::FindCondition(automation.status.conditions,
                                                       kube::kReadyCondition);
    return ready != nullptr && ready->status == "True";
  }();
  const std::string now = FormatRfc3339(clock_.Now());
  StatusWriter status(automation, now);
  if (std::string requested = Annotation(automation.metadata, kReconcileAnnotation);
      !requested.empty()) {
    automation.status.last_handled_reconcile_at = requested;
  }
  automation.status.last_automation_run_time = now;
  const std::string& ns = automation.metadata.ns;

  auto fail = [&](std::string_view reason, const std::string& message, bool stall) {
    if (stall) {
      status.Stalled(reason, message);
    } else {
      status.Retrying(reason, message);
    }
    result.failed = true;
    result.stalled = stall;
    result.event = AutomationEvent{"Warning", std::string(reason), message};
    return result;
  };

  if (Result<void> ok = api::ValidateLabelSelector(automation.spec.policy_selector); !ok) {
    return fail(kInvalidPolicySelector,
                "failed to parse policy selector: " + ok.error().message(), true);
  }
  if (!automation.spec.git) {
    return fail(kInvalidSourceConfiguration,
                "invalid source configuration: spec.git is required", true);
  }
  if (automation.spec.source_ref.kind != "GitRepository") {
    return fail(kInvalidSourceConfiguration,
                "invalid source configuration: source kind '" + automation.spec.source_ref.kind +
                    "' not supported",
                true);
  }
  const std::string source_ns =
      automation.spec.source_ref.ns.empty() ? ns : automation.spec.source_ref.ns;
  if (options_.no_cross_namespace_refs && source_ns != ns) {
    return fail(kube::reason::kAccessDenied,
                "cannot access GitRepository " + source_ns + "/" +
                    automation.spec.source_ref.name + ", cross-namespace references have been "
                    "blocked",
                true);
  }

  Result<std::vector<reflector::api::ImagePolicy>> listed = objects.ListImagePolicies(ns);
  if (!listed) {
    return fail(kube::reason::kFailed, "failed to list image policies: " + listed.error().message(),
                false);
  }
  std::vector<reflector::api::ImagePolicy> selected =
      SelectPolicies(*listed, automation.spec.policy_selector);

  // Source manager: GitRepository, auth Secret, signing key.
  auto source_failure = [&](const std::string& message) {
    return fail(kSourceManagerFailed, std::string(kSourceManagerPrefix) + message, false);
  };
  Result<api::GitRepository> repo =
      objects.GetGitRepository(source_ns, automation.spec.source_ref.name);
  if (!repo) {
    return source_failure(repo.error().kind() == ErrorKind::kNotFound
                              ? "referenced git repository does not exist: GitRepository " +
                                    source_ns + "/" + automation.spec.source_ref.name +
                                    " not found"
                              : repo.error().message());
  }
  UpdateRunRequest request;
  request.automation = {ns, automation.metadata.name};
  request.source.url = repo->spec.url;
  if (repo->spec.ref) {
    request.source.ref = ToCheckoutRef(*repo->spec.ref);
  }
  if (!repo->spec.secret_ref.empty()) {
    Result<api::Secret> secret = objects.GetSecret(source_ns, repo->spec.secret_ref);
    if (!secret) {
      return source_failure("failed to get auth secret '" + source_ns + "/" +
                            repo->spec.secret_ref + "': " + secret.error().message());
    }
    Result<git::Credentials> creds = git::Credentials::FromSecretData(secret->data);
    if (!creds) {
      return source_failure("invalid auth secret '" + source_ns + "/" + repo->spec.secret_ref +
                            "': " + creds.error().message());
    }
    request.source.credentials = std::move(*creds);
  }
  const api::GitSpec& git_spec = *automation.spec.git;
  git::SignerPtr signer;
  if (git_spec.commit.signing_key) {
    const std::string& name = git_spec.commit.signing_key->secret_ref;
    Result<api::Secret> secret = objects.GetSecret(ns, name);
    if (!secret) {
      return source_failure("could not find signing key secret '" + name + "'");
    }
    const bool ssh = git_spec.commit.signing_key->type == api::SigningKeyType::kSsh;
    const char* key_field = ssh ? "identity" : "git.asc";
    const std::string* key = secret->Find(key_field);
    if (key == nullptr) {
      return source_failure("signing key secret '" + name + "' does not contain a" +
                            (ssh ? "n 'identity'" : " 'git.asc'") + " key");
    }
    const std::string* pass = secret->Find(ssh ? "password" : "passphrase");
    Result<git::SignerPtr> made =
        ssh ? git::SshSigner::Create(*key, pass ? *pass : "", name)
            : git::GpgSigner::Create(*key, pass ? *pass : "", name);
    if (!made) {
      return source_failure(made.error().message());
    }
    signer = std::move(*made);
  }

  if (git_spec.checkout) {
    request.checkout = ToCheckoutRef(*git_spec.checkout);
  }
  if (git_spec.push) {
    request.push_branch = git_spec.push->branch;
    request.push_refspec = git_spec.push->refspec;
    for (const auto& [k, v] : git_spec.push->options) {
      request.push_options.push_back(v.empty() ? k : k + "=" + v);
    }
  }
  request.update_path = automation.spec.update.path;
  request.message_template = git_spec.commit.message_template;
  request.message_values = git_spec.commit.message_template_values;
  request.author = {git_spec.commit.author.name, git_spec.commit.author.email};
  request.signer = signer.get();
  for (const reflector::api::ImagePolicy& p : selected) {
    request.policies.push_back(setters::PolicyValue{p.metadata.ns.empty() ? ns : p.metadata.ns,
                                                    p.metadata.name, p.status.latest_ref->name,
                                                    p.status.latest_ref->tag,
                                                    p.status.latest_ref->digest});
  }
  for (const auto& [name, ref] : automation.status.observed_policies) {
    request.previous_policies[name] = ObservedPolicy{ref.name, ref.tag, ref.digest};
  }
  request.previous_source_revision = automation.status.observed_source_revision;
  request.cache_dir = options_.cache_root / ns / automation.metadata.name;
  request.retry = options_.push_retry;
  request.force_push_branch = options_.force_push_branch;

  Result<UpdateRunOutcome> out = RunUpdate(request, clock_);
  if (!out) {
    result.push_failed =
        out.error().message().find("failed to push to remote") != std::string::npos;
    std::string_view reason = FailureReason(out.error());
    return fail(reason, out.error().message(), reason == kRemovedTemplateField);
  }

  // §4.5 bookkeeping.
  if (out->kind != UpdateRunOutcome::Kind::kUnchanged) {
    automation.status.observed_policies.clear();
    for (const auto& [name, p] : out->observed_policies) {
      automation.status.observed_policies[name] = reflector::api::ImageRef{p.name, p.tag, p.digest};
    }
    automation.status.observed_source_revision = out->observed_source_revision;
  }
  if (out->kind == UpdateRunOutcome::Kind::kPushed) {
    automation.status.last_push_commit = out->pushed_commit;
    automation.status.last_push_time = now;
    result.pushed_commit = out->pushed_commit;
    result.committed_at = out->committed_at;
    result.pushed_at = out->pushed_at;
    result.changed_policies = ChangedPolicies(out->changes, ns);
  }
  status.Ready();
  result.requeue_after = automation.spec.interval;

  if (out->kind == UpdateRunOutcome::Kind::kPushed) {
    result.event = AutomationEvent{"Normal", std::string(kube::reason::kSucceeded),
                                   out->push_summary};
  } else if (!was_ready) {
    result.event =
        AutomationEvent{"Normal", std::string(kube::reason::kSucceeded), std::string(kUpToDate)};
  } else {
    result.event = AutomationEvent{
        "Trace", std::string(kube::reason::kSucceeded),
        out->sync_needed ? std::string(kUpToDate) : "no change since last reconciliation"};
  }
  return result;
}

}  // namespace imgauto::automation::controller
