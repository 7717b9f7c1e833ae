// ImagePolicyReconciler: one reconcile of an ImagePolicy as Flux's image-reflector-controller
// does it (reference §1.5, §1.6, §2.3, §2.8), over seams only: the referenced ImageRepository and
// namespace labels through an ImageRepositoryGetter, tags from the TagStore the repository
// reconciler fills, digests through a RegistryClientFactory. It updates the policy's status in
// place and says when to run again.
//
//   ImagePolicyReconciler reconciler(repositories, factory, secrets, store, clock,
//                                    {.no_cross_namespace_refs = true});
//   api::ImagePolicyStatus before = policy.status;
//   ReconcileResult result = reconciler.Reconcile(policy);
//   if (LatestRefChanged(before, policy.status)) EnqueueAutomations(policy);
//
// Steps: suspended → nothing but lastHandledReconcileAt; Always without spec.interval → Stalled
// IntervalNotConfigured; Reconciling; resolve the repository (DependencyNotReady when missing,
// AccessDenied for --no-cross-namespace-refs or the accessFrom ACL); its image (Stalled
// ImageURLInvalid) and feature gate (Stalled FeatureGateDisabled); the tag selector (Stalled
// InvalidPolicy); the stored tags (DependencyNotReady "retrying in 30s error: no tags in
// database", requeue after --requeue-dependency); selection (Failure); digest reflection (Failed
// "failed fetching digest of <name>:<tag>: …"); latestRef / observedPreviousRef; Ready
// Succeeded "Latest image tag for <name> resolved to <tag>…". Requeue after spec.interval only
// for Always (10m when zero); otherwise the policy is event-driven.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/api/image_policy.h"
#include "reflector/api/image_repository.h"
#include "reflector/controller/image_repository_getter.h"
#include "reflector/controller/reconcile_result.h"
#include "reflector/controller/registry_client_factory.h"
#include "reflector/controller/secret_getter.h"
#include "reflector/policy/selector.h"
#include "reflector/registry/reference.h"
#include "reflector/store/tag_store.h"

namespace imgauto::reflector::controller {

inline constexpr std::string_view kIntervalNotConfiguredMessage =
    "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'";
inline constexpr std::string_view kPolicyFeatureGateMessage =
    "to use spec.serviceAccountName in the ImageRepository for provider authentication please "
    "enable the ObjectLevelWorkloadIdentity feature gate in the controller";
// The requeue of an Always policy whose spec.interval is zero.
inline constexpr std::chrono::minutes kDefaultDigestInterval{10};

struct ImagePolicyReconcilerOptions {
  // --no-cross-namespace-refs: a policy may only use repositories in its own namespace.
  bool no_cross_namespace_refs = false;
  // Flux's ObjectLevelWorkloadIdentity feature gate.
  bool object_level_workload_identity = false;
  // --requeue-dependency: when to look again after finding no tags.
  std::chrono::nanoseconds requeue_dependency = std::chrono::seconds(30);
  // Reads of an empty tag store before giving up, when the repository's status says it stored
  // tags (a read racing the write); waits start at `empty_store_backoff` and grow by half.
  int empty_store_attempts = 4;
  std::chrono::nanoseconds empty_store_backoff = std::chrono::seconds(1);
  // How to wait between those reads; std::this_thread::sleep_for when empty.
  std::function<void(std::chrono::nanoseconds)> sleep{};
};

// Thread-safe: Reconcile may run concurrently for different policies. Dependencies are borrowed
// and must outlive the reconciler.
class ImagePolicyReconciler {
 public:
  ImagePolicyReconciler(const ImageRepositoryGetter& repositories, RegistryClientFactory& factory,
                        const SecretGetter& secrets, const store::TagStore& store,
                        const Clock& clock, ImagePolicyReconcilerOptions options = {});

  // Reconciles `policy` (spec and metadata as read, status as last written) and updates its
  // status. Never fails as a call: failures are in the status and in the result.
  ReconcileResult Reconcile(api::ImagePolicy& policy, const ReconcileContext& context = {});

  // Drops what the reconciler cached for the deleted ImagePolicy `key` (its compiled selector).
  void Forget(const kube::ObjectKey& key);

 private:
  struct CachedSelector {
    std::string fingerprint;
    std::shared_ptr<const policy::TagSelector> selector;
  };

  ReconcileResult Run(api::ImagePolicy& policy, const ReconcileContext& context,
                      std::string& trace);
  // Returns the selector for the policy's spec, compiled once per distinct spec.
  Result<std::shared_ptr<const policy::TagSelector>> SelectorFor(const api::ImagePolicy& policy);
  // Reads the repository's tags, re-reading an empty store when the repository says it has tags.
  Result<std::vector<std::string>> ReadTags(const api::ImageRepository& repo) const;
  // Computes latestRef (with the digest the reflection policy asks for) and moves the old one to
  // observedPreviousRef when it differs.
  Result<void> UpdateImageRefs(api::ImagePolicy& policy, const api::ImageRepository& repo,
                               const registry::ImageReference& ref, const std::string& tag);
  Result<std::string> FetchDigest(const api::ImageRepository& repo,
                                  const registry::ImageReference& ref, const std::string& tag);

  const ImageRepositoryGetter& repositories_;
  RegistryClientFactory& factory_;
  const SecretGetter& secrets_;
  const store::TagStore& store_;
  const Clock& clock_;
  ImagePolicyReconcilerOptions options_;

  std::mutex cache_mutex_;
  std::map<kube::ObjectKey, CachedSelector> selectors_;
};

// Returns the key of the ImageRepository `policy` refers to (its own namespace unless
// spec.imageRepositoryRef.namespace is set).
kube::ObjectKey RepositoryKey(const api::ImagePolicy& policy);

// The ImageUpdateAutomation trigger of §1.6: true when status.latestRef differs (any of name,
// tag, digest, or presence).
bool LatestRefChanged(const api::ImagePolicyStatus& before, const api::ImagePolicyStatus& after);

}  // namespace imgauto::reflector::controller
