#include "reflector/api/image_policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "reflector/api/image_repository.h"

namespace imgauto::reflector::api {
namespace {

constexpr std::string_view kSemverV1 = R"(
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: apps
  generation: 3
  labels:
    team: a
  annotations:
    reconcile.fluxcd.io/requestedAt: "2024-05-01T10:00:00Z"
spec:
  imageRepositoryRef:
    name: podinfo-repo
    namespace: flux-system
  policy:
    semver:
      range: ">=1.0.0 <2"
  digestReflectionPolicy: Always
  interval: 10m
  suspend: true
)";

TEST(ImagePolicyDecodeTest, DecodesV1SemverSpecAndMetadata) {
  Result<ImagePolicy> p = DecodeImagePolicy(kSemverV1);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->metadata.api_version, "image.toolkit.fluxcd.io/v1");
  EXPECT_EQ(p->metadata.kind, "ImagePolicy");
  EXPECT_EQ(p->metadata.name, "podinfo");
  EXPECT_EQ(p->metadata.ns, "apps");
  EXPECT_EQ(p->metadata.generation, 3);
  ASSERT_EQ(p->metadata.labels.size(), 1u);
  EXPECT_EQ(p->metadata.labels[0].second, "a");
  ASSERT_EQ(p->metadata.annotations.size(), 1u);
  EXPECT_EQ(p->metadata.annotations[0].second, "2024-05-01T10:00:00Z");
  EXPECT_EQ(p->spec.image_repository_name, "podinfo-repo");
  EXPECT_EQ(p->spec.image_repository_namespace, "flux-system");
  ASSERT_TRUE(p->spec.policy.semver.has_value());
  EXPECT_EQ(p->spec.policy.semver->range, ">=1.0.0 <2");
  EXPECT_FALSE(p->spec.policy.alphabetical.has_value());
  EXPECT_FALSE(p->spec.policy.numerical.has_value());
  EXPECT_FALSE(p->spec.filter_tags.has_value());
  EXPECT_EQ(p->spec.digest_reflection_policy, DigestReflectionPolicy::kAlways);
  ASSERT_TRUE(p->spec.interval.has_value());
  EXPECT_EQ(*p->spec.interval, std::chrono::minutes(10));
  EXPECT_TRUE(p->spec.suspend);
  EXPECT_EQ(p->status.observed_generation, -1);
}

TEST(ImagePolicyDecodeTest, DecodesV1Beta2FilterTagsAndNumerical) {
  Result<ImagePolicy> p = DecodeImagePolicy(R"(
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: p}
spec:
  imageRepositoryRef: {name: r}
  filterTags:
    pattern: '^main-(?P<ts>[0-9]+)$'
    extract: '$ts'
  policy:
    numerical:
      order: desc
)");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->metadata.api_version, "image.toolkit.fluxcd.io/v1beta2");
  ASSERT_TRUE(p->spec.filter_tags.has_value());
  EXPECT_EQ(p->spec.filter_tags->pattern, "^main-(?P<ts>[0-9]+)$");
  EXPECT_EQ(p->spec.filter_tags->extract, "$ts");
  ASSERT_TRUE(p->spec.policy.numerical.has_value());
  EXPECT_EQ(p->spec.policy.numerical->order, "desc");
  EXPECT_EQ(p->spec.digest_reflection_policy, DigestReflectionPolicy::kNever);
  EXPECT_FALSE(p->spec.interval.has_value());
  EXPECT_TRUE(p->metadata.ns.empty());
}

TEST(ImagePolicyDecodeTest, EmptyAlphabeticalMappingSelectsAlphabetical) {
  Result<ImagePolicy> p = DecodeImagePolicy(
      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nspec:\n"
      "  imageRepositoryRef: {name: r}\n  policy:\n    alphabetical: {}\n");
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_TRUE(p->spec.policy.alphabetical.has_value());
  EXPECT_EQ(p->spec.policy.alphabetical->order, "");
}

TEST(ImagePolicyDecodeTest, EmptyPolicyChoiceDecodesWithNothingSet) {
  Result<ImagePolicy> p = DecodeImagePolicy(
      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nspec:\n"
      "  imageRepositoryRef: {name: r}\n  policy: {}\n");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_FALSE(p->spec.policy.semver || p->spec.policy.alphabetical || p->spec.policy.numerical);
}

TEST(ImagePolicyDecodeTest, DecodesV1Status) {
  Result<ImagePolicy> p = DecodeImagePolicy(R"(
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: p, namespace: n}
spec:
  imageRepositoryRef: {name: r}
  policy: {semver: {range: 1.x}}
status:
  observedGeneration: 7
  lastHandledReconcileAt: now
  latestRef: {name: ghcr.io/a/b, tag: 1.2.0, digest: "sha256:abc"}
  observedPreviousRef: {name: ghcr.io/a/b, tag: 1.1.0}
  conditions:
    - type: Ready
      status: "True"
      reason: Succeeded
      message: Latest image tag for ghcr.io/a/b resolved to 1.2.0
      observedGeneration: 7
      lastTransitionTime: "2024-05-01T10:00:00Z"
)");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->status.observed_generation, 7);
  EXPECT_EQ(p->status.last_handled_reconcile_at, "now");
  ASSERT_TRUE(p->status.latest_ref.has_value());
  EXPECT_EQ(*p->status.latest_ref, (ImageRef{"ghcr.io/a/b", "1.2.0", "sha256:abc"}));
  ASSERT_TRUE(p->status.observed_previous_ref.has_value());
  EXPECT_EQ(*p->status.observed_previous_ref, (ImageRef{"ghcr.io/a/b", "1.1.0", ""}));
  ASSERT_EQ(p->status.conditions.size(), 1u);
  const kube::Condition& c = p->status.conditions[0];
  EXPECT_EQ(c.type, "Ready");
  EXPECT_EQ(c.status, "True");
  EXPECT_EQ(c.reason, "Succeeded");
  EXPECT_EQ(c.observed_generation, 7);
  EXPECT_EQ(c.last_transition_time, "2024-05-01T10:00:00Z");
}

TEST(ImagePolicyDecodeTest, V1Beta2LatestImageFillsLatestRefWhenAbsent) {
  Result<ImagePolicy> p = DecodeImagePolicy(R"(
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
spec:
  imageRepositoryRef: {name: r}
  policy: {alphabetical: {order: asc}}
status:
  latestImage: localhost:5000/org/app:v2
  observedPreviousImage: localhost:5000/org/app:v1
)");
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_TRUE(p->status.latest_ref.has_value());
  EXPECT_EQ(*p->status.latest_ref, (ImageRef{"localhost:5000/org/app", "v2", ""}));
  ASSERT_TRUE(p->status.observed_previous_ref.has_value());
  EXPECT_EQ(p->status.observed_previous_ref->tag, "v1");
}

TEST(ImagePolicyDecodeTest, NullFieldsAreTreatedAsAbsent) {
  Result<ImagePolicy> p = DecodeImagePolicy(
      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\nspec:\n"
      "  imageRepositoryRef: {name: r}\n  policy: {semver: {range: '*'}}\n  filterTags: ~\n"
      "  interval:\nstatus: null\n");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_FALSE(p->spec.filter_tags.has_value());
  EXPECT_FALSE(p->spec.interval.has_value());
}

struct MalformedCase {
  std::string name;
  std::string yaml;
  std::string expected;  // substring of the error message
};

class ImagePolicyMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(ImagePolicyMalformedTest, RejectsWithInvalidSpecAndPath) {
  Result<ImagePolicy> p = DecodeImagePolicy(GetParam().yaml);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(p.error().message().find(GetParam().expected), std::string::npos)
      << p.error().message();
}

const std::string kHead = "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n";

INSTANTIATE_TEST_SUITE_P(
    Vectors, ImagePolicyMalformedTest,
    ::testing::Values(
        MalformedCase{"BadYaml", "spec: [unclosed\n", "invalid yaml at line"},
        MalformedCase{"BadIndent", kHead + "spec:\n  a: 1\n b: 2\n", "column"},
        MalformedCase{"Empty", "", "empty document"},
        MalformedCase{"OnlyComment", "# nothing\n", "empty document"},
        MalformedCase{"TopLevelList", "- a\n- b\n", "expected a mapping at the top level"},
        MalformedCase{"TwoDocuments", kHead + "---\n" + kHead, "expected a single document"},
        MalformedCase{"NoApiVersion", "kind: ImagePolicy\n", "apiVersion: required"},
        MalformedCase{"OtherGroup", "apiVersion: apps/v1\nkind: ImagePolicy\n",
                      "apiVersion: unsupported \"apps/v1\""},
        MalformedCase{"V1Beta1", "apiVersion: image.toolkit.fluxcd.io/v1beta1\nkind: ImagePolicy\n",
                      "expected image.toolkit.fluxcd.io/v1 or"},
        MalformedCase{"WrongKind",
                      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n",
                      "kind: expected ImagePolicy"},
        MalformedCase{"NoSpec", kHead, "spec: required field is missing"},
        MalformedCase{"SpecScalar", kHead + "spec: 3\n", "spec: expected a mapping, got a scalar"},
        MalformedCase{"NoRef", kHead + "spec:\n  policy: {}\n",
                      "spec.imageRepositoryRef: required field is missing"},
        MalformedCase{"NoRefName", kHead + "spec:\n  imageRepositoryRef: {}\n  policy: {}\n",
                      "spec.imageRepositoryRef.name: required field is missing"},
        MalformedCase{"NoPolicy", kHead + "spec:\n  imageRepositoryRef: {name: r}\n",
                      "spec.policy: required field is missing"},
        MalformedCase{"RangeList",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n"
                              "  policy: {semver: {range: [1]}}\n",
                      "spec.policy.semver.range: expected a string, got a list"},
        MalformedCase{"SemverNoRange",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n  policy: {semver: {}}\n",
                      "spec.policy.semver.range: required field is missing"},
        MalformedCase{"AlphabeticalScalar",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n"
                              "  policy: {alphabetical: asc}\n",
                      "spec.policy.alphabetical: expected a mapping"},
        MalformedCase{"BadDigestPolicy",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n  policy: {}\n"
                              "  digestReflectionPolicy: Sometimes\n",
                      "spec.digestReflectionPolicy: unsupported value \"Sometimes\""},
        MalformedCase{"BadInterval",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n  policy: {}\n"
                              "  interval: soon\n",
                      "spec.interval: time: invalid duration"},
        MalformedCase{"IntervalOutsideCrdPattern",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n  policy: {}\n"
                              "  interval: 5us\n",
                      "spec.interval: invalid duration \"5us\": must match"},
        MalformedCase{"NegativeInterval",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n  policy: {}\n"
                              "  interval: -5m\n",
                      "spec.interval"},
        MalformedCase{"BadSuspend",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n  policy: {}\n"
                              "  suspend: maybe\n",
                      "spec.suspend: expected a boolean"},
        MalformedCase{"BadGeneration", kHead + "metadata: {generation: x}\n",
                      "metadata.generation: expected an integer"},
        MalformedCase{"LabelsList", kHead + "metadata: {labels: [a]}\n",
                      "metadata.labels: expected a mapping"},
        MalformedCase{"BadConditions",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n  policy: {}\n"
                              "status:\n  conditions: {a: b}\n",
                      "status.conditions: expected a list"},
        MalformedCase{"BadConditionItem",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n  policy: {}\n"
                              "status:\n  conditions: [x]\n",
                      "status.conditions[0]: expected a mapping"},
        MalformedCase{"BadLatestRef",
                      kHead + "spec:\n  imageRepositoryRef: {name: r}\n  policy: {}\n"
                              "status:\n  latestRef: [x]\n",
                      "status.latestRef: expected a mapping"},
        MalformedCase{"UnknownAlias", kHead + "spec: *nothing\n", "invalid yaml"},
        MalformedCase{"TopLevelFlowEntry", ", a\n", "invalid yaml"},
        MalformedCase{"AnchorThenFlowEntry", "&alpine, v\n", "invalid yaml"},
        MalformedCase{"FlowThenFlowEntry", "[b], c\n", "invalid yaml"},
        MalformedCase{"FlowEntryInSecondDocument", kHead + "---\n, b\n", "invalid yaml"},
        MalformedCase{"TabIndent", kHead + "spec:\n\timageRepositoryRef: {}\n", "invalid yaml"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

TEST(ImagePolicyDecodeTest, ReportsOneBasedLineAndColumn) {
  Result<ImagePolicy> p = DecodeImagePolicy("a: b\nc: [d\n");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("line 3"), std::string::npos) << p.error().message();
}

// Every file in manifests/samples must decode as the kind it declares.
TEST(ManifestSamplesTest, EverySampleDecodes) {
  const std::filesystem::path samples =
      std::filesystem::path(__FILE__).parent_path() / "../../../manifests/samples";
  ASSERT_TRUE(std::filesystem::is_directory(samples)) << samples;
  int decoded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(samples)) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string body = text.str();
    if (body.find("kind: ImagePolicy") != std::string::npos) {
      Result<ImagePolicy> p = DecodeImagePolicy(body);
      EXPECT_TRUE(p) << entry.path() << ": " << p.error().message();
    } else {
      Result<ImageRepository> r = DecodeImageRepository(body);
      EXPECT_TRUE(r) << entry.path() << ": " << r.error().message();
    }
    ++decoded;
  }
  EXPECT_GE(decoded, 3);
}

}  // namespace
}  // namespace imgauto::reflector::api
