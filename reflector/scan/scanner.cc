#include "reflector/scan/scanner.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "core/duration.h"
#include "core/kube/conditions.h"
#include "reflector/scan/exclusion_filter.h"

namespace imgauto::reflector::scan {
namespace {

using std::chrono::nanoseconds;

std::string_view AnnotationValue(const api::ObjectMeta& meta, std::string_view key) {
  for (const auto& [name, value] : meta.annotations) {
    if (name == key) {
      return value;
    }
  }
  return {};
}

bool HasAnnotation(const api::ObjectMeta& meta, std::string_view key) {
  return std::any_of(meta.annotations.begin(), meta.annotations.end(),
                     [&](const auto& entry) { return entry.first == key; });
}

kube::Condition MakeCondition(std::string_view type, std::string_view status,
                              std::string_view reason, std::string_view message,
                              std::int64_t generation) {
  kube::Condition c;
  c.type = std::string(type);
  c.status = std::string(status);
  c.reason = std::string(reason);
  c.message = std::string(message);
  c.observed_generation = generation;
  return c;
}

void MarkReady(std::vector<kube::Condition>& conditions, std::string_view message,
               std::int64_t generation, std::string_view now) {
  kube::SetCondition(conditions,
                     MakeCondition(kube::kReadyCondition, "True", kube::reason::kSucceeded,
                                   message, generation),
                     now);
  kube::RemoveCondition(conditions, kube::kReconcilingCondition);
  kube::RemoveCondition(conditions, kube::kStalledCondition);
}

void MarkStalled(std::vector<kube::Condition>& conditions, std::string_view reason,
                 std::string_view message, std::int64_t generation, std::string_view now) {
  kube::SetCondition(conditions,
                     MakeCondition(kube::kStalledCondition, "True", reason, message, generation),
                     now);
  kube::SetCondition(conditions,
                     MakeCondition(kube::kReadyCondition, "False", reason, message, generation),
                     now);
  kube::RemoveCondition(conditions, kube::kReconcilingCondition);
}

void MarkRetrying(std::vector<kube::Condition>& conditions, std::string_view reason,
                  std::string_view message, std::int64_t generation, std::string_view now) {
  kube::SetCondition(conditions,
                     MakeCondition(kube::kReadyCondition, "False", reason, message, generation),
                     now);
  std::string progress = "reconciliation in progress";
  if (const kube::Condition* r = kube::FindCondition(conditions, kube::kReconcilingCondition)) {
    progress = r->message;
  }
  kube::SetCondition(conditions,
                     MakeCondition(kube::kReconcilingCondition, "True",
                                   kube::reason::kProgressingWithRetry, progress, generation),
                     now);
  kube::RemoveCondition(conditions, kube::kStalledCondition);
}

// Reads exactly `width` digits at `pos`.
bool ReadDigits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

kube::ObjectKey StoreKey(const api::ImageRepository& repo) {
  return kube::ObjectKey{repo.metadata.ns, repo.metadata.name};
}

Result<registry::ImageReference> ParseImage(const api::ImageRepository& repo) {
  return registry::ParseRepository(repo.spec.image, repo.spec.insecure);
}

Result<std::vector<std::string>> FilterAndSortTags(std::vector<std::string> tags,
                                                   std::span<const std::string> exclusions) {
  Result<ExclusionFilter> filter = ExclusionFilter::Create(exclusions);
  if (!filter) {
    return filter.error();
  }
  std::vector<std::string> kept = filter->Apply(tags);
  std::stable_sort(kept.begin(), kept.end(), std::greater<>());
  return kept;
}

Result<ScanReport> ScanTags(const api::ImageRepository& repo,
                            const registry::ImageReference& ref,
                            registry::RegistryClient& registry, store::TagStore& store,
                            const Clock& clock) {
  ScanReport report;
  report.canonical_image_name = ref.Canonical();
  report.observed_exclusion_list = repo.spec.EffectiveExclusionList();
  Result<std::vector<std::string>> listed = registry.ListTags(ref);
  if (!listed) {
    return listed.error();
  }
  Result<std::vector<std::string>> tags =
      FilterAndSortTags(std::move(*listed), report.observed_exclusion_list);
  if (!tags) {
    return tags.error();
  }
  Result<std::string> revision = store.SetTags(StoreKey(repo), *tags);
  if (!revision) {
    return revision.error();
  }
  report.result.revision = std::move(*revision);
  report.result.tag_count = static_cast<std::int64_t>(tags->size());
  report.result.scan_time = FormatRfc3339(clock.Now());
  std::size_t latest = std::min(kLatestTagsCount, tags->size());
  report.result.latest_tags.assign(tags->begin(), tags->begin() + latest);
  report.tags = std::move(*tags);
  return report;
}

ScanOutcome ScanRepository(const api::ImageRepository& repo, registry::RegistryClient& registry,
                           store::TagStore& store, const Clock& clock) {
  ScanOutcome outcome;
  Result<registry::ImageReference> ref = ParseImage(repo);
  if (!ref) {
    outcome.failure = ScanFailure{ScanStage::kParseImage, ref.error()};
    return outcome;
  }
  Result<ScanReport> report = ScanTags(repo, *ref, registry, store, clock);
  if (!report) {
    outcome.failure = ScanFailure{ScanStage::kScan, report.error()};
    return outcome;
  }
  outcome.report = std::move(*report);
  return outcome;
}

bool SameContent(std::span<const std::string> a, std::span<const std::string> b) {
  if (a.size() != b.size()) {
    return false;
  }
  std::vector<std::string> left(a.begin(), a.end());
  std::vector<std::string> right(b.begin(), b.end());
  std::sort(left.begin(), left.end());
  std::sort(right.begin(), right.end());
  return left == right;
}

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!ReadDigits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, month) || text[7] != '-' || !ReadDigits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !ReadDigits(text, 11, 2, hour) ||
      text[13] != ':' || !ReadDigits(text, 14, 2, minute) || text[16] != ':' ||
      !ReadDigits(text, 17, 2, second)) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                   std::chrono::day(day)};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    std::size_t start = ++pos;
    std::int64_t scale = 100000000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  std::chrono::minutes offset{0};
  std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    offset = std::chrono::minutes(0);
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh = 0;
    int om = 0;
    if (!ReadDigits(zone, 1, 2, oh) || !ReadDigits(zone, 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = std::chrono::minutes(oh * 60 + om) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  const auto t = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                 std::chrono::minutes(minute) + std::chrono::seconds(second) - offset;
  // system_clock holds 64-bit nanoseconds (about 1678–2262): reject what it cannot represent
  // instead of wrapping around.
  const std::chrono::sys_days earliest{std::chrono::year(1679) / 1 / 1};
  const std::chrono::sys_days latest{std::chrono::year(2262) / 1 / 1};
  if (t < earliest || t >= latest) {
    return std::nullopt;
  }
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      std::chrono::system_clock::time_point(t) + fraction);
}

Result<ScanDecision> ShouldScan(const api::ImageRepository& repo,
                                std::string_view canonical_name, const store::TagStore& store,
                                std::chrono::system_clock::time_point now) {
  const nanoseconds interval = repo.spec.interval;
  const api::ImageRepositoryStatus& status = repo.status;
  auto scan = [&](std::string reason) {
    return ScanDecision{true, std::move(reason), interval};
  };
  if (!status.last_scan_result.has_value()) {
    return scan("first scan");
  }
  if (HasAnnotation(repo.metadata, kReconcileRequestAnnotation) &&
      AnnotationValue(repo.metadata, kReconcileRequestAnnotation) !=
          status.last_handled_reconcile_at) {
    return scan("reconcile requested");
  }
  if (status.canonical_image_name != canonical_name) {
    return scan("new image name");
  }
  if (!SameContent(status.observed_exclusion_list, repo.spec.EffectiveExclusionList())) {
    return scan("updated exclusion list");
  }
  Result<std::vector<std::string>> tags = store.Tags(StoreKey(repo));
  if (!tags) {
    return tags.error();
  }
  if (tags->empty()) {
    return scan("no tags in database");
  }
  std::optional<std::chrono::system_clock::time_point> scanned =
      ParseRfc3339(status.last_scan_result->scan_time);
  if (!scanned.has_value()) {
    return scan("triggered by interval");
  }
  nanoseconds when = interval - std::chrono::duration_cast<nanoseconds>(now - *scanned);
  if (when < std::chrono::seconds(1)) {
    return scan("triggered by interval");
  }
  return ScanDecision{false, "", when};
}

std::string ScanSucceededMessage(const api::ScanResult& result) {
  return "successful scan: found " + std::to_string(result.tag_count) +
         " tags with checksum " + result.revision;
}

std::string_view ScanFailureReason(ScanStage stage) {
  switch (stage) {
    case ScanStage::kParseImage:
      return kube::reason::kImageUrlInvalid;
    case ScanStage::kAuthentication:
      return kube::reason::kAuthenticationFailed;
    case ScanStage::kScan:
      break;
  }
  return kube::reason::kReadOperationFailed;
}

std::string ScanFailureMessage(const ScanFailure& failure) {
  switch (failure.stage) {
    case ScanStage::kParseImage:
      return failure.error.message();
    case ScanStage::kAuthentication:
      return "failed to configure authentication options: " + failure.error.message();
    case ScanStage::kScan:
      break;
  }
  return "scan failed: " + failure.error.message();
}

void MarkScanSucceeded(api::ImageRepositoryStatus& status, const ScanReport& report,
                       std::int64_t generation, std::string_view now) {
  status.canonical_image_name = report.canonical_image_name;
  status.observed_exclusion_list = report.observed_exclusion_list;
  status.last_scan_result = report.result;
  status.observed_generation = generation;
  MarkReady(status.conditions, ScanSucceededMessage(report.result), generation, now);
}

void MarkScanFailed(api::ImageRepositoryStatus& status, const ScanFailure& failure,
                    std::int64_t generation, std::string_view now) {
  const std::string message = ScanFailureMessage(failure);
  if (failure.stage == ScanStage::kParseImage) {
    MarkStalled(status.conditions, ScanFailureReason(failure.stage), message, generation, now);
    status.observed_generation = generation;
    return;
  }
  MarkRetrying(status.conditions, ScanFailureReason(failure.stage), message, generation, now);
}

std::string ComposeImagePolicyReadyMessage(const api::ImageRef& latest,
                                           const std::optional<api::ImageRef>& previous) {
  std::string message = "Latest image tag for " + latest.name + " resolved to " + latest.tag;
  if (!latest.digest.empty()) {
    message += " with digest " + latest.digest;
  }
  if (previous.has_value() && *previous != latest) {
    message += " (previously " + previous->name + ":" + previous->tag;
    if (!previous->digest.empty()) {
      message += "@" + previous->digest;
    }
    message += ")";
  }
  return message;
}

std::string NoTagsMessage(nanoseconds dependency_requeue) {
  return "retrying in " + FormatGoDuration(dependency_requeue) + " error: no tags in database";
}

void MarkPolicyReady(api::ImagePolicyStatus& status, std::string_view message,
                     std::int64_t generation, std::string_view now) {
  status.observed_generation = generation;
  MarkReady(status.conditions, message, generation, now);
}

void MarkPolicyFailed(api::ImagePolicyStatus& status, PolicyFailureKind kind,
                      std::string_view message, std::int64_t generation, std::string_view now) {
  switch (kind) {
    case PolicyFailureKind::kInvalidPolicy:
      MarkStalled(status.conditions, kube::reason::kInvalidPolicy, message, generation, now);
      status.observed_generation = generation;
      return;
    case PolicyFailureKind::kNoTags:
      MarkRetrying(status.conditions, kube::reason::kDependencyNotReady, message, generation,
                   now);
      return;
    case PolicyFailureKind::kSelectionFailed:
      break;
  }
  MarkRetrying(status.conditions, kube::reason::kFailure, message, generation, now);
}

}  // namespace imgauto::reflector::scan
