// ImageRepositoryReconciler: one reconcile of an ImageRepository as Flux's
// image-reflector-controller does it (reference §1.5, §1.6, §2.2), over seams only: the
// registry through a RegistryClientFactory, Secrets through a SecretGetter, tags into a TagStore,
// time from a Clock. It updates the object's status in place and says when to run again; reading
// and writing the object is the caller's business (in-cluster or standalone).
//
//   ImageRepositoryReconciler reconciler(factory, secrets, store, clock);
//   ReconcileResult result = reconciler.Reconcile(repo);
//   Write(repo.status);
//   if (result.error) Backoff(key); else RequeueAfter(key, result.requeue_after);
//
// Steps: suspended → nothing but lastHandledReconcileAt; a cloud provider with
// serviceAccountName but no ObjectLevelWorkloadIdentity gate → Stalled FeatureGateDisabled;
// Reconciling; parse spec.image (Stalled ImageURLInvalid); build the registry client
// (AuthenticationFailed); shouldScan (Failure); scan (ReadOperationFailed) or keep the last
// result; Ready Succeeded "successful scan: found <N> tags with checksum <revision>"; requeue after
// the interval, or the time left when no scan was due.
#pragma once

#include <chrono>

#include "core/clock.h"
#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/api/image_repository.h"
#include "reflector/controller/reconcile_result.h"
#include "reflector/controller/registry_client_factory.h"
#include "reflector/controller/secret_getter.h"
#include "reflector/store/tag_store.h"

namespace imgauto::reflector::controller {

inline constexpr std::string_view kRepositoryFeatureGateMessage =
    "to use spec.serviceAccountName for provider authentication please enable the "
    "ObjectLevelWorkloadIdentity feature gate in the controller";

struct ImageRepositoryReconcilerOptions {
  // Flux's ObjectLevelWorkloadIdentity feature gate (off by default, as in Flux).
  bool object_level_workload_identity = false;
};

// Thread-safe: Reconcile may run concurrently for different objects (never twice at once for
// the same object: the work queue guarantees that). All dependencies are borrowed and must
// outlive the reconciler.
class ImageRepositoryReconciler {
 public:
  ImageRepositoryReconciler(RegistryClientFactory& factory, const SecretGetter& secrets,
                            store::TagStore& store, const Clock& clock,
                            ImageRepositoryReconcilerOptions options = {});

  // Reconciles `repo` (spec and metadata as read, status as last written) and updates its
  // status. Never fails as a call: failures are in the status and in the result.
  ReconcileResult Reconcile(api::ImageRepository& repo, const ReconcileContext& context = {}) const;

  // Cleans up after the ImageRepository `key` was deleted: forgets its tags. Deleting an unknown
  // key succeeds; store errors are returned.
  Result<void> Forget(const kube::ObjectKey& key) const;

 private:
  ReconcileResult Run(api::ImageRepository& repo, const ReconcileContext& context,
                      std::string& trace) const;

  RegistryClientFactory& factory_;
  const SecretGetter& secrets_;
  store::TagStore& store_;
  const Clock& clock_;
  ImageRepositoryReconcilerOptions options_;
};

// True when a cloud provider is asked to use spec.serviceAccountName while the
// ObjectLevelWorkloadIdentity gate is off (both kinds stall on it).
bool NeedsWorkloadIdentityGate(const api::ImageRepositorySpec& spec, bool gate_enabled);

// The ImagePolicy trigger of §1.6: true when `after` has a scan result whose revision differs
// from `before`'s (or `before` had none). Other status changes, a repository going Stalled
// included, do not trigger policies.
bool ScanRevisionChanged(const api::ImageRepositoryStatus& before,
                         const api::ImageRepositoryStatus& after);

}  // namespace imgauto::reflector::controller
