#include "reflector/policy/semver/constraint.h"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reflector/policy/semver/version.h"

namespace imgauto::reflector::policy::semver {
namespace {

// Turns constraint/version text into a GoogleTest-safe name fragment (letters and digits only).
std::string Spell(std::string_view text) {
  static constexpr std::array<std::pair<char, std::string_view>, 12> kWords = {{
      {'.', "p"},
      {'>', "Gt"},
      {'<', "Lt"},
      {'=', "Eq"},
      {'!', "Not"},
      {'~', "Tilde"},
      {'^', "Caret"},
      {'*', "Star"},
      {'|', "Or"},
      {',', "And"},
      {'-', "Dash"},
      {'+', "Plus"},
  }};
  std::string out;
  for (const char c : text) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      out += c;
      continue;
    }
    for (const auto& [symbol, word] : kWords) {
      if (symbol == c) {
        out += word;
      }
    }
  }
  return out.empty() ? "Empty" : out;
}

TEST(ConstraintTest, AcceptsFluxValidRanges) {
  // Reference §7.1 #6.
  for (const char* range : {"1.0.x", "^1.0", "=1.0.0", "~1.0", ">=1.0", ">0,<2.0"}) {
    Result<Constraint> c = Constraint::Parse(range);
    EXPECT_TRUE(c) << range << ": " << (c ? "" : c.error().message());
  }
}

TEST(ConstraintTest, KeepsOriginalText) {
  Result<Constraint> c = Constraint::Parse(" >= 1.2 ");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text(), " >= 1.2 ");
}

struct InvalidCase {
  const char* name;
  std::string text;
  const char* message;  // exact Masterminds message
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << "'" << c.text << "'"; }

class ConstraintInvalidTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(ConstraintInvalidTest, FailsWithMastermindsMessage) {
  const InvalidCase& c = GetParam();
  Result<Constraint> parsed = Constraint::Parse(c.text);
  ASSERT_FALSE(parsed) << c.text;
  EXPECT_EQ(parsed.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(parsed.error().message(), c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConstraintInvalidTest,
    testing::ValuesIn(std::vector<InvalidCase>{
        // Reference §7.1 #6 and factory_test.go.
        {"TrailingLetter", "1.0.0p", "improper constraint: 1.0.0p"},
        {"DigitThenX", "1x", "constraint parser error"},
        {"XThenDigit", "x1", "constraint parser error"},
        {"LeadingHyphen", "-1", "improper constraint: -1"},
        {"Word", "a", "improper constraint: a"},
        {"Empty", "", "improper constraint: "},
        {"StarDashStar", "*-*", "improper constraint: *-*"},
        {"Latest", "latest", "improper constraint: latest"},
        // Masterminds constraints_test.go.
        {"OperatorThenWord", ">= bar", "improper constraint: >= bar"},
        {"WordFirst", "BAR >= 1.2.3", "improper constraint: BAR >= 1.2.3"},
        {"FourParts", "12.3.4.1234", "improper constraint: 12.3.4.1234"},
        {"OperatorGluedToVersion", "12.3.34~ 1.2.3", "improper constraint: 12.3.34~ 1.2.3"},
        // Version rules inside terms.
        {"UppercaseV", "V1.0.0", "improper constraint: V1.0.0"},
        {"NumericPrereleaseLeadingZero", ">=1.0.0-01", "constraint parser error"},
        {"SegmentOverflow", "18446744073709551616", "constraint parser error"},
        {"PipeInSegment", "1|2", "constraint parser error"},
        // Separators and groups.
        {"DoubleComma", "1,,2", "improper constraint: 1,,2"},
        {"TrailingComma", ">=1.0,", "improper constraint: >=1.0,"},
        {"EmptyLastGroup", "1.0 ||", "improper constraint: "},
        {"EmptyFirstGroup", "|| 1.0", "improper constraint: "},
        {"BadSecondGroup", ">=1.0 || latest", "improper constraint:  latest"},
        {"DoubledOperator", ">>1", "improper constraint: >>1"},
        {"SpacedOperator", "> =1", "improper constraint: > =1"},
        {"TermsNotSeparated", ">1<2", "improper constraint: >1<2"},
        {"VerticalTab", "1.0\v", "improper constraint: 1.0\v"},
    }),
    [](const testing::TestParamInfo<InvalidCase>& info) { return std::string(info.param.name); });

struct CheckCase {
  const char* constraint;
  const char* version;
  bool want;
};

void PrintTo(const CheckCase& c, std::ostream* os) {
  *os << "'" << c.constraint << "' with " << c.version << " => " << (c.want ? "true" : "false");
}

class ConstraintCheckTest : public testing::TestWithParam<CheckCase> {};

TEST_P(ConstraintCheckTest, MatchesMasterminds) {
  const CheckCase& c = GetParam();
  Result<Constraint> constraint = Constraint::Parse(c.constraint);
  ASSERT_TRUE(constraint) << c.constraint << ": " << constraint.error().message();
  std::optional<Version> version = Version::ParseCoerced(c.version);
  ASSERT_TRUE(version.has_value()) << c.version;
  EXPECT_EQ(constraint->Check(*version), c.want) << c.constraint << " with " << c.version;
}

std::string CheckCaseName(const testing::TestParamInfo<CheckCase>& info) {
  return Spell(info.param.constraint) + "With" + Spell(info.param.version) + "N" +
         std::to_string(info.index);
}

// Operators, wildcards and partial versions.
INSTANTIATE_TEST_SUITE_P(
    Operators, ConstraintCheckTest,
    testing::ValuesIn(std::vector<CheckCase>{
        {"=2.0.0", "1.2.3", false},
        {"=2.0.0", "2.0.0", true},
        {"=2.0", "1.2.3", false},
        {"=2.0", "2.0.0", true},
        {"=2.0", "2.0.1", true},
        {"= 2.0", "2.0.0", true},
        {"4.1", "4.1.0", true},
        {"4.1.x", "4.1.3", true},
        {"1.x", "1.4", true},
        {"2.*", "1", false},
        {"2.*", "3.4.5", false},
        {"2.*", "2.1.1", true},
        {"2.1.*", "2.1.1", true},
        {"2.1.*", "2.2.1", false},
        {"2", "1", false},
        {"2", "3.4.5", false},
        {"2", "2.1.1", true},
        {"2.1", "2.1.1", true},
        {"2.1", "2.2.1", false},
        {"1.2.X", "1.2.9", true},
        {"1.2.x", "1.3.0", false},
        {"1.2", "1.2.0", true},
        {"1.2", "1.2.9", true},
        {"1.2", "1.3.0", false},
        {"=0", "1", false},
        {"0.x.x", "1.2.3", false},
        {"0.0.x", "1.2.3", false},
        {"0.0.0", "1.2.3", false},
        {"*", "1.2.3", true},
        {"x", "4.5.6", true},
        {"X.X.X", "0.0.1", true},
        {"*.*.*", "9.9.9", true},
        {"v1.0.x", "1.0.1", true},
        {"v2025.02.x", "2025.2.9", true},
        {"!=4.1.0", "4.1.0", false},
        {"!=4.1.0", "4.1.1", true},
        {"!=4.1", "4.1.0", false},
        {"!=4.1", "4.1.1", false},
        {"!=4.1", "5.1.0", true},
        {"!=4.x", "5.1.0", true},
        {"!=4.x", "4.1.0", false},
        {"!=4.1.x", "4.2.0", true},
        {"!=4.2.x", "4.2.3", false},
        {"!=4.1-alpha", "4.1.0", true},
        {"!=4.1-alpha", "4.1.0-alpha", false},
        {"!=4.1-alpha", "4.1.1-alpha", false},
        {"!=4.1", "5.1.0-alpha.1", false},
        {"<11", "0.1.0", true},
        {"<11", "11.1.0", false},
        {"<1.1", "0.1.0", true},
        {"<1.1", "1.1.0", false},
        {"<1.1", "1.1.1", false},
        {"<1.x", "1.1.1", false},
        {"<1.x", "0.1.1", true},
        {"<1.x", "2.0.0", false},
        {"<1.1.x", "1.2.1", false},
        {"<1.1.x", "1.1.500", false},
        {"<1.1.x", "1.0.500", true},
        {"<1.2.x", "1.1.1", true},
        {"<=11", "1.2.3", true},
        {"<=11", "12.2.3", false},
        {"<=11", "11.2.3", true},
        {"<=1.1", "1.2.3", false},
        {"<=1.1", "0.1.0", true},
        {"<=1.1", "1.1.0", true},
        {"<=1.1", "1.1.1", true},
        {"<=1.x", "1.1.0", true},
        {"<=2.x", "3.0.0", false},
        {"<=1.1.x", "1.2.500", false},
        {"<=4.5", "3.7.0", true},
        {"<=4.5", "4.6.3", false},
        {"=<1.2", "1.2.99", true},
        {"<=1.2", "1.3.0", false},
        {"<=1.2.3", "1.2.3", true},
        {">1.1", "4.1.0", true},
        {">1.1", "1.1.0", false},
        {">0", "0", false},
        {">0", "1", true},
        {">11", "11.1.0", false},
        {">11.1", "11.1.0", false},
        {">11.1", "11.1.1", false},
        {">11.1", "11.2.1", true},
        {">1.2", "1.2.9", false},
        {">1.2", "1.3.0", true},
        {">1.2.3", "1.2.4", true},
        {">1.2.3", "1.2.3", false},
        {">=11", "11.1.2", true},
        {">=11.1", "11.1.2", true},
        {">=11.1", "11.0.2", false},
        {">=1.1", "4.1.0", true},
        {">=1.1", "1.1.0", true},
        {">=1.1", "0.0.9", false},
        {"=>1.1", "1.1.0", true},
        {">=0", "0", true},
        {">=0.x", "0.1.1", true},
        {"~1.2.3", "1.2.4", true},
        {"~1.2.3", "1.3.4", false},
        {"~1.2", "1.2.4", true},
        {"~1.2", "1.3.4", false},
        {"~1", "1.2.4", true},
        {"~1", "2.3.4", false},
        {"~1", "0.9.0", false},
        {"~1", "1.9.0", true},
        {"~>1.x", "1.3.5", true},
        {"~1.x", "2.1.1", false},
        {"~0.2.3", "0.2.5", true},
        {"~0.2.3", "0.3.5", false},
        {"~*", "2.1.1", true},
        {"~0.0.0", "1.2.3", true},
        {"~1.2.3", "1.2.2", false},
        {"^1.2.3", "1.8.9", true},
        {"^1.2.3", "2.8.9", false},
        {"^1.2.3", "1.2.1", false},
        {"^1.1.0", "2.1.0", false},
        {"^1.2", "1.8.9", true},
        {"^1.2", "2.8.9", false},
        {"^1", "1.8.9", true},
        {"^1", "2.8.9", false},
        {"^1.x", "1.1.1", true},
        {"^2.x", "1.1.1", false},
        {"^0.2.3", "0.2.5", true},
        {"^0.2.3", "0.5.6", false},
        {"^0.2", "0.2.5", true},
        {"^0.2", "0.5.6", false},
        {"^0.0.3", "0.0.3", true},
        {"^0.0.3", "0.0.4", false},
        {"^0.0.3", "0.0.2", false},
        {"^0.0", "0.0.3", true},
        {"^0.0", "0.1.4", false},
        {"^0.0", "1.0.4", false},
        {"^0", "0.2.3", true},
        {"^0", "0.9.9", true},
        {"^0", "1.0.0", false},
        {"^0.0.0", "1.2.3", false},
        {"^0.0.1", "0.0.1", true},
        {"^0.0.1", "0.3.1", false},
        // Masterminds quirks kept for parity: "^*" matches only 0.0.0, "<=*" only 0.0.x.
        {"^*", "1.0.0", false},
        {"^*", "0.0.5", false},
        {"^*", "0.0.0", true},
        {"<=*", "1.0.0", false},
        {"<=*", "0.0.7", true},
    }),
    CheckCaseName);

// AND/OR groups, separators and hyphen ranges.
INSTANTIATE_TEST_SUITE_P(
    Groups, ConstraintCheckTest,
    testing::ValuesIn(std::vector<CheckCase>{
        {">1.1, <2", "1.1.1", false},
        {">1.1, <2", "1.2.1", true},
        {">1.1, <3", "4.3.2", false},
        {">=1.1, <2, !=1.2.3", "1.2.3", false},
        {">1.1 <2", "1.2.1", true},
        {">1.1    <3", "4.3.2", false},
        {">=1.1    <2    !=1.2.3", "1.2.3", false},
        {">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true},
        {">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false},
        {">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true},
        {">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false},
        {">=1.1 <2 !=1.2.3 || > 3", "4.1.2", true},
        {"> 1.1, <     2", "1.1.1", false},
        {">   1.1, <2", "1.2.1", true},
        {">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true},
        {">=1.2.3,<2.0", "1.9.0", true},
        {">= 1.2.3 , < 2.0", "2.0.0", false},
        {"\t>=1.0\n<2.0\r", "1.5.0", true},
        {">0,<2.0", "1.9.9", true},
        {"1.1 - 2", "1.1.1", true},
        {"1.5.0 - 4.5", "3.7.0", true},
        {"1.5.0 - 4.5", "4.5.9", true},
        {"1.5.0 - 4.5", "4.6.0", false},
        {"1.2 - 1.4.5", "1.4.5", true},
        {"1.2 - 1.4.5", "1.4.6", false},
        {"1.2 - 1.4.5", "1.1.9", false},
        {"1.1-3", "4.3.2", false},
        {"3 - 4 || => 3.0, < 4", "4.5.0", true},
        {"3 - 4 || => 3.0, < 4", "5.0.0", false},
        {"2 - 3, 4.0.0 - 5.1", "2.5.0", false},
        {"1.0 - 2.0 >1.5", "1.6.0", true},
        {"1.0 - 2.0 >1.5", "1.4.0", false},
        // rewriteRange sees "1.0||2.0" as one version (its segment class admits '|'), so this
        // becomes ">= 1.0 || 2.0, <= 3.0": 1.5.0 satisfies the first group.
        {"1.0||2.0 - 3.0", "1.5.0", true},
        {"1.0 || 2.0 - 3.0", "1.5.0", false},
        {"1.0 || 2.0 - 3.0", "2.5.0", true},
        {"*.|", "7.0.0", true},
    }),
    CheckCaseName);

// The prerelease rule: only AND groups with a prerelease term admit prereleases.
INSTANTIATE_TEST_SUITE_P(
    Prereleases, ConstraintCheckTest,
    testing::ValuesIn(std::vector<CheckCase>{
        {"*", "1.2.3-alpha.1", false},
        {"*-0", "1.2.3-alpha.1", true},
        {">=1.0.0", "1.5.0-rc.1", false},
        {"1.x", "1.5.0-rc.1", false},
        {">=1.1", "4.1.0-beta", false},
        {"<=1.1", "0.1.0-alpha", false},
        {"<=1.1-a", "0.1.0-alpha", true},
        {">0", "0.0.1-alpha", false},
        {">0.0", "0.0.1-alpha", false},
        {">0-0", "0.0.1-alpha", false},
        {">0.0-0", "0.0.1-alpha", false},
        {">0", "0.0.0-alpha", false},
        {">0-0", "0.0.0-alpha", false},
        {">0.0.0-0", "0.0.0-alpha", true},
        {">1.2.3-alpha.1", "1.2.3-alpha.2", true},
        {">1.2.3-alpha.1", "1.3.3-alpha.2", true},
        {">=0", "0.0.1-alpha", false},
        {">=0-0", "0.0.1-alpha", true},
        {">=0.0-0", "0.0.1-alpha", true},
        {">=0-0", "0.0.0-alpha", true},
        {">=0.0.0-0", "0.0.0-alpha", true},
        {">=0.0.0-0", "1.2.3", true},
        {">=0.0.0-0", "3.4.5-beta.1", true},
        {"<0", "0.0.0-alpha", false},
        {"<0-z", "0.0.0-alpha", true},
        {"~1.2.3-beta.2", "1.2.3-beta.4", true},
        {"~1.2.3-beta.2", "1.2.4-beta.2", true},
        {"~1.2.3-beta.2", "1.3.4-beta.2", false},
        {"~1.1", "1.1.1-alpha", false},
        {"~1.1-alpha", "1.1.1-beta", true},
        {"~1.1.1-beta", "1.1.1-alpha", false},
        {"~1.1.1-beta", "1.1.1", true},
        {"^1.2.0", "1.2.1-alpha.1", false},
        {"^1.2.0-alpha.0", "1.2.1-alpha.1", true},
        {"^1.2.0-alpha.0", "1.2.1-alpha.0", true},
        {"^1.2.0-alpha.2", "1.2.0-alpha.1", false},
        {"^1.x", "1.1.1-beta1", false},
        {"^1.1.2-alpha", "1.2.1-beta1", true},
        {"^1.2.x-alpha", "1.1.1-beta1", false},
        {"^1.x-0", "1.5.0-rc.1", true},
        {"^0.2.3-beta.2", "0.2.3-beta.4", true},
        {"^0.2.3-beta.2", "0.2.4-beta.2", true},
        {"^0.2.3-beta.2", "0.3.4-beta.2", false},
        {"^0.2.3-beta.2", "0.2.3-beta.2", true},
        // One prerelease term opens the whole AND group; comparison is still by precedence.
        {">=1.0.0-0 <2.0.0", "2.0.0-rc.1", true},
        {">=1.0.0-0 <2.0.0", "1.0.0-alpha", true},
        {">=1.0.0-0 <2.0.0", "2.0.0", false},
        {">=1.0.0-0 <2.0.0", "0.9.0-rc.1", false},
        {"3.12.*", "3.12.0-1", false},
        {"3.12.*", "3.12.1", true},
        {"3.12.x-0", "3.12.0-1", true},
        {">=1.0.0-0", "1.0.0-rc9", true},
        {"<1.0.0-rc10", "1.0.0-rc9", false},
        {"<1.0.0-rc.10", "1.0.0-rc.9", true},
        // The opt-in does not cross "||".
        {">1.0.0-beta.1 <2 || >3", "1.5.0-rc.1", true},
        {">1.0.0-beta.1 <2 || >3", "3.5.0-rc.1", false},
        {">1.0.0-beta.1 <2 || >3", "4.0.0", true},
    }),
    CheckCaseName);

TEST(ConstraintTest, LeadingZerosInRangeAreNumeric) {
  Result<Constraint> c = Constraint::Parse(">=v2025.02.03");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->Check(*Version::Parse("v2025.10.01")));
  EXPECT_FALSE(c->Check(*Version::Parse("2025.2.2")));
}

TEST(ConstraintTest, AcceptsMaxUint64Segment) {
  Result<Constraint> c = Constraint::Parse(">=18446744073709551615");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->Check(*Version::Parse("18446744073709551615.0.0")));
  EXPECT_FALSE(c->Check(*Version::Parse("18446744073709551614.9.9")));
}

TEST(ConstraintTest, CopiesKeepPrereleaseTerms) {
  Result<Constraint> parsed = Constraint::Parse(">=1.0.0-alpha.1");
  ASSERT_TRUE(parsed);
  const Constraint copy = *parsed;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_TRUE(copy.Check(*Version::Parse("1.0.0-alpha.2")));
  EXPECT_FALSE(copy.Check(*Version::Parse("1.0.0-alpha.0")));
}

// A range text built as prefix + filler repeated + suffix; each shape once made range rewriting
// retry the greedy matcher at every byte.
struct HostileCase {
  const char* name;
  const char* prefix;
  const char* filler;
  const char* suffix;
};

std::string BuildHostile(const HostileCase& c, std::size_t target_bytes) {
  std::string text = c.prefix;
  const std::string_view filler = c.filler;
  while (text.size() < target_bytes) {
    text.append(filler);
  }
  return text.append(c.suffix);
}

class ConstraintHostileTest : public testing::TestWithParam<HostileCase> {};

// Parses 1 MB of each shape (quadratic work would time the suite out) and expects the same
// verdict as a short text of the same shape.
TEST_P(ConstraintHostileTest, ParsesMegabyteLikeShortText) {
  const HostileCase& c = GetParam();
  const Result<Constraint> short_parse = Constraint::Parse(BuildHostile(c, 16));
  const Result<Constraint> long_parse = Constraint::Parse(BuildHostile(c, std::size_t{1} << 20));
  EXPECT_EQ(static_cast<bool>(long_parse), static_cast<bool>(short_parse));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConstraintHostileTest,
    testing::Values(HostileCase{"SpacesThenX", "1", " ", "x"},
                    HostileCase{"MixedWhitespaceThenHyphen", "1", " \t", "-x"},
                    HostileCase{"HyphenChainPrerelease", "1-", "0-", "0 x"},
                    HostileCase{"DottedSegments", "1", ".1", " - 2"},
                    HostileCase{"SpacedHyphens", "1 ", "- ", "2"}),
    [](const testing::TestParamInfo<HostileCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace imgauto::reflector::policy::semver
