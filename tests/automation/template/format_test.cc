// Go fmt compatibility: %v of every Value kind, Printf verbs, flags and errors, Sprint spacing.
#include "automation/template/format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace imgauto::gotemplate {
namespace {

Value Identifier() {
  Value type_meta =
      Value::MakeObject("yaml.TypeMeta", {{"APIVersion", "apps/v1"}, {"Kind", "Deployment"}});
  Value name_meta =
      Value::MakeObject("yaml.NameMeta", {{"Name", "podinfo"}, {"Namespace", "default"}});
  Value resource(Object("yaml.ResourceIdentifier",
                        {{"TypeMeta", type_meta, true}, {"NameMeta", name_meta, true}}));
  return Value(Object("update.ObjectIdentifier", {{"ResourceIdentifier", resource, true}}));
}

struct FormatCase {
  const char* name;
  Value value;
  const char* want;
};

class FormatValueTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatValueTest, PrintsLikeGo) { EXPECT_EQ(FormatValue(GetParam().value), GetParam().want); }

Value SortedMap() {
  Map m;
  m.Set("b", 2);
  m.Set("a", List{Value(), "x"});
  return Value(std::move(m));
}

INSTANTIATE_TEST_SUITE_P(
    Go, FormatValueTest,
    ::testing::Values(
        FormatCase{"Nil", Value(), "<nil>"}, FormatCase{"True", Value(true), "true"},
        FormatCase{"Int", Value(-42), "-42"}, FormatCase{"String", Value("a b"), "a b"},
        FormatCase{"FloatHalf", Value(1.5), "1.5"}, FormatCase{"FloatWhole", Value(3.0), "3"},
        FormatCase{"FloatMillion", Value(1e6), "1e+06"},
        FormatCase{"FloatBelowMillion", Value(123456.0), "123456"},
        FormatCase{"FloatManyDigits", Value(1234567.0), "1.234567e+06"},
        FormatCase{"FloatSmall", Value(0.0001), "0.0001"},
        FormatCase{"FloatTiny", Value(0.00001), "1e-05"},
        FormatCase{"FloatShortest", Value(0.1 + 0.2), "0.30000000000000004"},
        FormatCase{"FloatNegZero", Value(-0.0), "-0"},
        FormatCase{"FloatInf", Value(INFINITY), "+Inf"}, FormatCase{"FloatNaN", Value(NAN), "NaN"},
        FormatCase{"List", Value(List{1, "a", Value()}), "[1 a <nil>]"},
        FormatCase{"EmptyList", Value(List{}), "[]"},
        FormatCase{"SortedMap", SortedMap(), "map[a:[<nil> x] b:2]"},
        FormatCase{"EmptyMap", Value(Map()), "map[]"},
        FormatCase{"Struct",
                   Value::MakeObject("update.Change",
                                     {{"OldValue", "a"}, {"NewValue", "b"}, {"Setter", "ns:p"}}),
                   "{a b ns:p}"},
        FormatCase{"EmbeddedStructs", Identifier(), "{{{apps/v1 Deployment} {podinfo default}}}"},
        FormatCase{"Stringer",
                   Value::MakeObject("types.NamespacedName", {{"Namespace", "ns"}, {"Name", "n"}},
                                     std::string("ns/n")),
                   "ns/n"},
        FormatCase{"NestedStringer",
                   Value(List{Value::MakeObject("T", {{"A", 1}}, std::string("str"))}), "[str]"}),
    [](const ::testing::TestParamInfo<FormatCase>& info) { return std::string(info.param.name); });

struct PrintfCase {
  const char* name;
  const char* format;
  List args;
  const char* want;
};

class SprintfTest : public ::testing::TestWithParam<PrintfCase> {};

TEST_P(SprintfTest, FormatsLikeGo) {
  EXPECT_EQ(Sprintf(GetParam().format, GetParam().args), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Go, SprintfTest,
    ::testing::Values(PrintfCase{"LeftAlign", "%-10s|", {"abc"}, "abc       |"},
                      PrintfCase{"RightAlign", "%6s|", {"abc"}, "   abc|"},
                      PrintfCase{"ZeroPad", "%05d", {42}, "00042"},
                      PrintfCase{"ZeroPadNegative", "%05d", {-42}, "-0042"},
                      PrintfCase{"Precision", "%.2f", {3.14159}, "3.14"},
                      PrintfCase{"WidthPrecision", "%8.3f|", {-3.14159}, "  -3.142|"},
                      PrintfCase{"ZeroPadFloat", "%08.3f", {-3.14159}, "-003.142"},
                      PrintfCase{"DefaultF", "%f", {1.0}, "1.000000"},
                      PrintfCase{"Exponent", "%e", {1234.5678}, "1.234568e+03"},
                      PrintfCase{"ExponentUpper", "%E", {1234.5678}, "1.234568E+03"},
                      PrintfCase{"G", "%g", {0.000012345}, "1.2345e-05"},
                      PrintfCase{"GPrecision", "%.3g", {1234.0}, "1.23e+03"},
                      PrintfCase{"PlusSpace", "%+d|% d", {5, 5}, "+5| 5"},
                      PrintfCase{"HexString", "%x", {"hi"}, "6869"},
                      PrintfCase{"HexInt", "%x %X %#x", {255, 255, 255}, "ff FF 0xff"},
                      PrintfCase{"HexNegative", "%x", {-255}, "-ff"},
                      PrintfCase{"Octal", "%o %b", {8, 5}, "10 101"},
                      PrintfCase{"Quote", "%q", {"a\"b\n"}, "\"a\\\"b\\n\""},
                      PrintfCase{"QuoteRune", "%q", {97}, "'a'"},
                      PrintfCase{"Char", "%c%c", {72, 0x4e16}, "H\xe4\xb8\x96"},
                      PrintfCase{"Unicode", "%U", {0x1F600}, "U+1F600"},
                      PrintfCase{"Bool", "%t %v", {true, false}, "true false"},
                      PrintfCase{"Percent", "100%%", {}, "100%"},
                      PrintfCase{"Type", "%T %T %T", {1, "s", List{}}, "int string []interface {}"},
                      PrintfCase{"TruncateString", "%.3s", {"abcdef"}, "abc"},
                      PrintfCase{"StarWidth", "%*d", {5, 42}, "   42"},
                      PrintfCase{"ArgIndex", "%[2]d %[1]d", {1, 2}, "2 1"},
                      PrintfCase{"BadVerb", "%d", {"s"}, "%!d(string=s)"},
                      PrintfCase{"BadVerbNil", "%d", {Value()}, "%!d(<nil>)"},
                      PrintfCase{"Missing", "%d %d", {1}, "1 %!d(MISSING)"},
                      PrintfCase{"Extra", "%d", {1, 2, "x"}, "1%!(EXTRA int=2, string=x)"},
                      PrintfCase{"NoVerb", "%", {}, "%!(NOVERB)"},
                      PrintfCase{"ListElementwise", "%s", {List{"a", 1}}, "[a %!s(int=1)]"},
                      PrintfCase{"ListQuoted", "%q", {List{"a", "b"}}, "[\"a\" \"b\"]"},
                      PrintfCase{"WidthCountsRunes", "%4s|", {"\xc3\xa9"}, "   \xc3\xa9|"},
                      PrintfCase{"PrecisionZeroInt", "[%.0d]", {0}, "[]"}),
    [](const ::testing::TestParamInfo<PrintfCase>& info) { return std::string(info.param.name); });

TEST(SprintTest, SpacesOnlyBetweenNonStrings) { EXPECT_EQ(Sprint({1, 2, "a", "b", 3}), "1 2ab3"); }

TEST(SprintTest, SprintlnSpacesEverything) {
  EXPECT_EQ(Sprintln({1, "a", Value()}), "1 a <nil>\n");
}

TEST(QuoteTest, EscapesLikeStrconv) {
  EXPECT_EQ(QuoteString("a\tb\x01\x7f\xff\xe2\x82\xac"), "\"a\\tb\\x01\\x7f\\xff\xe2\x82\xac\"");
  EXPECT_EQ(QuoteString("\xc2\xa0"), "\"\\u00a0\"");
}

TEST(FormatFloatTest, JsonStyleFormats) {
  EXPECT_EQ(FormatFloat(1e21, 'e', -1), "1e+21");
  EXPECT_EQ(FormatFloat(123456789.0, 'f', -1), "123456789");
  EXPECT_EQ(FormatFloat(0.000001, 'f', -1), "0.000001");
  EXPECT_EQ(FormatFloat(2.5, 'f', 0), "2");
}

TEST(Utf8Test, DecodesAndCounts) {
  size_t width = 0;
  EXPECT_EQ(DecodeRune("\xe4\xb8\x96", 0, &width), 0x4e16);
  EXPECT_EQ(width, 3u);
  EXPECT_EQ(DecodeRune("\xe4\xb8", 0, &width), 0xFFFD);
  EXPECT_EQ(width, 1u);
  EXPECT_EQ(RuneCount("a\xe4\xb8\x96"), 2u);
}

}  // namespace
}  // namespace imgauto::gotemplate
