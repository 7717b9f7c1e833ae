#include "reflector/controller/image_policy_reconciler.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "core/duration.h"
#include "core/kube/conditions.h"
#include "reflector/controller/access_control.h"
#include "reflector/controller/image_repository_reconciler.h"
#include "reflector/controller/notify.h"
#include "reflector/controller/status_conditions.h"
#include "reflector/scan/scanner.h"

namespace imgauto::reflector::controller {
namespace {

using std::chrono::nanoseconds;

ReconcileResult Retry(Error error) {
  ReconcileResult result;
  result.error = std::move(error);
  return result;
}

void Persist(const ReconcileContext& context) {
  if (context.persist_progress) {
    context.persist_progress();
  }
}

// Appends `value` with a presence marker and a separator no spec string contains unescaped.
void AppendField(std::string& out, bool present, std::string_view value) {
  out += present ? '+' : '-';
  out += std::to_string(value.size());
  out += ':';
  out += value;
}

// Identifies everything TagSelector::Create reads, so a cached selector is reused only for the
// very same spec (the generation alone is not trusted: standalone manifests may not bump it).
std::string Fingerprint(const api::ImagePolicySpec& spec) {
  std::string out;
  const api::ImagePolicyChoice& choice = spec.policy;
  AppendField(out, choice.semver.has_value(), choice.semver ? choice.semver->range : "");
  AppendField(out, choice.alphabetical.has_value(),
              choice.alphabetical ? choice.alphabetical->order : "");
  AppendField(out, choice.numerical.has_value(), choice.numerical ? choice.numerical->order : "");
  AppendField(out, spec.filter_tags.has_value(), spec.filter_tags ? spec.filter_tags->pattern : "");
  AppendField(out, spec.filter_tags.has_value(), spec.filter_tags ? spec.filter_tags->extract : "");
  return out;
}

// The repository lookup of §2.3 step 2, with the Ready reason each failure maps to.
struct RepositoryLookup {
  std::optional<api::ImageRepository> repo;
  std::string_view reason;
  std::optional<Error> error;
};

RepositoryLookup LookUpRepository(const api::ImagePolicy& policy, const kube::ObjectKey& key,
                                  const ImageRepositoryGetter& repositories,
                                  bool no_cross_namespace_refs) {
  RepositoryLookup out;
  if (no_cross_namespace_refs && key.ns != policy.metadata.ns) {
    out.reason = kube::reason::kAccessDenied;
    out.error =
        Error(ErrorKind::kUnauthorized, "cannot access 'ImageRepository/" + key.String() +
                                            "', cross-namespace references have been blocked");
    return out;
  }
  Result<api::ImageRepository> repo = repositories.GetImageRepository(key);
  if (!repo) {
    if (repo.error().kind() == ErrorKind::kNotFound) {
      out.reason = kube::reason::kDependencyNotReady;
      out.error = repo.error().Wrap("referenced ImageRepository does not exist");
    } else {
      out.reason = kube::reason::kFailure;
      out.error = repo.error();
    }
    return out;
  }
  Result<void> allowed =
      CheckAccessFrom(policy.metadata.ns, key, repo->spec.access_from, repositories);
  if (!allowed) {
    out.reason = kube::reason::kAccessDenied;
    out.error = allowed.error().Wrap("access denied");
    return out;
  }
  out.repo = std::move(*repo);
  return out;
}

}  // namespace

kube::ObjectKey RepositoryKey(const api::ImagePolicy& policy) {
  const std::string& ns = policy.spec.image_repository_namespace.empty()
                              ? policy.metadata.ns
                              : policy.spec.image_repository_namespace;
  return kube::ObjectKey{ns, policy.spec.image_repository_name};
}

bool LatestRefChanged(const api::ImagePolicyStatus& before, const api::ImagePolicyStatus& after) {
  return before.latest_ref != after.latest_ref;
}

ImagePolicyReconciler::ImagePolicyReconciler(const ImageRepositoryGetter& repositories,
                                             RegistryClientFactory& factory,
                                             const SecretGetter& secrets,
                                             const store::TagStore& store, const Clock& clock,
                                             ImagePolicyReconcilerOptions options)
    : repositories_(repositories),
      factory_(factory),
      secrets_(secrets),
      store_(store),
      clock_(clock),
      options_(std::move(options)) {}

ReconcileResult ImagePolicyReconciler::Reconcile(api::ImagePolicy& policy,
                                                 const ReconcileContext& context) {
  if (policy.spec.suspend) {
    RecordReconcileRequest(policy.metadata, policy.status.last_handled_reconcile_at);
    return {};
  }
  const std::vector<kube::Condition> before = policy.status.conditions;
  std::string trace;
  ReconcileResult result = Run(policy, context, trace);
  result.event = ComposeEvent(before, policy.status.conditions, trace);
  RecordReconcileRequest(policy.metadata, policy.status.last_handled_reconcile_at);
  return result;
}

ReconcileResult ImagePolicyReconciler::Run(api::ImagePolicy& policy,
                                           const ReconcileContext& context, std::string& trace) {
  api::ImagePolicyStatus& status = policy.status;
  const std::int64_t generation = policy.metadata.generation;
  const std::string now = FormatRfc3339(clock_.Now());
  const bool always = policy.spec.digest_reflection_policy == api::DigestReflectionPolicy::kAlways;

  // The API server's CEL rule, enforced again for objects that bypassed it.
  if (always && !policy.spec.interval.has_value()) {
    MarkStalled(status.conditions, kube::reason::kIntervalNotConfigured,
                kIntervalNotConfiguredMessage, generation, now);
    status.observed_generation = generation;
    return {};
  }

  MarkProgressing(status.conditions, ProgressMessage(status.observed_generation, generation),
                  generation, now);
  if (generation != status.observed_generation) {
    Persist(context);
  }

  // Errors here are retried with backoff: access may change through objects this reconciler
  // does not watch (namespace labels, the repository's ACL).
  const kube::ObjectKey key = RepositoryKey(policy);
  RepositoryLookup lookup =
      LookUpRepository(policy, key, repositories_, options_.no_cross_namespace_refs);
  if (!lookup.repo) {
    Error error = lookup.error->Wrap("failed to get the referred ImageRepository");
    MarkRetrying(status.conditions, lookup.reason, error.message(), generation, now);
    return Retry(std::move(error));
  }
  const api::ImageRepository& repo = *lookup.repo;

  Result<registry::ImageReference> ref = scan::ParseImage(repo);
  if (!ref) {
    MarkStalled(status.conditions, kube::reason::kImageUrlInvalid, ref.error().message(),
                generation, now);
    status.observed_generation = generation;
    return {};
  }
  if (NeedsWorkloadIdentityGate(repo.spec, options_.object_level_workload_identity)) {
    MarkStalled(status.conditions, kube::reason::kFeatureGateDisabled, kPolicyFeatureGateMessage,
                generation, now);
    status.observed_generation = generation;
    return {};
  }

  Result<std::shared_ptr<const policy::TagSelector>> selector = SelectorFor(policy);
  if (!selector) {
    scan::MarkPolicyFailed(status, scan::PolicyFailureKind::kInvalidPolicy,
                           selector.error().message(), generation, now);
    return {};
  }

  Result<std::vector<std::string>> tags = ReadTags(repo);
  if (!tags) {
    Error error = tags.error().Wrap("failed to read tags from database");
    MarkRetrying(status.conditions, kube::reason::kFailure, error.message(), generation, now);
    return Retry(std::move(error));
  }
  if (tags->empty()) {
    // Not an error: the repository's next scan triggers this policy; until then look again
    // after the dependency interval.
    scan::MarkPolicyFailed(status, scan::PolicyFailureKind::kNoTags,
                           scan::NoTagsMessage(options_.requeue_dependency), generation, now);
    ReconcileResult result;
    result.requeue_after = options_.requeue_dependency;
    return result;
  }

  Result<std::string> latest = (*selector)->Select(*tags);
  if (!latest) {
    scan::MarkPolicyFailed(status, scan::PolicyFailureKind::kSelectionFailed,
                           latest.error().message(), generation, now);
    return Retry(latest.error());
  }

  if (Result<void> refs = UpdateImageRefs(policy, repo, *ref, *latest); !refs) {
    MarkRetrying(status.conditions, kube::reason::kFailed, refs.error().message(), generation, now);
    return Retry(refs.error());
  }

  trace = scan::ComposeImagePolicyReadyMessage(*status.latest_ref, status.observed_previous_ref);
  scan::MarkPolicyReady(status, trace, generation, now);
  ReconcileResult result;
  if (always) {
    const nanoseconds interval = *policy.spec.interval;
    result.requeue_after = interval > nanoseconds::zero() ? interval : kDefaultDigestInterval;
  }
  return result;
}

Result<std::shared_ptr<const policy::TagSelector>> ImagePolicyReconciler::SelectorFor(
    const api::ImagePolicy& policy) {
  const kube::ObjectKey key{policy.metadata.ns, policy.metadata.name};
  std::string fingerprint = Fingerprint(policy.spec);
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = selectors_.find(key);
    if (it != selectors_.end() && it->second.fingerprint == fingerprint) {
      return it->second.selector;
    }
  }
  Result<policy::TagSelector> created =
      policy::TagSelector::Create(policy.spec.policy, policy.spec.filter_tags);
  if (!created) {
    return created.error();
  }
  auto selector = std::make_shared<const policy::TagSelector>(std::move(*created));
  std::lock_guard<std::mutex> lock(cache_mutex_);
  selectors_[key] = CachedSelector{std::move(fingerprint), selector};
  return selector;
}

Result<std::vector<std::string>> ImagePolicyReconciler::ReadTags(
    const api::ImageRepository& repo) const {
  const kube::ObjectKey key = scan::StoreKey(repo);
  // Re-reading only makes sense when the repository claims stored tags: a never-scanned or empty
  // repository is reported at once and the next scan triggers the policy.
  const bool expect_tags =
      repo.status.last_scan_result.has_value() && repo.status.last_scan_result->tag_count > 0;
  const int attempts = expect_tags ? std::max(1, options_.empty_store_attempts) : 1;
  nanoseconds delay = options_.empty_store_backoff;
  for (int attempt = 1;; ++attempt) {
    Result<std::vector<std::string>> tags = store_.Tags(key);
    if (!tags || !tags->empty() || attempt >= attempts) {
      return tags;
    }
    if (options_.sleep) {
      options_.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
    delay += delay / 2;
  }
}

Result<void> ImagePolicyReconciler::UpdateImageRefs(api::ImagePolicy& policy,
                                                    const api::ImageRepository& repo,
                                                    const registry::ImageReference& ref,
                                                    const std::string& tag) {
  api::ImagePolicyStatus& status = policy.status;
  api::ImageRef latest{repo.spec.image, tag, ""};
  bool fetch = false;
  switch (policy.spec.digest_reflection_policy) {
    case api::DigestReflectionPolicy::kIfNotPresent: {
      // Tags are treated as immutable: keep a digest already reflected for this name and tag.
      const std::optional<api::ImageRef>& current = status.latest_ref;
      fetch = !current.has_value() || current->name != latest.name || current->tag != tag ||
              current->digest.empty();
      if (!fetch) {
        latest.digest = current->digest;
      }
      break;
    }
    case api::DigestReflectionPolicy::kAlways:
      fetch = true;
      break;
    case api::DigestReflectionPolicy::kNever:
      break;
  }
  if (fetch) {
    Result<std::string> digest = FetchDigest(repo, ref, tag);
    if (!digest) {
      return digest.error().Wrap("failed fetching digest of " + latest.name + ":" + tag);
    }
    latest.digest = std::move(*digest);
  }
  if (!status.latest_ref.has_value() || *status.latest_ref != latest) {
    status.observed_previous_ref = std::move(status.latest_ref);
    status.latest_ref = std::move(latest);
  }
  return {};
}

Result<std::string> ImagePolicyReconciler::FetchDigest(const api::ImageRepository& repo,
                                                       const registry::ImageReference& ref,
                                                       const std::string& tag) {
  Result<registry::RegistryClientPtr> client = factory_.Create(repo, secrets_);
  if (!client) {
    return client.error().Wrap("failed to configure authentication options");
  }
  Result<std::string> digest = (*client)->ResolveDigest(ref, tag);
  if (!digest) {
    return digest.error().Wrap("failed fetching descriptor for \"" + ref.Canonical() + ":" + tag +
                               "\"");
  }
  return digest;
}

void ImagePolicyReconciler::Forget(const kube::ObjectKey& key) {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  selectors_.erase(key);
}

}  // namespace imgauto::reflector::controller
