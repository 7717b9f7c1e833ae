#include "reflector/policy/tag_filter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgauto::reflector::policy {
namespace {

using Tags = std::vector<std::string>;

TagFilter MustCreate(std::string_view pattern, std::string_view extract) {
  Result<TagFilter> filter = TagFilter::Create(pattern, extract);
  EXPECT_TRUE(filter) << filter.error().message();
  if (!filter) {
    return std::move(*TagFilter::Create("", ""));
  }
  return std::move(*filter);
}

std::vector<std::string> Keys(const FilteredTags& filtered) {
  return {filtered.keys().begin(), filtered.keys().end()};
}

std::vector<std::string> SortedKeys(std::string_view pattern, std::string_view extract,
                                    const Tags& tags) {
  std::vector<std::string> keys = Keys(MustCreate(pattern, extract).Apply(tags));
  std::sort(keys.begin(), keys.end());
  return keys;
}

// §7.4: Flux compares the sorted key set.
const Tags kDebugTags = {"123-123.123.abcd123-debug", "123-123.123.abcd123",
                         "123-123.123.abcd456-debug", "123-123.123.abcd456"};

TEST(TagFilterTest, NoPatternKeepsTagAsKey) {
  EXPECT_EQ(SortedKeys("", "", Tags{"a"}), (std::vector<std::string>{"a"}));
}

TEST(TagFilterTest, PrefixPatternDropsOthers) {
  EXPECT_EQ(SortedKeys("^ver", "", Tags{"ver1", "ver2", "ver3", "rel1"}),
            (std::vector<std::string>{"ver1", "ver2", "ver3"}));
}

TEST(TagFilterTest, NumberedGroupExtracts) {
  EXPECT_EQ(SortedKeys("ver(\\d+)", "$1", Tags{"ver1", "ver2", "ver3", "rel1"}),
            (std::vector<std::string>{"1", "2", "3"}));
}

TEST(TagFilterTest, GroupWithoutExtractKeepsWholeTag) {
  EXPECT_EQ(SortedKeys("^(123-[0-9]+\\.[0-9]+\\.[a-z0-9]+-debug)", "", kDebugTags),
            (std::vector<std::string>{"123-123.123.abcd123-debug", "123-123.123.abcd456-debug"}));
}

TEST(TagFilterTest, NegatedClassConsumesLastCharacter) {
  EXPECT_EQ(SortedKeys("^(?P<tag>123-[0-9]+\\.[0-9]+\\.[a-z0-9]+[^-debug])", "$tag", kDebugTags),
            (std::vector<std::string>{"123-123.123.abcd123", "123-123.123.abcd456"}));
}

TEST(TagFilterTest, AnchoredNamedGroupExtracts) {
  EXPECT_EQ(SortedKeys("^(?P<tag>123-[0-9]+\\.[0-9]+\\.[a-z0-9]+$)", "$tag", kDebugTags),
            (std::vector<std::string>{"123-123.123.abcd123", "123-123.123.abcd456"}));
}

struct ExpandCase {
  const char* name;
  const char* pattern;
  const char* extract;
  const char* tag;
  std::optional<std::string> key;  // nullopt: the tag does not match
};

class TagFilterExpandTest : public testing::TestWithParam<ExpandCase> {};

TEST_P(TagFilterExpandTest, ExpandsLikeGo) {
  const ExpandCase& c = GetParam();
  const TagFilter filter = MustCreate(c.pattern, c.extract);
  std::string key = "stale";
  const bool matched = filter.KeyFor(c.tag, key);
  ASSERT_EQ(matched, c.key.has_value()) << c.tag;
  if (matched) {
    EXPECT_EQ(key, *c.key);
  }
  EXPECT_EQ(filter.Matches(c.tag), matched);
  // Apply must agree with the single-tag path.
  const Tags input1{c.tag};
  const FilteredTags applied = filter.Apply(input1);
  ASSERT_EQ(applied.size(), matched ? 1u : 0u);
  if (matched) {
    EXPECT_EQ(applied.keys()[0], *c.key);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, TagFilterExpandTest,
    testing::Values(
        ExpandCase{"NumberedGroup", "ver(\\d+)", "$1", "ver12", "12"},
        ExpandCase{"NameIsLongestWordRun", "(?P<ts>\\d+)x", "$tsx", "12x", ""},
        ExpandCase{"BracedNameStopsEarly", "(?P<ts>\\d+)x", "${ts}x", "12x", "12x"},
        ExpandCase{"NonParticipatingGroup", "(a)(b)?", "[$2]", "a", "[]"},
        ExpandCase{"OutOfRangeNumber", "(a)", "<$5>", "a", "<>"},
        ExpandCase{"TwoDigitNumberOutOfRange", "(a)", "$10", "a", ""},
        ExpandCase{"BracesSeparateDigits", "(a)", "${1}0", "a", "a0"},
        ExpandCase{"DoubleDollarIsLiteral", "(a)", "$$1", "a", "$1"},
        ExpandCase{"LoneDollarIsLiteral", "(a)", "$", "a", "$"},
        ExpandCase{"TrailingDollarIsLiteral", "(a)", "cost $", "a", "cost $"},
        ExpandCase{"UnclosedBraceIsLiteral", "(a)", "${1", "a", "${1"},
        ExpandCase{"EmptyBracesAreLiteral", "(a)", "${}", "a", "${}"},
        ExpandCase{"DollarBeforePunctuationIsLiteral", "(a)", "$-1", "a", "$-1"},
        ExpandCase{"LeadingZeroMakesAName", "(a)", "$01", "a", ""},
        ExpandCase{"WholeMatchIsUnanchored", "b+", "$0", "abbbc", "bbb"},
        ExpandCase{"DigitsThenLettersFormOneName", "(a)", "x$1y", "a", "x"},
        ExpandCase{"TextAroundReferences", "(a)", "x${1}y-$1", "a", "xay-a"},
        ExpandCase{"TemplateWithoutReferences", "ver", "fixed", "ver1", "fixed"},
        ExpandCase{"UnknownName", "(?P<n>a)", "$m", "a", ""},
        ExpandCase{"UnicodeLetterName", "(a)", "$\xc3\xa9", "a", ""},
        ExpandCase{"UnicodeLetterEndsAsciiName", "(?P<n>a)", "$n\xc3\xa9", "a", ""},
        ExpandCase{"NonLetterUnicodeIsLiteral", "(a)", "$\xe2\x82\xac", "a", "$\xe2\x82\xac"},
        ExpandCase{"AlternativeGroups", "(?P<n>a)|(?P<m>b)", "$n-$m", "b", "-b"},
        ExpandCase{"LeftmostFirstNotLongest", "a|ab", "$0", "ab", "a"},
        ExpandCase{"LazyQuantifier", "(a+?)", "$1", "aaa", "a"},
        ExpandCase{"LeftmostMatchWins", "(\\d+)", "$1", "a12b34", "12"},
        ExpandCase{"EmptyExtractionIsAKey", "^x(\\d*)", "$1", "x", ""},
        ExpandCase{"NoMatch", "^ver", "$0", "rel1", std::nullopt},
        ExpandCase{"UnanchoredMatch", "ver", "", "xver", "xver"},
        ExpandCase{"GoNamedGroupSyntax", "(?<n>\\d+)", "$n", "ab12", "12"},
        ExpandCase{"ClassIsNotTranslated", "^[(?<n>]+$", "$0", "(?<n>", "(?<n>"},
        ExpandCase{"ClassGainsNoP", "^[(?<n>]+$", "$0", "P", std::nullopt},
        ExpandCase{"ClassWithLeadingBracket", "^[](?<]+$", "$0", "](?<", "](?<"},
        ExpandCase{"ClassWithLeadingBracketGainsNoP", "^[](?<]+$", "$0", "P", std::nullopt},
        ExpandCase{"PosixClassInsideClass", "^[[:digit:](?<]+$", "$0", "1(?<", "1(?<"},
        ExpandCase{"PosixClassGainsNoP", "^[[:digit:](?<]+$", "$0", "P", std::nullopt},
        ExpandCase{"EscapedParenIsNotTranslated", "^\\(?<n>$", "$0", "<n>", "<n>"},
        ExpandCase{"QuotedTextIsNotTranslated", "\\Q(?<n>\\E", "$0", "x(?<n>", "(?<n>"},
        ExpandCase{"TranslationAfterQuote", "\\Q(\\E(?<n>a)", "$n", "(a", "a"},
        ExpandCase{"AnchoredLiteralRejectsOthers", "^main-", "$0", "v1", std::nullopt},
        ExpandCase{"AnchoredLiteralAccepts", "^main-", "$0", "main-1", "main-"},
        ExpandCase{"TopLevelAlternativeStartsElsewhere", "^ab|cd", "$0", "xcd", "cd"},
        ExpandCase{"GroupedAlternativeThenLiteral", "^(?:ab)|cd", "$0", "cd", "cd"},
        ExpandCase{"StarredLastLiteral", "^ab*", "$0", "a", "a"},
        ExpandCase{"OptionalLastLiteral", "^ab?c", "$0", "ac", "ac"},
        ExpandCase{"CountedLastLiteral", "^ab{0}c", "$0", "ac", "ac"},
        ExpandCase{"OptionalMultiByteLiteral", "^\xc3\xa9?x", "$0", "x", "x"},
        ExpandCase{"BarInsideClassIsNotAlternation", "^ab[|]c", "$0", "ab|c", "ab|c"},
        ExpandCase{"EscapedBarIsNotAlternation", "^ab\\|cd", "$0", "ab|cd", "ab|cd"},
        ExpandCase{"BarInsideClassKeepsPrefix", "^ab[|]c", "$0", "cd|c", std::nullopt}),
    [](const testing::TestParamInfo<ExpandCase>& info) { return std::string(info.param.name); });

TEST(TagFilterTest, InvalidPatternNamesPatternAndPart) {
  Result<TagFilter> filter = TagFilter::Create("[=", "");
  ASSERT_FALSE(filter);
  EXPECT_EQ(filter.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(filter.error().message(),
            "invalid regular expression pattern '[=': error parsing regexp: missing closing ]: "
            "`[=`");
}

TEST(TagFilterTest, MissingParenUsesGoWording) {
  Result<TagFilter> filter = TagFilter::Create("^test-(.*", "$1");
  ASSERT_FALSE(filter);
  EXPECT_EQ(filter.error().message(),
            "invalid regular expression pattern '^test-(.*': error parsing regexp: missing "
            "closing ): `^test-(.*`");
}

TEST(TagFilterTest, LookBehindIsRejectedClearly) {
  for (const char* pattern : {"(?<=a)b", "x(?<!a)b"}) {
    Result<TagFilter> filter = TagFilter::Create(pattern, "");
    ASSERT_FALSE(filter) << pattern;
    EXPECT_EQ(filter.error().kind(), ErrorKind::kInvalidSpec);
    EXPECT_NE(filter.error().message().find("look-behind assertions are not supported"),
              std::string::npos)
        << filter.error().message();
    EXPECT_NE(filter.error().message().find(std::string("'") + pattern + "'"), std::string::npos);
  }
}

TEST(TagFilterTest, BadTranslatedGroupNameShowsUserSpelling) {
  Result<TagFilter> filter = TagFilter::Create("(?<a-b>x)", "");
  ASSERT_FALSE(filter);
  EXPECT_NE(filter.error().message().find("invalid named capture"), std::string::npos);
  EXPECT_NE(filter.error().message().find("`(?<a-b>`"), std::string::npos)
      << filter.error().message();
}

TEST(TagFilterTest, BackReferenceIsRejected) { EXPECT_FALSE(TagFilter::Create("(a)\\1", "")); }

TEST(TagFilterTest, LaterTagWinsKeyCollision) {
  // Store order is descending: "v1.0.0" before "1.0.0"; both extract "1.0.0".
  const Tags input2{"v1.0.0", "1.0.0"};
  const FilteredTags kept =
      MustCreate("^v?(\\d+\\.\\d+\\.\\d+)$", "$1").Apply(input2);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept.keys()[0], "1.0.0");
  EXPECT_EQ(kept.original_index()[0], 1u);
}

TEST(TagFilterTest, KeysFollowWinningTagPositions) {
  const Tags input3{"c-1", "b-2", "a-1", "z"};
  const FilteredTags kept = MustCreate("-(\\d)", "$1").Apply(input3);
  EXPECT_EQ(Keys(kept), (std::vector<std::string>{"2", "1"}));
  EXPECT_EQ(std::vector<std::size_t>(kept.original_index().begin(), kept.original_index().end()),
            (std::vector<std::size_t>{1, 2}));
}

TEST(TagFilterTest, DuplicateTagsWithoutExtractCollapse) {
  const Tags input4{"a", "b", "a"};
  const FilteredTags kept = MustCreate("", "").Apply(input4);
  EXPECT_EQ(Keys(kept), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(kept.original_index()[1], 2u);
}

TEST(TagFilterTest, EmptyExtractionsCollideLikeAnyKey) {
  const Tags input5{"x", "x1", "xa"};
  const FilteredTags kept = MustCreate("^x(\\d*)", "$1").Apply(input5);
  EXPECT_EQ(Keys(kept), (std::vector<std::string>{"1", ""}));
  EXPECT_EQ(kept.original_index()[1], 2u);
}

TEST(TagFilterTest, NoMatchGivesEmptyResult) {
  const Tags input6{"a", "b"};
  EXPECT_TRUE(MustCreate("^ver", "$0").Apply(input6).empty());
}

TEST(TagFilterTest, ApplyIsDeterministic) {
  Tags tags;
  for (int i = 0; i < 500; ++i) {
    tags.push_back("t-" + std::to_string((i * 7919) % 613));
  }
  const TagFilter filter = MustCreate("^t-(?P<n>\\d+)$", "n$n");
  const FilteredTags first = filter.Apply(tags);
  const FilteredTags second = filter.Apply(tags);
  EXPECT_EQ(Keys(first), Keys(second));
  EXPECT_TRUE(std::equal(first.original_index().begin(), first.original_index().end(),
                         second.original_index().begin(), second.original_index().end()));
}

TEST(TagFilterTest, KeysSurviveMove) {
  const TagFilter filter = MustCreate("(\\d+)", "$1");
  const Tags input7{"a1", "b22"};
  FilteredTags original = filter.Apply(input7);
  FilteredTags moved = std::move(original);
  EXPECT_EQ(Keys(moved), (std::vector<std::string>{"1", "22"}));
}

TEST(TagFilterTest, ManyGroupsUseHeapSubmatches) {
  std::string pattern;
  for (int i = 0; i < 20; ++i) {
    pattern += "(.)";
  }
  const TagFilter filter = MustCreate(pattern, "$20$1");
  const Tags input8{"abcdefghijklmnopqrst"};
  const FilteredTags kept = filter.Apply(input8);
  EXPECT_EQ(Keys(kept), (std::vector<std::string>{"ta"}));
}

TEST(TagFilterTest, LongKeysKeepEarlierKeysIntact) {
  // Keys longer than the initial storage estimate force the storage to grow mid-pass.
  const std::string suffix(60, 'x');
  const TagFilter filter = MustCreate("^t(\\d+)$", "${1}" + suffix);
  Tags tags;
  for (int i = 0; i < 200; ++i) {
    tags.push_back("t" + std::to_string(i));
  }
  const FilteredTags kept = filter.Apply(tags);
  ASSERT_EQ(kept.size(), tags.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept.keys()[i], std::to_string(i) + suffix);
  }
}

TEST(TagFilterTest, ApplyIntoReplacesPreviousContents) {
  const TagFilter filter = MustCreate("(\\d+)", "$1");
  FilteredTags reused;
  filter.ApplyInto(Tags{"a1", "b2", "c3"}, reused);
  filter.ApplyInto(Tags{"x9"}, reused);
  EXPECT_EQ(Keys(reused), (std::vector<std::string>{"9"}));
  EXPECT_EQ(reused.original_index()[0], 0u);
}

TEST(TagFilterTest, KeepsPatternAndExtract) {
  const TagFilter filter = MustCreate("^v(.*)", "$1");
  EXPECT_EQ(filter.pattern(), "^v(.*)");
  EXPECT_EQ(filter.extract(), "$1");
}

}  // namespace
}  // namespace imgauto::reflector::policy
