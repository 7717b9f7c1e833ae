// Commit message data built from real setters runs: the §7.11 template vectors (100–104), the
// v1beta1 `.Updated` shape (vector 90, decision 3), and the change-set JSON codec.
#include "automation/commit_message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "automation/template/sprig.h"
#include "setters/tree_updater.h"
#include "tests/support/temp_dir.h"

namespace imgauto::automation {
namespace {

using setters::ChangeSet;
using setters::PolicyValue;

constexpr char kDigest[] =
    "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be";

std::string DeployYaml(const std::string& image, const std::string& setter,
                       const std::string& name = "test") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  template:\n    spec:\n      containers:\n      - name: hello\n"
         "        image: " +
         image + " # {\"$imagepolicy\": \"" + setter + "\"}\n";
}

// Runs the real setters engine over `files` and returns its change set.
ChangeSet RunSetters(const std::vector<std::pair<std::string, std::string>>& files,
                     const std::vector<PolicyValue>& policies) {
  testing::TempDir dir("commit-message");
  for (const auto& [path, content] : files) {
    dir.Write(path, content);
  }
  Result<setters::UpdateResult> result = setters::UpdateTree(dir.path(), ".", policies, {});
  EXPECT_TRUE(result.has_value()) << result.error().message();
  return result ? result->changes : ChangeSet();
}

// The IAC controller test's setup: deploy.yaml, Deployment `test`, helloworld:1.0.0 → v1.0.0.
gotemplate::Value ControllerData(const std::string& ns,
                                 const std::map<std::string, std::string>& values = {}) {
  ChangeSet changes = RunSetters({{"deploy.yaml", DeployYaml("helloworld:1.0.0", ns + ":policy")}},
                                 {{ns, "policy", "helloworld", "v1.0.0", ""}});
  return BuildTemplateData({ns, "update-test"}, changes, values);
}

std::string MustRender(std::string_view tmpl, const gotemplate::Value& data) {
  Result<std::string> got = RenderMessage(tmpl, data);
  EXPECT_TRUE(got.has_value()) << got.error().message();
  return got ? *got : std::string();
}

constexpr char kControllerTemplate[] = R"(Commit summary

Automation: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind | lower }} {{ $resource.Name | lower }}
{{ end -}}

Images:
{{ range .Changed.Changes -}}
{{ if .Setter -}}
- {{ .NewValue }} ({{ .Setter }})
{{ end -}}
{{ end -}}
)";

TEST(CommitMessageTest, Vector100ControllerTemplate) {
  EXPECT_EQ(MustRender(kControllerTemplate, ControllerData("ns-100")),
            "Commit summary\n\nAutomation: ns-100/update-test\n\nFiles:\n- deploy.yaml\n"
            "Objects:\n- deployment test\nImages:\n- helloworld:v1.0.0 (ns-100:policy)\n");
}

TEST(CommitMessageTest, Vector101ResultV2Template) {
  constexpr char kTemplate[] = R"(
{{- range $file, $objects := .Changed.FileChanges -}}
- File: {{ $file }}
{{- range $obj, $changes := $objects }}
  - Object: {{ $obj.Kind }}/{{ $obj.Namespace }}/{{ $obj.Name }}
{{- range $_, $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }} ({{ $change.Setter }})
{{- end }}
{{- end }}
{{ end -}}
)";
  EXPECT_EQ(MustRender(kTemplate, ControllerData("ns-101")),
            "- File: deploy.yaml\n  - Object: Deployment//test\n"
            "    - helloworld:1.0.0 -> helloworld:v1.0.0 (ns-101:policy)\n");
}

TEST(CommitMessageTest, Vector102Values) {
  EXPECT_EQ(MustRender("Cluster: {{ index .Values \"cluster\" }}\nTesting: {{ .Values.testing }}",
                       ControllerData("ns", {{"cluster", "prod"}, {"testing", "value"}})),
            "Cluster: prod\nTesting: value");
}

TEST(CommitMessageTest, Vector102MissingValuePrintsNoValue) {
  EXPECT_EQ(MustRender("Testing: {{ .Values.testing }}", ControllerData("ns")),
            "Testing: <no value>");
}

TEST(CommitMessageTest, Vector103UpdatedKeepsWorking) {
  // KubeVela's fluxcd addon template.
  EXPECT_EQ(MustRender("{{range .Updated.Images}}{{println .}}{{end}}", ControllerData("ns")),
            "helloworld:v1.0.0\n");
}

TEST(CommitMessageTest, Vector103UpdatedFilesAndObjects) {
  EXPECT_EQ(MustRender("{{ range $f, $r := .Updated.Files }}{{ $f }}:"
                       "{{ range $o, $i := $r.Objects }} {{ $o.Kind }}/{{ $o.Name }}={{ $i }}"
                       "{{ end }}{{ end }}|{{ range $o, $i := .Updated.Objects }}{{ $o.Name }}"
                       "{{ end }}",
                       ControllerData("ns")),
            "deploy.yaml: Deployment/test=[helloworld:v1.0.0]|test");
}

TEST(CommitMessageTest, Vector103ImageResultIsRemovedTemplateField) {
  Result<std::string> got = RenderMessage("{{ .Changed.ImageResult.Files }}", ControllerData("ns"));
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(got.error().message(), kRemovedImageResultMessage);
  EXPECT_TRUE(IsRemovedTemplateField(got.error()));
}

TEST(CommitMessageTest, OtherExecutionErrorsAreNotRemovedFields) {
  Result<std::string> got = RenderMessage("{{ .Changed.Nope }}", ControllerData("ns"));
  ASSERT_FALSE(got.has_value());
  EXPECT_FALSE(IsRemovedTemplateField(got.error()));
  EXPECT_NE(got.error().message().find("failed to run template from spec: "), std::string::npos);
}

TEST(CommitMessageTest, ParseErrorsKeepTheirMessage) {
  Result<std::string> got = RenderMessage("{{ if }", ControllerData("ns"));
  ASSERT_FALSE(got.has_value());
  EXPECT_FALSE(IsRemovedTemplateField(got.error()));
  EXPECT_EQ(got.error().message().rfind("unable to create commit message template from spec: ", 0),
            0u);
}

TEST(CommitMessageTest, Vector104EmptyTemplateGivesDefaultMessage) {
  EXPECT_EQ(MustRender("", ControllerData("ns")), gotemplate::kDefaultCommitMessage);
}

TEST(CommitMessageTest, AutomationObjectFields) {
  EXPECT_EQ(MustRender("{{ .AutomationObject.Namespace }} {{ .AutomationObject.Name }}",
                       ControllerData("apps")),
            "apps update-test");
}

TEST(CommitMessageTest, ChangedPrintsLikeGoStruct) {
  EXPECT_EQ(MustRender("{{ .Changed }}", ControllerData("ns")),
            "{map[deploy.yaml:map[{{{apps/v1 Deployment} {test }}}:[{helloworld:1.0.0 "
            "helloworld:v1.0.0 ns:policy}]]]}");
}

TEST(CommitMessageTest, ChangesListPrintsLikeGoSlice) {
  EXPECT_EQ(MustRender("{{ .Changed.Changes }}", ControllerData("ns")),
            "[{helloworld:1.0.0 helloworld:v1.0.0 ns:policy}]");
}

// Vector 90: ImageRef accessors, as go-containerregistry computes them.
struct ImageRefCase {
  std::string label;
  std::string reference;
  std::string expected;  // "String|Identifier|Repository|Registry|Name"
};

class ImageRefTest : public ::testing::TestWithParam<ImageRefCase> {};

TEST_P(ImageRefTest, FieldsFollowNameReference) {
  const ImageRefCase& c = GetParam();
  ChangeSet changes;
  changes.Add("deploy.yaml", {"apps/v1", "Deployment", "test", ""},
              {"old:1", c.reference, "ns:policy"});
  gotemplate::Value data = BuildTemplateData({"ns", "auto"}, changes, {});
  EXPECT_EQ(MustRender("{{ range .Updated.Images }}{{ .String }}|{{ .Identifier }}|"
                       "{{ .Repository }}|{{ .Registry }}|{{ .Name }}{{ end }}",
                       data),
            c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Vector90, ImageRefTest,
    ::testing::Values(
        ImageRefCase{"DockerHubTag", "helloworld:v1.0.1",
                     "helloworld:v1.0.1|v1.0.1|library/helloworld|index.docker.io|"
                     "index.docker.io/library/helloworld:v1.0.1"},
        ImageRefCase{"LocalDigest", std::string("localhost:5000/org/helloworld@") + kDigest,
                     std::string("localhost:5000/org/helloworld@") + kDigest + "|" + kDigest +
                         "|org/helloworld|localhost:5000|localhost:5000/org/helloworld@" + kDigest},
        ImageRefCase{"NoTagMeansLatest", "ghcr.io/acme/app",
                     "ghcr.io/acme/app|latest|acme/app|ghcr.io|ghcr.io/acme/app:latest"}),
    [](const ::testing::TestParamInfo<ImageRefCase>& info) { return info.param.label; });

TEST(CommitMessageTest, Vector90ObjectsMergeAcrossFiles) {
  ChangeSet changes =
      RunSetters({{"base/deployment.yaml", DeployYaml("helloworld:1.0.0", "ns:policy")},
                  {"overlays/prod/deployment.yaml", DeployYaml("helloworld:0.9.0", "ns:policy")}},
                 {{"ns", "policy", "helloworld", "v1.0.1", ""}});
  gotemplate::Value data = BuildTemplateData({"ns", "auto"}, changes, {});
  EXPECT_EQ(MustRender("{{ range $o, $c := .Changed.Objects }}{{ $o.Name }}:{{ len $c }} "
                       "{{ end }}{{ range $o, $i := .Updated.Objects }}{{ $o.Name }}:{{ $i }}"
                       "{{ end }} {{ len .Updated.Images }}",
                       data),
            "test:2 test:[helloworld:v1.0.1 helloworld:v1.0.1] 1");
}

TEST(CommitMessageTest, UpdatedRebuildsReferenceFromNameAndTagSetters) {
  ChangeSet changes =
      RunSetters({{"kustomization.yaml",
                   "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n"
                   "- name: app\n  newName: old # {\"$imagepolicy\": \"ns:app:name\"}\n"
                   "  newTag: v1 # {\"$imagepolicy\": \"ns:app:tag\"}\n"}},
                 {{"ns", "app", "ghcr.io/acme/app", "v2.0.0", ""}});
  gotemplate::Value data = BuildTemplateData({"ns", "auto"}, changes, {});
  EXPECT_EQ(MustRender("{{ range .Updated.Images }}{{ . }} {{ .Policy }}{{ end }}", data),
            "ghcr.io/acme/app:v2.0.0 ns/app");
}

TEST(CommitMessageTest, UpdatedUsesGivenPoliciesForTagOnlyChanges) {
  ChangeSet changes;
  changes.Add("values.yaml", {}, {"v1", "v2", "ns:app:tag"});
  const std::vector<PolicyValue> policies = {{"ns", "app", "ghcr.io/acme/app", "v2", ""}};
  EXPECT_EQ(MustRender("{{ .Updated.Images }}", BuildTemplateData({"ns", "a"}, changes, {})), "[]");
  EXPECT_EQ(
      MustRender("{{ .Updated.Images }}", BuildTemplateData({"ns", "a"}, changes, {}, policies)),
      "[ghcr.io/acme/app:v2]");
}

TEST(ChangeSetJsonTest, PrintsDocumentedFormat) {
  ChangeSet changes;
  changes.Add("deploy.yaml", {"apps/v1", "Deployment", "test", ""},
              {"helloworld:1.0.0", "helloworld:1.0.1", "ns:policy"});
  const std::vector<setters::FileIssue> problems = {{"bad.yaml", "malformed"}};
  EXPECT_EQ(ChangeSetToJson(changes, problems),
            R"({
  "files": [
    {
      "file": "deploy.yaml",
      "objects": [
        {
          "apiVersion": "apps/v1",
          "changes": [
            {
              "newValue": "helloworld:1.0.1",
              "oldValue": "helloworld:1.0.0",
              "setter": "ns:policy"
            }
          ],
          "kind": "Deployment",
          "name": "test",
          "namespace": ""
        }
      ]
    }
  ],
  "problems": [
    {
      "file": "bad.yaml",
      "reason": "malformed"
    }
  ]
})");
}

TEST(ChangeSetJsonTest, RoundTripsARealChangeSet) {
  ChangeSet changes =
      RunSetters({{"a/deploy.yaml", DeployYaml("helloworld:1.0.0", "ns:policy", "one")},
                  {"b/deploy.yaml", DeployYaml("helloworld:1.0.0", "ns:policy:tag", "two")},
                  {"c/deploy.yaml", DeployYaml("x", "ns:policy:digest", "three")}},
                 {{"ns", "policy", "helloworld", "v1.0.1", kDigest}});
  ASSERT_EQ(changes.Files().size(), 3u);
  const std::vector<setters::FileIssue> problems = {{"x.yaml", "bad"}};
  Result<ChangeSetDocument> back = ChangeSetFromJson(ChangeSetToJson(changes, problems));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(back->changes, changes);
  EXPECT_EQ(back->problems, problems);
}

struct BadJsonCase {
  std::string label;
  std::string json;
  std::string message;
};

class ChangeSetBadJsonTest : public ::testing::TestWithParam<BadJsonCase> {};

TEST_P(ChangeSetBadJsonTest, IsRejectedWithPath) {
  Result<ChangeSetDocument> got = ChangeSetFromJson(GetParam().json);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(got.error().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ChangeSetBadJsonTest,
    ::testing::Values(
        BadJsonCase{"NotJson", "{files:", "invalid change set: not valid JSON"},
        BadJsonCase{"NotObject", "[]", "invalid change set: document: expected an object"},
        BadJsonCase{"MissingFiles", "{}", "invalid change set: files: missing"},
        BadJsonCase{"FilesNotArray", R"({"files":{}})",
                    "invalid change set: files: expected an array"},
        BadJsonCase{"FileNameMissing", R"({"files":[{"objects":[]}]})",
                    "invalid change set: files[0].file: missing"},
        BadJsonCase{"KindNotString", R"({"files":[{"file":"a","objects":[{"kind":1}]}]})",
                    "invalid change set: files[0].objects[0].kind: expected a string"},
        BadJsonCase{"ChangeNotObject", R"({"files":[{"file":"a","objects":[{"changes":["x"]}]}]})",
                    "invalid change set: files[0].objects[0].changes[0]: expected an object"}),
    [](const ::testing::TestParamInfo<BadJsonCase>& info) { return info.param.label; });

TEST(ChangeSetJsonTest, ToleratesAbsentOptionalFields) {
  Result<ChangeSetDocument> got = ChangeSetFromJson(
      R"({"files":[{"file":"k.yaml","objects":[{"kind":"Kustomization","changes":[)"
      R"({"oldValue":"a","newValue":"b","setter":"ns:p:tag","extra":true}]}]}]})");
  ASSERT_TRUE(got.has_value()) << got.error().message();
  ChangeSet expected;
  expected.Add("k.yaml", {"", "Kustomization", "", ""}, {"a", "b", "ns:p:tag"});
  EXPECT_EQ(got->changes, expected);
  EXPECT_TRUE(got->problems.empty());
}

}  // namespace
}  // namespace imgauto::automation
