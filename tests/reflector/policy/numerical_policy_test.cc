#include "reflector/policy/numerical_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace imgauto::reflector::policy {
namespace {

using Tags = std::vector<std::string>;

Result<std::string> LatestFor(std::string_view order, const Tags& tags) {
  Result<TagPolicyPtr> policy = NumericalPolicy::Create(order);
  if (!policy) {
    return policy.error();
  }
  return (*policy)->Latest(tags);
}

struct LatestCase {
  const char* name;
  const char* order;
  Tags tags;
  const char* expected;
};

class NumericalLatestTest : public testing::TestWithParam<LatestCase> {};

// Flux shuffles these inputs: the answer must not depend on the order.
TEST_P(NumericalLatestTest, PicksExpectedTagInAnyOrder) {
  const LatestCase& c = GetParam();
  Tags tags = c.tags;
  std::mt19937 engine(42);
  for (int round = 0; round < 5; ++round) {
    Result<std::string> latest = LatestFor(c.order, tags);
    ASSERT_TRUE(latest) << latest.error().message();
    EXPECT_EQ(*latest, c.expected);
    std::shuffle(tags.begin(), tags.end(), engine);
  }
}

TEST_P(NumericalLatestTest, LatestIndexAgreesWithLatest) {
  const LatestCase& c = GetParam();
  Result<TagPolicyPtr> policy = NumericalPolicy::Create(c.order);
  ASSERT_TRUE(policy);
  const std::vector<std::string_view> views(c.tags.begin(), c.tags.end());
  Result<std::size_t> index = (*policy)->LatestIndex(views);
  ASSERT_TRUE(index) << index.error().message();
  EXPECT_EQ(c.tags[*index], c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    FluxVectors, NumericalLatestTest,
    testing::Values(
        LatestCase{"IntegersAsc", "",
                   Tags{"-62", "-88", "73", "72", "15", "16", "15", "29", "-33", "-91"}, "73"},
        LatestCase{"IntegersDesc", "desc",
                   Tags{"5", "-8", "-78", "25", "70", "-4", "80", "92", "-20", "-24"}, "-78"},
        LatestCase{"FloatsAsc", "asc",
                   Tags{"47.40896403322944", "-27.8520927455902", "-27.930666514224427",
                        "-31.352485948094568", "-50.41072694704882", "-21.962849842263736",
                        "24.71884721436865", "-39.99177354004344", "53.47333823144817",
                        "3.2008658570411086"},
                   "53.47333823144817"},
        LatestCase{"FloatsDesc", "DESC",
                   Tags{"-65.27202780220686", "57.82948329142309", "22.40184684363291",
                        "-86.36934305697784", "-90.29082099756083", "-12.041712603564264",
                        "77.70488240399305", "-38.98425003883552", "16.06867070412028",
                        "53.735674335181216"},
                   "-90.29082099756083"},
        LatestCase{"TimestampsAsc", "asc",
                   Tags{"1606234201", "1606364286", "1606334092", "1606334284", "1606334201"},
                   "1606364286"},
        LatestCase{"TimestampsDesc", "desc",
                   Tags{"1606234201", "1606364286", "1606334092", "1606334284", "1606334201"},
                   "1606234201"},
        LatestCase{"SingleAsc", "asc", Tags{"1"}, "1"},
        LatestCase{"SingleDesc", "desc", Tags{"1"}, "1"},
        LatestCase{"GoSyntaxMix", "asc", Tags{"+5", ".5", "1e3", "1_001", "0x1p4", "-Inf"},
                   "1_001"},
        LatestCase{"InfinityWins", "asc", Tags{"1e300", "+Inf", "7"}, "+Inf"},
        LatestCase{"MinusInfinityWinsDesc", "desc", Tags{"-1e300", "-infinity", "7"}, "-infinity"}),
    [](const testing::TestParamInfo<LatestCase>& info) { return std::string(info.param.name); });

TEST(NumericalPolicyTest, RejectsUnknownOrder) {
  Result<TagPolicyPtr> policy = NumericalPolicy::Create("invalid");
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(policy.error().message(),
            "invalid order argument provided: 'INVALID', must be one of: ASC, DESC");
}

TEST(NumericalPolicyTest, NamesFirstUnparsableValue) {
  Result<std::string> latest = LatestFor("asc", Tags{"0", "1a", "b"});
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(latest.error().message(), "failed to parse invalid numeric value '1a'");
}

TEST(NumericalPolicyTest, EmptyStringIsUnparsable) {
  Result<std::string> latest = LatestFor("asc", Tags{"1", ""});
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().message(), "failed to parse invalid numeric value ''");
}

TEST(NumericalPolicyTest, HexWithoutExponentIsUnparsable) {
  Result<std::string> latest = LatestFor("asc", Tags{"0x10"});
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().message(), "failed to parse invalid numeric value '0x10'");
}

TEST(NumericalPolicyTest, OutOfRangeIsUnparsable) {
  Result<std::string> latest = LatestFor("desc", Tags{"1", "1e400"});
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().message(), "failed to parse invalid numeric value '1e400'");
}

TEST(NumericalPolicyTest, EmptyListFails) {
  Result<std::string> latest = LatestFor("asc", Tags{});
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(latest.error().message(), "version list argument cannot be empty");
}

TEST(NumericalPolicyTest, LastOfEqualValuesWins) {
  Result<std::string> asc = LatestFor("asc", Tags{"1", "1.0", "01"});
  ASSERT_TRUE(asc);
  EXPECT_EQ(*asc, "01");
  Result<std::string> desc = LatestFor("desc", Tags{"01", "1.0", "1"});
  ASSERT_TRUE(desc);
  EXPECT_EQ(*desc, "1");
}

TEST(NumericalPolicyTest, NanAfterWinnerTakesOver) {
  Result<std::string> latest = LatestFor("asc", Tags{"5", "NaN"});
  ASSERT_TRUE(latest);
  EXPECT_EQ(*latest, "NaN");
}

TEST(NumericalPolicyTest, NanLosesToWhateverFollows) {
  Result<std::string> latest = LatestFor("asc", Tags{"5", "NaN", "1"});
  ASSERT_TRUE(latest);
  EXPECT_EQ(*latest, "1");
  Result<std::string> desc = LatestFor("desc", Tags{"nan", "9"});
  ASSERT_TRUE(desc);
  EXPECT_EQ(*desc, "9");
}

TEST(NumericalPolicyTest, ValuesAbove2Pow53CompareAsDoubles) {
  // 9007199254740993 rounds to 9007199254740992: the two are equal and the later one wins.
  Result<std::string> latest = LatestFor("asc", Tags{"9007199254740993", "9007199254740992"});
  ASSERT_TRUE(latest);
  EXPECT_EQ(*latest, "9007199254740992");
}

}  // namespace
}  // namespace imgauto::reflector::policy
