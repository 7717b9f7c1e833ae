// Lexer: item boundaries, trim markers, comments, literals and Go's error texts.
#include "automation/template/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace imgauto::gotemplate {
namespace {

// Renders items as "type:val" for compact comparisons (spaces elided as "_").
std::string Describe(std::string_view input) {
  std::string out;
  for (const Item& item : Lex(input)) {
    if (!out.empty()) {
      out += " ";
    }
    switch (item.type) {
      case ItemType::kSpace:
        out += "_";
        break;
      case ItemType::kEof:
        out += "EOF";
        break;
      case ItemType::kError:
        out += "ERROR(" + item.val + ")";
        break;
      default:
        out += ItemString(item);
    }
  }
  return out;
}

struct LexCase {
  const char* name;
  const char* input;
  const char* want;
};

class LexerTableTest : public ::testing::TestWithParam<LexCase> {};

TEST_P(LexerTableTest, ProducesGoItems) { EXPECT_EQ(Describe(GetParam().input), GetParam().want); }

INSTANTIATE_TEST_SUITE_P(
    Go, LexerTableTest,
    ::testing::Values(
        LexCase{"Empty", "", "EOF"}, LexCase{"Text", "now is the time", "\"now is the\"... EOF"},
        LexCase{"Field", "{{.Foo.Bar}}", "\"{{\" \".Foo\" \".Bar\" \"}}\" EOF"},
        LexCase{"Dot", "{{.}}", "\"{{\" <.> \"}}\" EOF"},
        LexCase{"Keywords", "{{if else end range with}}",
                "\"{{\" <if> _ <else> _ <end> _ <range> _ <with> \"}}\" EOF"},
        LexCase{"Pipeline", "{{$x := .A | f 1}}",
                "\"{{\" \"$x\" _ \":=\" _ \".A\" _ \"|\" _ \"f\" _ \"1\" \"}}\" EOF"},
        LexCase{"Literals", "{{\"s\" `r` 'c' 1.5e3 0x1F true nil}}",
                "\"{{\" \"\\\"s\\\"\" _ \"`r`\" _ \"'c'\" _ \"1.5e3\" _ \"0x1F\" _ \"true\" _ "
                "<nil> \"}}\" EOF"},
        LexCase{"TrimMarkers", "a  {{- 3 -}}  b", "\"a\" \"{{\" \"3\" \"}}\" \"b\" EOF"},
        LexCase{"TrimNewlines", "a\n\t{{- 3 -}}\n\tb", "\"a\" \"{{\" \"3\" \"}}\" \"b\" EOF"},
        LexCase{"MinusWithoutSpaceIsNumber", "{{-3}}", "\"{{\" \"-3\" \"}}\" EOF"},
        LexCase{"Comment", "a{{/* x */}}b", "\"a\" \"b\" EOF"},
        LexCase{"TrimmedComment", "a {{- /* x */ -}} b", "\"a\" \"b\" EOF"},
        LexCase{"Parens", "{{(1)}}", "\"{{\" \"(\" \"1\" \")\" \"}}\" EOF"},
        LexCase{"Char", "{{,}}", "\"{{\" \",\" \"}}\" EOF"},
        LexCase{"UnclosedAction", "{{.A", "\"{{\" \".A\" ERROR(unclosed action)"},
        LexCase{"UnclosedComment", "{{/* x", "ERROR(unclosed comment)"},
        LexCase{"CommentNotClosedByDelim", "{{/* x */ y}}",
                "ERROR(comment ends before closing delimiter)"},
        LexCase{"UnterminatedString", "{{\"abc}}", "\"{{\" ERROR(unterminated quoted string)"},
        LexCase{"UnterminatedRaw", "{{`abc}}", "\"{{\" ERROR(unterminated raw quoted string)"},
        LexCase{"BadNumber", "{{3k}}", "\"{{\" ERROR(bad number syntax: \"3k\")"},
        LexCase{"BadCharacter", "{{.A#}}", "\"{{\" ERROR(bad character U+0023 '#')"},
        LexCase{"UnexpectedRightParen", "{{)}}", "\"{{\" \")\" ERROR(unexpected right paren)"},
        LexCase{"UnclosedParen", "{{(1}}", "\"{{\" \"(\" \"1\" ERROR(unclosed left paren)"},
        LexCase{"ExpectedDeclare", "{{$x :1}}", "\"{{\" \"$x\" _ ERROR(expected :=)"},
        LexCase{"NewlineInAction", "{{.A\n.B}}", "\"{{\" \".A\" _ \".B\" \"}}\" EOF"}),
    [](const ::testing::TestParamInfo<LexCase>& info) { return std::string(info.param.name); });

TEST(LexerTest, ItemsCarryPositionsAndLines) {
  std::vector<Item> items = Lex("a\nb{{ .X }}");
  ASSERT_GE(items.size(), 4u);
  EXPECT_EQ(items[0].type, ItemType::kText);
  EXPECT_EQ(items[1].type, ItemType::kLeftDelim);
  EXPECT_EQ(items[1].pos, 3u);
  EXPECT_EQ(items[1].line, 2);
  EXPECT_EQ(items[3].val, ".X");
  EXPECT_EQ(items[3].pos, 6u);
}

TEST(LexerTest, BreakIsAnIdentifierWhenAFunctionShadowsIt) {
  std::vector<Item> items = Lex("{{break}}", /*break_ok=*/false);
  ASSERT_GE(items.size(), 2u);
  EXPECT_EQ(items[1].type, ItemType::kIdentifier);
}

}  // namespace
}  // namespace imgauto::gotemplate
