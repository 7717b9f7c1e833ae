// DeriveFromApplication: the objects KubeVela's fluxcd addon renders for a `kustomize`
// component with `imageRepository` (peers.md §2.1), checked by decoding them with the same
// decoders `imgauto run` uses, plus defaults, sourceName, other component types and errors.
#include "cmd/standalone/kubevela.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "automation/api/git_repository.h"
#include "automation/api/image_update_automation.h"
#include "cmd/standalone/manifest_dir.h"
#include "reflector/api/image_policy.h"
#include "reflector/api/image_repository.h"
#include "tests/support/temp_dir.h"

namespace imgauto::cmd::standalone {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The peers.md §2.1 example, with a semver policy in a second component.
constexpr char kApplication[] = R"(apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: web-delivery
  namespace: apps
spec:
  components:
    - name: web
      type: kustomize
      properties:
        repoType: git
        url: https://git.example.org/team/deploy.git
        secretRef: deploy-git-rw
        pullInterval: 10m
        timeout: 60s
        git:
          branch: release
        path: ./envs/prod/web
        prune: true
        imageRepository:
          image: registry.example.org/team/web
          secretRef: registry-pull
          interval: 2m
          filterTags:
            pattern: '^main-[a-f0-9]{7}-(?P<ts>[0-9]+)$'
            extract: '$ts'
          policy:
            numerical: {order: asc}
          commitMessage: '{{range .Updated.Images}}{{println .}}{{end}}'
    - name: helm-thing
      type: helm
      properties:
        chart: podinfo
    - name: api
      type: kustomize
      properties:
        url: https://git.example.org/team/api.git
        path: ./deploy
        imageRepository:
          image: registry.example.org/team/api
          policy:
            semver: {range: ">=1.2.0 <2.0.0"}
)";

// Loads `yaml` from a directory as `imgauto run` would, and returns its first document.
ManifestDocument Load(const std::string& yaml, const char* file = "apps/web.yaml") {
  testing::TempDir dir("kubevela");
  dir.Write(file, yaml);
  Result<ManifestSnapshot> snap = LoadManifestDir(dir.path(), "flux-system");
  EXPECT_TRUE(snap) << snap.error().message();
  EXPECT_TRUE(snap->issues.empty());
  EXPECT_EQ(snap->documents.size(), 1u);
  return snap->documents.at(0);
}

std::vector<ManifestDocument> Derive(const std::string& yaml) {
  Result<std::vector<ManifestDocument>> objects = DeriveFromApplication(Load(yaml));
  EXPECT_TRUE(objects) << objects.error().message();
  return objects ? *objects : std::vector<ManifestDocument>{};
}

std::string DeriveError(const std::string& yaml) {
  Result<std::vector<ManifestDocument>> objects = DeriveFromApplication(Load(yaml));
  EXPECT_FALSE(objects);
  return objects ? "" : objects.error().message();
}

// Replaces the first occurrence of `from` in kApplication.
std::string AppWith(std::string_view from, std::string_view to) {
  std::string text = kApplication;
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(KubeVelaTest, RecognisesOnlyV1beta1Applications) {
  EXPECT_TRUE(IsKubeVelaApplication(Load(kApplication)));
  ManifestDocument other = Load(kApplication);
  other.api_version = "core.oam.dev/v1alpha2";
  EXPECT_FALSE(IsKubeVelaApplication(other));
  EXPECT_FALSE(DeriveFromApplication(other));
}

TEST(KubeVelaTest, RendersTheAddonsObjectsInComponentOrder) {
  std::vector<ManifestDocument> objects = Derive(kApplication);
  ASSERT_EQ(objects.size(), 8u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"source.toolkit.fluxcd.io/v1", "GitRepository"},
      {"image.toolkit.fluxcd.io/v1beta2", "ImageRepository"},
      {"image.toolkit.fluxcd.io/v1beta2", "ImagePolicy"},
      {"image.toolkit.fluxcd.io/v1beta1", "ImageUpdateAutomation"},
  };
  for (std::size_t i = 0; i < objects.size(); ++i) {
    EXPECT_EQ(objects[i].api_version, expected[i % 4].first) << i;
    EXPECT_EQ(objects[i].kind, expected[i % 4].second) << i;
    EXPECT_EQ(objects[i].ns, "apps") << i;
    EXPECT_EQ(objects[i].name, i < 4 ? "web" : "api") << i;
    EXPECT_EQ(objects[i].file, "apps/web.yaml") << i;
    EXPECT_THAT(objects[i].text, HasSubstr("app.oam.dev/name: web-delivery")) << i;
  }
}

TEST(KubeVelaTest, GitRepositoryCarriesUrlBranchSecretIntervalAndTimeout) {
  Result<automation::api::GitRepository> repo =
      automation::api::DecodeGitRepository(Derive(kApplication).at(0).text);
  ASSERT_TRUE(repo) << repo.error().message();
  EXPECT_EQ(repo->metadata.name, "web");
  EXPECT_EQ(repo->metadata.ns, "apps");
  EXPECT_EQ(repo->spec.url, "https://git.example.org/team/deploy.git");
  ASSERT_TRUE(repo->spec.ref.has_value());
  EXPECT_EQ(repo->spec.ref->branch, "release");
  EXPECT_EQ(repo->spec.secret_ref, "deploy-git-rw");
  EXPECT_THAT(Derive(kApplication).at(0).text, HasSubstr("interval: 10m"));
  EXPECT_THAT(Derive(kApplication).at(0).text, HasSubstr("timeout: 60s"));
}

TEST(KubeVelaTest, ImageRepositoryUsesTheImageIntervalAndPullSecret) {
  Result<reflector::api::ImageRepository> repo =
      reflector::api::DecodeImageRepository(Derive(kApplication).at(1).text);
  ASSERT_TRUE(repo) << repo.error().message();
  EXPECT_EQ(repo->metadata.name, "web");
  EXPECT_EQ(repo->metadata.ns, "apps");
  EXPECT_EQ(repo->spec.image, "registry.example.org/team/web");
  EXPECT_EQ(repo->spec.interval, std::chrono::minutes(2));
  EXPECT_EQ(repo->spec.secret_ref, "registry-pull");
}

TEST(KubeVelaTest, ImagePolicyCopiesPolicyAndFilterTags) {
  std::vector<ManifestDocument> objects = Derive(kApplication);
  Result<reflector::api::ImagePolicy> web = reflector::api::DecodeImagePolicy(objects.at(2).text);
  ASSERT_TRUE(web) << web.error().message();
  EXPECT_EQ(web->spec.image_repository_name, "web");
  EXPECT_EQ(web->spec.image_repository_namespace, "");
  ASSERT_TRUE(web->spec.policy.numerical.has_value());
  EXPECT_EQ(web->spec.policy.numerical->order, "asc");
  ASSERT_TRUE(web->spec.filter_tags.has_value());
  EXPECT_EQ(web->spec.filter_tags->pattern, "^main-[a-f0-9]{7}-(?P<ts>[0-9]+)$");
  EXPECT_EQ(web->spec.filter_tags->extract, "$ts");

  Result<reflector::api::ImagePolicy> api = reflector::api::DecodeImagePolicy(objects.at(6).text);
  ASSERT_TRUE(api) << api.error().message();
  ASSERT_TRUE(api->spec.policy.semver.has_value());
  EXPECT_EQ(api->spec.policy.semver->range, ">=1.2.0 <2.0.0");
  EXPECT_FALSE(api->spec.filter_tags.has_value());
}

TEST(KubeVelaTest, AutomationHasKubevelaAuthorMessageBranchesAndPath) {
  const ManifestDocument doc = Derive(kApplication).at(3);
  Result<automation::api::ImageUpdateAutomation> iua =
      automation::api::DecodeImageUpdateAutomation(doc.text);
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_EQ(iua->metadata.name, "web");
  EXPECT_EQ(iua->metadata.ns, "apps");
  EXPECT_EQ(iua->spec.interval, std::chrono::minutes(2));
  EXPECT_EQ(iua->spec.source_ref.kind, "GitRepository");
  EXPECT_EQ(iua->spec.source_ref.name, "web");
  ASSERT_TRUE(iua->spec.git.has_value());
  ASSERT_TRUE(iua->spec.git->checkout.has_value());
  EXPECT_EQ(iua->spec.git->checkout->branch, "release");
  EXPECT_EQ(iua->spec.git->commit.author.name, "kubevelabot");
  EXPECT_EQ(iua->spec.git->commit.author.email, "kubevelabot@users.noreply.github.com");
  EXPECT_EQ(iua->spec.git->commit.message_template,
            "Update image automatically.\n{{range .Updated.Images}}{{println "
            ".}}{{end}}");
  ASSERT_TRUE(iua->spec.git->push.has_value());
  EXPECT_EQ(iua->spec.git->push->branch, "release");
  EXPECT_EQ(iua->spec.update.path, "./envs/prod/web");
  EXPECT_EQ(iua->spec.update.strategy, automation::api::UpdateStrategy::kSetters);
  EXPECT_THAT(doc.text, HasSubstr("strategy: Setters"));
}

TEST(KubeVelaTest, DefaultsIntervalsBranchAndMessage) {
  std::vector<ManifestDocument> objects = Derive(kApplication);
  // The "api" component sets neither pullInterval, interval, git.branch nor commitMessage.
  EXPECT_THAT(objects.at(4).text, HasSubstr("interval: 5m"));
  Result<reflector::api::ImageRepository> repo =
      reflector::api::DecodeImageRepository(objects.at(5).text);
  ASSERT_TRUE(repo) << repo.error().message();
  EXPECT_EQ(repo->spec.interval, std::chrono::minutes(5));
  EXPECT_EQ(repo->spec.secret_ref, "");
  Result<automation::api::ImageUpdateAutomation> iua =
      automation::api::DecodeImageUpdateAutomation(objects.at(7).text);
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_EQ(iua->spec.git->commit.message_template, "Update image automatically.");
  EXPECT_EQ(iua->spec.git->checkout->branch, "main");
  EXPECT_EQ(iua->spec.git->push->branch, "main");
  EXPECT_THAT(objects.at(4).text, Not(HasSubstr("secretRef")));
}

TEST(KubeVelaTest, SourceNameReusesAnExistingGitRepository) {
  std::vector<ManifestDocument> objects =
      Derive(AppWith("        repoType: git\n", "        sourceName: shared-repo\n"));
  ASSERT_EQ(objects.size(), 7u);  // no GitRepository for "web"
  EXPECT_EQ(objects.at(0).kind, "ImageRepository");
  Result<automation::api::ImageUpdateAutomation> iua =
      automation::api::DecodeImageUpdateAutomation(objects.at(2).text);
  ASSERT_TRUE(iua) << iua.error().message();
  EXPECT_EQ(iua->spec.source_ref.name, "shared-repo");
}

TEST(KubeVelaTest, ComponentWithoutImageRepositoryRendersOnlyItsSource) {
  std::vector<ManifestDocument> objects = Derive(R"(apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: shared
spec:
  components:
    - name: shared-repo
      type: kustomize
      properties:
        url: ssh://git@git.example.org/team/deploy.git
        path: ./
)");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].kind, "GitRepository");
  EXPECT_EQ(objects[0].ns,
            "flux-system");  // the default namespace, like the Application's
}

TEST(KubeVelaTest, OtherRepoTypesRenderNoGitRepository) {
  std::vector<ManifestDocument> objects = Derive(AppWith("repoType: git", "repoType: oci"));
  ASSERT_EQ(objects.size(), 7u);
  EXPECT_EQ(objects.at(0).kind, "ImageRepository");
}

TEST(KubeVelaTest, OnlyOtherComponentTypesRenderNothing) {
  std::vector<ManifestDocument> objects = Derive(R"(apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: charts
spec:
  components:
    - name: podinfo
      type: helm
      properties:
        chart: podinfo
)");
  EXPECT_TRUE(objects.empty());
}

struct InvalidCase {
  std::string name;
  std::string from;
  std::string to;
  std::string message;
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

class KubeVelaInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(KubeVelaInvalidTest, NamesApplicationComponentAndField) {
  std::string message = DeriveError(AppWith(GetParam().from, GetParam().to));
  EXPECT_THAT(message, HasSubstr("Application apps/web-delivery, component web: "));
  EXPECT_THAT(message, HasSubstr(GetParam().message));
  // Values are not echoed: URLs may carry credentials.
  EXPECT_THAT(message, Not(HasSubstr("git.example.org")));
}

INSTANTIATE_TEST_SUITE_P(
    Properties, KubeVelaInvalidTest,
    ::testing::Values(
        InvalidCase{"MissingImage", "          image: registry.example.org/team/web\n", "",
                    "properties.imageRepository.image: is required"},
        InvalidCase{"MissingPolicy", "          policy:\n            numerical: {order: asc}\n", "",
                    "properties.imageRepository.policy: is required"},
        InvalidCase{"TwoPolicies", "numerical: {order: asc}",
                    "{numerical: {order: asc}, alphabetical: {}}",
                    "imageRepository.policy: exactly one of semver, "
                    "alphabetical, numerical"},
        InvalidCase{"UnknownPolicy", "numerical: {order: asc}", "calver: {}",
                    "unknown policy \"calver\""},
        InvalidCase{"NumericalWithoutOrder", "numerical: {order: asc}", "numerical: {}",
                    "imageRepository.policy.numerical.order: is required"},
        InvalidCase{"BadOrder", "numerical: {order: asc}", "numerical: {order: up}",
                    "imageRepository.policy.numerical.order: must be one of "
                    "\"asc\", \"desc\""},
        InvalidCase{"MissingPath", "        path: ./envs/prod/web\n", "",
                    "properties.path: is required"},
        InvalidCase{"MissingUrl", "        url: https://git.example.org/team/deploy.git\n", "",
                    "properties.url: is required"},
        InvalidCase{"BadRepoType", "repoType: git", "repoType: svn",
                    "properties.repoType: must be one of"},
        InvalidCase{"ImageRepositoryNotMap",
                    "        imageRepository:\n          image: "
                    "registry.example.org/team/web\n",
                    "        imageRepository: registry.example.org/team/web\n"
                    "        ignored:\n          image: x\n",
                    "properties.imageRepository: must be a mapping"},
        InvalidCase{"FilterTagsPatternNotString", "pattern: '^main-[a-f0-9]{7}-(?P<ts>[0-9]+)$'",
                    "pattern: [a, b]", "imageRepository.filterTags.pattern: must be a string"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });

TEST(KubeVelaTest, ComponentsMustBeAList) {
  std::string message = DeriveError(R"(apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: bad
spec:
  components: {name: web}
)");
  EXPECT_THAT(message, HasSubstr("Application flux-system/bad: spec.components must be a list"));
}

TEST(KubeVelaTest, ComponentWithoutNameIsAnError) {
  std::string message = DeriveError(R"(apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: bad
spec:
  components:
    - type: kustomize
      properties: {url: x, path: y}
)");
  EXPECT_THAT(message, HasSubstr("spec.components[0]: name is required"));
}

}  // namespace
}  // namespace imgauto::cmd::standalone
