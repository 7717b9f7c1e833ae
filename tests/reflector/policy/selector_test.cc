#include "reflector/policy/selector.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <utility>
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

std::optional<api::TagFilterSpec> Filter(std::string pattern, std::string extract) {
  return api::TagFilterSpec{std::move(pattern), std::move(extract)};
}

Result<std::string> Select(const api::ImagePolicyChoice& choice,
                           const std::optional<api::TagFilterSpec>& filter, const Tags& tags) {
  Result<TagSelector> selector = TagSelector::Create(choice, filter);
  if (!selector) {
    return selector.error();
  }
  return selector->Select(tags);
}

std::string MustSelect(const api::ImagePolicyChoice& choice,
                       const std::optional<api::TagFilterSpec>& filter, const Tags& tags) {
  Result<std::string> tag = Select(choice, filter, tags);
  EXPECT_TRUE(tag) << tag.error().message();
  return tag.value_or("<error>");
}

TEST(TagSelectorTest, InvalidRegexIsInvalidSpec) {
  Result<TagSelector> selector = TagSelector::Create(Alphabetical(""), Filter("[=", ""));
  ASSERT_FALSE(selector);
  EXPECT_EQ(selector.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(selector.error().message().rfind(
                "failed to filter tags: invalid regular expression pattern '[=': ", 0),
            0u)
      << selector.error().message();
}

TEST(TagSelectorTest, UnclosedGroupIsInvalidSpec) {
  Result<TagSelector> selector = TagSelector::Create(Semver(">=0.x"), Filter("^test-(.*", "$1"));
  ASSERT_FALSE(selector);
  EXPECT_EQ(selector.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(selector.error().message().find("invalid regular expression pattern"),
            std::string::npos);
}

TEST(TagSelectorTest, InvalidPolicyIsReportedBeforeInvalidRegex) {
  Result<TagSelector> selector = TagSelector::Create(api::ImagePolicyChoice{}, Filter("[=", ""));
  ASSERT_FALSE(selector);
  EXPECT_EQ(selector.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(selector.error().message(),
            "invalid policy: given ImagePolicyChoice object is invalid");
}

TEST(TagSelectorTest, NumericalOnExtractedReleaseCandidates) {
  EXPECT_EQ(MustSelect(Numerical("asc"), Filter("1.0.0-rc\\.(?P<num>[0-9]+)", "$num"),
                       Tags{"1.0.0", "1.0.0-rc.1", "1.0.0-rc.2", "1.0.0-rc.3", "1.0.1-rc.2"}),
            "1.0.0-rc.3");
}

TEST(TagSelectorTest, AlphabeticalOnExtractedWords) {
  EXPECT_EQ(MustSelect(Alphabetical("asc"), Filter("foo-(?P<word>[a-z]+)", "$word"),
                       Tags{"foo-aaa", "bar-bbb", "foo-zzz", "baz-nnn", "foo-ooo"}),
            "foo-zzz");
}

TEST(TagSelectorTest, AlphabeticalDefaultWithoutFilter) {
  EXPECT_EQ(MustSelect(Alphabetical(""), std::nullopt,
                       Tags{"xenial", "yakkety", "zesty", "artful", "bionic"}),
            "zesty");
}

TEST(TagSelectorTest, SemverReturnsOriginalTagAfterExtraction) {
  EXPECT_EQ(MustSelect(Semver(">=0.x"), Filter("^test-(.*)$", "$1"),
                       Tags{"test-0.1.0", "test-0.1.1", "dev-0.2.0", "1.0.0", "1.0.1", "1.0.2",
                            "1.1.0-alpha"}),
            "test-0.1.1");
}

TEST(TagSelectorTest, SemverWithoutFilter) {
  EXPECT_EQ(MustSelect(Semver("1.0.x"), std::nullopt, Tags{"1.0.0", "2.0.0", "1.0.1", "1.2.0"}),
            "1.0.1");
}

TEST(TagSelectorTest, NoMatchingTagIsEmptyListError) {
  Result<std::string> tag = Select(Numerical("asc"), Filter("^nothing", ""), Tags{"1", "2"});
  ASSERT_FALSE(tag);
  EXPECT_EQ(tag.error().message(), "version list argument cannot be empty");
}

TEST(TagSelectorTest, EmptyTagListIsEmptyListError) {
  Result<std::string> tag = Select(Alphabetical("asc"), std::nullopt, Tags{});
  ASSERT_FALSE(tag);
  EXPECT_EQ(tag.error().message(), "version list argument cannot be empty");
}

TEST(TagSelectorTest, EmptyExtractionIsElectedByAlphabeticalDesc) {
  // "x" and "xa" both extract ""; the later of them owns the key.
  EXPECT_EQ(MustSelect(Alphabetical("desc"), Filter("^x(\\d*)", "$1"), Tags{"x", "x1", "xa"}),
            "xa");
}

TEST(TagSelectorTest, EmptyExtractionFailsNumerical) {
  Result<std::string> tag = Select(Numerical("asc"), Filter("^x(\\d*)", "$1"), Tags{"x1", "x"});
  ASSERT_FALSE(tag);
  EXPECT_EQ(tag.error().message(), "failed to parse invalid numeric value ''");
}

TEST(TagSelectorTest, EmptyExtractionIsSkippedBySemver) {
  EXPECT_EQ(MustSelect(Semver("*"), Filter("^x(.*)", "$1"), Tags{"x", "x1.2.3"}), "x1.2.3");
}

TEST(TagSelectorTest, CollidingKeysMapToLaterTag) {
  // Store order (descending bytes): "v2" precedes "2"; the later original owns the key.
  EXPECT_EQ(MustSelect(Numerical("asc"), Filter("^v?(\\d+)$", "$1"), Tags{"v2", "v1", "2", "1"}),
            "2");
}

TEST(TagSelectorTest, EqualSemverKeysFollowStoreOrder) {
  // Distinct keys of equal version: the key whose original comes first in store order wins.
  EXPECT_EQ(
      MustSelect(Semver("*"), Filter("^(?:release-)?(.*)$", "$1"), Tags{"v1.0.0", "release-1.0.0"}),
      "v1.0.0");
}

TEST(TagSelectorTest, SelectionIsRepeatable) {
  Result<TagSelector> selector =
      TagSelector::Create(Numerical("desc"), Filter("-(?P<n>\\d+)$", "${n}"));
  ASSERT_TRUE(selector);
  const Tags tags = {"b-3", "a-1", "c-2", "d-1"};
  for (int i = 0; i < 3; ++i) {
    Result<std::string> tag = selector->Select(tags);
    ASSERT_TRUE(tag);
    EXPECT_EQ(*tag, "d-1");
  }
}

TEST(TagSelectorTest, ReusedScratchDoesNotLeakBetweenCalls) {
  Result<TagSelector> selector = TagSelector::Create(Numerical("asc"), Filter("^b-(\\d+)$", "$1"));
  ASSERT_TRUE(selector);
  ASSERT_TRUE(selector->Select(Tags{"b-9", "b-1"}));
  Result<std::string> tag = selector->Select(Tags{"b-3", "a-100"});
  ASSERT_TRUE(tag);
  EXPECT_EQ(*tag, "b-3");
  EXPECT_FALSE(selector->Select(Tags{"a-1"}));
}

TEST(TagSelectorTest, ConcurrentSelectsAgree) {
  Result<TagSelector> selector = TagSelector::Create(Numerical("asc"), Filter("^n-(\\d+)$", "$1"));
  ASSERT_TRUE(selector);
  Tags tags;
  for (int i = 0; i < 2000; ++i) {
    tags.push_back("n-" + std::to_string((i * 7919) % 2000));
  }
  std::vector<std::thread> threads;
  std::vector<std::string> results(4);
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        Result<std::string> tag = selector->Select(tags);
        results[t] = tag ? *tag : "<error>";
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const std::string& result : results) {
    EXPECT_EQ(result, "n-1999");
  }
}

TEST(TagSelectorTest, MovedSelectorKeepsWorking) {
  Result<TagSelector> selector = TagSelector::Create(Alphabetical("asc"), Filter("^a", ""));
  ASSERT_TRUE(selector);
  TagSelector moved = std::move(*selector);
  Result<std::string> tag = moved.Select(Tags{"ab", "b", "ac"});
  ASSERT_TRUE(tag);
  EXPECT_EQ(*tag, "ac");
}

}  // namespace
}  // namespace imgauto::reflector::policy
