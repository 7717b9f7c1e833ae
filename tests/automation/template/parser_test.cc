// Parser: tree shapes (via Go's Node.String()), definitions, and Go's parse error texts.
#include "automation/template/parser.h"

#include <gtest/gtest.h>

#include <string>

#include "automation/template/builtins.h"

namespace imgauto::gotemplate {
namespace {

bool HasFunction(std::string_view name) {
  return Builtins().count(std::string(name)) > 0 || name == "upper";
}

Result<TreeSet> ParseAll(std::string_view text) {
  TreeSet trees;
  Result<void> r = ParseInto("t", text, HasFunction, &trees);
  if (!r) {
    return r.error();
  }
  return trees;
}

struct ShapeCase {
  const char* name;
  const char* text;
  const char* want;  // NodeString of the root
};

class ParserShapeTest : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(ParserShapeTest, RoundTripsThroughNodeString) {
  Result<TreeSet> trees = ParseAll(GetParam().text);
  ASSERT_TRUE(trees.has_value()) << trees.error().message();
  EXPECT_EQ(NodeString(*trees->at("t")->root), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Go, ParserShapeTest,
    ::testing::Values(
        ShapeCase{"Text", "some text", "some text"}, ShapeCase{"Field", "{{.X.Y}}", "{{.X.Y}}"},
        ShapeCase{"Pipeline", "{{.X | printf \"%d\" 1 | upper}}",
                  "{{.X | printf \"%d\" 1 | upper}}"},
        ShapeCase{"Declaration", "{{$x := 1}}{{$x}}", "{{$x := 1}}{{$x}}"},
        ShapeCase{"RangeTwoVars", "{{range $i, $v := .L}}{{$v}}{{end}}",
                  "{{range $i, $v := .L}}{{$v}}{{end}}"},
        ShapeCase{"IfElse", "{{if .A}}a{{else}}b{{end}}", "{{if .A}}a{{else}}b{{end}}"},
        ShapeCase{"ElseIfNests", "{{if .A}}a{{else if .B}}b{{end}}",
                  "{{if .A}}a{{else}}{{if .B}}b{{end}}{{end}}"},
        ShapeCase{"With", "{{with .A}}{{.}}{{end}}", "{{with .A}}{{.}}{{end}}"},
        ShapeCase{"Chain", "{{(.A).B}}", "{{(.A).B}}"},
        ShapeCase{"ParenArg", "{{printf \"%s\" (upper .A)}}", "{{printf \"%s\" (upper .A)}}"},
        ShapeCase{"Template", "{{template \"x\" .}}", "{{template \"x\" .}}"},
        ShapeCase{"Literals", "{{print 1 1.5 'a' true nil \"s\" `r`}}",
                  "{{print 1 1.5 'a' true nil \"s\" `r`}}"},
        ShapeCase{"DefineRemoved", "a{{define \"x\"}}X{{end}}b", "ab"},
        ShapeCase{"BlockBecomesTemplate", "{{block \"b\" .}}B{{end}}", "{{template \"b\" .}}"}),
    [](const ::testing::TestParamInfo<ShapeCase>& info) { return std::string(info.param.name); });

TEST(ParserTest, DefinitionsAreAddedToTheSet) {
  Result<TreeSet> trees = ParseAll("{{define \"a\"}}A{{end}}{{block \"b\" .}}B{{end}}");
  ASSERT_TRUE(trees.has_value());
  EXPECT_EQ(trees->count("a"), 1u);
  EXPECT_EQ(trees->count("b"), 1u);
  EXPECT_EQ(trees->at("a")->parse_name, "t");
  EXPECT_EQ(NodeString(*trees->at("b")->root), "B");
}

TEST(ParserTest, NumbersKnowTheirInterpretations) {
  Result<TreeSet> trees = ParseAll("{{print 0x10 1e3 'a'}}");
  ASSERT_TRUE(trees.has_value());
  const Node& cmd = *trees->at("t")->root->nodes[0]->pipe->nodes[0];
  EXPECT_EQ(cmd.nodes[1]->int_value, 16);
  EXPECT_TRUE(cmd.nodes[2]->is_int);
  EXPECT_DOUBLE_EQ(cmd.nodes[2]->float_value, 1000.0);
  EXPECT_EQ(cmd.nodes[3]->int_value, 97);
}

TEST(ParserTest, UnquoteFollowsStrconv) {
  EXPECT_EQ(Unquote("\"a\\tb\\u00e9\\x41\""), std::optional<std::string>("a\tb\xc3\xa9"
                                                                         "A"));
  EXPECT_EQ(Unquote("`a\\n\r`"), std::optional<std::string>("a\\n"));
  EXPECT_EQ(Unquote("\"bad\\q\""), std::nullopt);
}

struct ErrorCase {
  const char* name;
  const char* text;
  const char* want;
};

class ParserErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParserErrorTest, ReportsGoMessage) {
  Result<TreeSet> trees = ParseAll(GetParam().text);
  ASSERT_FALSE(trees.has_value());
  EXPECT_EQ(trees.error().message(), GetParam().want);
  EXPECT_EQ(trees.error().kind(), ErrorKind::kInvalidSpec);
}

INSTANTIATE_TEST_SUITE_P(
    Go, ParserErrorTest,
    ::testing::Values(
        ErrorCase{"UnexpectedInOperand", "a\nb\n{{ if .A } }}",
                  "template: t:3: unexpected \"}\" in operand"},
        ErrorCase{"UnexpectedInIf", "{{if }}}}", "template: t:1: missing value for if"},
        ErrorCase{"MissingCommand", "{{}}", "template: t:1: missing value for command"},
        ErrorCase{"UnclosedAction", "{{.A", "template: t:1: unclosed action"},
        ErrorCase{"UnclosedActionMultiline", "{{.A\n\n",
                  "template: t:3: unclosed action started at t:1"},
        ErrorCase{"StrayEnd", "{{end}}", "template: t:1: unexpected {{end}}"},
        ErrorCase{"StrayElse", "{{else}}", "template: t:1: unexpected {{else}}"},
        ErrorCase{"MissingEnd", "{{range .L}}x", "template: t:1: unexpected EOF"},
        ErrorCase{"UnknownFunction", "{{foo 1}}", "template: t:1: function \"foo\" not defined"},
        ErrorCase{"UndefinedVariable", "{{$x}}", "template: t:1: undefined variable \"$x\""},
        ErrorCase{"VariableOutOfScope", "{{if 1}}{{$x := 1}}{{end}}{{$x}}",
                  "template: t:1: undefined variable \"$x\""},
        ErrorCase{"BreakOutsideRange", "{{break}}", "template: t:1: {{break}} outside {{range}}"},
        ErrorCase{"ContinueOutsideRange", "{{if 1}}{{continue}}{{end}}",
                  "template: t:1: {{continue}} outside {{range}}"},
        ErrorCase{"NonExecutableStage", "{{.A | 1}}",
                  "template: t:1: non executable command in pipeline stage 2"},
        ErrorCase{"DotAfterLiteral", "{{\"a\".B}}",
                  "template: t:1: unexpected . after term \"\\\"a\\\"\""},
        ErrorCase{"TooManyDecls", "{{$a, $b := 1}}",
                  "template: t:1: too many declarations in command"},
        ErrorCase{"RangeOnlyVariables", "{{range $a, 1}}{{end}}",
                  "template: t:1: range can only initialize variables"},
        ErrorCase{"ElseAfterElse", "{{if 1}}{{else}}{{else}}{{end}}",
                  "template: t:1: expected end; found {{else}}"},
        ErrorCase{"DefineNeedsName", "{{define x}}{{end}}",
                  "template: t:1: unexpected \"x\" in define clause"},
        ErrorCase{"MultipleDefinition", "{{define \"a\"}}1{{end}}{{define \"a\"}}2{{end}}",
                  "template: t:1: template: multiple definition of template \"a\""},
        ErrorCase{"DefineNotTopLevel", "{{if 1}}{{define \"a\"}}{{end}}{{end}}",
                  "template: t:1: unexpected <define> in command"},
        ErrorCase{"IntegerOverflow", "{{print 99999999999999999999}}",
                  "template: t:1: integer overflow: \"99999999999999999999\""}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

TEST(ParserTest, DeepNestingIsRejected) {
  std::string text = "{{print " + std::string(150, '(') + "1" + std::string(150, ')') + "}}";
  Result<TreeSet> trees = ParseAll(text);
  ASSERT_FALSE(trees.has_value());
  EXPECT_EQ(trees.error().message(), "template: t:1: max expression depth exceeded");
  std::string ifs;
  for (int i = 0; i < 150; ++i) {
    ifs += "{{if 1}}";
  }
  Result<TreeSet> nested = ParseAll(ifs);
  ASSERT_FALSE(nested.has_value());
  EXPECT_NE(nested.error().message().find("depth exceeded"), std::string::npos);
}

}  // namespace
}  // namespace imgauto::gotemplate
