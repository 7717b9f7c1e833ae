#include "automation/api/git_repository.h"

#include <gtest/gtest.h>

#include <string>

namespace imgauto::automation::api {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(GitRepositoryDecodeTest, DecodesEveryFieldAnAutomationReads) {
  Result<GitRepository> repo = DecodeGitRepository(R"(
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
  generation: 9
spec:
  interval: 1m0s
  url: ssh://git@github.com/acme/fleet
  ref:
    branch: main
  secretRef:
    name: flux-system
  proxySecretRef:
    name: corporate-proxy
  timeout: 90s
  provider: github
  ignore: |
    /*
  recurseSubmodules: true
)");
  ASSERT_TRUE(repo) << repo.error().message();
  EXPECT_EQ(repo->metadata.api_version, "source.toolkit.fluxcd.io/v1");
  EXPECT_EQ(repo->metadata.kind, "GitRepository");
  EXPECT_EQ(repo->metadata.name, "flux-system");
  EXPECT_EQ(repo->metadata.generation, 9);
  EXPECT_EQ(repo->spec.url, "ssh://git@github.com/acme/fleet");
  ASSERT_TRUE(repo->spec.ref.has_value());
  EXPECT_EQ(*repo->spec.ref, (GitRepositoryRef{"main", "", "", "", ""}));
  EXPECT_EQ(repo->spec.secret_ref, "flux-system");
  EXPECT_EQ(repo->spec.proxy_secret_ref, "corporate-proxy");
  EXPECT_EQ(repo->spec.interval, minutes(1));
  EXPECT_EQ(repo->spec.timeout, seconds(90));
  EXPECT_EQ(repo->spec.provider, "github");
}

TEST(GitRepositoryDecodeTest, AppliesDefaults) {
  Result<GitRepository> repo = DecodeGitRepository(R"(
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: GitRepository
metadata: {name: podinfo, namespace: default}
spec:
  interval: 5m
  url: https://github.com/stefanprodan/podinfo
)");
  ASSERT_TRUE(repo) << repo.error().message();
  EXPECT_EQ(repo->metadata.api_version, "source.toolkit.fluxcd.io/v1beta2");
  EXPECT_FALSE(repo->spec.ref.has_value());
  EXPECT_EQ(repo->spec.secret_ref, "");
  EXPECT_EQ(repo->spec.proxy_secret_ref, "");
  EXPECT_EQ(repo->spec.timeout, seconds(60));
  EXPECT_EQ(repo->spec.provider, "generic");
}

TEST(GitRepositoryDecodeTest, DecodesEveryRefField) {
  Result<GitRepository> repo = DecodeGitRepository(R"(
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
spec:
  interval: 5m
  url: http://127.0.0.1:8080/repo.git
  ref: {branch: main, tag: v1.0.0, semver: "~1.0", name: refs/tags/v1.0.0, commit: 0123abcd}
)");
  ASSERT_TRUE(repo) << repo.error().message();
  EXPECT_EQ(*repo->spec.ref,
            (GitRepositoryRef{"main", "v1.0.0", "~1.0", "refs/tags/v1.0.0", "0123abcd"}));
}

TEST(GitRepositoryDecodeTest, EmptyProviderMeansGeneric) {
  Result<GitRepository> repo = DecodeGitRepository(
      "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nspec:\n"
      "  interval: 1m\n  url: https://h/r\n  provider: ''\n");
  ASSERT_TRUE(repo) << repo.error().message();
  EXPECT_EQ(repo->spec.provider, "generic");
}

TEST(GitRepositoryDecodeTest, UrlIsNeverEchoedInErrors) {
  Result<GitRepository> repo = DecodeGitRepository(
      "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nspec:\n"
      "  interval: 1m\n  url: ftp://user:hunter2-pass@example.com/repo\n");
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().message(), "spec.url: must start with http://, https:// or ssh://");
  EXPECT_EQ(repo.error().message().find("hunter2"), std::string::npos);
}

struct MalformedCase {
  std::string name;
  std::string yaml;
  std::string expected;  // substring of the error message
};

class GitRepositoryMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(GitRepositoryMalformedTest, RejectsWithInvalidSpecAndPath) {
  Result<GitRepository> repo = DecodeGitRepository(GetParam().yaml);
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(repo.error().message().find(GetParam().expected), std::string::npos)
      << repo.error().message();
}

const std::string kHead = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n";
const std::string kSpec = kHead + "spec:\n  interval: 1m\n  url: https://h/r\n";

INSTANTIATE_TEST_SUITE_P(
    Vectors, GitRepositoryMalformedTest,
    ::testing::Values(
        MalformedCase{"BadYaml", "spec: {\n", "invalid yaml"},
        MalformedCase{"ImageGroup", "apiVersion: image.toolkit.fluxcd.io/v1\nkind: GitRepository\n",
                      "expected source.toolkit.fluxcd.io/v1 or source.toolkit.fluxcd.io/v1beta2"},
        MalformedCase{"V1Beta1", "apiVersion: source.toolkit.fluxcd.io/v1beta1\nkind: x\n",
                      "apiVersion: unsupported \"source.toolkit.fluxcd.io/v1beta1\""},
        MalformedCase{"WrongKind", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\n",
                      "kind: expected GitRepository, got \"Bucket\""},
        MalformedCase{"NoSpec", kHead, "spec: required field is missing"},
        MalformedCase{"NoUrl", kHead + "spec: {interval: 1m}\n",
                      "spec.url: required field is missing"},
        MalformedCase{"UrlList", kHead + "spec: {interval: 1m, url: [a]}\n",
                      "spec.url: expected a string, got a list"},
        MalformedCase{"SchemeLessUrl", kHead + "spec: {interval: 1m, url: github.com/a/b}\n",
                      "spec.url: must start with"},
        MalformedCase{"NoInterval", kHead + "spec: {url: https://h/r}\n",
                      "spec.interval: required field is missing"},
        MalformedCase{"BadInterval", kHead + "spec: {url: https://h/r, interval: 1d}\n",
                      "spec.interval"},
        MalformedCase{"TimeoutInHours", kSpec + "  timeout: 1h\n",
                      "spec.timeout: invalid duration \"1h\": must match ^([0-9]+(\\.[0-9]+)?"
                      "(ms|s|m))+$"},
        MalformedCase{"BadProvider", kSpec + "  provider: gitlab\n",
                      "spec.provider: unsupported value \"gitlab\": must be generic, azure, aws "
                      "or github"},
        MalformedCase{"SecretRefWithoutName", kSpec + "  secretRef: {}\n",
                      "spec.secretRef.name: required field is missing"},
        MalformedCase{"ProxySecretRefScalar", kSpec + "  proxySecretRef: proxy\n",
                      "spec.proxySecretRef: expected a mapping"},
        MalformedCase{"RefList", kSpec + "  ref: [main]\n", "spec.ref: expected a mapping"},
        MalformedCase{"RefCommitMap", kSpec + "  ref: {commit: {a: b}}\n",
                      "spec.ref.commit: expected a string, got a mapping"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

}  // namespace
}  // namespace imgauto::automation::api
