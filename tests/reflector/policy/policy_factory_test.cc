#include "reflector/policy/policy_factory.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace imgauto::reflector::policy {
namespace {

using Tags = std::vector<std::string>;

api::ImagePolicyChoice Semver(std::string range) {
  api::ImagePolicyChoice choice;
  choice.semver = api::SemVerPolicy{std::move(range)};
  return choice;
}

api::ImagePolicyChoice Alphabetical(std::string order) {
  api::ImagePolicyChoice choice;
  choice.alphabetical = api::AlphabeticalPolicy{std::move(order)};
  return choice;
}

api::ImagePolicyChoice Numerical(std::string order) {
  api::ImagePolicyChoice choice;
  choice.numerical = api::NumericalPolicy{std::move(order)};
  return choice;
}

std::string LatestOf(const api::ImagePolicyChoice& choice, const Tags& tags) {
  Result<TagPolicyPtr> policy = CreatePolicy(choice);
  EXPECT_TRUE(policy) << policy.error().message();
  if (!policy) {
    return "<no policy>";
  }
  Result<std::string> latest = (*policy)->Latest(tags);
  return latest ? *latest : "<error: " + latest.error().message() + ">";
}

TEST(PolicyFactoryTest, EmptyChoiceIsInvalid) {
  Result<TagPolicyPtr> policy = CreatePolicy(api::ImagePolicyChoice{});
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(policy.error().message(), "invalid policy: given ImagePolicyChoice object is invalid");
}

TEST(PolicyFactoryTest, BuildsEachKind) {
  const Tags tags = {"1.0.1", "10", "9", "1.0.0"};
  EXPECT_EQ(LatestOf(Semver("1.0.x"), tags), "1.0.1");
  EXPECT_EQ(LatestOf(Alphabetical("asc"), tags), "9");
  EXPECT_EQ(LatestOf(Numerical("asc"), Tags{"10", "9"}), "10");
}

TEST(PolicyFactoryTest, SemverTakesPrecedence) {
  api::ImagePolicyChoice choice = Semver("1.0.x");
  choice.alphabetical = api::AlphabeticalPolicy{"asc"};
  choice.numerical = api::NumericalPolicy{"asc"};
  EXPECT_EQ(LatestOf(choice, Tags{"1.0.1", "zzz"}), "1.0.1");
}

TEST(PolicyFactoryTest, AlphabeticalTakesPrecedenceOverNumerical) {
  api::ImagePolicyChoice choice = Alphabetical("asc");
  choice.numerical = api::NumericalPolicy{"asc"};
  EXPECT_EQ(LatestOf(choice, Tags{"10", "9"}), "9");
}

TEST(PolicyFactoryTest, OrdersAreCaseInsensitive) {
  EXPECT_EQ(LatestOf(Alphabetical("DESC"), Tags{"b", "a"}), "a");
  EXPECT_EQ(LatestOf(Numerical("Desc"), Tags{"2", "1"}), "1");
  EXPECT_EQ(LatestOf(Numerical(""), Tags{"2", "1"}), "2");
}

TEST(PolicyFactoryTest, InvalidOrderIsPrefixed) {
  Result<TagPolicyPtr> policy = CreatePolicy(Alphabetical("sideways"));
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(policy.error().message(),
            "invalid policy: invalid order argument provided: 'SIDEWAYS', must be one of: ASC, "
            "DESC");
  Result<TagPolicyPtr> numerical = CreatePolicy(Numerical("up"));
  ASSERT_FALSE(numerical);
  EXPECT_EQ(numerical.error().message(),
            "invalid policy: invalid order argument provided: 'UP', must be one of: ASC, DESC");
}

class PolicyFactoryInvalidRangeTest : public testing::TestWithParam<const char*> {};

TEST_P(PolicyFactoryInvalidRangeTest, RejectsWithSinglePrefix) {
  Result<TagPolicyPtr> policy = CreatePolicy(Semver(GetParam()));
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().kind(), ErrorKind::kInvalidSpec);
  const std::string& message = policy.error().message();
  EXPECT_EQ(message.rfind("invalid policy: ", 0), 0u) << message;
  EXPECT_EQ(message.find("invalid policy: ", 1), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(FluxVectors, PolicyFactoryInvalidRangeTest,
                         testing::Values("1.0.0p", "1x", "x1", "-1", "a", "", "*-*"),
                         [](const testing::TestParamInfo<const char*>& info) {
                           return "Case" + std::to_string(info.index);
                         });

class PolicyFactoryValidRangeTest : public testing::TestWithParam<const char*> {};

TEST_P(PolicyFactoryValidRangeTest, Accepts) {
  Result<TagPolicyPtr> policy = CreatePolicy(Semver(GetParam()));
  EXPECT_TRUE(policy) << policy.error().message();
}

INSTANTIATE_TEST_SUITE_P(FluxVectors, PolicyFactoryValidRangeTest,
                         testing::Values("1.0.x", "^1.0", "=1.0.0", "~1.0", ">=1.0", ">0,<2.0"),
                         [](const testing::TestParamInfo<const char*>& info) {
                           return "Case" + std::to_string(info.index);
                         });

}  // namespace
}  // namespace imgauto::reflector::policy
