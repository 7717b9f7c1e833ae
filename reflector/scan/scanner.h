// The ImageRepository scan (Flux reference §2.2) as functions over the seams, plus the pure
// decisions around it: whether a scan is due (shouldScan) and how an outcome maps to Flux's
// conditions for ImageRepository and ImagePolicy (§1.5). No I/O except through the given
// RegistryClient and TagStore; time comes from the Clock or a `now` argument.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/api/image_policy.h"
#include "reflector/api/image_repository.h"
#include "reflector/registry/reference.h"
#include "reflector/registry/registry_client.h"
#include "reflector/store/tag_store.h"

namespace imgauto::reflector::scan {

inline constexpr std::size_t kLatestTagsCount = 10;
inline constexpr std::string_view kReconcileRequestAnnotation = "reconcile.fluxcd.io/requestedAt";

// Which stage failed; decides the Ready reason.
enum class ScanStage {
  kParseImage,      // ImageURLInvalid, Stalled
  kAuthentication,  // AuthenticationFailed
  kScan,            // ReadOperationFailed
};

struct ScanFailure {
  ScanStage stage;
  Error error;
};

struct ScanReport {
  std::string canonical_image_name;                  // status.canonicalImageName
  std::vector<std::string> observed_exclusion_list;  // defaults applied
  api::ScanResult result;                            // status.lastScanResult
  std::vector<std::string> tags;                     // the stored list, descending bytes
};

// Exactly one of `report` and `failure` is set.
struct ScanOutcome {
  std::optional<ScanReport> report;
  std::optional<ScanFailure> failure;
};

// Returns the store key of an ImageRepository: {metadata.namespace, metadata.name}.
kube::ObjectKey StoreKey(const api::ImageRepository& repo);

// Parses spec.image honouring spec.insecure (kInvalidSpec → ImageURLInvalid).
Result<registry::ImageReference> ParseImage(const api::ImageRepository& repo);

// Drops excluded tags and sorts the rest descending byte-wise (stable).
Result<std::vector<std::string>> FilterAndSortTags(std::vector<std::string> tags,
                                                   std::span<const std::string> exclusions);

// Lists the tags of `ref`, filters and sorts them, stores them under StoreKey(repo) and builds
// the report (scanTime = clock.Now() in RFC 3339). Errors are returned unwrapped.
Result<ScanReport> ScanTags(const api::ImageRepository& repo,
                            const registry::ImageReference& ref,
                            registry::RegistryClient& registry, store::TagStore& store,
                            const Clock& clock);

// ParseImage + ScanTags with the failing stage recorded.
ScanOutcome ScanRepository(const api::ImageRepository& repo, registry::RegistryClient& registry,
                           store::TagStore& store, const Clock& clock);

// shouldScan (§2.2 step 3): the checks in Flux's order, each giving its reason string.
struct ScanDecision {
  bool scan = false;
  std::string reason;                    // "first scan", … ; empty when !scan
  std::chrono::nanoseconds requeue_after{0};  // interval when scanning, else the time left
};
// `canonical_name` is ParseImage(repo)->Canonical(). A store read error is returned.
Result<ScanDecision> ShouldScan(const api::ImageRepository& repo,
                                std::string_view canonical_name, const store::TagStore& store,
                                std::chrono::system_clock::time_point now);

// Returns true when both lists hold the same strings (order-insensitive; nil == empty).
bool SameContent(std::span<const std::string> a, std::span<const std::string> b);

// Parses RFC 3339 ("2024-05-01T10:00:00Z", fractions and offsets accepted).
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

// ---- ImageRepository conditions (§1.5) ----

// "successful scan: found <N> tags with checksum <revision>"
std::string ScanSucceededMessage(const api::ScanResult& result);
// The Ready reason for a failed stage ("ImageURLInvalid", "AuthenticationFailed",
// "ReadOperationFailed").
std::string_view ScanFailureReason(ScanStage stage);
// The Ready message: the parse error as is, "failed to configure authentication options: …",
// or "scan failed: …".
std::string ScanFailureMessage(const ScanFailure& failure);

// Ready=True Succeeded; removes Reconciling and Stalled; records the report in `status`.
void MarkScanSucceeded(api::ImageRepositoryStatus& status, const ScanReport& report,
                       std::int64_t generation, std::string_view now);
// Ready=False with the stage's reason; ImageURLInvalid also sets Stalled (and removes
// Reconciling), the others set Reconciling=True ProgressingWithRetry.
void MarkScanFailed(api::ImageRepositoryStatus& status, const ScanFailure& failure,
                    std::int64_t generation, std::string_view now);

// ---- ImagePolicy conditions (§1.5, §7.5 items 40 and 41) ----

// "Latest image tag for <name> resolved to <tag>[ with digest <d>][ (previously
// <pname>:<ptag>[@<pdigest>])]"; the suffix only when `previous` is set and differs.
std::string ComposeImagePolicyReadyMessage(const api::ImageRef& latest,
                                           const std::optional<api::ImageRef>& previous);

enum class PolicyFailureKind {
  kInvalidPolicy,    // Stalled InvalidPolicy (bad policy, bad regex)
  kNoTags,           // DependencyNotReady, "retrying in 30s error: no tags in database"
  kSelectionFailed,  // Failure, the policy's error text
};

// Returns "retrying in <d> error: no tags in database" (d in Go duration format).
std::string NoTagsMessage(std::chrono::nanoseconds dependency_requeue = std::chrono::seconds(30));

// Ready=True Succeeded with `message`; removes Reconciling and Stalled.
void MarkPolicyReady(api::ImagePolicyStatus& status, std::string_view message,
                     std::int64_t generation, std::string_view now);
// Sets the failure conditions for `kind` with `message` (Stalled for kInvalidPolicy).
void MarkPolicyFailed(api::ImagePolicyStatus& status, PolicyFailureKind kind,
                      std::string_view message, std::int64_t generation, std::string_view now);

}  // namespace imgauto::reflector::scan
