#include "reflector/api/status_json.h"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

namespace imgauto::reflector::api {
namespace {

using nlohmann::json;

kube::Condition ReadyCondition() {
  return {"Ready",     "True",
          "Succeeded", "successful scan: found 4 tags with checksum sha256:5c68",
          2,           "2024-05-01T10:00:00Z"};
}

ImageRepositoryStatus FullRepositoryStatus() {
  ImageRepositoryStatus s;
  s.canonical_image_name = "index.docker.io/library/alpine";
  s.last_scan_result = ScanResult{"sha256:5c68", 4, "2024-05-01T10:00:00Z", {"d", "c", "b", "a"}};
  s.observed_exclusion_list = {"^.*\\.sig$"};
  s.observed_generation = 2;
  s.conditions = {ReadyCondition()};
  s.last_handled_reconcile_at = "token-1";
  return s;
}

ImagePolicyStatus FullPolicyStatus() {
  ImagePolicyStatus s;
  s.latest_ref = ImageRef{"ghcr.io/acme/app", "1.2.0", "sha256:abc"};
  s.observed_previous_ref = ImageRef{"ghcr.io/acme/app", "1.1.0", ""};
  s.observed_generation = 7;
  s.conditions = {ReadyCondition()};
  s.last_handled_reconcile_at = "now";
  return s;
}

void ExpectSameRepositoryStatus(const ImageRepositoryStatus& got,
                                const ImageRepositoryStatus& want) {
  EXPECT_EQ(got.canonical_image_name, want.canonical_image_name);
  ASSERT_EQ(got.last_scan_result.has_value(), want.last_scan_result.has_value());
  if (want.last_scan_result.has_value()) {
    EXPECT_EQ(got.last_scan_result->revision, want.last_scan_result->revision);
    EXPECT_EQ(got.last_scan_result->tag_count, want.last_scan_result->tag_count);
    EXPECT_EQ(got.last_scan_result->scan_time, want.last_scan_result->scan_time);
    EXPECT_EQ(got.last_scan_result->latest_tags, want.last_scan_result->latest_tags);
  }
  EXPECT_EQ(got.observed_exclusion_list, want.observed_exclusion_list);
  EXPECT_EQ(got.observed_generation, want.observed_generation);
  EXPECT_EQ(got.conditions, want.conditions);
  EXPECT_EQ(got.last_handled_reconcile_at, want.last_handled_reconcile_at);
}

void ExpectSamePolicyStatus(const ImagePolicyStatus& got, const ImagePolicyStatus& want) {
  EXPECT_EQ(got.latest_ref, want.latest_ref);
  EXPECT_EQ(got.observed_previous_ref, want.observed_previous_ref);
  EXPECT_EQ(got.observed_generation, want.observed_generation);
  EXPECT_EQ(got.conditions, want.conditions);
  EXPECT_EQ(got.last_handled_reconcile_at, want.last_handled_reconcile_at);
}

TEST(ServedVersionTest, RecognisesTheImageGroupVersions) {
  EXPECT_EQ(ServedVersionOf("image.toolkit.fluxcd.io/v1"), ServedVersion::kV1);
  EXPECT_EQ(ServedVersionOf("image.toolkit.fluxcd.io/v1beta2"), ServedVersion::kV1Beta2);
  EXPECT_EQ(ServedVersionOf("image.toolkit.fluxcd.io/v1beta1"), std::nullopt);
  EXPECT_EQ(ServedVersionOf("v1"), std::nullopt);
}

TEST(ConditionsJsonTest, WritesMetav1ConditionFields) {
  EXPECT_EQ(ConditionsToJson({ReadyCondition()}), json::parse(R"([{
    "type": "Ready", "status": "True", "observedGeneration": 2,
    "lastTransitionTime": "2024-05-01T10:00:00Z", "reason": "Succeeded",
    "message": "successful scan: found 4 tags with checksum sha256:5c68"}])"));
}

TEST(ConditionsJsonTest, KeepsReasonAndMessageEvenWhenEmpty) {
  kube::Condition c{"Reconciling", "True", "", "", 0, ""};
  EXPECT_EQ(ConditionsToJson({c}), json::parse(R"([{"type": "Reconciling", "status": "True",
                                                    "reason": "", "message": ""}])"));
}

TEST(ImageRepositoryStatusJsonTest, EncodesEveryV1Field) {
  EXPECT_EQ(ImageRepositoryStatusToJson(FullRepositoryStatus(), ServedVersion::kV1),
            json::parse(R"({
    "canonicalImageName": "index.docker.io/library/alpine",
    "lastScanResult": {"revision": "sha256:5c68", "tagCount": 4,
                       "scanTime": "2024-05-01T10:00:00Z", "latestTags": ["d", "c", "b", "a"]},
    "observedExclusionList": ["^.*\\.sig$"],
    "observedGeneration": 2,
    "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 2,
                    "lastTransitionTime": "2024-05-01T10:00:00Z", "reason": "Succeeded",
                    "message": "successful scan: found 4 tags with checksum sha256:5c68"}],
    "lastHandledReconcileAt": "token-1"})"));
}

TEST(ImageRepositoryStatusJsonTest, OmitsEmptyFieldsButKeepsTagCount) {
  ImageRepositoryStatus s;
  s.observed_generation = 0;
  s.last_scan_result = ScanResult{};
  EXPECT_EQ(ImageRepositoryStatusToJson(s, ServedVersion::kV1Beta2),
            json::parse(R"({"lastScanResult": {"tagCount": 0}})"));
}

TEST(ImageRepositoryStatusJsonTest, V1AlwaysWritesRevision) {
  ImageRepositoryStatus s;
  s.last_scan_result = ScanResult{"", 3, "2024-05-01T10:00:00Z", {}};
  json out = ImageRepositoryStatusToJson(s, ServedVersion::kV1);
  EXPECT_EQ(out["lastScanResult"], json::parse(R"({"revision": "", "tagCount": 3,
                                                    "scanTime": "2024-05-01T10:00:00Z"})"));
  EXPECT_EQ(out["observedGeneration"], -1);
}

TEST(ImageRepositoryStatusJsonTest, V1Beta2WritesRevisionOnlyWhenSet) {
  ImageRepositoryStatus s = FullRepositoryStatus();
  EXPECT_EQ(ImageRepositoryStatusToJson(s, ServedVersion::kV1Beta2)["lastScanResult"]["revision"],
            "sha256:5c68");
  s.last_scan_result->revision.clear();
  EXPECT_FALSE(ImageRepositoryStatusToJson(s, ServedVersion::kV1Beta2)["lastScanResult"].contains(
      "revision"));
}

TEST(ImageRepositoryStatusJsonTest, NoScanResultMeansNoKey) {
  ImageRepositoryStatus s = FullRepositoryStatus();
  s.last_scan_result.reset();
  EXPECT_FALSE(ImageRepositoryStatusToJson(s, ServedVersion::kV1).contains("lastScanResult"));
}

TEST(ImageRepositoryStatusJsonTest, RoundTripsInBothVersions) {
  for (ServedVersion version : {ServedVersion::kV1, ServedVersion::kV1Beta2}) {
    const ImageRepositoryStatus s = FullRepositoryStatus();
    Result<ImageRepositoryStatus> back =
        ImageRepositoryStatusFromJson(ImageRepositoryStatusToJson(s, version));
    ASSERT_TRUE(back) << back.error().message();
    ExpectSameRepositoryStatus(*back, s);
  }
}

TEST(ImageRepositoryStatusJsonTest, DecodesYamlStatusText) {
  Result<ImageRepositoryStatus> s = DecodeImageRepositoryStatus(R"(
canonicalImageName: ghcr.io/a/b
observedGeneration: 5
lastScanResult:
  revision: sha256:1
  tagCount: 2
  latestTags: [v2, v1]
)");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->canonical_image_name, "ghcr.io/a/b");
  EXPECT_EQ(s->observed_generation, 5);
  ASSERT_TRUE(s->last_scan_result.has_value());
  EXPECT_EQ(s->last_scan_result->tag_count, 2);
  EXPECT_EQ(s->last_scan_result->latest_tags, (std::vector<std::string>{"v2", "v1"}));
}

TEST(ImageRepositoryStatusJsonTest, DecodeErrorsNameTheStatusField) {
  Result<ImageRepositoryStatus> s =
      ImageRepositoryStatusFromJson(json::parse(R"({"lastScanResult": {"tagCount": "many"}})"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(s.error().message().find("status.lastScanResult.tagCount: expected an integer"),
            std::string::npos)
      << s.error().message();
}

TEST(ImageRepositoryStatusJsonTest, MalformedTextIsInvalidSpec) {
  Result<ImageRepositoryStatus> s = DecodeImageRepositoryStatus("canonicalImageName: [x\n");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(s.error().message().find("invalid yaml"), std::string::npos) << s.error().message();
}

TEST(ImageRepositoryStatusJsonTest, NullIsEmptyAndArraysAreRejected) {
  Result<ImageRepositoryStatus> empty = ImageRepositoryStatusFromJson(json());
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_EQ(empty->observed_generation, -1);
  EXPECT_FALSE(empty->last_scan_result.has_value());
  Result<ImageRepositoryStatus> bad = ImageRepositoryStatusFromJson(json::array());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "status: expected a mapping, got array");
}

TEST(ImagePolicyStatusJsonTest, V1WritesRefsOnly) {
  EXPECT_EQ(ImagePolicyStatusToJson(FullPolicyStatus(), ServedVersion::kV1), json::parse(R"({
    "latestRef": {"name": "ghcr.io/acme/app", "tag": "1.2.0", "digest": "sha256:abc"},
    "observedPreviousRef": {"name": "ghcr.io/acme/app", "tag": "1.1.0"},
    "observedGeneration": 7,
    "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 2,
                    "lastTransitionTime": "2024-05-01T10:00:00Z", "reason": "Succeeded",
                    "message": "successful scan: found 4 tags with checksum sha256:5c68"}],
    "lastHandledReconcileAt": "now"})"));
}

TEST(ImagePolicyStatusJsonTest, V1Beta2WritesImagesAndRefs) {
  json out = ImagePolicyStatusToJson(FullPolicyStatus(), ServedVersion::kV1Beta2);
  EXPECT_EQ(out["latestImage"], "ghcr.io/acme/app:1.2.0@sha256:abc");
  EXPECT_EQ(out["observedPreviousImage"], "ghcr.io/acme/app:1.1.0");
  EXPECT_EQ(out["latestRef"],
            json::parse(R"({"name": "ghcr.io/acme/app", "tag": "1.2.0", "digest": "sha256:abc"})"));
  EXPECT_EQ(out["observedPreviousRef"],
            json::parse(R"({"name": "ghcr.io/acme/app", "tag": "1.1.0"})"));
}

TEST(ImagePolicyStatusJsonTest, V1Beta2ImageWithoutDigestIsNameColonTag) {
  ImagePolicyStatus s;
  s.latest_ref = ImageRef{"localhost:5000/org/app", "v2", ""};
  json out = ImagePolicyStatusToJson(s, ServedVersion::kV1Beta2);
  EXPECT_EQ(out["latestImage"], "localhost:5000/org/app:v2");
  EXPECT_FALSE(out.contains("observedPreviousImage"));
  EXPECT_FALSE(out.contains("observedPreviousRef"));
}

TEST(ImagePolicyStatusJsonTest, EmptyStatusIsEmptyObjectInBothVersions) {
  ImagePolicyStatus s;
  s.observed_generation = 0;
  EXPECT_EQ(ImagePolicyStatusToJson(s, ServedVersion::kV1), json::object());
  EXPECT_EQ(ImagePolicyStatusToJson(s, ServedVersion::kV1Beta2), json::object());
}

TEST(ImagePolicyStatusJsonTest, RoundTripsInBothVersions) {
  for (ServedVersion version : {ServedVersion::kV1, ServedVersion::kV1Beta2}) {
    const ImagePolicyStatus s = FullPolicyStatus();
    Result<ImagePolicyStatus> back = ImagePolicyStatusFromJson(ImagePolicyStatusToJson(s, version));
    ASSERT_TRUE(back) << back.error().message();
    ExpectSamePolicyStatus(*back, s);
  }
}

TEST(ImagePolicyStatusJsonTest, DecodesOldV1Beta2StatusWithImagesOnly) {
  Result<ImagePolicyStatus> s = ImagePolicyStatusFromJson(json::parse(
      R"({"latestImage": "localhost:5000/org/app:v2@sha256:def",
          "observedPreviousImage": "localhost:5000/org/app:v1"})"));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->latest_ref, (ImageRef{"localhost:5000/org/app", "v2", "sha256:def"}));
  EXPECT_EQ(s->observed_previous_ref, (ImageRef{"localhost:5000/org/app", "v1", ""}));
}

TEST(ImagePolicyStatusJsonTest, DecodesYamlStatusText) {
  Result<ImagePolicyStatus> s =
      DecodeImagePolicyStatus("latestRef: {name: a, tag: b}\nobservedGeneration: 4\n");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->latest_ref, (ImageRef{"a", "b", ""}));
  EXPECT_EQ(s->observed_generation, 4);
}

TEST(ImagePolicyStatusJsonTest, DecodeErrorsNameTheStatusField) {
  Result<ImagePolicyStatus> s =
      ImagePolicyStatusFromJson(json::parse(R"({"latestRef": "ghcr.io/a:1"})"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(s.error().message().find("status.latestRef: expected a mapping"), std::string::npos)
      << s.error().message();
}

TEST(ImagePolicyStatusJsonTest, RoundTripsAwkwardStrings) {
  ImagePolicyStatus s = FullPolicyStatus();
  s.conditions[0].message = "no: \"tags\"\n- [x] &a *b #c \x01 \u00e9";
  s.latest_ref->tag = "null";
  s.observed_previous_ref->tag = "1.10";
  Result<ImagePolicyStatus> back =
      ImagePolicyStatusFromJson(ImagePolicyStatusToJson(s, ServedVersion::kV1));
  ASSERT_TRUE(back) << back.error().message();
  ExpectSamePolicyStatus(*back, s);
}

}  // namespace
}  // namespace imgauto::reflector::api
