#include "reflector/policy/alphabetical_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace imgauto::reflector::policy {
namespace {

using Tags = std::vector<std::string>;

std::string Pick(std::string_view order, const Tags& tags) {
  Result<TagPolicyPtr> policy = AlphabeticalPolicy::Create(order);
  EXPECT_TRUE(policy) << policy.error().message();
  Result<std::string> latest = (*policy)->Latest(tags);
  EXPECT_TRUE(latest) << latest.error().message();
  return latest.value_or("<error>");
}

struct LatestCase {
  const char* name;
  const char* order;
  Tags tags;
  const char* expected;
};

class AlphabeticalLatestTest : public testing::TestWithParam<LatestCase> {};

TEST_P(AlphabeticalLatestTest, PicksExpectedTag) {
  const LatestCase& c = GetParam();
  EXPECT_EQ(Pick(c.order, c.tags), c.expected);
}

TEST_P(AlphabeticalLatestTest, LatestIndexAgreesWithLatest) {
  const LatestCase& c = GetParam();
  Result<TagPolicyPtr> policy = AlphabeticalPolicy::Create(c.order);
  ASSERT_TRUE(policy);
  const std::vector<std::string_view> views(c.tags.begin(), c.tags.end());
  Result<std::size_t> index = (*policy)->LatestIndex(views);
  ASSERT_TRUE(index) << index.error().message();
  EXPECT_EQ(c.tags[*index], c.expected);
}

const Tags kUbuntu = {"16.04", "16.04.1", "16.10", "20.04", "20.10"};
const Tags kCodenames = {"xenial", "yakkety", "zesty", "artful", "bionic"};
const Tags kTimestamps = {"1606234201", "1606364286", "1606334092", "1606334284", "1606334201"};
const Tags kPrefixed = {"rel-1606234201", "rel-1606364286", "rel-1606334092", "rel-1606334284",
                        "rel-1606334201"};
const Tags kDates = {"2021-01-08T21-18-21Z", "2020-05-08T21-18-21Z", "2021-01-08T19-20-00Z",
                     "1990-01-08T00-20-00Z", "2023-05-08T00-20-00Z"};

INSTANTIATE_TEST_SUITE_P(
    FluxVectors, AlphabeticalLatestTest,
    testing::Values(LatestCase{"UbuntuAsc", "asc", kUbuntu, "20.10"},
                    LatestCase{"UbuntuDesc", "desc", kUbuntu, "16.04"},
                    LatestCase{"CodenamesAsc", "asc", kCodenames, "zesty"},
                    LatestCase{"CodenamesDefault", "", kCodenames, "zesty"},
                    LatestCase{"CodenamesDesc", "desc", kCodenames, "artful"},
                    LatestCase{"TimestampsAsc", "asc", kTimestamps, "1606364286"},
                    LatestCase{"TimestampsDesc", "desc", kTimestamps, "1606234201"},
                    LatestCase{"PrefixedAsc", "asc", kPrefixed, "rel-1606364286"},
                    LatestCase{"PrefixedDesc", "desc", kPrefixed, "rel-1606234201"},
                    LatestCase{"DatesAsc", "asc", kDates, "2023-05-08T00-20-00Z"},
                    LatestCase{"DatesDesc", "desc", kDates, "1990-01-08T00-20-00Z"},
                    LatestCase{"UpperCaseOrder", "ASC", kCodenames, "zesty"},
                    LatestCase{"UpperCaseDesc", "DESC", kCodenames, "artful"},
                    LatestCase{"MixedCaseDesc", "Desc", kCodenames, "artful"},
                    LatestCase{"UppercaseBeforeLowercase", "desc", Tags{"b", "a", "B"}, "B"},
                    LatestCase{"DashBeforeDigits", "desc", Tags{"1", "-"}, "-"},
                    LatestCase{"PrefixSortsFirst", "desc", Tags{"ab", "a"}, "a"},
                    LatestCase{"PrefixSortsFirstAsc", "asc", Tags{"a", "ab"}, "ab"},
                    LatestCase{"MultiByteAfterAscii", "asc", Tags{"\xc3\xa9", "z"}, "\xc3\xa9"},
                    LatestCase{"EmptyStringIsSmallest", "desc", Tags{"a", ""}, ""},
                    LatestCase{"SingleTag", "asc", Tags{"only"}, "only"}),
    [](const testing::TestParamInfo<LatestCase>& info) { return std::string(info.param.name); });

TEST(AlphabeticalPolicyTest, RejectsUnknownOrder) {
  Result<TagPolicyPtr> policy = AlphabeticalPolicy::Create("invalid");
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(policy.error().message(),
            "invalid order argument provided: 'INVALID', must be one of: ASC, DESC");
}

TEST(AlphabeticalPolicyTest, EmptyListFails) {
  Result<TagPolicyPtr> policy = AlphabeticalPolicy::Create("");
  ASSERT_TRUE(policy);
  Result<std::string> latest = (*policy)->Latest({});
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(latest.error().message(), "version list argument cannot be empty");
  EXPECT_FALSE((*policy)->LatestIndex({}));
}

TEST(AlphabeticalPolicyTest, EqualStringsReturnFirstIndex) {
  Result<TagPolicyPtr> policy = AlphabeticalPolicy::Create("asc");
  ASSERT_TRUE(policy);
  const std::vector<std::string_view> views = {"a", "z", "b", "z"};
  Result<std::size_t> index = (*policy)->LatestIndex(views);
  ASSERT_TRUE(index);
  EXPECT_EQ(*index, 1u);
}

TEST(AlphabeticalPolicyTest, ResultDoesNotDependOnInputOrder) {
  Tags tags = kDates;
  const std::string expected = Pick("asc", tags);
  for (std::size_t i = 0; i < tags.size(); ++i) {
    std::rotate(tags.begin(), tags.begin() + 1, tags.end());
    EXPECT_EQ(Pick("asc", tags), expected);
  }
}

}  // namespace
}  // namespace imgauto::reflector::policy
