#include "automation/api/status_json.h"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

namespace imgauto::automation::api {
namespace {

using nlohmann::json;

ImageUpdateAutomationStatus FullStatus() {
  ImageUpdateAutomationStatus s;
  s.last_automation_run_time = "2024-05-01T10:00:00Z";
  s.last_push_commit = "a47b32f4814810acac804df5054ec37cbfdbfb53";
  s.last_push_time = "2024-05-01T10:00:05Z";
  s.observed_policies = {{"app", {"ghcr.io/acme/app", "v1", "sha256:1234"}},
                         {"podinfo", {"ghcr.io/stefanprodan/podinfo", "6.5.0", ""}}};
  s.observed_source_revision = "main@sha1:a47b32f4814810acac804df5054ec37cbfdbfb53";
  s.observed_generation = 3;
  s.conditions = {
      {"Ready", "True", "Succeeded", "repository up-to-date", 3, "2024-05-01T10:00:06Z"}};
  s.last_handled_reconcile_at = "now";
  return s;
}

TEST(ImageUpdateAutomationStatusJsonTest, EncodesEveryField) {
  json expected = json::parse(R"({
    "lastAutomationRunTime": "2024-05-01T10:00:00Z",
    "lastPushCommit": "a47b32f4814810acac804df5054ec37cbfdbfb53",
    "lastPushTime": "2024-05-01T10:00:05Z",
    "observedPolicies": {
      "app": {"name": "ghcr.io/acme/app", "tag": "v1", "digest": "sha256:1234"},
      "podinfo": {"name": "ghcr.io/stefanprodan/podinfo", "tag": "6.5.0"}
    },
    "observedSourceRevision": "main@sha1:a47b32f4814810acac804df5054ec37cbfdbfb53",
    "observedGeneration": 3,
    "conditions": [{
      "type": "Ready", "status": "True", "observedGeneration": 3,
      "lastTransitionTime": "2024-05-01T10:00:06Z", "reason": "Succeeded",
      "message": "repository up-to-date"
    }],
    "lastHandledReconcileAt": "now"
  })");
  EXPECT_EQ(ImageUpdateAutomationStatusToJson(FullStatus()), expected);
}

TEST(ImageUpdateAutomationStatusJsonTest, OmitsEmptyFieldsLikeGo) {
  ImageUpdateAutomationStatus s;
  s.observed_generation = 0;
  EXPECT_EQ(ImageUpdateAutomationStatusToJson(s), json::object());
}

TEST(ImageUpdateAutomationStatusJsonTest, WritesTheCrdDefaultGeneration) {
  // -1 is the CRD default and not Go's zero value, so omitempty keeps it.
  EXPECT_EQ(ImageUpdateAutomationStatusToJson(ImageUpdateAutomationStatus{}),
            json::parse(R"({"observedGeneration": -1})"));
}

TEST(ImageUpdateAutomationStatusJsonTest, RunWithoutPushHasNoPushFields) {
  ImageUpdateAutomationStatus s = FullStatus();
  s.last_push_commit.clear();
  s.last_push_time.clear();
  json out = ImageUpdateAutomationStatusToJson(s);
  EXPECT_FALSE(out.contains("lastPushCommit"));
  EXPECT_FALSE(out.contains("lastPushTime"));
  EXPECT_EQ(out["lastAutomationRunTime"], "2024-05-01T10:00:00Z");
}

TEST(ImageUpdateAutomationStatusJsonTest, RoundTripsThroughJson) {
  const ImageUpdateAutomationStatus s = FullStatus();
  Result<ImageUpdateAutomationStatus> back =
      ImageUpdateAutomationStatusFromJson(ImageUpdateAutomationStatusToJson(s));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, s);
}

TEST(ImageUpdateAutomationStatusJsonTest, RoundTripsThroughJsonText) {
  const ImageUpdateAutomationStatus s = FullStatus();
  Result<ImageUpdateAutomationStatus> back =
      DecodeImageUpdateAutomationStatus(ImageUpdateAutomationStatusToJson(s).dump(2));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, s);
}

TEST(ImageUpdateAutomationStatusJsonTest, RoundTripsAwkwardStrings) {
  ImageUpdateAutomationStatus s = FullStatus();
  s.conditions[0].message = "failed: \"quoted\"\nsecond line: {a: [b]} # not a comment\t\u00e9";
  s.observed_policies["odd: key"] = {"name", "yes", ""};
  Result<ImageUpdateAutomationStatus> back =
      ImageUpdateAutomationStatusFromJson(ImageUpdateAutomationStatusToJson(s));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, s);
}

TEST(ImageUpdateAutomationStatusJsonTest, NullDecodesAsEmptyStatus) {
  Result<ImageUpdateAutomationStatus> back = ImageUpdateAutomationStatusFromJson(json());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, ImageUpdateAutomationStatus{});
}

TEST(ImageUpdateAutomationStatusJsonTest, RejectsNonObjects) {
  Result<ImageUpdateAutomationStatus> back = ImageUpdateAutomationStatusFromJson(json::array());
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(back.error().message(), "status: expected a mapping, got array");
}

TEST(ImageUpdateAutomationStatusJsonTest, RejectsWrongFieldTypesWithPath) {
  Result<ImageUpdateAutomationStatus> back = ImageUpdateAutomationStatusFromJson(
      json::parse(R"({"observedPolicies": {"p": {"name": ["x"]}}})"));
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(back.error().message(),
            "status.observedPolicies.p.name: expected a string, got a list");
}

TEST(ImageUpdateAutomationStatusJsonTest, DecodesTheStatusOfADecodedObject) {
  // What the store writes for an object decoded from YAML reads back the same.
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(R"(
apiVersion: image.toolkit.fluxcd.io/v1beta1
kind: ImageUpdateAutomation
spec: {interval: 1m, sourceRef: {name: r}}
status:
  lastAutomationRunTime: "2024-05-01T10:00:00Z"
  observedPolicies: {p: {name: n, tag: t}}
  observedGeneration: 2
)");
  ASSERT_TRUE(iua) << iua.error().message();
  json out = ImageUpdateAutomationStatusToJson(iua->status);
  EXPECT_EQ(out, json::parse(R"({"lastAutomationRunTime": "2024-05-01T10:00:00Z",
                                 "observedPolicies": {"p": {"name": "n", "tag": "t"}},
                                 "observedGeneration": 2})"));
  Result<ImageUpdateAutomationStatus> back = ImageUpdateAutomationStatusFromJson(out);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, iua->status);
}

}  // namespace
}  // namespace imgauto::automation::api
