#include "automation/api/image_update_automation.h"

#include <gtest/gtest.h>

#include <string>

namespace imgauto::automation::api {
namespace {

using std::chrono::minutes;

// The shape of Flux's image-update guide: every v1 spec field of §1.4 set.
constexpr std::string_view kFullV1 = R"(
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: flux-system
  namespace: flux-system
  generation: 4
  labels: {team: platform}
spec:
  interval: 30m
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: sources
    apiVersion: source.toolkit.fluxcd.io/v1
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        email: fluxcdbot@users.noreply.github.com
        name: fluxcdbot
      signingKey:
        secretRef:
          name: signing-key
        type: ssh
      messageTemplate: |
        Automated image update

        {{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}
        {{ end }}
      messageTemplateValues:
        cluster: prod
        env: "1"
    push:
      branch: image-updates
      refspec: refs/heads/image-updates:refs/heads/auto/review
      options:
        merge_request.create: ""
        merge_request.target: main
  update:
    path: ./clusters/my-cluster
    strategy: Setters
  policySelector:
    matchLabels:
      app.kubernetes.io/part-of: podinfo
    matchExpressions:
      - {key: tier, operator: In, values: [frontend, backend]}
      - {key: legacy, operator: DoesNotExist}
  suspend: true
)";

TEST(ImageUpdateAutomationDecodeTest, DecodesEveryV1SpecField) {
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(kFullV1);
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_EQ(iua->metadata.api_version, "image.toolkit.fluxcd.io/v1");
  EXPECT_EQ(iua->metadata.kind, "ImageUpdateAutomation");
  EXPECT_EQ(iua->metadata.name, "flux-system");
  EXPECT_EQ(iua->metadata.ns, "flux-system");
  EXPECT_EQ(iua->metadata.generation, 4);
  const ImageUpdateAutomationSpec& s = iua->spec;
  EXPECT_EQ(s.interval, minutes(30));
  EXPECT_EQ(s.source_ref.kind, "GitRepository");
  EXPECT_EQ(s.source_ref.name, "flux-system");
  EXPECT_EQ(s.source_ref.ns, "sources");
  EXPECT_EQ(s.source_ref.api_version, "source.toolkit.fluxcd.io/v1");
  ASSERT_TRUE(s.git.has_value());
  ASSERT_TRUE(s.git->checkout.has_value());
  EXPECT_EQ(*s.git->checkout, (GitRepositoryRef{"main", "", "", "", ""}));
  const CommitSpec& commit = s.git->commit;
  EXPECT_EQ(commit.author.email, "fluxcdbot@users.noreply.github.com");
  EXPECT_EQ(commit.author.name, "fluxcdbot");
  ASSERT_TRUE(commit.signing_key.has_value());
  EXPECT_EQ(commit.signing_key->secret_ref, "signing-key");
  EXPECT_EQ(commit.signing_key->type, SigningKeyType::kSsh);
  EXPECT_EQ(commit.message_template,
            "Automated image update\n\n{{ range .Changed.Changes }}{{ .OldValue }} -> "
            "{{ .NewValue }}\n{{ end }}\n");
  EXPECT_EQ(commit.message_template_values,
            (std::map<std::string, std::string>{{"cluster", "prod"}, {"env", "1"}}));
  ASSERT_TRUE(s.git->push.has_value());
  EXPECT_EQ(s.git->push->branch, "image-updates");
  EXPECT_EQ(s.git->push->refspec, "refs/heads/image-updates:refs/heads/auto/review");
  EXPECT_EQ(s.git->push->options,
            (std::map<std::string, std::string>{{"merge_request.create", ""},
                                                {"merge_request.target", "main"}}));
  EXPECT_EQ(s.update.strategy, UpdateStrategy::kSetters);
  EXPECT_EQ(s.update.path, "./clusters/my-cluster");
  EXPECT_EQ(s.policy_selector.match_labels,
            (std::map<std::string, std::string>{{"app.kubernetes.io/part-of", "podinfo"}}));
  ASSERT_EQ(s.policy_selector.match_expressions.size(), 2u);
  EXPECT_EQ(s.policy_selector.match_expressions[0],
            (LabelSelectorRequirement{"tier", "In", {"frontend", "backend"}}));
  EXPECT_EQ(s.policy_selector.match_expressions[1],
            (LabelSelectorRequirement{"legacy", "DoesNotExist", {}}));
  EXPECT_TRUE(s.suspend);
}

TEST(ImageUpdateAutomationDecodeTest, MinimalObjectGetsFluxDefaults) {
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(R"(
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: apps, namespace: apps}
spec:
  interval: 5m
  sourceRef: {name: repo}
  git:
    commit:
      author: {email: bot@example.com}
)");
  ASSERT_TRUE(iua) << iua.error().message();
  const ImageUpdateAutomationSpec& s = iua->spec;
  EXPECT_EQ(s.source_ref.kind, "GitRepository");
  EXPECT_EQ(s.source_ref.ns, "");
  ASSERT_TRUE(s.git.has_value());
  EXPECT_FALSE(s.git->checkout.has_value());
  EXPECT_FALSE(s.git->push.has_value());
  EXPECT_FALSE(s.git->commit.signing_key.has_value());
  EXPECT_EQ(s.git->commit.author.name, "");
  EXPECT_EQ(s.git->commit.message_template, "");
  EXPECT_TRUE(s.git->commit.message_template_values.empty());
  // Flux defaults an omitted `update` to {strategy: Setters}; the path is the repository root.
  EXPECT_EQ(s.update.strategy, UpdateStrategy::kSetters);
  EXPECT_EQ(s.update.path, "./");
  EXPECT_TRUE(s.policy_selector.match_labels.empty());
  EXPECT_TRUE(s.policy_selector.match_expressions.empty());
  EXPECT_FALSE(s.suspend);
  EXPECT_EQ(iua->status.observed_generation, -1);
  EXPECT_TRUE(iua->status.observed_policies.empty());
}

TEST(ImageUpdateAutomationDecodeTest, UpdateWithOnlyPathDefaultsStrategy) {
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(
      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nspec:\n"
      "  interval: 1m\n  sourceRef: {name: r}\n  update: {path: ./test-path}\n");
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_EQ(iua->spec.update.strategy, UpdateStrategy::kSetters);
  EXPECT_EQ(iua->spec.update.path, "./test-path");
}

TEST(ImageUpdateAutomationDecodeTest, UpdateWithOnlyStrategyDefaultsPath) {
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(
      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nspec:\n"
      "  interval: 1m\n  sourceRef: {name: r}\n  update: {strategy: Setters, path: ''}\n");
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_EQ(iua->spec.update.path, "./");
}

TEST(ImageUpdateAutomationDecodeTest, MissingGitDecodesForTheReconcilerToStall) {
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(
      "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nspec:\n"
      "  interval: 1m\n  sourceRef: {name: r}\n");
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_FALSE(iua->spec.git.has_value());
}

TEST(ImageUpdateAutomationDecodeTest, SigningKeyTypeDefaultsToGpg) {
  for (std::string_view type : {"", "\n        type: gpg", "\n        type: ''"}) {
    Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nspec:\n"
        "  interval: 1m\n  sourceRef: {name: r}\n  git:\n    commit:\n"
        "      author: {email: a@b}\n      signingKey:\n        secretRef: {name: k}" +
        std::string(type) + "\n");
    ASSERT_TRUE(iua) << iua.error().message();
    ASSERT_TRUE(iua->spec.git->commit.signing_key.has_value());
    EXPECT_EQ(iua->spec.git->commit.signing_key->type, SigningKeyType::kGpg) << type;
  }
}

TEST(ImageUpdateAutomationDecodeTest, DecodesV1Beta2WithSelectorAndCheckoutTag) {
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(R"(
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: {name: podinfo-update, namespace: default}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: podinfo}
  git:
    checkout:
      ref: {tag: v1.0.0}
    commit:
      author: {name: Flux B Ot, email: fluxbot@example.com}
    push: {branch: main2}
  update: {strategy: Setters, path: ./deploy}
  policySelector:
    matchLabels: {label: one}
)");
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_EQ(iua->metadata.api_version, "image.toolkit.fluxcd.io/v1beta2");
  EXPECT_EQ(iua->spec.interval, std::chrono::hours(1));
  EXPECT_EQ(*iua->spec.git->checkout, (GitRepositoryRef{"", "v1.0.0", "", "", ""}));
  EXPECT_EQ(iua->spec.git->commit.author.name, "Flux B Ot");
  EXPECT_EQ(iua->spec.git->push->branch, "main2");
  EXPECT_EQ(iua->spec.update.path, "./deploy");
  EXPECT_EQ(iua->spec.policy_selector.match_labels.at("label"), "one");
}

// The shape KubeVela's fluxcd addon renders.
TEST(ImageUpdateAutomationDecodeTest, DecodesV1Beta1AsKubeVelaRendersIt) {
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(R"(
apiVersion: image.toolkit.fluxcd.io/v1beta1
kind: ImageUpdateAutomation
metadata:
  name: my-app
  namespace: default
spec:
  interval: 5m
  sourceRef:
    kind: GitRepository
    name: my-app
  git:
    checkout:
      ref:
        branch: master
    commit:
      author:
        email: kubevelabot@users.noreply.github.com
        name: kubevelabot
      messageTemplate: Update image automatically.
    push:
      branch: master
  update:
    path: ./
    strategy: Setters
)");
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_EQ(iua->metadata.api_version, "image.toolkit.fluxcd.io/v1beta1");
  EXPECT_EQ(iua->spec.git->checkout->branch, "master");
  EXPECT_EQ(iua->spec.git->commit.message_template, "Update image automatically.");
  EXPECT_EQ(iua->spec.git->push->branch, "master");
  EXPECT_EQ(iua->spec.update.path, "./");
}

TEST(ImageUpdateAutomationDecodeTest, CheckoutRefKeepsEveryField) {
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(R"(
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
spec:
  interval: 1m
  sourceRef: {name: r}
  git:
    checkout:
      ref: {branch: b, tag: t, semver: ">=1.0", name: refs/heads/main, commit: abc123}
    commit: {author: {email: a@b}}
)");
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_EQ(*iua->spec.git->checkout,
            (GitRepositoryRef{"b", "t", ">=1.0", "refs/heads/main", "abc123"}));
}

constexpr std::string_view kStatus = R"(
  lastAutomationRunTime: "2024-05-01T10:00:00Z"
  lastPushCommit: a47b32f4814810acac804df5054ec37cbfdbfb53
  lastPushTime: "2024-05-01T10:00:05Z"
  observedGeneration: 3
  observedSourceRevision: main@sha1:a47b32f4814810acac804df5054ec37cbfdbfb53
  lastHandledReconcileAt: now
  observedPolicies:
    podinfo: {name: ghcr.io/stefanprodan/podinfo, tag: 6.5.0}
    app: {name: ghcr.io/acme/app, tag: v1, digest: "sha256:1234"}
  conditions:
    - type: Ready
      status: "True"
      reason: Succeeded
      message: repository up-to-date
      observedGeneration: 3
      lastTransitionTime: "2024-05-01T10:00:06Z"
)";

void ExpectFullStatus(const ImageUpdateAutomationStatus& s) {
  EXPECT_EQ(s.last_automation_run_time, "2024-05-01T10:00:00Z");
  EXPECT_EQ(s.last_push_commit, "a47b32f4814810acac804df5054ec37cbfdbfb53");
  EXPECT_EQ(s.last_push_time, "2024-05-01T10:00:05Z");
  EXPECT_EQ(s.observed_generation, 3);
  EXPECT_EQ(s.observed_source_revision, "main@sha1:a47b32f4814810acac804df5054ec37cbfdbfb53");
  EXPECT_EQ(s.last_handled_reconcile_at, "now");
  ASSERT_EQ(s.observed_policies.size(), 2u);
  EXPECT_EQ(s.observed_policies.at("podinfo"),
            (ImageRef{"ghcr.io/stefanprodan/podinfo", "6.5.0", ""}));
  EXPECT_EQ(s.observed_policies.at("app"), (ImageRef{"ghcr.io/acme/app", "v1", "sha256:1234"}));
  ASSERT_EQ(s.conditions.size(), 1u);
  EXPECT_EQ(s.conditions[0], (kube::Condition{"Ready", "True", "Succeeded", "repository up-to-date",
                                              3, "2024-05-01T10:00:06Z"}));
}

TEST(ImageUpdateAutomationDecodeTest, DecodesStatusInEveryVersion) {
  for (std::string_view version : {"v1", "v1beta2", "v1beta1"}) {
    Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(
        "apiVersion: image.toolkit.fluxcd.io/" + std::string(version) +
        "\nkind: ImageUpdateAutomation\nspec:\n  interval: 1m\n  sourceRef: {name: r}\nstatus:" +
        std::string(kStatus));
    ASSERT_TRUE(iua) << version << ": " << iua.error().message();
    ExpectFullStatus(iua->status);
  }
}

TEST(ImageUpdateAutomationStatusDecodeTest, DecodesAStatusMappingOnItsOwn) {
  Result<ImageUpdateAutomationStatus> s =
      DecodeImageUpdateAutomationStatus("\n" + std::string(kStatus));
  ASSERT_TRUE(s) << s.error().message();
  ExpectFullStatus(*s);
}

TEST(ImageUpdateAutomationStatusDecodeTest, ReportsStatusPaths) {
  Result<ImageUpdateAutomationStatus> s =
      DecodeImageUpdateAutomationStatus("observedPolicies: {p: [1]}\n");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(s.error().message(), "status.observedPolicies.p: expected a mapping");
}

struct MalformedCase {
  std::string name;
  std::string yaml;
  std::string expected;  // substring of the error message
};

class ImageUpdateAutomationMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(ImageUpdateAutomationMalformedTest, RejectsWithInvalidSpecAndPath) {
  Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(GetParam().yaml);
  ASSERT_FALSE(iua);
  EXPECT_EQ(iua.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(iua.error().message().find(GetParam().expected), std::string::npos)
      << iua.error().message();
}

const std::string kHead = "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\n";
const std::string kSpec = kHead + "spec:\n  interval: 1m\n  sourceRef: {name: r}\n";
const std::string kGit = kSpec + "  git:\n";

INSTANTIATE_TEST_SUITE_P(
    Vectors, ImageUpdateAutomationMalformedTest,
    ::testing::Values(
        MalformedCase{"BadYaml", "spec: [unclosed\n", "invalid yaml at line"},
        MalformedCase{"Empty", "", "empty document"},
        MalformedCase{"V1Alpha1", "apiVersion: image.toolkit.fluxcd.io/v1alpha1\nkind: x\n",
                      "expected image.toolkit.fluxcd.io/v1, image.toolkit.fluxcd.io/v1beta2 or "
                      "image.toolkit.fluxcd.io/v1beta1"},
        MalformedCase{"WrongKind",
                      "apiVersion: image.toolkit.fluxcd.io/v1beta1\nkind: ImagePolicy\n",
                      "kind: expected ImageUpdateAutomation, got \"ImagePolicy\""},
        MalformedCase{"NoSpec", kHead, "spec: required field is missing"},
        MalformedCase{"NoSourceRef", kHead + "spec: {interval: 1m}\n",
                      "spec.sourceRef: required field is missing"},
        MalformedCase{"NoSourceName", kHead + "spec: {interval: 1m, sourceRef: {}}\n",
                      "spec.sourceRef.name: required field is missing"},
        MalformedCase{"BadSourceKind",
                      kHead + "spec: {interval: 1m, sourceRef: {kind: Bucket, name: b}}\n",
                      "spec.sourceRef.kind: unsupported value \"Bucket\": must be GitRepository"},
        MalformedCase{"NoInterval", kHead + "spec: {sourceRef: {name: r}}\n",
                      "spec.interval: required field is missing"},
        MalformedCase{"BadInterval", kHead + "spec: {interval: often, sourceRef: {name: r}}\n",
                      "spec.interval: time: invalid duration"},
        MalformedCase{"NegativeInterval", kHead + "spec: {interval: -1m, sourceRef: {name: r}}\n",
                      "spec.interval"},
        MalformedCase{"BadSuspend", kSpec + "  suspend: perhaps\n",
                      "spec.suspend: expected a boolean"},
        MalformedCase{"GitScalar", kSpec + "  git: yes\n", "spec.git: expected a mapping"},
        MalformedCase{"NoCommit", kGit + "    push: {branch: x}\n",
                      "spec.git.commit: required field is missing"},
        MalformedCase{"NoAuthor", kGit + "    commit: {messageTemplate: x}\n",
                      "spec.git.commit.author: required field is missing"},
        MalformedCase{"NoEmail", kGit + "    commit: {author: {name: bot}}\n",
                      "spec.git.commit.author.email: required field is missing"},
        MalformedCase{"SigningKeyWithoutSecretRef",
                      kGit + "    commit: {author: {email: a@b}, signingKey: {type: gpg}}\n",
                      "spec.git.commit.signingKey.secretRef: required field is missing"},
        MalformedCase{"SigningSecretWithoutName",
                      kGit + "    commit: {author: {email: a@b}, signingKey: {secretRef: {}}}\n",
                      "spec.git.commit.signingKey.secretRef.name: required field is missing"},
        MalformedCase{"BadSigningType",
                      kGit + "    commit: {author: {email: a@b}, signingKey: "
                             "{secretRef: {name: k}, type: x509}}\n",
                      "spec.git.commit.signingKey.type: unsupported value \"x509\": must be gpg "
                      "or ssh"},
        MalformedCase{"TemplateValuesList",
                      kGit + "    commit: {author: {email: a@b}, messageTemplateValues: [a]}\n",
                      "spec.git.commit.messageTemplateValues: expected a mapping"},
        MalformedCase{"TemplateList",
                      kGit + "    commit: {author: {email: a@b}, messageTemplate: [a]}\n",
                      "spec.git.commit.messageTemplate: expected a string, got a list"},
        MalformedCase{"CheckoutWithoutRef",
                      kGit + "    checkout: {}\n    commit: {author: {email: a@b}}\n",
                      "spec.git.checkout.ref: required field is missing"},
        MalformedCase{"CheckoutRefList",
                      kGit + "    checkout: {ref: [main]}\n    commit: {author: {email: a@b}}\n",
                      "spec.git.checkout.ref: expected a mapping, got a list"},
        MalformedCase{"CheckoutBranchMap",
                      kGit + "    checkout: {ref: {branch: {a: b}}}\n"
                             "    commit: {author: {email: a@b}}\n",
                      "spec.git.checkout.ref.branch: expected a string, got a mapping"},
        MalformedCase{"PushScalar", kGit + "    commit: {author: {email: a@b}}\n    push: main\n",
                      "spec.git.push: expected a mapping"},
        MalformedCase{"PushOptionsList",
                      kGit + "    commit: {author: {email: a@b}}\n    push: {options: [a]}\n",
                      "spec.git.push.options: expected a mapping"},
        MalformedCase{"BadStrategy", kSpec + "  update: {strategy: Regex}\n",
                      "spec.update.strategy: unsupported value \"Regex\": must be Setters"},
        MalformedCase{"UpdateScalar", kSpec + "  update: Setters\n",
                      "spec.update: expected a mapping"},
        MalformedCase{"SelectorScalar", kSpec + "  policySelector: app=x\n",
                      "spec.policySelector: expected a mapping"},
        MalformedCase{"SelectorLabelsList", kSpec + "  policySelector: {matchLabels: [a]}\n",
                      "spec.policySelector.matchLabels: expected a mapping"},
        MalformedCase{"ExpressionsMap", kSpec + "  policySelector: {matchExpressions: {a: b}}\n",
                      "spec.policySelector.matchExpressions: expected a list"},
        MalformedCase{"ExpressionScalar", kSpec + "  policySelector: {matchExpressions: [a]}\n",
                      "spec.policySelector.matchExpressions[0]: expected a mapping"},
        MalformedCase{"ExpressionWithoutKey",
                      kSpec + "  policySelector: {matchExpressions: [{operator: Exists}]}\n",
                      "spec.policySelector.matchExpressions[0].key: required field is missing"},
        MalformedCase{"ExpressionWithoutOperator",
                      kSpec + "  policySelector: {matchExpressions: [{key: a}]}\n",
                      "spec.policySelector.matchExpressions[0].operator: required field is "
                      "missing"},
        MalformedCase{"ExpressionValuesScalar",
                      kSpec + "  policySelector: {matchExpressions: "
                              "[{key: a, operator: In, values: x}]}\n",
                      "spec.policySelector.matchExpressions[0].values: expected a list"},
        MalformedCase{"StatusObservedPoliciesList", kSpec + "status: {observedPolicies: [a]}\n",
                      "status.observedPolicies: expected a mapping"},
        MalformedCase{"StatusBadGeneration", kSpec + "status: {observedGeneration: two}\n",
                      "status.observedGeneration: expected an integer"},
        MalformedCase{"StatusConditionsMap", kSpec + "status: {conditions: {a: b}}\n",
                      "status.conditions: expected a list"},
        MalformedCase{"StatusPushTimeList", kSpec + "status: {lastPushTime: [a]}\n",
                      "status.lastPushTime: expected a string"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

}  // namespace
}  // namespace imgauto::automation::api
