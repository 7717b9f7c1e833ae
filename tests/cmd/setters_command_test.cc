// In-process tests of `imgauto setters` through RunApp, of its --policy parser, and of the
// unified diff it prints for --dry-run (including a property test that applying the diff to
// the old text gives the new text).
#include "cmd/setters_command.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "automation/commit_message.h"
#include "cmd/app.h"
#include "core/fs.h"
#include "tests/support/temp_dir.h"

namespace imgauto::cmd {
namespace {

using Args = std::vector<std::string>;

constexpr char kDigest[] =
    "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be";

std::string Deploy(const std::string& image, const std::string& setter) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: test\n  namespace: apps\n"
         "spec:\n  template:\n    spec:\n      containers:\n      - name: hello\n"
         "        image: " +
         image + " # {\"$imagepolicy\": \"" + setter + "\"}\n        ports: []\n";
}

struct RunResult {
  int code;
  std::string out;
  std::string err;
};

class SettersCommandTest : public ::testing::Test {
 protected:
  RunResult Run(Args args) {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    int code = RunApp(args, in, out, err);
    return RunResult{code, out.str(), err.str()};
  }

  std::string Read(std::string_view rel) {
    Result<std::string> text = ReadFile(dir_.Path(rel));
    return text ? *text : "<missing>";
  }

  std::string Root() { return dir_.path().string(); }

  testing::TempDir dir_{"setters-cmd"};
};

TEST_F(SettersCommandTest, AppliesPolicyAndPrintsTable) {
  dir_.Write("deploy.yaml", Deploy("helloworld:1.0.0", "flux-system:hello"));
  RunResult r =
      Run({"setters", "--path", Root(), "--policy", "flux-system:hello=helloworld:1.0.1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "FILE         OBJECT                SETTER             OLD               NEW\n"
            "deploy.yaml  Deployment/apps/test  flux-system:hello  helloworld:1.0.0  "
            "helloworld:1.0.1\n"
            "1 change(s) in 1 file(s)\n");
  EXPECT_EQ(Read("deploy.yaml"), Deploy("helloworld:1.0.1", "flux-system:hello"));
}

TEST_F(SettersCommandTest, JsonPrintsTheChangeSet) {
  dir_.Write("a/deploy.yaml", Deploy("helloworld:1.0.0", "flux-system:hello:tag"));
  RunResult r = Run({"setters", "--path", Root(), "--json", "--policy",
                     std::string("flux-system:hello=helloworld:1.0.1@") + kDigest});
  ASSERT_EQ(r.code, 0) << r.err;
  Result<automation::ChangeSetDocument> doc = automation::ChangeSetFromJson(r.out);
  ASSERT_TRUE(doc.has_value()) << doc.error().message() << "\n" << r.out;
  setters::ChangeSet expected;
  expected.Add("a/deploy.yaml", {"apps/v1", "Deployment", "test", "apps"},
               {"helloworld:1.0.0", "1.0.1", "flux-system:hello:tag"});
  EXPECT_EQ(doc->changes, expected);
  EXPECT_EQ(r.out.back(), '\n');
}

TEST_F(SettersCommandTest, DryRunPrintsDiffAndWritesNothing) {
  const std::string original = Deploy("helloworld:1.0.0", "flux-system:hello");
  dir_.Write("deploy.yaml", original);
  RunResult r = Run(
      {"setters", "--path", Root(), "--dry-run", "--policy", "flux-system:hello=helloworld:2.0.0"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "--- a/deploy.yaml\n+++ b/deploy.yaml\n@@ -8,5 +8,5 @@\n"
            "     spec:\n       containers:\n       - name: hello\n"
            "-        image: helloworld:1.0.0 # {\"$imagepolicy\": \"flux-system:hello\"}\n"
            "+        image: helloworld:2.0.0 # {\"$imagepolicy\": \"flux-system:hello\"}\n"
            "         ports: []\n");
  EXPECT_EQ(Read("deploy.yaml"), original);
}

TEST_F(SettersCommandTest, OnlyPoliciesOfTheNamespaceResolve) {
  const std::string original = Deploy("helloworld:1.0.0", "other:hello");
  dir_.Write("deploy.yaml", original);
  RunResult r = Run({"setters", "--path", Root(), "--policy", "other:hello=helloworld:1.0.1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "no changes\n");
  EXPECT_EQ(Read("deploy.yaml"), original);

  r = Run({"setters", "--path", Root(), "--namespace", "other", "--policy",
           "other:hello=helloworld:1.0.1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Read("deploy.yaml"), Deploy("helloworld:1.0.1", "other:hello"));
}

TEST_F(SettersCommandTest, NothingToDoExitsZero) {
  dir_.Write("deploy.yaml", Deploy("helloworld:1.0.0", "flux-system:hello"));
  RunResult r =
      Run({"setters", "--path", Root(), "--policy", "flux-system:hello=helloworld:1.0.0"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "no changes\n");
}

TEST_F(SettersCommandTest, MissingPathExitsOne) {
  RunResult r = Run({"setters", "--path", dir_.Path("absent").string(), "--policy",
                     "flux-system:hello=helloworld:1.0.0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("absent"), std::string::npos) << r.err;
}

TEST_F(SettersCommandTest, MissingPathFlagExitsTwo) {
  RunResult r = Run({"setters", "--policy", "flux-system:hello=helloworld:1.0.0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "flag --path is required\n");
}

TEST_F(SettersCommandTest, ProblemFilesAreWarnedOnStderr) {
  dir_.Write("bad.yaml", "a: [\n# {\"$imagepolicy\": \"flux-system:hello\"}\n");
  dir_.Write("deploy.yaml", Deploy("helloworld:1.0.0", "flux-system:hello"));
  RunResult r = Run(
      {"setters", "--path", Root(), "--json", "--policy", "flux-system:hello=helloworld:1.0.1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.rfind("warning: skipped bad.yaml: ", 0), 0u) << r.err;
  Result<automation::ChangeSetDocument> doc = automation::ChangeSetFromJson(r.out);
  ASSERT_TRUE(doc.has_value());
  ASSERT_EQ(doc->problems.size(), 1u);
  EXPECT_EQ(doc->problems[0].file, "bad.yaml");
  EXPECT_EQ(doc->changes.Files(), std::vector<std::string>{"deploy.yaml"});
}

class InvalidPolicyFlagTest
    : public SettersCommandTest,
      public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(InvalidPolicyFlagTest, ExitsTwoBeforeTouchingFiles) {
  const std::string original = Deploy("helloworld:1.0.0", "flux-system:hello");
  dir_.Write("deploy.yaml", original);
  RunResult r = Run({"setters", "--path", Root(), "--policy", "flux-system:hello=helloworld:2.0.0",
                     "--policy", GetParam().second});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("invalid --policy \"" + std::string(GetParam().second) + "\": ", 0), 0u)
      << r.err;
  EXPECT_EQ(Read("deploy.yaml"), original);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, InvalidPolicyFlagTest,
    ::testing::Values(std::pair{"NoEquals", "flux-system:hello"},
                      std::pair{"NoNamespace", "hello=helloworld:1"},
                      std::pair{"EmptyName", "flux-system:=helloworld:1"},
                      std::pair{"EmptyReference", "flux-system:x="},
                      std::pair{"UpperCaseImage", "flux-system:x=HelloWorld:1"},
                      std::pair{"BadTag", "flux-system:x=helloworld:-bad"},
                      std::pair{"BadDigest", "flux-system:x=helloworld@sha256:123"}),
    [](const auto& info) { return std::string(info.param.first); });

struct PolicyCase {
  std::string label;
  std::string flag;
  setters::PolicyValue expected;
};

class ParsePolicyFlagTest : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(ParsePolicyFlagTest, SplitsNameTagAndDigest) {
  Result<setters::PolicyValue> got = ParsePolicyFlag(GetParam().flag);
  ASSERT_TRUE(got.has_value()) << got.error().message();
  const setters::PolicyValue& want = GetParam().expected;
  EXPECT_EQ(got->ns, want.ns);
  EXPECT_EQ(got->name, want.name);
  EXPECT_EQ(got->image, want.image);
  EXPECT_EQ(got->tag, want.tag);
  EXPECT_EQ(got->digest, want.digest);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParsePolicyFlagTest,
    ::testing::Values(PolicyCase{"Tag",
                                 "ns:app=ghcr.io/acme/app:1.2.3",
                                 {"ns", "app", "ghcr.io/acme/app", "1.2.3", ""}},
                      PolicyCase{"RegistryPortNoTag",
                                 "ns:app=localhost:5000/org/app",
                                 {"ns", "app", "localhost:5000/org/app", "", ""}},
                      PolicyCase{"RegistryPortAndTag",
                                 "ns:app=localhost:5000/org/app:v1",
                                 {"ns", "app", "localhost:5000/org/app", "v1", ""}},
                      PolicyCase{"Digest",
                                 std::string("ns:app=nginx@") + kDigest,
                                 {"ns", "app", "nginx", "", kDigest}},
                      PolicyCase{"TagAndDigest",
                                 std::string("ns:app=nginx:1.27@") + kDigest,
                                 {"ns", "app", "nginx", "1.27", kDigest}}),
    [](const ::testing::TestParamInfo<PolicyCase>& info) { return info.param.label; });

// ---- UnifiedDiff ----

std::string NumberedLines(int count) {
  std::string text;
  for (int i = 1; i <= count; ++i) {
    text += "line " + std::to_string(i) + "\n";
  }
  return text;
}

TEST(UnifiedDiffTest, EqualTextsGiveNothing) {
  EXPECT_EQ(UnifiedDiff("f", "a\nb\n", "a\nb\n"), "");
}

TEST(UnifiedDiffTest, DistantChangesGiveSeparateHunks) {
  std::string old_text = NumberedLines(20);
  std::string new_text = old_text;
  new_text.replace(new_text.find("line 2\n"), 7, "LINE 2\n");
  new_text.replace(new_text.find("line 18\n"), 8, "LINE 18\n");
  EXPECT_EQ(UnifiedDiff("x.yaml", old_text, new_text),
            "--- a/x.yaml\n+++ b/x.yaml\n"
            "@@ -1,5 +1,5 @@\n line 1\n-line 2\n+LINE 2\n line 3\n line 4\n line 5\n"
            "@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n+LINE 18\n line 19\n"
            " line 20\n");
}

TEST(UnifiedDiffTest, SingleLineCountsAreOmitted) {
  EXPECT_EQ(UnifiedDiff("f", "a\n", "b\n"), "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n");
}

TEST(UnifiedDiffTest, EmptyOldFileStartsAtZero) {
  EXPECT_EQ(UnifiedDiff("f", "", "a\nb\n"), "--- a/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+a\n+b\n");
}

TEST(UnifiedDiffTest, MarksMissingFinalNewline) {
  EXPECT_EQ(UnifiedDiff("f", "a\nb", "a\nc"),
            "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
            "\\ No newline at end of file\n");
}

// Applies a unified diff produced by UnifiedDiff to `old_text` (test-only, no fuzz).
std::string ApplyDiff(const std::string& old_text, const std::string& diff) {
  std::vector<std::string> old_lines;
  std::istringstream old_in(old_text);
  for (std::string line; std::getline(old_in, line);) {
    old_lines.push_back(line);
  }
  std::vector<std::string> out;
  std::size_t next = 0;  // next unconsumed old line
  std::istringstream in(diff);
  std::string line;
  std::getline(in, line);  // ---
  std::getline(in, line);  // +++
  while (std::getline(in, line)) {
    if (line.rfind("@@ -", 0) == 0) {
      std::size_t start = std::stoul(line.substr(4));
      const std::size_t comma = line.find(',');
      const bool empty = comma < line.find(' ', 4) && line.substr(comma, 3) == ",0 ";
      std::size_t first = empty ? start : start - 1;
      while (next < first) {
        out.push_back(old_lines[next++]);
      }
    } else if (line[0] == ' ' || line[0] == '-') {
      EXPECT_EQ(old_lines[next], line.substr(1));
      if (line[0] == ' ') {
        out.push_back(old_lines[next]);
      }
      ++next;
    } else if (line[0] == '+') {
      out.push_back(line.substr(1));
    }
  }
  while (next < old_lines.size()) {
    out.push_back(old_lines[next++]);
  }
  std::string text;
  for (const std::string& l : out) {
    text += l + "\n";
  }
  return text;
}

TEST(UnifiedDiffTest, PropertyApplyingTheDiffGivesTheNewText) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> lines;
    const int count = static_cast<int>(rng() % 40);
    for (int i = 0; i < count; ++i) {
      lines.push_back("l" + std::to_string(rng() % 6));  // repeats make alignment ambiguous
    }
    std::vector<std::string> edited = lines;
    const int edits = static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = edited.empty() ? 0 : rng() % (edited.size() + 1);
      switch (rng() % 3) {
        case 0:
          edited.insert(edited.begin() + static_cast<long>(pos), "new" + std::to_string(e));
          break;
        case 1:
          if (pos < edited.size()) {
            edited.erase(edited.begin() + static_cast<long>(pos));
          }
          break;
        default:
          if (pos < edited.size()) {
            edited[pos] = "changed" + std::to_string(e);
          }
      }
    }
    std::string old_text;
    std::string new_text;
    for (const std::string& l : lines) {
      old_text += l + "\n";
    }
    for (const std::string& l : edited) {
      new_text += l + "\n";
    }
    const std::string diff = UnifiedDiff("f", old_text, new_text);
    EXPECT_EQ(ApplyDiff(old_text, diff), new_text) << "round " << round << "\n" << diff;
  }
}

}  // namespace
}  // namespace imgauto::cmd
