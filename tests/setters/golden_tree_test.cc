// Golden trees: tests/testdata/setters/<case>/original is copied to a temp dir, the setters run
// over it, and the result must equal <case>/expected byte for byte, with the exact ChangeSet.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/fs.h"
#include "setters/tree_updater.h"
#include "tests/support/temp_dir.h"

namespace imgauto::setters {
namespace {

namespace fs = std::filesystem;

const std::string kFluxDigest =
    "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be";
const std::string kPinnedDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// §7.9 policies (namespace automation-ns).
std::vector<PolicyValue> ReferencePolicies() {
  return {{"automation-ns", "policy", "index.repo.fake/updated", "v1.0.1", ""},
          {"automation-ns", "unchanged", "image", "v1.0.0", ""},
          {"automation-ns", "policy-with-digest", "image", "v1.0.0", kFluxDigest}};
}

// Policies of every other case; the "other" namespace is filtered out by the run.
std::vector<PolicyValue> CommonPolicies() {
  return {{"flux-system", "web", "nginx", "1.27.1", ""},
          {"flux-system", "app", "ghcr.io/acme/app", "20240101", ""},
          {"flux-system", "pinned", "ghcr.io/acme/pinned", "2.0.0", kPinnedDigest},
          {"other", "web", "evil/nginx", "6.6.6", ""}};
}

struct Entry {
  std::string file;
  ObjectId object;
  Change change;
};

struct GoldenCase {
  std::string name;
  bool reference = false;  // §7.9 policies in automation-ns, else the common ones
  std::vector<Entry> changes;
  std::vector<std::string> problems;
};

ChangeSet ToChangeSet(const std::vector<Entry>& entries) {
  ChangeSet set;
  for (const Entry& e : entries) {
    set.Add(e.file, e.object, e.change);
  }
  return set;
}

std::map<std::string, std::string> ReadTree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      Result<std::string> text = ReadFile(entry.path());
      EXPECT_TRUE(text.has_value());
      out[entry.path().lexically_relative(root).generic_string()] = text ? *text : "";
    }
  }
  return out;
}

class GoldenTreeTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTreeTest, MatchesExpectedTree) {
  const GoldenCase& golden = GetParam();
  const fs::path source = fs::path(IMGAUTO_TESTDATA_DIR) / "setters" / golden.name;
  testing::TempDir dir("setters-golden");
  const fs::path tree = dir.path() / "tree";
  fs::copy(source / "original", tree, fs::copy_options::recursive);

  const std::vector<PolicyValue> policies =
      golden.reference ? ReferencePolicies() : CommonPolicies();
  UpdateOptions options;
  options.namespace_filter = golden.reference ? "automation-ns" : "flux-system";
  Result<UpdateResult> result = UpdateTree(tree, ".", policies, options);
  ASSERT_TRUE(result.has_value()) << result.error().message();

  const std::map<std::string, std::string> actual = ReadTree(tree);
  const std::map<std::string, std::string> expected = ReadTree(source / "expected");
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [file, text] : expected) {
    ASSERT_TRUE(actual.count(file)) << file;
    EXPECT_EQ(actual.at(file), text) << "file " << file << " differs";
  }
  EXPECT_EQ(result->changes, ToChangeSet(golden.changes));
  std::vector<std::string> problems;
  for (const FileIssue& issue : result->problems) {
    problems.push_back(issue.file);
  }
  EXPECT_EQ(problems, golden.problems);
}

TEST_P(GoldenTreeTest, SecondRunChangesNothing) {
  const GoldenCase& golden = GetParam();
  testing::TempDir dir("setters-golden");
  const fs::path tree = dir.path() / "tree";
  fs::copy(fs::path(IMGAUTO_TESTDATA_DIR) / "setters" / golden.name / "expected", tree,
           fs::copy_options::recursive);
  UpdateOptions options;
  options.namespace_filter = golden.reference ? "automation-ns" : "flux-system";
  Result<UpdateResult> result =
      UpdateTree(tree, ".", golden.reference ? ReferencePolicies() : CommonPolicies(), options);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_TRUE(result->changes.empty());
  EXPECT_TRUE(result->rewrites.empty());
}

const ObjectId kNone{};
const std::string kApp = "ghcr.io/acme/app:20240101";
const std::string kPinned = "ghcr.io/acme/pinned:2.0.0@" + kPinnedDigest;

std::vector<GoldenCase> Cases() {
  const ObjectId kustomization{"kustomize.config.k8s.io/v1beta1", "Kustomization", "", ""};
  return {
      // Vectors 85–88.
      {"flux_reference",
       true,
       {{"Kustomization",
         kustomization,
         {"replaced", "index.repo.fake/updated", "automation-ns:policy:name"}},
        {"Kustomization", kustomization, {"v1", "v1.0.1", "automation-ns:policy:tag"}},
        {"kustomization.yml",
         kustomization,
         {"replaced", "index.repo.fake/updated", "automation-ns:policy:name"}},
        {"kustomization.yml", kustomization, {"v1", "v1.0.1", "automation-ns:policy:tag"}},
        {"kustomization.yml",
         kustomization,
         {"sha256:1234567890abcdef", kFluxDigest, "automation-ns:policy-with-digest:digest"}},
        {"kustomization.yml",
         kustomization,
         {"image", "image:v1.0.0@" + kFluxDigest, "automation-ns:policy-with-digest"}},
        {"marked.yaml",
         {"batch/v1beta1", "CronJob", "foo", "bar"},
         {"image:v1.0.0", "index.repo.fake/updated:v1.0.1", "automation-ns:policy"}}},
       {}},
      {"crlf",
       false,
       {{"deploy.yaml",
         {"apps/v1", "Deployment", "web", "prod"},
         {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}}},
       {}},
      {"document_markers",
       false,
       {{"multi.yaml",
         {"v1", "ConfigMap", "settings", ""},
         {"v1.0.0", "1.27.1", "flux-system:web:tag"}},
        {"multi.yaml",
         {"apps/v1", "Deployment", "web", ""},
         {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}}},
       {}},
      {"comments_everywhere",
       false,
       {{"app.yaml",
         {"apps/v1", "Deployment", "app", "apps"},
         {"ghcr.io/acme/app:1.0.0", kApp, "flux-system:app"}},
        {"app.yaml",
         {"apps/v1", "Deployment", "app", "apps"},
         {"ghcr.io/acme/app:1.0.0", "20240101", "flux-system:app:tag"}},
        {"app.yaml",
         {"apps/v1", "Deployment", "app", "apps"},
         {"ghcr.io/acme/app:1.0.0", kApp, "flux-system:app"}}},
       {}},
      {"four_space_indent",
       false,
       {{"release.yaml",
         {"helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", "apps"},
         {"docker.io/library/nginx", "nginx", "flux-system:web:name"}},
        {"release.yaml",
         {"helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", "apps"},
         {"1.25.0", "1.27.1", "flux-system:web:tag"}}},
       {}},
      {"flow_mapping",
       false,
       {{"flow.yaml", kNone, {"docker.io/nginx", "nginx", "flux-system:web:name"}},
        {"flow.yaml", kNone, {"1.25", "1.27.1", "flux-system:web:tag"}},
        {"flow.yaml", kNone, {"ghcr.io/acme/pinned:1.0.0", kPinned, "flux-system:pinned"}}},
       {}},
      {"quoted_values",
       false,
       {{"pod.yaml",
         {"v1", "Pod", "quoted", ""},
         {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}},
        {"pod.yaml",
         {"v1", "Pod", "quoted", ""},
         {"ghcr.io/acme/pinned:1.0.0", kPinned, "flux-system:pinned"}},
        {"pod.yaml", {"v1", "Pod", "quoted", ""}, {"v1", "20240101", "flux-system:app:tag"}},
        {"pod.yaml", {"v1", "Pod", "quoted", ""}, {"v1", "20240101", "flux-system:app:tag"}}},
       {}},
      {"numeric_tag",
       false,
       {{"values.yaml", kNone, {"1.0", "20240101", "flux-system:app:tag"}},
        {"values.yaml", kNone, {"v0.9.0", "20240101", "flux-system:app:tag"}},
        {"values.yaml", kNone, {"sha256:old", "", "flux-system:web:digest"}}},
       {}},
      {"sequence_head_comment",
       false,
       {{"kustomization.yaml", kustomization, {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}},
        {"kustomization.yaml", kustomization, {"1.0", "20240101", "flux-system:app:tag"}},
        {"kustomization.yaml",
         kustomization,
         {"ghcr.io/acme/pinned:1.0.0", kPinned, "flux-system:pinned"}}},
       {}},
      {"anchors",
       false,
       {{"deploy.yaml",
         {"apps/v1", "Deployment", "anchored", ""},
         {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}},
        {"deploy.yaml",
         {"apps/v1", "Deployment", "anchored", ""},
         {"1.0", "20240101", "flux-system:app:tag"}}},
       {}},
      {"docker_compose",
       false,
       {{"docker-compose.yml", kNone, {"nginx:1.25", "nginx:1.27.1", "flux-system:web"}}},
       {}},
      {"helm_values",
       false,
       {{"helmrelease.yaml",
         {"helm.toolkit.fluxcd.io/v2", "HelmRelease", "app", "apps"},
         {"1.0.0", "20240101", "flux-system:app:tag"}},
        {"values.yaml", kNone, {"ghcr.io/acme/old", "ghcr.io/acme/app", "flux-system:app:name"}},
        {"values.yaml", kNone, {"1.0.0", "20240101", "flux-system:app:tag"}}},
       {}},
      {"metadata_empty",
       false,
       {{"kept.yaml",
         {"v1", "ConfigMap", "", ""},
         {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}}},
       {}},
      {"problem_files",
       false,
       {{"good.yaml", kNone, {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}}},
       {"bad_separator.yaml", "duplicate_key.yaml", "malformed.yaml", "not_utf8.yaml",
        "top_level_list.yaml"}},
      {"discovery",
       false,
       {{".hidden/deploy.yaml", kNone, {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}},
        {"Kustomization", kNone, {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}},
        {"sub/dir/app.yml", kNone, {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}},
        {"x.yaml/inner.yaml", kNone, {"nginx:1.25.0", "nginx:1.27.1", "flux-system:web"}}},
       {}},
  };
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTreeTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& info) {
                           std::string name;
                           bool upper = true;
                           for (char c : info.param.name) {
                             if (c == '_') {
                               upper = true;
                               continue;
                             }
                             name.push_back(upper ? static_cast<char>(std::toupper(c)) : c);
                             upper = false;
                           }
                           return name;
                         });

}  // namespace
}  // namespace imgauto::setters
