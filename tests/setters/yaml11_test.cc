#include "setters/yaml11.h"

#include <gtest/gtest.h>

#include <string>

namespace imgauto::setters {
namespace {

struct Yaml11Case {
  std::string label;
  std::string value;
  bool non_string;
};

class Yaml11VectorTest : public ::testing::TestWithParam<Yaml11Case> {};

TEST_P(Yaml11VectorTest, MatchesGoYamlV2) {
  EXPECT_EQ(IsYaml11NonString(GetParam().value), GetParam().non_string) << GetParam().value;
}

// §3.4: the reference list (quoted → true, left plain → false), then go-yaml v2 edge cases.
INSTANTIATE_TEST_SUITE_P(
    Reference, Yaml11VectorTest,
    ::testing::Values(
        Yaml11Case{"Exponent", "1e3", true}, Yaml11Case{"On", "on", true},
        Yaml11Case{"Yes", "yes", true}, Yaml11Case{"Y", "y", true},
        Yaml11Case{"True", "true", true}, Yaml11Case{"Hex", "0x1F", true},
        Yaml11Case{"Octal", "010", true}, Yaml11Case{"Underscores", "1_000", true},
        Yaml11Case{"PlusOne", "+1", true}, Yaml11Case{"DateLikeInt", "20240101", true},
        Yaml11Case{"OnePointZero", "1.0", true}, Yaml11Case{"ZeroPointFive", "0.5", true},
        Yaml11Case{"PointFive", ".5", true}, Yaml11Case{"Null", "null", true},
        Yaml11Case{"Tilde", "~", true}, Yaml11Case{"VPrefixed", "v1.0", false},
        Yaml11Case{"Semver", "1.0.0", false}, Yaml11Case{"Latest", "latest", false},
        Yaml11Case{"Digest", "sha256:abc", false}, Yaml11Case{"Date", "2024-01-01", false},
        Yaml11Case{"Sexagesimal", "12:30", false}, Yaml11Case{"Overflow", "1e400", false},
        Yaml11Case{"Newline", "1\n2", false}, Yaml11Case{"Empty", "", false}),
    [](const ::testing::TestParamInfo<Yaml11Case>& info) { return info.param.label; });

INSTANTIATE_TEST_SUITE_P(
    GoYamlV2, Yaml11VectorTest,
    ::testing::Values(
        Yaml11Case{"UpperYes", "YES", true}, Yaml11Case{"MixedYes", "yEs", false},
        Yaml11Case{"OffTitle", "Off", true}, Yaml11Case{"N", "N", true},
        Yaml11Case{"FalseUpper", "FALSE", true}, Yaml11Case{"NullTitle", "Null", true},
        Yaml11Case{"Inf", ".inf", true}, Yaml11Case{"NegInf", "-.Inf", true},
        Yaml11Case{"Nan", ".NaN", true}, Yaml11Case{"NanMixed", ".nAn", false},
        Yaml11Case{"GoOctalPrefix", "0o17", true}, Yaml11Case{"Binary", "0b101", true},
        Yaml11Case{"NegativeBinary", "-0b101", true}, Yaml11Case{"BadOctalIsFloat", "09", true},
        Yaml11Case{"Negative", "-42", true}, Yaml11Case{"Uint64Max", "18446744073709551615", true},
        Yaml11Case{"BeyondUint64IsFloat", "99999999999999999999", true},
        Yaml11Case{"HexOverflow", "0xFFFFFFFFFFFFFFFFFF", false},
        Yaml11Case{"Underflow", "1e-400", true}, Yaml11Case{"TrailingDot", "1.", true},
        Yaml11Case{"PointExponent", ".5e3", true}, Yaml11Case{"LonePoint", ".", false},
        Yaml11Case{"LoneMinus", "-", false}, Yaml11Case{"LeadingUnderscore", "_1", false},
        Yaml11Case{"TrailingUnderscore", "1_", true}, Yaml11Case{"HexNoDigits", "0x", false},
        Yaml11Case{"Words", "nginx", false}, Yaml11Case{"Infinity", "inf", false},
        Yaml11Case{"SignedFloat", "+1.5e-3", true}, Yaml11Case{"Version", "1.2", true},
        Yaml11Case{"TagLikeVersion", "1.25.3-alpine", false}, Yaml11Case{"Merge", "<<", false}),
    [](const ::testing::TestParamInfo<Yaml11Case>& info) { return info.param.label; });

}  // namespace
}  // namespace imgauto::setters
