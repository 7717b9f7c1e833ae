#include "cmd/standalone/manifest_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cmd/standalone/state_store.h"
#include "tests/support/temp_dir.h"

namespace imgauto::cmd::standalone {
namespace {

constexpr char kRepo[] = R"(apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
spec:
  image: ghcr.io/acme/app
  interval: 5m
)";

constexpr char kPolicy[] = R"(---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: app
  namespace: apps
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: 1.x
---
# an empty document is fine
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  username: u
)";

TEST(ManifestDirTest, LoadsMultiDocumentFilesSortedWithDefaultNamespace) {
  testing::TempDir dir("manifests");
  dir.Write("b/policy.yml", kPolicy);
  dir.Write("a-repo.yaml", kRepo);
  dir.Write("notes.txt", "not a manifest");
  Result<ManifestSnapshot> snap = LoadManifestDir(dir.path(), "flux-system");
  ASSERT_TRUE(snap) << snap.error().message();
  EXPECT_TRUE(snap->issues.empty());
  ASSERT_EQ(snap->documents.size(), 3u);
  EXPECT_EQ(snap->documents[0].kind, "ImageRepository");
  EXPECT_EQ(snap->documents[0].ns, "flux-system");
  EXPECT_EQ(snap->documents[0].file, "a-repo.yaml");
  EXPECT_NE(snap->documents[0].text.find("namespace: flux-system"), std::string::npos);
  EXPECT_EQ(snap->documents[1].kind, "ImagePolicy");
  EXPECT_EQ(snap->documents[1].ns, "apps");
  EXPECT_EQ(snap->documents[1].api_version, "image.toolkit.fluxcd.io/v1beta2");
  EXPECT_EQ(snap->documents[2].kind, "Secret");
  EXPECT_EQ(snap->documents[2].file, "b/policy.yml");
}

TEST(ManifestDirTest, BadFilesAreIssuesAndOthersStillLoad) {
  testing::TempDir dir("manifests");
  dir.Write("good.yaml", kRepo);
  dir.Write("broken.yaml", "kind: [unclosed\n");
  dir.Write("list.yaml", "- a\n- b\n");
  dir.Write("noname.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {}\n");
  Result<ManifestSnapshot> snap = LoadManifestDir(dir.path(), "flux-system");
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->documents.size(), 1u);
  ASSERT_EQ(snap->issues.size(), 3u);
  EXPECT_EQ(snap->issues[0].file, "broken.yaml");
  EXPECT_NE(snap->issues[0].reason.find("invalid yaml at line"), std::string::npos);
  EXPECT_NE(snap->issues[1].reason.find("mapping"), std::string::npos);
  EXPECT_NE(snap->issues[2].reason.find("metadata.name"), std::string::npos);
}

TEST(ManifestDirTest, DuplicateObjectIsIssue) {
  testing::TempDir dir("manifests");
  dir.Write("one.yaml", kRepo);
  dir.Write("two.yaml", kRepo);
  Result<ManifestSnapshot> snap = LoadManifestDir(dir.path(), "flux-system");
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->documents.size(), 1u);
  ASSERT_EQ(snap->issues.size(), 1u);
  EXPECT_EQ(snap->issues[0].file, "two.yaml (document 1)");
}

TEST(ManifestDirTest, MissingDirectoryIsNotFound) {
  Result<ManifestSnapshot> snap = LoadManifestDir("/nonexistent/imgauto", "flux-system");
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().kind(), ErrorKind::kNotFound);
}

TEST(ManifestDirTest, FingerprintChangesWithContent) {
  testing::TempDir dir("manifests");
  dir.Write("a.yaml", kRepo);
  std::string before = ManifestDirFingerprint(dir.path());
  EXPECT_EQ(before, ManifestDirFingerprint(dir.path()));
  dir.Write("a.yaml", std::string(kRepo) + "# more\n");
  EXPECT_NE(before, ManifestDirFingerprint(dir.path()));
}

TEST(StateStoreTest, GenerationFollowsSpecChangesAndStatusSurvives) {
  testing::TempDir dir("state");
  testing::TempDir manifests("manifests");
  manifests.Write("repo.yaml", kRepo);
  ManifestDocument doc = LoadManifestDir(manifests.path(), "flux-system")->documents.at(0);
  StateStore store(dir.path());

  Result<std::string> first = store.Restore(doc);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_NE(first->find("generation: 1"), std::string::npos);
  EXPECT_EQ(first->find("status:"), std::string::npos) << *first;

  ASSERT_TRUE(store.Save(doc, R"({"canonicalImageName":"ghcr.io/acme/app","observedGeneration":1,
                                  "lastScanResult":{"tagCount":3,"latestTags":["1.0","true"]}})"));
  Result<std::string> again = store.Restore(doc);
  ASSERT_TRUE(again);
  EXPECT_NE(again->find("generation: 1"), std::string::npos);
  EXPECT_NE(again->find("canonicalImageName: ghcr.io/acme/app"), std::string::npos);
  EXPECT_NE(again->find("- true"), std::string::npos);

  // Reformatting the manifest is not a spec change; editing the spec is.
  manifests.Write("repo.yaml", std::string(kRepo) + "# comment\n");
  doc = LoadManifestDir(manifests.path(), "flux-system")->documents.at(0);
  EXPECT_NE(store.Restore(doc)->find("generation: 1"), std::string::npos);
  std::string edited = kRepo;
  edited.replace(edited.find("5m"), 2, "10m");
  manifests.Write("repo.yaml", edited);
  doc = LoadManifestDir(manifests.path(), "flux-system")->documents.at(0);
  Result<std::string> bumped = store.Restore(doc);
  EXPECT_NE(bumped->find("generation: 2"), std::string::npos);
  EXPECT_NE(bumped->find("canonicalImageName"), std::string::npos);
}

TEST(StateStoreTest, CorruptStatusFileStartsFresh) {
  testing::TempDir dir("state");
  testing::TempDir manifests("manifests");
  manifests.Write("repo.yaml", kRepo);
  ManifestDocument doc = LoadManifestDir(manifests.path(), "flux-system")->documents.at(0);
  StateStore store(dir.path());
  std::filesystem::path path = store.StatusPath("ImageRepository", "flux-system", "app");
  EXPECT_EQ(path, dir.path() / "status/imagerepository/flux-system/app.yaml");
  std::filesystem::create_directories(path.parent_path());
  dir.Write("status/imagerepository/flux-system/app.yaml", "status: [broken\n");
  Result<std::string> restored = store.Restore(doc);
  ASSERT_TRUE(restored) << restored.error().message();
  EXPECT_NE(restored->find("generation: 1"), std::string::npos);
}

TEST(JsonToYamlTest, QuotesWhatYamlWouldMisread) {
  Result<std::string> yaml = JsonToYaml(
      R"({"a":"yes","b":"1.0","c":"plain","d":["x"],"e":[],"f":true,"g":3,"h":"- dash"})");
  ASSERT_TRUE(yaml);
  EXPECT_EQ(*yaml,
            "a: \"yes\"\nb: \"1.0\"\nc: plain\nd:\n  - x\ne: []\nf: true\ng: 3\nh: \"- dash\"\n");
  EXPECT_FALSE(JsonToYaml("{"));
}

}  // namespace
}  // namespace imgauto::cmd::standalone
