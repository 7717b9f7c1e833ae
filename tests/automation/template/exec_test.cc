// Execution semantics of the Go text/template engine: Go behaviour tables, error texts with
// positions, execution limits, and the Flux commit-message vectors (§7.11, 100–104).
#include "automation/template/exec.h"

#include <gtest/gtest.h>

#include <string>

#include "automation/template/sprig.h"

namespace imgauto::gotemplate {
namespace {

Value TestData() {
  Map map;
  map.Set("a", 1);
  map.Set("b", 2);
  Map inner;
  inner.Set("Name", "x");
  Map nested;
  nested.Set("Inner", Value(std::move(inner)));
  Map strings("map[string]string", Value(""));
  strings.Set("k", "v");
  Function twice;
  twice.params = {ParamType::kInt};
  twice.call = [](std::vector<Value>& a) -> Result<Value> { return Value(a[0].AsInt() * 2); };
  Map data;
  data.Set("Str", "hello");
  data.Set("Int", 7);
  data.Set("Zero", 0);
  data.Set("Float", 1.5);
  data.Set("True", true);
  data.Set("False", false);
  data.Set("Nil", Value());
  data.Set("List", List{1, 2, 3});
  data.Set("Empty", List{});
  data.Set("Map", Value(std::move(map)));
  data.Set("Strings", Value(std::move(strings)));
  data.Set("Nested", Value(std::move(nested)));
  data.Set("Obj", Value::MakeObject("test.Obj", {{"Name", "n"}, {"Count", 3}}));
  data.Set("Fn", Value(std::move(twice)));
  return Value(std::move(data));
}

Result<std::string> Render(std::string_view text, const Value& data = TestData(),
                           const ExecOptions& options = {}) {
  Result<Template> t = Template::Parse("t", text, SprigFunctions());
  if (!t) {
    return t.error();
  }
  return t->Execute(data, options);
}

struct ExecCase {
  const char* name;
  const char* text;
  const char* want;  // expected output, or the expected error message when `error` is set
  bool error = false;
};

class ExecTableTest : public ::testing::TestWithParam<ExecCase> {};

TEST_P(ExecTableTest, MatchesGo) {
  const ExecCase& c = GetParam();
  Result<std::string> got = Render(c.text);
  if (c.error) {
    ASSERT_FALSE(got.has_value()) << "output: " << got.value();
    EXPECT_EQ(got.error().message(), c.want);
    EXPECT_EQ(got.error().kind(), ErrorKind::kInvalidSpec);
  } else {
    ASSERT_TRUE(got.has_value()) << got.error().message();
    EXPECT_EQ(*got, c.want);
  }
}

const ExecCase kExecCases[] = {
    {"Field", "{{.Str}}", "hello"},
    {"MissingKey", "{{.Missing}}", "<no value>"},
    {"MissingChain", "{{.Missing.Deeper}}", "<no value>"},
    {"NilValue", "{{.Nil}}", "<no value>"},
    {"NestedMaps", "{{.Nested.Inner.Name}}", "x"},
    {"ObjectField", "{{.Obj.Name}}-{{.Obj.Count}}", "n-3"},
    {"ObjectPrints", "{{.Obj}}", "{n 3}"},
    {"ListPrints", "{{.List}}", "[1 2 3]"},
    {"MapPrints", "{{.Map}}", "map[a:1 b:2]"},
    {"Dot", "{{.Int}}{{with .Str}}{{.}}{{end}}", "7hello"},
    {"Text", "plain text", "plain text"},
    {"TrimBoth", "a {{- .Str -}} b", "ahellob"},
    {"NoTrim", "a {{ .Str }} b", "a hello b"},
    {"TrimNewlines", "{{23 -}}\n  <\n  {{- 45}}", "23<45"},
    {"TrimComment", "x \n{{- /* comment */ -}}\n y", "xy"},
    {"Comment", "a{{/* c */}}b", "ab"},
    {"MinusNumber", "{{-3}}", "-3"},
    {"IfTrue", "{{if .True}}T{{else}}F{{end}}", "T"},
    {"IfEmptyList", "{{if .Empty}}T{{else}}F{{end}}", "F"},
    {"IfMissing", "{{if .Missing}}T{{else}}F{{end}}", "F"},
    {"IfObject", "{{if .Obj}}T{{end}}", "T"},
    {"ElseIf", "{{if .Zero}}Z{{else if .Int}}I{{else}}F{{end}}", "I"},
    {"WithElse", "{{with .Missing}}x{{else}}none{{end}}", "none"},
    {"ElseWith", "{{with .Zero}}x{{else with .Int}}{{.}}{{end}}", "7"},
    {"RangeList", "{{range .List}}{{.}}{{end}}", "123"},
    {"RangeIndex", "{{range $i, $v := .List}}{{$i}}={{$v}} {{end}}", "0=1 1=2 2=3 "},
    {"RangeOneVar", "{{range $v := .List}}{{$v}}{{end}}", "123"},
    {"RangeElse", "{{range .Empty}}x{{else}}empty{{end}}", "empty"},
    {"RangeNil", "{{range .Missing}}x{{else}}none{{end}}", "none"},
    {"RangeMapSorted", "{{range $k, $v := .Map}}{{$k}}{{$v}}{{end}}", "a1b2"},
    {"RangeMapValues", "{{range .Map}}{{.}}{{end}}", "12"},
    {"RangeInt", "{{range 3}}{{.}}{{end}}", "012"},
    {"RangeContinue", "{{range .List}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", "13"},
    {"RangeBreak", "{{range .List}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}", "1"},
    {"RangeDollar", "{{range .List}}{{$.Int}}{{end}}", "777"},
    {"RangeAssign", "{{$i := 0}}{{$v := 0}}{{range $i, $v = .List}}{{end}}{{$i}}{{$v}}", "23"},
    {"VariableAssign", "{{$x := 1}}{{$x = 2}}{{$x}}", "2"},
    {"VariableScope", "{{$x := .Str}}{{with .Int}}{{$x}}{{end}}", "hello"},
    {"VariableInner", "{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", "21"},
    {"VariableField", "{{$o := .Obj}}{{$o.Name}}", "n"},
    {"Define", "{{define \"T\"}}[{{.}}]{{end}}{{template \"T\" .Str}}", "[hello]"},
    {"TemplateNoPipe", "{{define \"T\"}}[{{.}}]{{end}}{{template \"T\"}}", "[<no value>]"},
    {"Block", "{{block \"B\" .Int}}<{{.}}>{{end}}", "<7>"},
    {"Pipeline", "{{.Str | printf \"%s!\"}}", "hello!"},
    {"PipelineFinalArg", "{{\"x\" | printf \"%s-%s\" \"a\"}}", "a-x"},
    {"Parenthesized", "{{(index .List 1)}}", "2"},
    {"ChainOnParens", "{{(.Nested.Inner).Name}}", "x"},
    {"CharConstant", "{{'a'}}", "97"},
    {"HexConstant", "{{0x10}}", "16"},
    {"FloatConstant", "{{1.5}} {{1e3}} {{1.0}}", "1.5 1000 1"},
    {"RawString", "{{`a\\n`}}", "a\\n"},
    {"EscapedString", "{{\"a\\tb\" | printf \"%q\"}}", "\"a\\tb\""},
    {"Bool", "{{true}} {{false}}", "true false"},
    {"Print", "{{print 1 2 \"a\" \"b\" 3}}", "1 2ab3"},
    {"Println", "{{println 1 \"a\"}}", "1 a\n"},
    {"AndReturnsOperand", "{{and 1 2}} {{and 0 2}}", "2 0"},
    {"OrReturnsOperand", "{{or 0 \"\"}}|{{or 0 \"x\"}}", "|x"},
    {"OrShortCircuit", "{{or .Str .Obj.Bad}}", "hello"},
    {"AndShortCircuit", "{{and .Zero .Obj.Bad}}", "0"},
    {"Not", "{{not .Empty}} {{not 1}}", "true false"},
    {"IndexMap", "{{index .Map \"a\"}}", "1"},
    {"IndexMissingInterface", "{{index .Map \"zz\"}}", "<no value>"},
    {"IndexMissingString", "[{{index .Strings \"zz\"}}]", "[]"},
    {"Call", "{{call .Fn 21}}", "42"},
    {"MissingFunctionValueString", "{{.Strings.k}}", "v"},
    {"FieldOnString", "{{.Str.Foo}}",
     "template: t:1:6: executing \"t\" at <.Str.Foo>: can't evaluate field Foo in type string",
     true},
    {"UnknownObjectField", "{{.Obj.Bad}}",
     "template: t:1:6: executing \"t\" at <.Obj.Bad>: can't evaluate field Bad in type test.Obj",
     true},
    {"FieldOnObjectMissingRoot", "{{.Foo}}", "<no value>"},
    {"NilCommand", "{{nil}}", "template: t:1:2: executing \"t\" at <nil>: nil is not a command",
     true},
    {"ArgumentToNonFunction", "{{.Str 1}}",
     "template: t:1:2: executing \"t\" at <.Str>: Str is not a method but has arguments", true},
    {"TemplateUndefined", "{{template \"nope\"}}",
     "template: t:1:11: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined",
     true},
    {"RangeCannotIterate", "{{range .Obj}}{{end}}",
     "template: t:1:8: executing \"t\" at <.Obj>: range can't iterate over {n 3}", true},
    {"ErrorInsideDefine", "{{define \"D\"}}{{.Str.X}}{{end}}{{template \"D\" .}}",
     "template: t:1:20: executing \"D\" at <.Str.X>: can't evaluate field X in type string", true},
    {"FunctionError", "{{index .List 5}}",
     "template: t:1:2: executing \"t\" at <index .List 5>: error calling index: index out of "
     "range: 5",
     true},
    {"WrongArgCount", "{{not 1 2}}",
     "template: t:1:2: executing \"t\" at <not>: wrong number of args for not: want 1 got 2", true},
    {"WrongArgType", "{{printf 1}}",
     "template: t:1:9: executing \"t\" at <1>: expected string; found 1", true},
    {"UndefinedVariableAtRuntime", "{{$x = 1}}",
     "template: t:1:7: executing \"t\" at <1>: undefined variable: $x", true},
    {"ContextTruncated", "{{.Obj.Bad | printf \"%s %s %s\" 1 2}}",
     "template: t:1:6: executing \"t\" at <.Obj.Bad>: can't evaluate field Bad in type test.Obj",
     true},
    {"LongContextTruncated", "{{index .List 1 2 3 4 5 6 7 8 9}}",
     "template: t:1:2: executing \"t\" at <index .List 1 2 3 4 ...>: error calling index: can't "
     "index item of type int",
     true},
};

INSTANTIATE_TEST_SUITE_P(Go, ExecTableTest, ::testing::ValuesIn(kExecCases),
                         [](const ::testing::TestParamInfo<ExecCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ExecTest, ErrorPositionCountsLinesAndColumns) {
  Result<std::string> got = Render("line one\n  {{ .Obj.Nope }}");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message(),
            "template: t:2:9: executing \"t\" at <.Obj.Nope>: can't evaluate field Nope in type "
            "test.Obj");
}

TEST(ExecTest, RecursiveTemplateHitsDepthLimit) {
  Result<std::string> got =
      Render("{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}");
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message().find("exceeded maximum template depth (100)"), std::string::npos)
      << got.error().message();
}

TEST(ExecTest, StepBudgetStopsLongLoops) {
  ExecOptions options;
  options.max_steps = 10000;
  Result<std::string> got = Render("{{range 100000000}}{{end}}", TestData(), options);
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message().find("exceeded 10000 steps"), std::string::npos)
      << got.error().message();
}

TEST(ExecTest, OutputLimitStopsHugeOutput) {
  ExecOptions options;
  options.max_output_bytes = 100;
  Result<std::string> got = Render("{{range 1000}}x{{end}}", TestData(), options);
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message().find("output exceeds 100 bytes"), std::string::npos);
}

TEST(ExecTest, DoublingStringsHitTheSizeLimit) {
  Result<std::string> got = Render("{{$s := \"xxxxxxxx\"}}{{range 40}}{{$s = print $s $s}}{{end}}");
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message().find("exceeds"), std::string::npos) << got.error().message();
}

TEST(ExecTest, ExecuteTemplateRunsADefinition) {
  Result<Template> t = Template::Parse("main", "{{define \"sub\"}}sub {{.}}{{end}}main", {});
  ASSERT_TRUE(t.has_value()) << t.error().message();
  EXPECT_EQ(*t->ExecuteTemplate("sub", Value(5)), "sub 5");
  EXPECT_EQ(*t->Execute(Value()), "main");
  EXPECT_EQ(t->TemplateNames(), (std::vector<std::string>{"main", "sub"}));
  Result<std::string> missing = t->ExecuteTemplate("nope", Value());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(),
            "template: no template \"nope\" associated with template \"main\"");
}

TEST(ExecTest, UserFunctionsOverrideBuiltins) {
  FuncMap funcs;
  Function len_fn;
  len_fn.params = {ParamType::kAny};
  len_fn.call = [](std::vector<Value>&) -> Result<Value> { return Value("custom"); };
  funcs["len"] = len_fn;
  Result<Template> t = Template::Parse("t", "{{len 1}}", funcs);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t->Execute(Value()), "custom");
}

// ---- Flux commit message data (§3.5, §3.6) ----

Value ObjectIdentifier(const std::string& api_version, const std::string& kind,
                       const std::string& name, const std::string& ns) {
  Value type_meta =
      Value::MakeObject("yaml.TypeMeta", {{"APIVersion", api_version}, {"Kind", kind}});
  Value name_meta = Value::MakeObject("yaml.NameMeta", {{"Name", name}, {"Namespace", ns}});
  Value resource(Object("yaml.ResourceIdentifier",
                        {{"TypeMeta", type_meta, true}, {"NameMeta", name_meta, true}}));
  return Value(Object("update.ObjectIdentifier", {{"ResourceIdentifier", resource, true}}));
}

Value Change(const std::string& old_value, const std::string& new_value,
             const std::string& setter) {
  return Value::MakeObject("update.Change",
                           {{"OldValue", old_value}, {"NewValue", new_value}, {"Setter", setter}});
}

// One change in deploy.yaml (Deployment `test`), as the IAC controller test makes it.
Value FluxData(const std::string& ns, const Value& values = Value()) {
  Value id = ObjectIdentifier("apps/v1", "Deployment", "test", "");
  Value changes(List{Change("helloworld:1.0.0", "helloworld:v1.0.0", ns + ":policy")},
                "[]update.Change");
  Map objects("update.ObjectChanges", Value(), false);
  objects.Set(id, changes);
  Value objects_value(objects);
  Map files("map[string]update.ObjectChanges", Value());
  files.Set("deploy.yaml", objects_value);
  Value changed = Value::MakeObject(
      "update.ResultV2",
      {{"FileChanges", Value(std::move(files))}, {"Objects", objects_value}, {"Changes", changes}});
  Value image =
      Value::MakeObject("update.imageRef", {{"Repository", "helloworld"}, {"Tag", "v1.0.0"}},
                        std::string("helloworld:v1.0.0"));
  Map updated_files("map[string]update.FileResult", Value());
  updated_files.Set("deploy.yaml",
                    Value::MakeObject("update.FileResult", {{"Objects", objects_value}}));
  Value updated = Value::MakeObject("update.Result", {{"Files", Value(std::move(updated_files))},
                                                      {"Objects", objects_value},
                                                      {"Images", List{image}}});
  Value automation = Value::MakeObject(
      "types.NamespacedName", {{"Namespace", ns}, {"Name", "update-test"}}, ns + "/update-test");
  return Value::MakeObject("update.TemplateData", {{"AutomationObject", automation},
                                                   {"Changed", changed},
                                                   {"Updated", updated},
                                                   {"Values", values}});
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

TEST(FluxVectorTest, Vector100ControllerTemplate) {
  Result<std::string> got = RenderCommitMessage(kControllerTemplate, FluxData("ns-1"));
  ASSERT_TRUE(got.has_value()) << got.error().message();
  EXPECT_EQ(*got,
            "Commit summary\n\nAutomation: ns-1/update-test\n\nFiles:\n- deploy.yaml\nObjects:\n"
            "- deployment test\nImages:\n- helloworld:v1.0.0 (ns-1:policy)\n");
}

TEST(FluxVectorTest, Vector101ResultV2Template) {
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
  Result<std::string> got = RenderCommitMessage(kTemplate, FluxData("ns-2"));
  ASSERT_TRUE(got.has_value()) << got.error().message();
  EXPECT_EQ(*got,
            "- File: deploy.yaml\n  - Object: Deployment//test\n"
            "    - helloworld:1.0.0 -> helloworld:v1.0.0 (ns-2:policy)\n");
}

TEST(FluxVectorTest, Vector102Values) {
  Map values("map[string]string", Value(""));
  values.Set("cluster", "prod");
  values.Set("testing", "value");
  Result<std::string> got = RenderCommitMessage(
      "Cluster: {{ index .Values \"cluster\" }}\nTesting: {{ .Values.testing }}",
      FluxData("ns", Value(std::move(values))));
  ASSERT_TRUE(got.has_value()) << got.error().message();
  EXPECT_EQ(*got, "Cluster: prod\nTesting: value");
}

TEST(FluxVectorTest, Vector102MissingValuesPrintNoValue) {
  Result<std::string> got = RenderCommitMessage("Testing: {{ .Values.testing }}", FluxData("ns"));
  ASSERT_TRUE(got.has_value()) << got.error().message();
  EXPECT_EQ(*got, "Testing: <no value>");
}

TEST(FluxVectorTest, Vector103UpdatedStillWorks) {
  Result<std::string> got = RenderCommitMessage(
      "{{ range $f, $_ := .Updated.Files }}{{ $f }} {{ end }}{{ range .Updated.Images }}{{ . }} "
      "{{ .Tag }}{{ end }}",
      FluxData("ns"));
  ASSERT_TRUE(got.has_value()) << got.error().message();
  EXPECT_EQ(*got, "deploy.yaml helloworld:v1.0.0 v1.0.0");
}

TEST(FluxVectorTest, Vector103RemovedImageResultIsAnExecutionError) {
  Result<std::string> got = RenderCommitMessage("{{ .Changed.ImageResult.Files }}", FluxData("ns"));
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message(),
            "failed to run template from spec: template: commit message:1:11: executing \"commit "
            "message\" at <.Changed.ImageResult...>: can't evaluate field ImageResult in type "
            "update.ResultV2");
}

TEST(FluxVectorTest, Vector104EmptyTemplateGivesDefaultMessage) {
  Result<std::string> got = RenderCommitMessage("", FluxData("ns"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "Update from image update automation");
}

TEST(FluxVectorTest, ParseErrorIsWrapped) {
  Result<std::string> got = RenderCommitMessage("a\nb\n{{ if .A } }}", FluxData("ns"));
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message(),
            "unable to create commit message template from spec: template: commit message:3: "
            "unexpected \"}\" in operand");
}

TEST(FluxVectorTest, ObjectIdentifierPrintsLikeGo) {
  Result<std::string> got = RenderCommitMessage(
      "{{ range $id, $c := .Changed.Objects }}{{ $id }} {{ $c }}{{ end }}", FluxData("ns"));
  ASSERT_TRUE(got.has_value()) << got.error().message();
  EXPECT_EQ(*got,
            "{{{apps/v1 Deployment} {test }}} [{helloworld:1.0.0 helloworld:v1.0.0 ns:policy}]");
}

TEST(FluxVectorTest, GerritChangeIdRecipeHashesPrintedObjects) {
  Result<std::string> got = RenderCommitMessage(
      "Change-Id: I{{ printf \"%v\" .Changed.Objects | sha1sum }}", FluxData("ns"));
  ASSERT_TRUE(got.has_value()) << got.error().message();
  ASSERT_EQ(got->size(), std::string("Change-Id: I").size() + 40);
  Result<std::string> again =
      RenderCommitMessage("{{ printf \"%v\" .Changed.Objects }}", FluxData("ns"));
  EXPECT_EQ(
      *again,
      "map[{{{apps/v1 Deployment} {test }}}:[{helloworld:1.0.0 helloworld:v1.0.0 ns:policy}]]");
}

}  // namespace
}  // namespace imgauto::gotemplate
