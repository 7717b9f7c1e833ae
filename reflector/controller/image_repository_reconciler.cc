#include "reflector/controller/image_repository_reconciler.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/duration.h"
#include "core/kube/conditions.h"
#include "reflector/controller/notify.h"
#include "reflector/controller/status_conditions.h"
#include "reflector/scan/scanner.h"

namespace imgauto::reflector::controller {
namespace {

constexpr std::string_view kEmptyStoreReason = "no tags in database";

ReconcileResult Failed(const scan::ScanFailure& failure) {
  ReconcileResult result;
  result.error = Error(failure.error.kind(), scan::ScanFailureMessage(failure));
  return result;
}

void Persist(const ReconcileContext& context) {
  if (context.persist_progress) {
    context.persist_progress();
  }
}

}  // namespace

bool NeedsWorkloadIdentityGate(const api::ImageRepositorySpec& spec, bool gate_enabled) {
  const bool cloud = !spec.provider.empty() && spec.provider != "generic";
  return cloud && !spec.service_account_name.empty() && !gate_enabled;
}

bool ScanRevisionChanged(const api::ImageRepositoryStatus& before,
                         const api::ImageRepositoryStatus& after) {
  if (!after.last_scan_result.has_value()) {
    return false;
  }
  return !before.last_scan_result.has_value() ||
         before.last_scan_result->revision != after.last_scan_result->revision;
}

ImageRepositoryReconciler::ImageRepositoryReconciler(RegistryClientFactory& factory,
                                                     const SecretGetter& secrets,
                                                     store::TagStore& store, const Clock& clock,
                                                     ImageRepositoryReconcilerOptions options)
    : factory_(factory), secrets_(secrets), store_(store), clock_(clock), options_(options) {}

ReconcileResult ImageRepositoryReconciler::Reconcile(api::ImageRepository& repo,
                                                     const ReconcileContext& context) const {
  if (repo.spec.suspend) {
    // Flux returns before touching status, but still records the handled request.
    RecordReconcileRequest(repo.metadata, repo.status.last_handled_reconcile_at);
    return {};
  }
  const std::vector<kube::Condition> before = repo.status.conditions;
  std::string trace;
  ReconcileResult result = Run(repo, context, trace);
  result.event = ComposeEvent(before, repo.status.conditions, trace);
  RecordReconcileRequest(repo.metadata, repo.status.last_handled_reconcile_at);
  return result;
}

ReconcileResult ImageRepositoryReconciler::Run(api::ImageRepository& repo,
                                               const ReconcileContext& context,
                                               std::string& trace) const {
  api::ImageRepositoryStatus& status = repo.status;
  const std::int64_t generation = repo.metadata.generation;
  const std::chrono::system_clock::time_point start = clock_.Now();
  const std::string now = FormatRfc3339(start);

  if (NeedsWorkloadIdentityGate(repo.spec, options_.object_level_workload_identity)) {
    MarkStalled(status.conditions, kube::reason::kFeatureGateDisabled,
                kRepositoryFeatureGateMessage, generation, now);
    status.observed_generation = generation;
    return {};
  }

  // Persist Reconciling right away for a new generation or a new reconcile request, so that
  // watchers see the object being worked on.
  MarkProgressing(status.conditions, ProgressMessage(status.observed_generation, generation),
                  generation, now);
  const std::string token = ReconcileRequestToken(repo.metadata).value_or("");
  if (generation != status.observed_generation || token != status.last_handled_reconcile_at) {
    Persist(context);
  }

  Result<registry::ImageReference> ref = scan::ParseImage(repo);
  if (!ref) {
    scan::MarkScanFailed(status, {scan::ScanStage::kParseImage, ref.error()}, generation, now);
    return {};
  }
  kube::RemoveCondition(status.conditions, kube::kStalledCondition);

  // Flux builds the authentication options on every reconcile, scan or not, so a broken
  // secret shows up even between scans.
  Result<registry::RegistryClientPtr> client = factory_.Create(repo, secrets_);
  if (!client) {
    scan::ScanFailure failure{scan::ScanStage::kAuthentication, client.error()};
    scan::MarkScanFailed(status, failure, generation, now);
    return Failed(failure);
  }

  Result<scan::ScanDecision> decision = scan::ShouldScan(repo, ref->Canonical(), store_, start);
  if (!decision) {
    std::string message = "failed to determine if it's scan time: " + decision.error().message();
    MarkRetrying(status.conditions, kube::reason::kFailure, message, generation, now);
    ReconcileResult result;
    result.error = Error(decision.error().kind(), std::move(message));
    return result;
  }

  const std::string next_scan = "next scan in " + FormatGoDuration(decision->requeue_after);
  if (decision->scan) {
    // An empty store resets Ready to Unknown: the transition unblocks policies stuck in
    // DependencyNotReady after a restart.
    MarkProgressing(status.conditions, "scanning: " + decision->reason, generation, now,
                    decision->reason == kEmptyStoreReason);
    Persist(context);
    std::optional<std::string> old_revision;
    if (status.last_scan_result.has_value()) {
      old_revision = status.last_scan_result->revision;
    }
    Result<scan::ScanReport> report = scan::ScanTags(repo, *ref, **client, store_, clock_);
    if (!report) {
      scan::ScanFailure failure{scan::ScanStage::kScan, report.error()};
      scan::MarkScanFailed(status, failure, generation, now);
      return Failed(failure);
    }
    trace =
        (old_revision == report->result.revision ? "tags did not change, " : "successful scan, ") +
        next_scan;
    scan::MarkScanSucceeded(status, *report, generation, now);
  } else {
    // Nothing due: the last result stands and becomes the Ready message again.
    trace = "no change in repository configuration since last scan, " + next_scan;
    scan::ScanReport kept;
    kept.canonical_image_name = ref->Canonical();
    kept.observed_exclusion_list = repo.spec.EffectiveExclusionList();
    kept.result = *status.last_scan_result;
    scan::MarkScanSucceeded(status, kept, generation, now);
  }
  ReconcileResult result;
  result.requeue_after = decision->requeue_after;
  return result;
}

Result<void> ImageRepositoryReconciler::Forget(const kube::ObjectKey& key) const {
  return store_.Delete(key);
}

}  // namespace imgauto::reflector::controller
