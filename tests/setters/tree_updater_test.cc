#include "setters/tree_updater.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/fs.h"
#include "tests/support/temp_dir.h"

namespace imgauto::setters {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDeploy =
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: test\n"
    "spec:\n"
    "  template:\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: hello\n"
    "        image: helloworld:1.0.0 # {\"$imagepolicy\": \"test-ns:policy\"}\n";

std::vector<PolicyValue> Policies() {
  return {{"test-ns", "policy", "helloworld", "1.0.1", ""},
          {"test-ns", "foo", "foo", "1.1.1", ""},
          {"test-ns", "bar", "bar", "2.2.2", ""}};
}

std::string Read(const fs::path& path) {
  Result<std::string> text = ReadFile(path);
  EXPECT_TRUE(text.has_value());
  return text ? *text : "";
}

std::string Updated() {
  std::string text(kDeploy);
  text.replace(text.find("helloworld:1.0.0"), 16, "helloworld:1.0.1");
  return text;
}

ino_t Inode(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0);
  return st.st_ino;
}

TEST(BuildSetterValuesTest, MapsFourSettersPerPolicy) {
  const std::vector<PolicyValue> policies = {{"ns", "p", "reg/app", "v1", "sha256:abc"}};
  const SetterValues setters = BuildSetterValues(policies, std::nullopt);
  EXPECT_EQ(setters, (SetterValues{{"ns:p", "reg/app:v1@sha256:abc"},
                                   {"ns:p:tag", "v1"},
                                   {"ns:p:name", "reg/app"},
                                   {"ns:p:digest", "sha256:abc"}}));
}

TEST(BuildSetterValuesTest, DigestSetterIsEmptyWithoutDigest) {
  const std::vector<PolicyValue> policies = {{"ns", "p", "reg/app", "v1", ""}};
  const SetterValues setters = BuildSetterValues(policies, std::nullopt);
  EXPECT_EQ(setters.at("ns:p"), "reg/app:v1");
  EXPECT_EQ(setters.at("ns:p:digest"), "");
}

TEST(BuildSetterValuesTest, FiltersByNamespace) {
  const std::vector<PolicyValue> policies = {{"a", "p", "x", "1", ""}, {"b", "p", "y", "2", ""}};
  const SetterValues setters = BuildSetterValues(policies, std::string("a"));
  EXPECT_TRUE(setters.count("a:p"));
  EXPECT_FALSE(setters.count("b:p"));
}

TEST(UpdateTextTest, ReplacesMarkedScalarAndRecordsChange) {
  const Result<TextUpdate> update =
      UpdateText(kDeploy, BuildSetterValues(Policies(), std::nullopt));
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->text, Updated());
  ASSERT_EQ(update->changes.size(), 1u);
  EXPECT_EQ(update->changes[0].first, (ObjectId{"apps/v1", "Deployment", "test", ""}));
  EXPECT_EQ(update->changes[0].second,
            (Change{"helloworld:1.0.0", "helloworld:1.0.1", "test-ns:policy"}));
}

TEST(UpdateTextTest, IgnoresUnknownPolicy) {
  const std::string text = "image: a:1 # {\"$imagepolicy\": \"test-ns:missing\"}\n";
  const Result<TextUpdate> update = UpdateText(text, BuildSetterValues(Policies(), std::nullopt));
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->text, text);
  EXPECT_TRUE(update->changes.empty());
}

TEST(UpdateTextTest, LeavesEqualPlainNumberUntouched) {
  const std::string text = "tag: 20240101 # {\"$imagepolicy\": \"ns:p:tag\"}\n";
  const std::vector<PolicyValue> policies = {{"ns", "p", "app", "20240101", ""}};
  const Result<TextUpdate> update = UpdateText(text, BuildSetterValues(policies, std::nullopt));
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(update->text, text);
  EXPECT_TRUE(update->changes.empty());
}

TEST(UpdateTextTest, WarnsAndSkipsMarkedBlockScalar) {
  const std::string marked = "image: |\n  old\n";
  const Result<TextUpdate> update =
      UpdateText("# {\"$imagepolicy\": \"test-ns:policy\"}\n" + marked,
                 BuildSetterValues(Policies(), std::nullopt));
  ASSERT_TRUE(update.has_value());
  EXPECT_TRUE(update->changes.empty());
  EXPECT_EQ(update->warnings.size(), 1u);
}

TEST(UpdateTextTest, ProblemTextIsAnError) {
  const Result<TextUpdate> update =
      UpdateText("- image: a # {\"$imagepolicy\": \"test-ns:policy\"}\n", {});
  ASSERT_FALSE(update.has_value());
  EXPECT_EQ(update.error().kind(), ErrorKind::kInvalidSpec);
}

// Vector 89: the target policy is applied, other policies exist.
TEST(UpdateTreeTest, UpdatesMarkedFile) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", kDeploy);
  Result<UpdateResult> result = UpdateTree(dir.path(), "", Policies(), {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(Read(dir.Path("deploy.yaml")), Updated());
  EXPECT_EQ(result->changes.Files(), (std::vector<std::string>{"deploy.yaml"}));
  EXPECT_EQ(result->parsed_files, 1u);
}

// Vector 89: update.path ./yes touches yes/ only, and paths are relative to it.
TEST(UpdateTreeTest, UpdatePathLimitsWalkAndRelativizesPaths) {
  testing::TempDir dir("setters-tree");
  dir.Write("yes/deploy.yaml", kDeploy);
  dir.Write("no/deploy.yaml", kDeploy);
  Result<UpdateResult> result = UpdateTree(dir.path(), "./yes", Policies(), {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(Read(dir.Path("yes/deploy.yaml")), Updated());
  EXPECT_EQ(Read(dir.Path("no/deploy.yaml")), kDeploy);
  EXPECT_EQ(result->changes.Files(), (std::vector<std::string>{"deploy.yaml"}));
}

TEST(UpdateTreeTest, DotDotClampsAtCheckoutRoot) {
  testing::TempDir dir("setters-tree");
  dir.Write("checkout/app/deploy.yaml", kDeploy);
  dir.Write("app/deploy.yaml", kDeploy);  // outside the checkout
  Result<UpdateResult> result = UpdateTree(dir.Path("checkout"), "../../app", Policies(), {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(Read(dir.Path("checkout/app/deploy.yaml")), Updated());
  EXPECT_EQ(Read(dir.Path("app/deploy.yaml")), kDeploy);
}

TEST(UpdateTreeTest, MissingPathIsNotFound) {
  testing::TempDir dir("setters-tree");
  Result<UpdateResult> result = UpdateTree(dir.path(), "nope", Policies(), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ErrorKind::kNotFound);
}

TEST(UpdateTreeTest, SymlinkEscapingCheckoutIsRejected) {
  testing::TempDir dir("setters-tree");
  dir.Write("outside/deploy.yaml", kDeploy);
  fs::create_directories(dir.Path("checkout"));
  fs::create_directory_symlink(dir.Path("outside"), dir.Path("checkout/link"));
  Result<UpdateResult> result = UpdateTree(dir.Path("checkout"), "link", Policies(), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(Read(dir.Path("outside/deploy.yaml")), kDeploy);
}

TEST(UpdateTreeTest, SymlinkedDirectoryIsNotFollowed) {
  testing::TempDir dir("setters-tree");
  dir.Write("checkout/real/deploy.yaml", kDeploy);
  fs::create_directory_symlink("real", dir.Path("checkout/alias"));
  Result<UpdateResult> result = UpdateTree(dir.Path("checkout"), "", Policies(), {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->changes.Files(), (std::vector<std::string>{"real/deploy.yaml"}));
}

TEST(UpdateTreeTest, SymlinkedFileIsReadAndWrittenThrough) {
  testing::TempDir dir("setters-tree");
  dir.Write("checkout/real.txt", kDeploy);
  fs::create_symlink("real.txt", dir.Path("checkout/deploy.yaml"));
  Result<UpdateResult> result = UpdateTree(dir.Path("checkout"), "", Policies(), {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->changes.Files(), (std::vector<std::string>{"deploy.yaml"}));
  EXPECT_TRUE(fs::is_symlink(dir.Path("checkout/deploy.yaml")));
  EXPECT_EQ(Read(dir.Path("checkout/real.txt")), Updated());
}

TEST(UpdateTreeTest, SymlinkedFileOutsideCheckoutIsAProblem) {
  testing::TempDir dir("setters-tree");
  dir.Write("outside.yaml", kDeploy);
  fs::create_directories(dir.Path("checkout"));
  fs::create_symlink(dir.Path("outside.yaml"), dir.Path("checkout/deploy.yaml"));
  Result<UpdateResult> result = UpdateTree(dir.Path("checkout"), "", Policies(), {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_TRUE(result->changes.empty());
  ASSERT_EQ(result->problems.size(), 1u);
  EXPECT_EQ(result->problems[0].file, "deploy.yaml");
  EXPECT_EQ(Read(dir.Path("outside.yaml")), kDeploy);
}

TEST(UpdateTreeTest, DanglingSymlinkIsSkipped) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", kDeploy);
  fs::create_symlink("missing.yaml", dir.Path("dangling.yaml"));
  Result<UpdateResult> result = UpdateTree(dir.path(), "", Policies(), {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_TRUE(result->problems.empty());
  EXPECT_EQ(result->changes.Files(), (std::vector<std::string>{"deploy.yaml"}));
}

TEST(UpdateTreeTest, InvalidReferenceAbortsBeforeWriting) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", kDeploy);
  std::vector<PolicyValue> policies = Policies();
  policies.push_back({"test-ns", "bad", "helloworld", "bad tag!", ""});
  Result<UpdateResult> result = UpdateTree(dir.path(), "", policies, {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(
      result.error().message().rfind("encountered invalid image ref \"helloworld:bad tag!\"", 0),
      0u);
  EXPECT_EQ(Read(dir.Path("deploy.yaml")), kDeploy);
}

TEST(UpdateTreeTest, ValidatorCallbackCanRejectReference) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", kDeploy);
  UpdateOptions options;
  options.validate_reference = [](std::string_view ref) -> Result<void> {
    if (ref == "foo:1.1.1") {
      return Error(ErrorKind::kInvalidSpec, "rejected");
    }
    return {};
  };
  Result<UpdateResult> result = UpdateTree(dir.path(), "", Policies(), options);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message(), "encountered invalid image ref \"foo:1.1.1\": rejected");
  EXPECT_EQ(Read(dir.Path("deploy.yaml")), kDeploy);
}

TEST(UpdateTreeTest, InvalidPolicyOfOtherNamespaceIsNotLoaded) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", kDeploy);
  std::vector<PolicyValue> policies = Policies();
  policies.push_back({"elsewhere", "bad", "", "", ""});
  UpdateOptions options;
  options.namespace_filter = "test-ns";
  EXPECT_TRUE(UpdateTree(dir.path(), "", policies, options).has_value());
}

TEST(UpdateTreeTest, NamespaceFilterHidesOtherPolicies) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", kDeploy);
  UpdateOptions options;
  options.namespace_filter = "flux-system";
  Result<UpdateResult> result = UpdateTree(dir.path(), "", Policies(), options);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->changes.empty());
  EXPECT_EQ(Read(dir.Path("deploy.yaml")), kDeploy);
}

TEST(UpdateTreeTest, DryRunWritesNothingAndReturnsContents) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", kDeploy);
  UpdateOptions options;
  options.dry_run = true;
  Result<UpdateResult> result = UpdateTree(dir.path(), "", Policies(), options);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(Read(dir.Path("deploy.yaml")), kDeploy);
  ASSERT_EQ(result->rewrites.size(), 1u);
  EXPECT_EQ(result->rewrites[0].file, "deploy.yaml");
  EXPECT_EQ(result->rewrites[0].old_text, kDeploy);
  EXPECT_EQ(result->rewrites[0].new_text, Updated());
  EXPECT_FALSE(result->changes.empty());
}

TEST(UpdateTreeTest, UnchangedFilesAreNotRewritten) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", Updated());
  const ino_t before = Inode(dir.Path("deploy.yaml"));
  Result<UpdateResult> result = UpdateTree(dir.path(), "", Policies(), {});
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->rewrites.empty());
  EXPECT_EQ(Inode(dir.Path("deploy.yaml")), before);
}

TEST(UpdateTreeTest, KeepsFileMode) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", kDeploy);
  fs::permissions(dir.Path("deploy.yaml"), fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_TRUE(UpdateTree(dir.path(), "", Policies(), {}).has_value());
  EXPECT_EQ(fs::status(dir.Path("deploy.yaml")).permissions() & fs::perms::mask,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST(UpdateTreeTest, UpdatePathMayNameAFile) {
  testing::TempDir dir("setters-tree");
  dir.Write("apps/deploy.yaml", kDeploy);
  Result<UpdateResult> result = UpdateTree(dir.path(), "apps/deploy.yaml", Policies(), {});
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(Read(dir.Path("apps/deploy.yaml")), Updated());
}

TEST(UpdateTreeTest, OversizedFileIsAProblem) {
  testing::TempDir dir("setters-tree");
  dir.Write("deploy.yaml", kDeploy);
  UpdateOptions options;
  options.max_file_bytes = 16;
  Result<UpdateResult> result = UpdateTree(dir.path(), "", Policies(), options);
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->problems.size(), 1u);
  EXPECT_EQ(Read(dir.Path("deploy.yaml")), kDeploy);
}

}  // namespace
}  // namespace imgauto::setters
