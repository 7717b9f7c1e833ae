#include "reflector/policy/semver_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "reflector/policy/semver/version.h"

namespace imgauto::reflector::policy {
namespace {

using Tags = std::vector<std::string>;

Result<std::string> RunPolicy(std::string_view range, const Tags& tags) {
  Result<TagPolicyPtr> policy = SemverPolicy::Create(range);
  if (!policy) {
    return policy.error();
  }
  return (*policy)->Latest(tags);
}

struct LatestCase {
  const char* name;
  const char* range;
  Tags tags;
  const char* expected;
};

void PrintTo(const LatestCase& c, std::ostream* os) { *os << c.name; }

class SemverPolicyLatestTest : public testing::TestWithParam<LatestCase> {};

TEST_P(SemverPolicyLatestTest, PicksExpectedTag) {
  const LatestCase& c = GetParam();
  Result<std::string> latest = RunPolicy(c.range, c.tags);
  ASSERT_TRUE(latest) << latest.error().message();
  EXPECT_EQ(*latest, c.expected);
}

TEST_P(SemverPolicyLatestTest, LatestIndexAgreesWithLatest) {
  const LatestCase& c = GetParam();
  Result<TagPolicyPtr> policy = SemverPolicy::Create(c.range);
  ASSERT_TRUE(policy) << policy.error().message();
  const std::vector<std::string_view> views(c.tags.begin(), c.tags.end());
  Result<std::size_t> index = (*policy)->LatestIndex(views);
  ASSERT_TRUE(index) << index.error().message();
  EXPECT_EQ(c.tags[*index], c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SemverPolicyLatestTest,
    testing::ValuesIn(std::vector<LatestCase>{
        // Reference §7.1 (IRC semver_test.go).
        {"FluxSkipsNonVersions",
         "1.0.x",
         {"1.0.0", "1.0.0.1", "1.0.0p", "1.0.1", "1.2.0", "0.1.0"},
         "1.0.1"},
        {"FluxKeepsPrefix", "1.0.x", {"v1.2.3", "v1.0.0", "v0.1.0"}, "v1.0.0"},
        // Reference §7.5 #28-31 (imagepolicy_controller_test.go).
        {"ControllerPlain", "1.0.x", {"1.0.0", "2.0.0", "1.0.1", "1.2.0"}, "1.0.1"},
        {"ControllerPrefixedRangeAndTags",
         "v1.0.x",
         {"v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"},
         "v1.0.1"},
        {"ControllerPrefixedRangePlainTags",
         "v1.0.x",
         {"1.0.0", "2.0.0", "1.0.1", "1.2.0"},
         "1.0.1"},
        {"ControllerPlainRangePrefixedTags",
         "1.0.x",
         {"v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"},
         "v1.0.1"},
        // Reference §7.5 #35 and the semver half of #37 (policy_test.go).
        {"PolicyTestIgnoresPrerelease",
         "1.0.x",
         {"0.1.0", "0.1.1", "0.2.0", "1.0.0", "1.0.1", "1.0.2", "1.1.0-alpha"},
         "1.0.2"},
        {"PolicyTestExtractedKeys", ">=0.x", {"0.1.0", "0.1.1"}, "0.1.1"},
        {"PolicyTestUnfiltered",
         ">=0.x",
         {"test-0.1.0", "test-0.1.1", "dev-0.2.0", "1.0.0", "1.0.1", "1.0.2", "1.1.0-alpha"},
         "1.0.2"},
        // Reference §7.7 #61: among equal versions the first in input order wins.
        {"FluxPkgSortWindow",
         ">= 1.2.0, < 1.3.0",
         {"v1.2.0", "v1.2.3", "v1.3.0", "1.2.4", "v1.1.0", "something-invalid", "v1.2.4",
          "another-invalid", "1.2.4"},
         "1.2.4"},
        // Reference §2.5.
        {"FirstOfEqualsPrefixed", "*", {"v1.0.0", "1.0.0"}, "v1.0.0"},
        {"FirstOfEqualsPlain", "*", {"1.0.0", "v1.0.0"}, "1.0.0"},
        {"FirstOfEqualsMetadata", "*", {"1.0.0+build.2", "1.0.0+build.1"}, "1.0.0+build.2"},
        {"PrereleaseTermAdmitsNextMajorRc",
         ">=1.0.0-0 <2.0.0",
         {"1.9.0", "2.0.0-rc.1", "2.0.0"},
         "2.0.0-rc.1"},
        {"GluedRcComparesAsText", ">=1.0.0-0", {"1.0.0-rc10", "1.0.0-rc9"}, "1.0.0-rc9"},
        {"DottedRcComparesNumerically", ">=1.0.0-0", {"1.0.0-rc.9", "1.0.0-rc.10"}, "1.0.0-rc.10"},
        {"DistroRevisionInvisibleToWildcard", "3.12.*", {"3.12.1-1", "3.12.0"}, "3.12.0"},
        {"DistroRevisionVisibleWithPrereleaseTerm", "3.12.x-0", {"3.12.1-1", "3.12.0"}, "3.12.1-1"},
        {"LeadingZerosAreNumeric",
         ">=2025.1.0",
         {"v2025.02.03", "v2025.10.01", "v2025.09.30"},
         "v2025.10.01"},
        {"UppercaseVSkipped", "*", {"V2.0.0", "1.0.0"}, "1.0.0"},
        {"NumericPrereleaseLeadingZeroSkipped", ">=1.0.0-0", {"1.0.0-01", "1.0.0-1"}, "1.0.0-1"},
        {"OverflowSkipped", "*", {"18446744073709551616.0.0", "1.0.0"}, "1.0.0"},
        {"ThreePartQuirkParses", ">=1.0.0-0", {"0.9.0", "1-rc.1.2"}, "1-rc.1.2"},
        {"TypicalRegistryMix",
         "^1.2",
         {"main-abc1234-1700000000", "v1.2.3", "1.2.4-rc.1", "sha-1234567890", "latest", "pr-12",
          "build-7", "feature-x-3", "v1.9.0", "v2.0.0"},
         "v1.9.0"},
    }),
    [](const testing::TestParamInfo<LatestCase>& info) { return std::string(info.param.name); });

TEST(SemverPolicyTest, ReportsNoMatchWhenNoTagParses) {
  // Reference §7.1 #3.
  Result<std::string> latest = RunPolicy("1.0.x", {"b1.2.3", "b1.0.0", "b0.1.0"});
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(latest.error().message(), "unable to determine latest version from provided list");
}

TEST(SemverPolicyTest, ReportsEmptyList) {
  // Reference §7.1 #4.
  Result<std::string> latest = RunPolicy("1.0.x", {});
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(latest.error().message(), "version list argument cannot be empty");
}

TEST(SemverPolicyTest, LatestIndexReportsEmptyList) {
  Result<TagPolicyPtr> policy = SemverPolicy::Create("*");
  ASSERT_TRUE(policy);
  Result<std::size_t> index = (*policy)->LatestIndex({});
  ASSERT_FALSE(index);
  EXPECT_EQ(index.error().message(), "version list argument cannot be empty");
}

TEST(SemverPolicyTest, ReportsNoMatchWhenNothingSatisfiesRange) {
  // Reference §7.1 #5.
  Result<std::string> latest = RunPolicy("1.0.x", {"1.2.0"});
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().message(), "unable to determine latest version from provided list");
}

TEST(SemverPolicyTest, ReturnsIndexOfFirstOfEquals) {
  Result<TagPolicyPtr> policy = SemverPolicy::Create(">= 1.2.0, < 1.3.0");
  ASSERT_TRUE(policy);
  const std::vector<std::string_view> tags = {"v1.2.0", "v1.2.3", "v1.3.0", "1.2.4",
                                              "v1.1.0", "x",      "v1.2.4", "1.2.4"};
  Result<std::size_t> index = (*policy)->LatestIndex(tags);
  ASSERT_TRUE(index);
  EXPECT_EQ(*index, 3u);
}

// Reference §7.7 #61: filtering by the range and sorting descending (stable) by precedence gives
// Flux's order, which exercises Compare's ties on prefix.
TEST(SemverPolicyTest, StableDescendingSortMatchesFluxPkg) {
  Result<semver::Constraint> range = semver::Constraint::Parse(">= 1.2.0, < 1.3.0");
  ASSERT_TRUE(range);
  const Tags input = {"v1.2.0", "v1.2.3",          "v1.3.0", "1.2.4", "v1.1.0", "something-invalid",
                      "v1.2.4", "another-invalid", "1.2.4"};
  std::vector<semver::Version> kept;
  for (const std::string& tag : input) {
    std::optional<semver::Version> v = semver::Version::Parse(tag);
    if (v && range->Check(*v)) {
      kept.push_back(*v);
    }
  }
  std::stable_sort(
      kept.begin(), kept.end(),
      [](const semver::Version& a, const semver::Version& b) { return semver::Compare(a, b) > 0; });
  std::vector<std::string> order;
  for (const semver::Version& v : kept) {
    order.emplace_back(v.original());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"1.2.4", "v1.2.4", "1.2.4", "v1.2.3", "v1.2.0"}));
}

class SemverPolicyValidRangeTest : public testing::TestWithParam<const char*> {};

TEST_P(SemverPolicyValidRangeTest, Creates) {
  Result<TagPolicyPtr> policy = SemverPolicy::Create(GetParam());
  EXPECT_TRUE(policy) << GetParam() << ": " << policy.error().message();
}

// Reference §7.1 #6.
INSTANTIATE_TEST_SUITE_P(Flux, SemverPolicyValidRangeTest,
                         testing::Values("1.0.x", "^1.0", "=1.0.0", "~1.0", ">=1.0", ">0,<2.0"),
                         [](const testing::TestParamInfo<const char*>& info) {
                           return "Range" + std::to_string(info.index);
                         });

struct InvalidRangeCase {
  const char* name;
  const char* range;
  const char* message;
};

void PrintTo(const InvalidRangeCase& c, std::ostream* os) { *os << "'" << c.range << "'"; }

class SemverPolicyInvalidRangeTest : public testing::TestWithParam<InvalidRangeCase> {};

TEST_P(SemverPolicyInvalidRangeTest, FailsAsInvalidSpec) {
  const InvalidRangeCase& c = GetParam();
  Result<TagPolicyPtr> policy = SemverPolicy::Create(c.range);
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(policy.error().message(), c.message);
}

// Reference §7.1 #6 and factory_test.go.
INSTANTIATE_TEST_SUITE_P(
    Flux, SemverPolicyInvalidRangeTest,
    testing::ValuesIn(std::vector<InvalidRangeCase>{
        {"TrailingLetter", "1.0.0p", "invalid policy: improper constraint: 1.0.0p"},
        {"DigitThenX", "1x", "invalid policy: constraint parser error"},
        {"XThenDigit", "x1", "invalid policy: constraint parser error"},
        {"LeadingHyphen", "-1", "invalid policy: improper constraint: -1"},
        {"Word", "a", "invalid policy: improper constraint: a"},
        {"Empty", "", "invalid policy: improper constraint: "},
        {"StarDashStar", "*-*", "invalid policy: improper constraint: *-*"},
    }),
    [](const testing::TestParamInfo<InvalidRangeCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace imgauto::reflector::policy
