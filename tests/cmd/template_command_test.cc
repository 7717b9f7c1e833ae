// In-process tests of `imgauto template` through RunApp: rendering from the JSON that
// `imgauto setters --json` prints (vector 100 end to end), flags, and exit codes.
#include "cmd/template_command.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cmd/app.h"
#include "tests/support/temp_dir.h"

namespace imgauto::cmd {
namespace {

using Args = std::vector<std::string>;

constexpr char kChanges[] = R"({"files":[{"file":"deploy.yaml","objects":[{"apiVersion":"apps/v1",
"kind":"Deployment","name":"test","namespace":"","changes":[{"oldValue":"helloworld:1.0.0",
"newValue":"helloworld:v1.0.0","setter":"ns-1:policy"}]}]}],"problems":[]})";

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

struct RunResult {
  int code;
  std::string out;
  std::string err;
};

class TemplateCommandTest : public ::testing::Test {
 protected:
  RunResult Run(Args args, std::string_view stdin_text = "") {
    std::istringstream in{std::string(stdin_text)};
    std::ostringstream out;
    std::ostringstream err;
    int code = RunApp(args, in, out, err);
    return RunResult{code, out.str(), err.str()};
  }

  // Renders `tmpl` against kChanges plus `extra` flags.
  RunResult Render(std::string_view tmpl, Args extra = {}) {
    Args args = {"template", "--template", dir_.Write("t.tmpl", tmpl).string(), "--changes",
                 dir_.Write("changes.json", kChanges).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  }

  testing::TempDir dir_{"template-cmd"};
};

TEST_F(TemplateCommandTest, Vector100FromSettersJson) {
  RunResult r = Render(kControllerTemplate, {"--automation", "ns-1/update-test"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Commit summary\n\nAutomation: ns-1/update-test\n\nFiles:\n- deploy.yaml\nObjects:\n"
            "- deployment test\nImages:\n- helloworld:v1.0.0 (ns-1:policy)\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(TemplateCommandTest, EndToEndFromSettersCommand) {
  dir_.Write("repo/deploy.yaml",
             "kind: Deployment\nmetadata: {name: web}\nspec:\n  image: nginx:1.0 "
             "# {\"$imagepolicy\": \"flux-system:web\"}\n");
  RunResult set = Run({"setters", "--path", dir_.Path("repo").string(), "--dry-run", "--json",
                       "--policy", "flux-system:web=nginx:1.1"});
  ASSERT_EQ(set.code, 0) << set.err;
  RunResult r = Run({"template", "--template",
                     dir_.Write("t",
                                "{{range .Updated.Images}}"
                                "{{println .}}{{end}}")
                         .string(),
                     "--changes", "-"},
                    set.out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "nginx:1.1\n");
}

TEST_F(TemplateCommandTest, PrintsExactlyWithoutAddingNewline) {
  RunResult r = Render("no newline");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "no newline");
}

TEST_F(TemplateCommandTest, EmptyTemplateGivesDefaultMessage) {
  RunResult r = Render("");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Update from image update automation");
}

TEST_F(TemplateCommandTest, ValuesAndDefaultAutomation) {
  RunResult r = Render(
      "{{ .Values.cluster }} {{ .Values.url }} {{ .Values.missing }} "
      "{{ .AutomationObject }}",
      {"--values", "cluster=dev", "--values", "url=a=b", "--values", "cluster=prod"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "prod a=b <no value> flux-system/flux-system");
}

TEST_F(TemplateCommandTest, ExecutionErrorExitsOne) {
  RunResult r = Render("{{ .Nope }}");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("failed to run template from spec: template: commit message:1:3: ", 0), 0u)
      << r.err;
}

TEST_F(TemplateCommandTest, RemovedImageResultFieldExitsOne) {
  RunResult r = Render("{{ .Changed.ImageResult.Files }}");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("template uses removed '.Changed.ImageResult' field. Please use "
                        "'.Changed.FileChanges' or '.Changed.Objects' instead.",
                        0),
            0u)
      << r.err;
}

TEST_F(TemplateCommandTest, ParseErrorExitsOne) {
  RunResult r = Render("{{ if }");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("unable to create commit message template from spec: ", 0), 0u) << r.err;
}

struct UsageCase {
  std::string label;
  Args args;
  std::string err_prefix;
};

class TemplateUsageTest : public TemplateCommandTest,
                          public ::testing::WithParamInterface<UsageCase> {};

TEST_P(TemplateUsageTest, ExitsTwo) {
  const std::string tmpl = dir_.Write("t.tmpl", "x").string();
  const std::string good = dir_.Write("good.json", kChanges).string();
  const std::string bad = dir_.Write("bad.json", "{\"files\": 3}").string();
  Args args = {"template"};
  for (const std::string& arg : GetParam().args) {
    args.push_back(arg == "TMPL" ? tmpl : arg == "GOOD" ? good : arg == "BAD" ? bad : arg);
  }
  RunResult r = Run(args);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(GetParam().err_prefix), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TemplateUsageTest,
    ::testing::Values(
        UsageCase{"MissingTemplate", {"--changes", "GOOD"}, "flag --template is required"},
        UsageCase{"MissingChanges", {"--template", "TMPL"}, "flag --changes is required"},
        UsageCase{"UnreadableTemplate",
                  {"--template", "/nonexistent/t", "--changes", "GOOD"},
                  "reading template /nonexistent/t: "},
        UsageCase{"MalformedChanges",
                  {"--template", "TMPL", "--changes", "BAD"},
                  "invalid change set: files: expected an array"},
        UsageCase{"ValuesWithoutEquals",
                  {"--template", "TMPL", "--changes", "GOOD", "--values", "novalue"},
                  "invalid --values \"novalue\": expected KEY=VALUE"},
        UsageCase{"BadAutomation",
                  {"--template", "TMPL", "--changes", "GOOD", "--automation", "a/b/c"},
                  "invalid --automation \"a/b/c\": expected NS/NAME"},
        UsageCase{"BothFromStdin", {"--template", "-", "--changes", "-"}, "cannot both read stdin"},
        UsageCase{"UnknownFlag",
                  {"--template", "TMPL", "--changes", "GOOD", "--nope"},
                  "unknown flag --nope"}),
    [](const ::testing::TestParamInfo<UsageCase>& info) { return info.param.label; });

}  // namespace
}  // namespace imgauto::cmd
