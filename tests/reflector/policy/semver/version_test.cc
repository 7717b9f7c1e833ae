#include "reflector/policy/semver/version.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace imgauto::reflector::policy::semver {
namespace {

struct AcceptCase {
  const char* name;
  std::string text;
  std::uint64_t major;
  std::uint64_t minor;
  std::uint64_t patch;
  const char* prerelease;
  const char* metadata;
};

void PrintTo(const AcceptCase& c, std::ostream* os) { *os << c.text; }

class VersionParseAcceptsTest : public testing::TestWithParam<AcceptCase> {};

TEST_P(VersionParseAcceptsTest, ExtractsParts) {
  const AcceptCase& c = GetParam();
  std::optional<Version> v = Version::Parse(c.text);
  ASSERT_TRUE(v.has_value()) << c.text;
  EXPECT_EQ(v->major(), c.major);
  EXPECT_EQ(v->minor(), c.minor);
  EXPECT_EQ(v->patch(), c.patch);
  EXPECT_EQ(v->prerelease(), c.prerelease);
  EXPECT_EQ(v->metadata(), c.metadata);
  EXPECT_EQ(v->original(), c.text);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VersionParseAcceptsTest,
    testing::ValuesIn(std::vector<AcceptCase>{
        // fluxcd/pkg version_test.go (reference §7.7 #60).
        {"FluxPlainWithV", "v1.2.3", 1, 2, 3, "", ""},
        {"FluxDateWithLeadingZero", "v2025.07.03", 2025, 7, 3, "", ""},
        {"FluxPrereleaseAndMetadata", "v1.2.0-x.Y.0+metadata", 1, 2, 0, "x.Y.0", "metadata"},
        {"FluxMetadataWithHyphen", "v1.2.0-x.Y.0+metadata-width-hypen", 1, 2, 0, "x.Y.0",
         "metadata-width-hypen"},
        {"FluxPrereleaseWithHyphens", "v1.2.3-rc1-with-hypen", 1, 2, 3, "rc1-with-hypen", ""},
        // Reference §2.5.
        {"Plain", "1.2.3", 1, 2, 3, "", ""},
        {"LeadingZeros", "v2025.02.03", 2025, 2, 3, "", ""},
        {"ManyLeadingZeros", "000.0001.00000000000000000000000002", 0, 1, 2, "", ""},
        {"ThreePartQuirk", "1-rc.1.2", 1, 0, 0, "rc.1.2", ""},
        {"TwoDotsAcrossPrerelease", "1.2-rc.1", 1, 2, 0, "rc.1", ""},
        {"DotsOnlyInMetadata", "1+a.b.c", 1, 0, 0, "", "a.b.c"},
        {"MaxUint64", "18446744073709551615.0.0", 18446744073709551615ULL, 0, 0, "", ""},
        {"ZeroPrerelease", "1.0.0-0", 1, 0, 0, "0", ""},
        {"HyphenOnlyIdentifier", "1.0.0--", 1, 0, 0, "-", ""},
        {"AlphanumericWithLeadingZero", "1.0.0-01a", 1, 0, 0, "01a", ""},
        {"MetadataLeadingZeroAllowed", "1.0.0+001", 1, 0, 0, "", "001"},
        {"RcWithBuild", "1.0.0-rc.1+build.2", 1, 0, 0, "rc.1", "build.2"},
        {"DistroRevision", "3.12.0-1", 3, 12, 0, "1", ""},
    }),
    [](const testing::TestParamInfo<AcceptCase>& info) { return std::string(info.param.name); });

struct RejectCase {
  const char* name;
  std::string text;
};

void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.text; }

class VersionParseRejectsTest : public testing::TestWithParam<RejectCase> {};

TEST_P(VersionParseRejectsTest, ReturnsNullopt) {
  EXPECT_FALSE(Version::Parse(GetParam().text).has_value()) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(Cases, VersionParseRejectsTest,
                         testing::ValuesIn(std::vector<RejectCase>{
                             // fluxcd/pkg version_test.go (reference §7.7 #60).
                             {"FluxTwoParts", "v1.0"},
                             {"FluxOnePart", "v1"},
                             {"FluxWordPatch", "v1.2.beta"},
                             {"FluxTwoPartsNumericPrerelease", "v1.2-5"},
                             {"FluxTwoPartsPrerelease", "v1.2-beta5"},
                             {"FluxLeadingNewline", "\nv1.2"},
                             {"FluxFourParts", "v1.2.3.4"},
                             // Reference §2.5 and §7.1.
                             {"UppercaseV", "V1.0.0"},
                             {"NumericPrereleaseLeadingZero", "1.0.0-01"},
                             {"NestedNumericLeadingZero", "1.0.0-rc.01"},
                             {"TrailingLetter", "1.0.0p"},
                             {"FourNumericParts", "1.0.0.1"},
                             {"TwoPartsPlain", "1.2"},
                             {"Latest", "latest"},
                             {"Empty", ""},
                             {"MajorOverflow", "18446744073709551616.0.0"},
                             {"PatchOverflow", "1.0.99999999999999999999"},
                             {"EmptyPrerelease", "1.0.0-"},
                             {"EmptyMetadata", "1.0.0+"},
                             {"EmptyPrereleaseIdentifier", "1.0.0-a..b"},
                             {"TrailingDotInPrerelease", "1.0.0-rc."},
                             {"EmptyMetadataIdentifier", "1.0.0+a..b"},
                             {"PlusInMetadata", "1.0.0+a+b"},
                             {"TrailingSpace", "1.0.0 "},
                             {"LeadingSpace", " 1.0.0"},
                             {"TrailingNewline", "1.0.0\n"},
                             {"NonAsciiPrerelease", "1.0.0-\xc3\xa9t\xc3\xa9"},
                             {"DoubleV", "vv1.2.3"},
                             {"EmptyMinor", "1..2.3"},
                             {"NegativeMinor", "1.-2.3"},
                             {"UnderscorePrerelease", "1.0.0-rc_1"},
                             {"GitShaTag", "main-abc1234-1700000000"},
                             {"ShaTag", "sha-1234567890"},
                             {"VersionedFeatureBranch", "feature-1.2.3"},
                         }),
                         [](const testing::TestParamInfo<RejectCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(VersionTest, ParseCoercedFillsMissingSegments) {
  std::optional<Version> v = Version::ParseCoerced("v3");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->ToString(), "3.0.0");
  std::optional<Version> w = Version::ParseCoerced("1.2-beta");
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->ToString(), "1.2.0-beta");
}

TEST(VersionTest, ParseCoercedStillRejectsGarbage) {
  EXPECT_FALSE(Version::ParseCoerced("1.x").has_value());
  EXPECT_FALSE(Version::ParseCoerced("").has_value());
  EXPECT_FALSE(Version::ParseCoerced("1.0.0-01").has_value());
}

TEST(VersionTest, ToStringDropsPrefixAndLeadingZeros) {
  std::optional<Version> v = Version::Parse("v2025.02.03-rc.1+build");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->ToString(), "2025.2.3-rc.1+build");
}

TEST(VersionTest, ParseViewsIntoCallerText) {
  const std::string text = "1.2.3-alpha+meta";
  std::optional<Version> v = Version::Parse(text);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->prerelease().data(), text.data() + 6);
  EXPECT_EQ(v->original().data(), text.data());
}

struct CompareCase {
  const char* name;
  const char* a;
  const char* b;
  int want;
};

void PrintTo(const CompareCase& c, std::ostream* os) { *os << c.a << " vs " << c.b; }

class VersionCompareTest : public testing::TestWithParam<CompareCase> {};

TEST_P(VersionCompareTest, OrdersByPrecedence) {
  const CompareCase& c = GetParam();
  std::optional<Version> a = Version::ParseCoerced(c.a);
  std::optional<Version> b = Version::ParseCoerced(c.b);
  ASSERT_TRUE(a.has_value()) << c.a;
  ASSERT_TRUE(b.has_value()) << c.b;
  EXPECT_EQ(Compare(*a, *b), c.want) << c.a << " vs " << c.b;
  EXPECT_EQ(Compare(*b, *a), -c.want) << c.b << " vs " << c.a;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VersionCompareTest,
    testing::ValuesIn(std::vector<CompareCase>{
        {"MajorNumeric", "2.0.0", "10.0.0", -1},
        {"MinorNumeric", "1.2.0", "1.10.0", -1},
        {"PatchNumeric", "1.0.9", "1.0.10", -1},
        {"ReleaseAbovePrerelease", "1.0.0", "1.0.0-rc.1", 1},
        {"SpecAlphaBeforeAlpha1", "1.0.0-alpha", "1.0.0-alpha.1", -1},
        {"SpecAlpha1BeforeAlphaBeta", "1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
        {"SpecAlphaBetaBeforeBeta", "1.0.0-alpha.beta", "1.0.0-beta", -1},
        {"SpecBetaBeforeBeta2", "1.0.0-beta", "1.0.0-beta.2", -1},
        {"SpecBeta2BeforeBeta11", "1.0.0-beta.2", "1.0.0-beta.11", -1},
        {"SpecBeta11BeforeRc1", "1.0.0-beta.11", "1.0.0-rc.1", -1},
        {"GluedRcComparesAsText", "1.0.0-rc9", "1.0.0-rc10", 1},
        {"DottedRcComparesNumerically", "1.0.0-rc.9", "1.0.0-rc.10", -1},
        {"NumericBelowAlphanumeric", "1.0.0-999", "1.0.0-a", -1},
        {"NumericBelowHyphen", "1.0.0-999", "1.0.0--", -1},
        {"AlphanumericByteWise", "1.0.0-Beta", "1.0.0-alpha", -1},
        {"PrefixIgnored", "v1.0.0", "1.0.0", 0},
        {"LeadingZerosIgnored", "v2025.02.03", "2025.2.3", 0},
        {"MetadataIgnored", "1.0.0+build.1", "1.0.0+build.2", 0},
        {"PrereleaseMetadataIgnored", "1.0.0-rc.1+a", "1.0.0-rc.1+b", 0},
        {"ThreePartQuirkEqualsFull", "1-rc.1.2", "1.0.0-rc.1.2", 0},
        {"SameVersion", "1.2.3-rc.1", "1.2.3-rc.1", 0},
        {"MajorWinsOverMinor", "2.0.0", "1.99.99", 1},
        {"MaxUint64Major", "18446744073709551615.0.0", "18446744073709551614.9.9", 1},
        // Identifiers beyond uint64 are not numbers to Masterminds: they compare as text.
        {"OverflowingIdentifiersCompareAsText", "1.0.0-99999999999999999999",
         "1.0.0-100000000000000000000", 1},
        {"NumberBelowOverflowingIdentifier", "1.0.0-5", "1.0.0-99999999999999999999", -1},
    }),
    [](const testing::TestParamInfo<CompareCase>& info) { return std::string(info.param.name); });

TEST(VersionTest, ComparePrereleaseRanksEmptyLowest) {
  EXPECT_EQ(ComparePrerelease("", "alpha"), -1);
  EXPECT_EQ(ComparePrerelease("alpha", ""), 1);
  EXPECT_EQ(ComparePrerelease("", ""), 0);
  EXPECT_EQ(ComparePrerelease("a.b", "a.b"), 0);
}

}  // namespace
}  // namespace imgauto::reflector::policy::semver
