#include "reflector/policy/go_float.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace imgauto::reflector::policy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMinDenormal = std::numeric_limits<double>::denorm_min();

struct AcceptCase {
  const char* name;
  std::string_view input;
  double expected;
};

class GoFloatAcceptTest : public testing::TestWithParam<AcceptCase> {};

TEST_P(GoFloatAcceptTest, ParsesToGoValue) {
  const AcceptCase& c = GetParam();
  const std::optional<double> value = ParseGoFloat(c.input);
  ASSERT_TRUE(value.has_value()) << "input: " << c.input;
  EXPECT_EQ(*value, c.expected) << "input: " << c.input;
  EXPECT_EQ(std::signbit(*value), std::signbit(c.expected)) << "input: " << c.input;
}

INSTANTIATE_TEST_SUITE_P(
    Table, GoFloatAcceptTest,
    testing::Values(
        AcceptCase{"Zero", "0", 0.0}, AcceptCase{"One", "1", 1.0},
        AcceptCase{"PlusSign", "+5", 5.0}, AcceptCase{"MinusSign", "-1", -1.0},
        AcceptCase{"NegativeZero", "-0", -0.0}, AcceptCase{"Fraction", "1.5", 1.5},
        AcceptCase{"LeadingDot", ".5", 0.5}, AcceptCase{"TrailingDot", "5.", 5.0},
        AcceptCase{"NegativeLeadingDot", "-.5", -0.5}, AcceptCase{"LeadingZeros", "00012", 12.0},
        AcceptCase{"PointOne", "0.1", 0.1}, AcceptCase{"Exponent", "1e3", 1000.0},
        AcceptCase{"UpperExponent", "1E3", 1000.0}, AcceptCase{"PlusExponent", "1e+3", 1000.0},
        AcceptCase{"MinusExponent", "1e-3", 0.001}, AcceptCase{"FractionExponent", "2.5e-1", 0.25},
        AcceptCase{"Underscores", "1_000", 1000.0},
        AcceptCase{"UnderscoresManyGroups", "1_000_000", 1e6},
        AcceptCase{"UnderscoresInFraction", "1_000.000_5", 1000.0005},
        AcceptCase{"UnderscoreAfterZero", "0_1", 1.0},
        AcceptCase{"UnderscoreInExponent", "1e1_0", 1e10}, AcceptCase{"HexFloat", "0x1p4", 16.0},
        AcceptCase{"HexUpper", "0X1P4", 16.0}, AcceptCase{"HexFraction", "0x1.8p1", 3.0},
        AcceptCase{"HexLeadingDot", "0x.8p1", 1.0},
        AcceptCase{"HexNegativeExponent", "0x1p-2", 0.25},
        AcceptCase{"HexLetters", "0xAbp0", 171.0}, AcceptCase{"HexSigned", "-0x1p4", -16.0},
        AcceptCase{"HexPlusSigned", "+0x1p4", 16.0},
        AcceptCase{"HexUnderscoreAfterPrefix", "0x_1p4", 16.0},
        AcceptCase{"HexUnderscoreBetweenDigits", "0x1_0p0", 16.0},
        AcceptCase{"HexMax", "0x1.fffffffffffffp1023", DBL_MAX},
        AcceptCase{"HexMinDenormal", "0x1p-1074", kMinDenormal},
        AcceptCase{"HexUnderflowIsZero", "0x1p-1076", 0.0},
        AcceptCase{"HexNegativeUnderflow", "-0x1p-1076", -0.0}, AcceptCase{"Inf", "Inf", kInf},
        AcceptCase{"InfLower", "inf", kInf}, AcceptCase{"PlusInf", "+Inf", kInf},
        AcceptCase{"MinusInf", "-Inf", -kInf}, AcceptCase{"Infinity", "infinity", kInf},
        AcceptCase{"InfinityUpper", "INFINITY", kInf},
        AcceptCase{"MinusInfinityMixedCase", "-InFiNiTy", -kInf},
        AcceptCase{"DecimalUnderflowIsZero", "1e-400", 0.0},
        AcceptCase{"DecimalNegativeUnderflow", "-1e-400", -0.0},
        AcceptCase{"LongZeroFractionUnderflow", "0.00000000000000000000000000000000001e-300", 0.0},
        AcceptCase{"ZeroHugeExponent", "0e99999999999", 0.0},
        AcceptCase{"Max", "1.7976931348623157e308", DBL_MAX},
        AcceptCase{"MinDenormal", "4.9e-324", kMinDenormal},
        AcceptCase{"HalfMinDenormalRoundsToZero", "2.4703282292062327e-324", 0.0},
        AcceptCase{"RoundsHalfToEven", "9007199254740993", 9007199254740992.0},
        AcceptCase{"UnixTimestamp", "1606364286", 1606364286.0},
        AcceptCase{"LongMantissa", "123456789012345678901234567890", 1.2345678901234568e29}),
    [](const testing::TestParamInfo<AcceptCase>& info) { return std::string(info.param.name); });

struct RejectCase {
  const char* name;
  std::string_view input;
};

class GoFloatRejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(GoFloatRejectTest, Rejects) {
  EXPECT_FALSE(ParseGoFloat(GetParam().input).has_value()) << "input: " << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    Table, GoFloatRejectTest,
    testing::Values(
        RejectCase{"Empty", ""}, RejectCase{"OnlyPlus", "+"}, RejectCase{"OnlyMinus", "-"},
        RejectCase{"OnlyDot", "."}, RejectCase{"ExponentOnly", "e1"},
        RejectCase{"MissingExponentDigits", "1e"}, RejectCase{"ExponentSignOnly", "1e+"},
        RejectCase{"ExponentMinusOnly", "1e-"}, RejectCase{"LeadingUnderscore", "_1"},
        RejectCase{"TrailingUnderscore", "1_"}, RejectCase{"DoubleUnderscore", "1__0"},
        RejectCase{"UnderscoreBeforeDot", "1_.5"}, RejectCase{"UnderscoreAfterDot", "1._5"},
        RejectCase{"UnderscoreBeforeExponent", "1_e5"},
        RejectCase{"UnderscoreStartsExponent", "1e_5"},
        RejectCase{"UnderscoreEndsExponent", "1e5_"}, RejectCase{"HexWithoutExponent", "0x10"},
        RejectCase{"HexPrefixOnly", "0x"}, RejectCase{"HexOneDigitNoExponent", "0x1"},
        RejectCase{"HexFractionNoExponent", "0x1.8"}, RejectCase{"HexNoDigits", "0xp1"},
        RejectCase{"HexDotNoDigits", "0x.p1"}, RejectCase{"HexEmptyExponent", "0x1p"},
        RejectCase{"HexExponentSignOnly", "0x1p+"},
        RejectCase{"HexUnderscoreBeforeExponent", "0x1_p4"},
        RejectCase{"HexTrailingUnderscore", "0x1p4_"}, RejectCase{"HexDecimalExponent", "0x1e5"},
        RejectCase{"BinaryPrefix", "0b101"}, RejectCase{"OctalPrefix", "0o17"},
        RejectCase{"PExponentOnDecimal", "1p4"}, RejectCase{"Overflow", "1e400"},
        RejectCase{"NegativeOverflow", "-1e400"}, RejectCase{"HugeExponent", "1e10000000000"},
        RejectCase{"JustAboveMax", "1.7976931348623159e308"}, RejectCase{"HexOverflow", "0x1p1024"},
        RejectCase{"HexRoundsToOverflow", "0x1.fffffffffffff8p1023"},
        RejectCase{"TrailingLetter", "1a"}, RejectCase{"Letter", "b"},
        RejectCase{"TwoDots", "1.2.3"}, RejectCase{"AdjacentDots", "1..2"},
        RejectCase{"TwoSigns", "+-1"}, RejectCase{"DoubleMinus", "--1"},
        RejectCase{"LeadingSpace", " 1"}, RejectCase{"TrailingSpace", "1 "},
        RejectCase{"Comma", "1,000"}, RejectCase{"NanWithSuffix", "nan1"},
        RejectCase{"SignedNan", "+nan"}, RejectCase{"NegativeNan", "-NaN"},
        RejectCase{"InfWithSuffix", "infx"}, RejectCase{"PartialInfinity", "infinit"},
        RejectCase{"TooShortForInf", "in"}, RejectCase{"InfinityWithSuffix", "infinityy"},
        RejectCase{"InfUnderscore", "Inf_"}, RejectCase{"FullWidthDigit", "\xef\xbc\x91"},
        RejectCase{"SemverLike", "1.0.0"}, RejectCase{"VersionPrefix", "v1"}),
    [](const testing::TestParamInfo<RejectCase>& info) { return std::string(info.param.name); });

TEST(GoFloatTest, NanWordsParseToNan) {
  for (const std::string_view text : {"NaN", "nan", "NAN", "nAn"}) {
    const std::optional<double> value = ParseGoFloat(text);
    ASSERT_TRUE(value.has_value()) << text;
    EXPECT_TRUE(std::isnan(*value)) << text;
  }
}

TEST(GoFloatTest, DecimalsRoundLikeStrtod) {
  // glibc's strtod is an independent correctly-rounded implementation for plain decimals.
  for (const char* text :
       {"2.2250738585072011e-308", "2.2250738585072012e-308", "47.40896403322944",
        "-27.930666514224427", "3.2008658570411086", "0.30000000000000004", "1e23",
        "8.98846567431158e307", "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124", "5e-324", "1e-310"}) {
    const std::optional<double> value = ParseGoFloat(text);
    ASSERT_TRUE(value.has_value()) << text;
    EXPECT_EQ(*value, std::strtod(text, nullptr)) << text;
  }
}

TEST(GoFloatTest, LongUnderscoredInputIsCleanedOnTheHeap) {
  std::string text = "1";
  for (int i = 0; i < 40; ++i) {
    text += "_0";
  }
  const std::optional<double> value = ParseGoFloat(text);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, 1e40);
}

}  // namespace
}  // namespace imgauto::reflector::policy
