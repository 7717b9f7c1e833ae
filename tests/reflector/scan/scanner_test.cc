#include "reflector/scan/scanner.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/duration.h"
#include "core/kube/conditions.h"
#include "reflector/store/file_tag_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_registry_client.h"

namespace imgauto::reflector::scan {
namespace {

namespace fs = std::filesystem;
using std::chrono::minutes;
using std::chrono::seconds;
using Tags = std::vector<std::string>;

constexpr std::string_view kCanonical = "example.com/foo/bar";

// A TagStore whose reads and writes fail, for error paths.
class BrokenTagStore final : public store::TagStore {
 public:
  Result<std::string> SetTags(const kube::ObjectKey&, std::span<const std::string>) override {
    return Error(ErrorKind::kTransient, "disk full");
  }
  Result<std::vector<std::string>> Tags(const kube::ObjectKey&) const override {
    return Error(ErrorKind::kTransient, "read error");
  }
  Result<void> Delete(const kube::ObjectKey&) override { return {}; }
};

class ScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "imgauto-scanner-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    auto created = store::FileTagStore::Create(root_);
    ASSERT_TRUE(created);
    store_ = std::move(*created);
    repo_.metadata.ns = "default";
    repo_.metadata.name = "bar";
    repo_.spec.image = std::string(kCanonical);
    repo_.spec.interval = minutes(1);
  }
  void TearDown() override { fs::remove_all(root_); }

  ScanOutcome Scan(const Tags& registry_tags) {
    registry_.SetTags(std::string(kCanonical), registry_tags);
    return ScanRepository(repo_, registry_, *store_, clock_);
  }

  fs::path root_;
  std::unique_ptr<store::FileTagStore> store_;
  testing::FakeRegistryClient registry_;
  testing::FakeClock clock_;
  api::ImageRepository repo_;
};

TEST_F(ScannerTest, StoresTagsDescendingWithFluxRevision) {
  ScanOutcome out = Scan({"a", "b", "c", "d"});
  ASSERT_TRUE(out.report.has_value()) << out.failure->error.message();
  EXPECT_EQ(*store_->Tags(StoreKey(repo_)), (Tags{"d", "c", "b", "a"}));
  EXPECT_EQ(out.report->result.tag_count, 4);
  EXPECT_EQ(out.report->result.latest_tags, (Tags{"d", "c", "b", "a"}));
  EXPECT_EQ(out.report->result.revision,
            "sha256:5c6861a52da9e6bfd5f0b37a8c51af173d7550443bb36253b18b2caf57987f53");
  EXPECT_EQ(out.report->tags, (Tags{"d", "c", "b", "a"}));
}

TEST_F(ScannerTest, InputOrderDoesNotChangeRevision) {
  ScanOutcome first = Scan({"c", "d", "a", "b"});
  ScanOutcome second = Scan({"c", "b", "a", "d"});
  ASSERT_TRUE(first.report && second.report);
  EXPECT_EQ(first.report->result.revision, second.report->result.revision);
  EXPECT_EQ(first.report->tags, second.report->tags);
}

TEST_F(ScannerTest, LatestTagsAreFirstTenOfStoredList) {
  ScanOutcome out = Scan({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"});
  ASSERT_TRUE(out.report);
  EXPECT_EQ(out.report->tags, (Tags{"k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a"}));
  EXPECT_EQ(out.report->result.latest_tags,
            (Tags{"k", "j", "i", "h", "g", "f", "e", "d", "c", "b"}));
  EXPECT_EQ(out.report->result.tag_count, 11);
}

TEST_F(ScannerTest, RecordsScanTimeCanonicalNameAndObservedExclusions) {
  ScanOutcome out = Scan({"a"});
  ASSERT_TRUE(out.report);
  EXPECT_EQ(out.report->result.scan_time, FormatRfc3339(clock_.Now()));
  EXPECT_EQ(out.report->canonical_image_name, kCanonical);
  EXPECT_EQ(out.report->observed_exclusion_list, (Tags{"^.*\\.sig$"}));
}

TEST_F(ScannerTest, ExclusionListDropsTags) {
  repo_.spec.exclusion_list = {"c"};
  ScanOutcome out = Scan({"a", "b", "c", "d"});
  ASSERT_TRUE(out.report);
  EXPECT_EQ(out.report->tags, (Tags{"d", "b", "a"}));
  repo_.spec.exclusion_list = {"c", "a"};
  out = Scan({"a", "b", "c", "d"});
  ASSERT_TRUE(out.report);
  EXPECT_EQ(out.report->tags, (Tags{"d", "b"}));
  EXPECT_EQ(out.report->observed_exclusion_list, (Tags{"c", "a"}));
}

TEST_F(ScannerTest, DefaultExclusionDropsSignatures) {
  ScanOutcome out = Scan({"0.1.0", "0.1.1", "0.1.1.sig", "1.0.0-alpha", "1.0.0", "1.0.0.sig"});
  ASSERT_TRUE(out.report);
  EXPECT_EQ(out.report->result.tag_count, 4);
}

TEST_F(ScannerTest, ExplicitExclusionReplacesDefault) {
  repo_.spec.exclusion_list = {"^.*\\-alpha$"};
  ScanOutcome out = Scan({"0.1.0", "0.1.1-alpha", "0.1.1", "0.1.1.sig", "1.0.0-alpha", "1.0.0"});
  ASSERT_TRUE(out.report);
  EXPECT_EQ(out.report->tags, (Tags{"1.0.0", "0.1.1.sig", "0.1.1", "0.1.0"}));
}

TEST_F(ScannerTest, InvalidExclusionFailsScan) {
  repo_.spec.exclusion_list = {"[[="};
  ScanOutcome out = Scan({"a"});
  ASSERT_TRUE(out.failure.has_value());
  EXPECT_EQ(out.failure->stage, ScanStage::kScan);
  EXPECT_NE(ScanFailureMessage(*out.failure).find("failed to compile regex"), std::string::npos);
}

TEST_F(ScannerTest, MissingRepositoryIs404) {
  ScanOutcome out = ScanRepository(repo_, registry_, *store_, clock_);
  ASSERT_TRUE(out.failure.has_value());
  EXPECT_EQ(out.failure->stage, ScanStage::kScan);
  EXPECT_EQ(ScanFailureReason(out.failure->stage), "ReadOperationFailed");
  EXPECT_NE(ScanFailureMessage(*out.failure).find("404 Not Found"), std::string::npos);
  EXPECT_EQ(ScanFailureMessage(*out.failure).rfind("scan failed: ", 0), 0u);
}

TEST_F(ScannerTest, StoreErrorFailsScan) {
  registry_.SetTags(std::string(kCanonical), {"a"});
  BrokenTagStore broken;
  ScanOutcome out = ScanRepository(repo_, registry_, broken, clock_);
  ASSERT_TRUE(out.failure.has_value());
  EXPECT_EQ(ScanFailureMessage(*out.failure), "scan failed: disk full");
}

TEST_F(ScannerTest, InvalidImageStopsBeforeRegistry) {
  repo_.spec.image = "https://ghcr.io/org/app";
  ScanOutcome out = Scan({"a"});
  ASSERT_TRUE(out.failure.has_value());
  EXPECT_EQ(out.failure->stage, ScanStage::kParseImage);
  EXPECT_EQ(out.failure->error.kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(registry_.list_calls(), 0);
}

TEST_F(ScannerTest, DockerHubShortNameGetsCanonicalName) {
  repo_.spec.image = "alpine";
  registry_.SetTags("index.docker.io/library/alpine", {"3.19"});
  ScanOutcome out = ScanRepository(repo_, registry_, *store_, clock_);
  ASSERT_TRUE(out.report.has_value()) << out.failure->error.message();
  EXPECT_EQ(out.report->canonical_image_name, "index.docker.io/library/alpine");
}

struct SortCase {
  std::string name;
  Tags in;
  Tags latest;
};

class SortTagsTest : public ::testing::TestWithParam<SortCase> {};

TEST_P(SortTagsTest, SortsDescendingBytewiseAndTakesTen) {
  Result<Tags> sorted = FilterAndSortTags(GetParam().in, {});
  ASSERT_TRUE(sorted);
  Tags latest(sorted->begin(), sorted->begin() + std::min<std::size_t>(10, sorted->size()));
  EXPECT_EQ(latest, GetParam().latest);
}

// Flux reference §7.6 item 51 (sortTagsAndGetLatestTags).
INSTANTIATE_TEST_SUITE_P(
    Flux, SortTagsTest,
    ::testing::Values(
        SortCase{"Semver", {"1.0.0", "0.0.8", "1.2.5", "3.0.1", "1.0.1"},
                 {"3.0.1", "1.2.5", "1.0.1", "1.0.0", "0.0.8"}},
        SortCase{"Negative", {"-62", "-88", "73", "72", "15"}, {"73", "72", "15", "-88", "-62"}},
        SortCase{"BytesNotNumbers",
                 {"-62", "-88", "73", "72", "15", "16", "15", "29", "-33", "-91", "100", "101"},
                 {"73", "72", "29", "16", "15", "15", "101", "100", "-91", "-88"}},
        SortCase{"TwelveVersions",
                 {"1.0.0", "0.0.8", "1.2.5", "3.0.1", "1.0.1", "5.1.1", "4.1.0", "4.5.0", "4.0.3",
                  "2.2.2", "0.5.1", "0.1.0"},
                 {"5.1.1", "4.5.0", "4.1.0", "4.0.3", "3.0.1", "2.2.2", "1.2.5", "1.0.1", "1.0.0",
                  "0.5.1"}},
        SortCase{"Letters",
                 {"aaa", "bbb", "ccc", "ddd", "eee", "fff", "ggg", "hhh", "iii", "jjj", "kkk",
                  "lll"},
                 {"lll", "kkk", "jjj", "iii", "hhh", "ggg", "fff", "eee", "ddd", "ccc"}},
        SortCase{"HighBytesSortAfterAscii", {"a", "\xc3\xa9", "z"}, {"\xc3\xa9", "z", "a"}},
        SortCase{"Empty", {}, {}}),
    [](const ::testing::TestParamInfo<SortCase>& info) { return info.param.name; });

// ---- shouldScan: Flux reference §7.6 item 52 (interval 1m, image example.com/foo/bar) ----

class ShouldScanTest : public ScannerTest {
 protected:
  // A repository scanned `ago` before now, with tags in the store.
  void MarkScanned(std::chrono::seconds ago) {
    repo_.status.canonical_image_name = std::string(kCanonical);
    repo_.status.observed_exclusion_list = {"^.*\\.sig$"};
    repo_.status.last_scan_result = api::ScanResult{};
    repo_.status.last_scan_result->scan_time = FormatRfc3339(clock_.Now() - ago);
    ASSERT_TRUE(store_->SetTags(StoreKey(repo_), Tags{"v1"}));
  }
  Result<ScanDecision> Decide() { return Decide(*store_); }
  Result<ScanDecision> Decide(const store::TagStore& s) {
    Result<registry::ImageReference> ref = ParseImage(repo_);
    EXPECT_TRUE(ref);
    return ShouldScan(repo_, ref ? ref->Canonical() : "", s, clock_.Now());
  }
};

TEST_F(ShouldScanTest, NewObjectScansWithFirstScanReason) {
  Result<ScanDecision> d = Decide();
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->scan);
  EXPECT_EQ(d->reason, "first scan");
  EXPECT_EQ(d->requeue_after, minutes(1));
}

TEST_F(ShouldScanTest, NewReconcileRequestScans) {
  MarkScanned(seconds(30));
  repo_.metadata.annotations = {{"reconcile.fluxcd.io/requestedAt", "now"}};
  Result<ScanDecision> d = Decide();
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->scan);
  EXPECT_EQ(d->reason, "reconcile requested");
  repo_.status.last_handled_reconcile_at = "before";
  d = Decide();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, "reconcile requested");
}

TEST_F(ShouldScanTest, HandledRequestWithinIntervalDoesNotScan) {
  MarkScanned(seconds(30));
  repo_.metadata.annotations = {{"reconcile.fluxcd.io/requestedAt", "now"}};
  repo_.status.last_handled_reconcile_at = "now";
  Result<ScanDecision> d = Decide();
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->scan);
  EXPECT_EQ(d->reason, "");
  EXPECT_EQ(d->requeue_after, seconds(30));
}

TEST_F(ShouldScanTest, ChangedImageScans) {
  MarkScanned(seconds(30));
  repo_.spec.image = "example.com/foo/baz";
  Result<ScanDecision> d = Decide();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, "new image name");
}

TEST_F(ShouldScanTest, ChangedExclusionListScans) {
  MarkScanned(seconds(30));
  repo_.spec.exclusion_list = {"bar"};
  repo_.status.observed_exclusion_list = {"baz"};
  Result<ScanDecision> d = Decide();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, "updated exclusion list");
}

TEST_F(ShouldScanTest, ReorderedExclusionListDoesNotScan) {
  MarkScanned(seconds(30));
  repo_.spec.exclusion_list = {"a", "b"};
  repo_.status.observed_exclusion_list = {"b", "a"};
  Result<ScanDecision> d = Decide();
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->scan);
}

TEST_F(ShouldScanTest, EmptyStoreScans) {
  MarkScanned(seconds(30));
  ASSERT_TRUE(store_->Delete(StoreKey(repo_)));
  Result<ScanDecision> d = Decide();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, "no tags in database");
}

TEST_F(ShouldScanTest, StoreReadErrorIsReturned) {
  MarkScanned(seconds(30));
  BrokenTagStore broken;
  Result<ScanDecision> d = Decide(broken);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(), "read error");
}

TEST_F(ShouldScanTest, ElapsedIntervalScans) {
  MarkScanned(seconds(120));
  Result<ScanDecision> d = Decide();
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->scan);
  EXPECT_EQ(d->reason, "triggered by interval");
  EXPECT_EQ(d->requeue_after, minutes(1));
}

TEST_F(ShouldScanTest, LessThanOneSecondLeftScans) {
  MarkScanned(seconds(59));
  Result<ScanDecision> d = Decide();
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->scan);
  EXPECT_EQ(d->requeue_after, seconds(1));
  clock_.Advance(std::chrono::milliseconds(500));
  d = Decide();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason, "triggered by interval");
}

TEST(SameContentTest, ComparesAsSets) {
  EXPECT_TRUE(SameContent(Tags{}, Tags{}));
  EXPECT_TRUE(SameContent(Tags{"foo1", "bar1"}, Tags{"bar1", "foo1"}));
  EXPECT_FALSE(SameContent(Tags{"foo1", "bar1"}, Tags{"foo2", "bar1"}));
  EXPECT_FALSE(SameContent(Tags{"foo1"}, Tags{"foo1", "bar1"}));
}

TEST(ParseRfc3339Test, RoundTripsFormatRfc3339) {
  auto t = std::chrono::system_clock::time_point(seconds(1714557600));
  std::optional<std::chrono::system_clock::time_point> parsed = ParseRfc3339(FormatRfc3339(t));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, t);
}

TEST(ParseRfc3339Test, AppliesOffsetsAndFractions) {
  auto base = ParseRfc3339("2024-05-01T10:00:00Z");
  auto offset = ParseRfc3339("2024-05-01T12:00:00.5+02:00");
  ASSERT_TRUE(base && offset);
  EXPECT_EQ(*offset - *base, std::chrono::milliseconds(500));
}

TEST(ParseRfc3339Test, RejectsMalformedText) {
  for (std::string_view bad : {"", "2024-05-01", "2024-13-01T00:00:00Z", "2024-05-01T10:00:00",
                               "2024-05-01T25:00:00Z", "2024-05-01T10:00:00.Z",
                               "2024-02-30T00:00:00Z", "2024-05-01T10:00:00+0200"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

// ---- conditions ----

TEST(ScanConditionsTest, SuccessSetsReadyAndStatus) {
  api::ImageRepositoryStatus status;
  kube::SetCondition(status.conditions, kube::Condition{"Reconciling", "True", "Progressing",
                                                        "scanning: first scan", 1, ""},
                     "t0");
  ScanReport report;
  report.canonical_image_name = "ghcr.io/a/b";
  report.observed_exclusion_list = {"^.*\\.sig$"};
  report.result.revision = "sha256:abc";
  report.result.tag_count = 4;
  MarkScanSucceeded(status, report, 3, "t1");
  const kube::Condition* ready = kube::FindCondition(status.conditions, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "True");
  EXPECT_EQ(ready->reason, "Succeeded");
  EXPECT_EQ(ready->message, "successful scan: found 4 tags with checksum sha256:abc");
  EXPECT_EQ(kube::FindCondition(status.conditions, "Reconciling"), nullptr);
  EXPECT_EQ(status.observed_generation, 3);
  EXPECT_EQ(status.canonical_image_name, "ghcr.io/a/b");
  ASSERT_TRUE(status.last_scan_result.has_value());
  EXPECT_EQ(status.last_scan_result->revision, "sha256:abc");
}

TEST(ScanConditionsTest, InvalidImageStalls) {
  api::ImageRepositoryStatus status;
  const std::string message = "image 'x:1' should not include a tag; remove ':1'";
  MarkScanFailed(status,
                 ScanFailure{ScanStage::kParseImage, Error(ErrorKind::kInvalidSpec, message)}, 2,
                 "t");
  const kube::Condition* stalled = kube::FindCondition(status.conditions, "Stalled");
  const kube::Condition* ready = kube::FindCondition(status.conditions, "Ready");
  ASSERT_TRUE(stalled && ready);
  EXPECT_EQ(stalled->reason, "ImageURLInvalid");
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "ImageURLInvalid");
  EXPECT_EQ(ready->message, message);
  EXPECT_EQ(status.observed_generation, 2);
}

TEST(ScanConditionsTest, AuthenticationFailureRetries) {
  api::ImageRepositoryStatus status;
  MarkScanFailed(status, ScanFailure{ScanStage::kAuthentication,
                                     Error(ErrorKind::kInvalidSpec, "secret not found")},
                 2, "t");
  const kube::Condition* ready = kube::FindCondition(status.conditions, "Ready");
  const kube::Condition* reconciling = kube::FindCondition(status.conditions, "Reconciling");
  ASSERT_TRUE(ready && reconciling);
  EXPECT_EQ(ready->reason, "AuthenticationFailed");
  EXPECT_EQ(ready->message, "failed to configure authentication options: secret not found");
  EXPECT_EQ(reconciling->reason, "ProgressingWithRetry");
  EXPECT_EQ(kube::FindCondition(status.conditions, "Stalled"), nullptr);
  EXPECT_EQ(status.observed_generation, -1);
}

TEST(ScanConditionsTest, ReadFailureRetries) {
  api::ImageRepositoryStatus status;
  MarkScanFailed(status, ScanFailure{ScanStage::kScan, Error(ErrorKind::kTransient, "boom")}, 1,
                 "t");
  const kube::Condition* ready = kube::FindCondition(status.conditions, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->reason, "ReadOperationFailed");
  EXPECT_EQ(ready->message, "scan failed: boom");
}

struct ReadyMessageCase {
  std::string name;
  api::ImageRef latest;
  std::optional<api::ImageRef> previous;
  std::string message;
};

class ComposeReadyMessageTest : public ::testing::TestWithParam<ReadyMessageCase> {};

TEST_P(ComposeReadyMessageTest, MatchesFlux) {
  EXPECT_EQ(ComposeImagePolicyReadyMessage(GetParam().latest, GetParam().previous),
            GetParam().message);
}

// Flux reference §7.5 item 41 (composeImagePolicyReadyMessage).
INSTANTIATE_TEST_SUITE_P(
    Flux, ComposeReadyMessageTest,
    ::testing::Values(
        ReadyMessageCase{"NoPrevious", {"foo/bar", "1.0.0", ""}, std::nullopt,
                         "Latest image tag for foo/bar resolved to 1.0.0"},
        ReadyMessageCase{"PreviousDiffers", {"foo/bar", "1.1.0", ""},
                         api::ImageRef{"foo/bar", "1.0.0", ""},
                         "Latest image tag for foo/bar resolved to 1.1.0 (previously "
                         "foo/bar:1.0.0)"},
        ReadyMessageCase{"PreviousSame", {"foo/bar", "1.0.0", ""},
                         api::ImageRef{"foo/bar", "1.0.0", ""},
                         "Latest image tag for foo/bar resolved to 1.0.0"},
        ReadyMessageCase{"DigestAndOtherName", {"foo/bar", "1.0.0", "sha256:1234567890abcdef"},
                         api::ImageRef{"baz/qux", "1.0.0", ""},
                         "Latest image tag for foo/bar resolved to 1.0.0 with digest "
                         "sha256:1234567890abcdef (previously baz/qux:1.0.0)"},
        ReadyMessageCase{"DigestChanged", {"foo/bar", "1.0.0", "sha256:1234567890abcdef"},
                         api::ImageRef{"foo/bar", "1.0.0", "sha256:abcdef1234567890"},
                         "Latest image tag for foo/bar resolved to 1.0.0 with digest "
                         "sha256:1234567890abcdef (previously "
                         "foo/bar:1.0.0@sha256:abcdef1234567890)"}),
    [](const ::testing::TestParamInfo<ReadyMessageCase>& info) { return info.param.name; });

TEST(PolicyConditionsTest, NoTagsMessageMatchesFlux) {
  EXPECT_EQ(NoTagsMessage(), "retrying in 30s error: no tags in database");
  EXPECT_EQ(NoTagsMessage(minutes(2)), "retrying in 2m0s error: no tags in database");
}

TEST(PolicyConditionsTest, NoTagsIsDependencyNotReady) {
  api::ImagePolicyStatus status;
  MarkPolicyFailed(status, PolicyFailureKind::kNoTags, NoTagsMessage(), 1, "t");
  const kube::Condition* ready = kube::FindCondition(status.conditions, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "DependencyNotReady");
  EXPECT_EQ(ready->message, "retrying in 30s error: no tags in database");
  EXPECT_EQ(kube::FindCondition(status.conditions, "Stalled"), nullptr);
}

TEST(PolicyConditionsTest, InvalidPolicyStalls) {
  api::ImagePolicyStatus status;
  MarkPolicyFailed(status, PolicyFailureKind::kInvalidPolicy,
                   "invalid policy: given ImagePolicyChoice object is invalid", 4, "t");
  const kube::Condition* stalled = kube::FindCondition(status.conditions, "Stalled");
  const kube::Condition* ready = kube::FindCondition(status.conditions, "Ready");
  ASSERT_TRUE(stalled && ready);
  EXPECT_EQ(stalled->reason, "InvalidPolicy");
  EXPECT_EQ(ready->reason, "InvalidPolicy");
  EXPECT_EQ(status.observed_generation, 4);
}

TEST(PolicyConditionsTest, SelectionFailureIsFailure) {
  api::ImagePolicyStatus status;
  MarkPolicyFailed(status, PolicyFailureKind::kSelectionFailed,
                   "version list argument cannot be empty", 1, "t");
  const kube::Condition* ready = kube::FindCondition(status.conditions, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->reason, "Failure");
  EXPECT_EQ(ready->message, "version list argument cannot be empty");
}

TEST(PolicyConditionsTest, ReadyClearsStalled) {
  api::ImagePolicyStatus status;
  MarkPolicyFailed(status, PolicyFailureKind::kInvalidPolicy, "bad", 1, "t0");
  MarkPolicyReady(status, "Latest image tag for a resolved to 1", 2, "t1");
  EXPECT_EQ(kube::FindCondition(status.conditions, "Stalled"), nullptr);
  const kube::Condition* ready = kube::FindCondition(status.conditions, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "True");
  EXPECT_EQ(ready->last_transition_time, "t1");
  EXPECT_EQ(status.observed_generation, 2);
}

}  // namespace
}  // namespace imgauto::reflector::scan
