#include "reflector/api/image_repository.h"

#include <gtest/gtest.h>

#include <string>

namespace imgauto::reflector::api {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kFullV1 = R"(
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
  generation: 2
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 1h30m
  timeout: 90s
  secretRef: {name: creds}
  certSecretRef: {name: certs}
  proxySecretRef: {name: proxy}
  serviceAccountName: sa
  provider: aws
  suspend: false
  insecure: true
  exclusionList: ["^.*\\.sig$", "alpha"]
  accessFrom:
    namespaceSelectors:
      - matchLabels: {tenant: a}
      - matchLabels: {}
status:
  observedGeneration: 2
  canonicalImageName: ghcr.io/stefanprodan/podinfo
  lastHandledReconcileAt: token-1
  observedExclusionList: ["^.*\\.sig$"]
  lastScanResult:
    revision: sha256:5c68
    tagCount: 4
    scanTime: "2024-05-01T10:00:00Z"
    latestTags: [d, c, b, a]
  conditions:
    - {type: Ready, status: "False", reason: ReadOperationFailed, message: "scan failed: x"}
)";

TEST(ImageRepositoryDecodeTest, DecodesEveryV1SpecField) {
  Result<ImageRepository> r = DecodeImageRepository(kFullV1);
  ASSERT_TRUE(r) << r.error().message();
  const ImageRepositorySpec& s = r->spec;
  EXPECT_EQ(r->metadata.name, "podinfo");
  EXPECT_EQ(r->metadata.ns, "flux-system");
  EXPECT_EQ(r->metadata.generation, 2);
  EXPECT_EQ(s.image, "ghcr.io/stefanprodan/podinfo");
  EXPECT_EQ(s.interval, minutes(90));
  ASSERT_TRUE(s.timeout.has_value());
  EXPECT_EQ(*s.timeout, seconds(90));
  EXPECT_EQ(s.secret_ref, "creds");
  EXPECT_EQ(s.cert_secret_ref, "certs");
  EXPECT_EQ(s.proxy_secret_ref, "proxy");
  EXPECT_EQ(s.service_account_name, "sa");
  EXPECT_EQ(s.provider, "aws");
  EXPECT_FALSE(s.suspend);
  EXPECT_TRUE(s.insecure);
  EXPECT_EQ(s.exclusion_list, (std::vector<std::string>{"^.*\\.sig$", "alpha"}));
  ASSERT_TRUE(s.access_from.has_value());
  ASSERT_EQ(s.access_from->size(), 2u);
  EXPECT_EQ((*s.access_from)[0].match_labels.at("tenant"), "a");
  EXPECT_TRUE((*s.access_from)[1].match_labels.empty());
}

TEST(ImageRepositoryDecodeTest, DecodesStatus) {
  Result<ImageRepository> r = DecodeImageRepository(kFullV1);
  ASSERT_TRUE(r) << r.error().message();
  const ImageRepositoryStatus& st = r->status;
  EXPECT_EQ(st.observed_generation, 2);
  EXPECT_EQ(st.canonical_image_name, "ghcr.io/stefanprodan/podinfo");
  EXPECT_EQ(st.last_handled_reconcile_at, "token-1");
  EXPECT_EQ(st.observed_exclusion_list, (std::vector<std::string>{"^.*\\.sig$"}));
  ASSERT_TRUE(st.last_scan_result.has_value());
  EXPECT_EQ(st.last_scan_result->revision, "sha256:5c68");
  EXPECT_EQ(st.last_scan_result->tag_count, 4);
  EXPECT_EQ(st.last_scan_result->scan_time, "2024-05-01T10:00:00Z");
  EXPECT_EQ(st.last_scan_result->latest_tags, (std::vector<std::string>{"d", "c", "b", "a"}));
  ASSERT_EQ(st.conditions.size(), 1u);
  EXPECT_EQ(st.conditions[0].reason, "ReadOperationFailed");
}

TEST(ImageRepositoryDecodeTest, AppliesDefaultsToMinimalV1Beta2Object) {
  Result<ImageRepository> r = DecodeImageRepository(
      "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\n"
      "metadata: {name: a}\nspec: {image: alpine, interval: 1m}\n");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->spec.provider, "generic");
  EXPECT_FALSE(r->spec.timeout.has_value());
  EXPECT_FALSE(r->spec.access_from.has_value());
  EXPECT_TRUE(r->spec.exclusion_list.empty());
  EXPECT_FALSE(r->status.last_scan_result.has_value());
  EXPECT_EQ(r->status.observed_generation, -1);
}

TEST(ImageRepositorySpecTest, EffectiveExclusionListDefaultsToSignatures) {
  ImageRepositorySpec spec;
  EXPECT_EQ(spec.EffectiveExclusionList(), (std::vector<std::string>{"^.*\\.sig$"}));
}

TEST(ImageRepositorySpecTest, EffectiveExclusionListKeepsExplicitList) {
  ImageRepositorySpec spec;
  spec.exclusion_list = {"^.*\\-alpha$"};
  EXPECT_EQ(spec.EffectiveExclusionList(), (std::vector<std::string>{"^.*\\-alpha$"}));
}

TEST(ImageRepositorySpecTest, EffectiveTimeoutPrefersTimeout) {
  ImageRepositorySpec spec;
  spec.interval = minutes(5);
  spec.timeout = seconds(30);
  EXPECT_EQ(spec.EffectiveTimeout(), seconds(30));
}

TEST(ImageRepositorySpecTest, EffectiveTimeoutFallsBackToInterval) {
  ImageRepositorySpec spec;
  spec.interval = minutes(5);
  EXPECT_EQ(spec.EffectiveTimeout(), minutes(5));
}

TEST(ImageRepositorySpecTest, EffectiveTimeoutIsAtLeastOneSecond) {
  ImageRepositorySpec spec;
  spec.interval = minutes(5);
  spec.timeout = milliseconds(200);
  EXPECT_EQ(spec.EffectiveTimeout(), seconds(1));
  spec.timeout.reset();
  spec.interval = milliseconds(0);
  EXPECT_EQ(spec.EffectiveTimeout(), seconds(1));
}

struct RepoMalformedCase {
  std::string name;
  std::string spec;  // YAML for the spec block (indented by two)
  std::string expected;
};

class ImageRepositoryMalformedTest : public ::testing::TestWithParam<RepoMalformedCase> {};

TEST_P(ImageRepositoryMalformedTest, RejectsWithInvalidSpecAndPath) {
  std::string yaml = "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n" +
                     GetParam().spec;
  Result<ImageRepository> r = DecodeImageRepository(yaml);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(r.error().message().find(GetParam().expected), std::string::npos)
      << r.error().message();
}

std::string TooManyExclusions() {
  std::string list = "spec:\n  image: a\n  interval: 1m\n  exclusionList:\n";
  for (int i = 0; i < 26; ++i) {
    list += "    - p" + std::to_string(i) + "\n";
  }
  return list;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, ImageRepositoryMalformedTest,
    ::testing::Values(
        RepoMalformedCase{"NoSpec", "", "spec: required field is missing"},
        RepoMalformedCase{"NoImage", "spec: {interval: 1m}\n", "spec.image: required"},
        RepoMalformedCase{"EmptyImage", "spec: {image: '', interval: 1m}\n",
                          "spec.image: required"},
        RepoMalformedCase{"NoInterval", "spec: {image: a}\n", "spec.interval: required"},
        RepoMalformedCase{"BadInterval", "spec: {image: a, interval: 1d}\n",
                          "spec.interval: time: "},
        RepoMalformedCase{"TimeoutInHours", "spec: {image: a, interval: 1m, timeout: 1h}\n",
                          "spec.timeout: invalid duration \"1h\": must match"},
        RepoMalformedCase{"ImageMap", "spec: {image: {a: b}, interval: 1m}\n",
                          "spec.image: expected a string, got a mapping"},
        RepoMalformedCase{"BadProvider", "spec: {image: a, interval: 1m, provider: ibm}\n",
                          "spec.provider: unsupported value \"ibm\""},
        RepoMalformedCase{"SecretRefNoName", "spec: {image: a, interval: 1m, secretRef: {}}\n",
                          "spec.secretRef.name: required field is missing"},
        RepoMalformedCase{"ExclusionScalar",
                          "spec: {image: a, interval: 1m, exclusionList: x}\n",
                          "spec.exclusionList: expected a list"},
        RepoMalformedCase{"ExclusionItemMap",
                          "spec: {image: a, interval: 1m, exclusionList: [{a: b}]}\n",
                          "spec.exclusionList[0]: expected a string"},
        RepoMalformedCase{"TooManyExclusions", TooManyExclusions(),
                          "spec.exclusionList: must have at most 25 items"},
        RepoMalformedCase{"LongServiceAccount",
                          "spec: {image: a, interval: 1m, serviceAccountName: " +
                              std::string(254, 'a') + "}\n",
                          "spec.serviceAccountName: must be at most 253"},
        RepoMalformedCase{"BadInsecure", "spec: {image: a, interval: 1m, insecure: [1]}\n",
                          "spec.insecure: expected a boolean"},
        RepoMalformedCase{"SelectorsScalar",
                          "spec: {image: a, interval: 1m, accessFrom: {namespaceSelectors: 1}}\n",
                          "spec.accessFrom.namespaceSelectors: expected a list"},
        RepoMalformedCase{"SelectorLabelsList",
                          "spec: {image: a, interval: 1m,"
                          " accessFrom: {namespaceSelectors: [{matchLabels: [a]}]}}\n",
                          "spec.accessFrom.namespaceSelectors[0].matchLabels: expected a mapping"},
        RepoMalformedCase{"BadTagCount",
                          "spec: {image: a, interval: 1m}\n"
                          "status: {lastScanResult: {tagCount: many}}\n",
                          "status.lastScanResult.tagCount: expected an integer"},
        RepoMalformedCase{"TagCountOverflow",
                          "spec: {image: a, interval: 1m}\n"
                          "status: {lastScanResult: {tagCount: 99999999999999999999}}\n",
                          "status.lastScanResult.tagCount: expected an integer"},
        RepoMalformedCase{"LatestTagsMap",
                          "spec: {image: a, interval: 1m}\n"
                          "status: {lastScanResult: {latestTags: {a: b}}}\n",
                          "status.lastScanResult.latestTags: expected a list"}),
    [](const ::testing::TestParamInfo<RepoMalformedCase>& info) { return info.param.name; });

TEST(ImageRepositoryDecodeTest, RejectsImagePolicyKind) {
  Result<ImageRepository> r = DecodeImageRepository(
      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nspec: {}\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "kind: expected ImageRepository, got \"ImagePolicy\"");
}

TEST(ImageRepositoryDecodeTest, NeverThrowsOnDeepNesting) {
  std::string deep(10000, '[');
  Result<ImageRepository> r = DecodeImageRepository(deep);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidSpec);
}

}  // namespace
}  // namespace imgauto::reflector::api
