#include "reflector/scan/exclusion_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reflector/policy/tag_filter.h"

namespace imgauto::reflector::scan {
namespace {

using Tags = std::vector<std::string>;

struct FilterCase {
  std::string name;
  Tags patterns;
  Tags tags;
  Tags kept;
};

class ExclusionFilterVectorTest : public ::testing::TestWithParam<FilterCase> {};

TEST_P(ExclusionFilterVectorTest, KeepsOnlyUnmatchedTagsInOrder) {
  Result<ExclusionFilter> filter = ExclusionFilter::Create(GetParam().patterns);
  ASSERT_TRUE(filter) << filter.error().message();
  EXPECT_EQ(filter->Apply(GetParam().tags), GetParam().kept);
}

// Flux reference §7.6 items 48–50 (filterOutTags and the scan's exclusion vectors).
INSTANTIATE_TEST_SUITE_P(
    Flux, ExclusionFilterVectorTest,
    ::testing::Values(
        FilterCase{"NoPatterns", {}, {"a", "b", "c", "d"}, {"a", "b", "c", "d"}},
        FilterCase{"ClassAbc", {"[abc]"}, {"a", "b", "c", "d"}, {"d"}},
        FilterCase{"TwoPatterns", {"[a]", "[d]"}, {"a", "b", "c", "d"}, {"b", "c"}},
        FilterCase{"AlphaAndSig",
                   {"^.*\\-alpha$", "^.*\\.sig$"},
                   {"0.1.0", "0.2.0", "0.2.-alpha", "0.3.0", "0.4.0", "0.4.0.sig"},
                   {"0.1.0", "0.2.0", "0.3.0", "0.4.0"}},
        FilterCase{"Alternation", {"aaa|ccc"}, {"aaa", "bbb", "ccc", "ddd"}, {"bbb", "ddd"}},
        FilterCase{"SingleC", {"c"}, {"a", "b", "c", "d"}, {"a", "b", "d"}},
        FilterCase{"CAndA", {"c", "a"}, {"a", "b", "c", "d"}, {"b", "d"}},
        FilterCase{"DefaultSig",
                   {"^.*\\.sig$"},
                   {"0.1.0", "0.1.1", "0.1.1.sig", "1.0.0-alpha", "1.0.0", "1.0.0.sig"},
                   {"0.1.0", "0.1.1", "1.0.0-alpha", "1.0.0"}},
        FilterCase{"AlphaReplacesDefault",
                   {"^.*\\-alpha$"},
                   {"0.1.0", "0.1.1-alpha", "0.1.1", "0.1.1.sig", "1.0.0-alpha", "1.0.0"},
                   {"0.1.0", "0.1.1", "0.1.1.sig", "1.0.0"}},
        FilterCase{"UnanchoredSubstring", {"rc"}, {"1.0-rc1", "1.0", "arch"}, {"1.0"}},
        FilterCase{"EmptyPatternMatchesAll", {""}, {"a", "b"}, {}},
        FilterCase{"GoNamedGroup", {"^(?<v>v)[0-9]+$"}, {"v1", "1", "v1a"}, {"1", "v1a"}}),
    [](const ::testing::TestParamInfo<FilterCase>& info) { return info.param.name; });

TEST(ExclusionFilterTest, InvalidPatternNamesPatternAndSaysFailedToCompile) {
  Result<ExclusionFilter> filter = ExclusionFilter::Create(Tags{"ok", "[[="});
  ASSERT_FALSE(filter);
  EXPECT_EQ(filter.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(filter.error().message().rfind("failed to compile regex [[=: ", 0), 0u)
      << filter.error().message();
}

TEST(ExclusionFilterTest, BackreferenceIsRejected) {
  Result<ExclusionFilter> filter = ExclusionFilter::Create(Tags{"(a)\\1"});
  ASSERT_FALSE(filter);
  EXPECT_NE(filter.error().message().find("failed to compile regex"), std::string::npos);
}

TEST(ExclusionFilterTest, ExcludedMatchesAnyPattern) {
  Result<ExclusionFilter> filter = ExclusionFilter::Create(Tags{"^dev-", "-debug$"});
  ASSERT_TRUE(filter);
  EXPECT_TRUE(filter->Excluded("dev-1"));
  EXPECT_TRUE(filter->Excluded("1.0-debug"));
  EXPECT_FALSE(filter->Excluded("1.0"));
}

TEST(ExclusionFilterTest, KeepsPatternsAsGiven) {
  Tags patterns{"(?<x>a)", "b"};
  Result<ExclusionFilter> filter = ExclusionFilter::Create(patterns);
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->patterns(), patterns);
}

TEST(ExclusionFilterTest, IsMovable) {
  Result<ExclusionFilter> filter = ExclusionFilter::Create(Tags{"x"});
  ASSERT_TRUE(filter);
  ExclusionFilter moved = std::move(*filter);
  EXPECT_TRUE(moved.Excluded("xyz"));
}

struct TranslateCase {
  std::string name;
  std::string in;
  std::string out;
};

class TranslateGoRegexSyntaxTest : public ::testing::TestWithParam<TranslateCase> {};

// The exclusion filter shares the tag filter's translation; these pin the parts it relies on.
TEST_P(TranslateGoRegexSyntaxTest, RewritesOnlyRealGroupOpeners) {
  Result<std::string> translated = policy::TranslateGoRegexSyntax(GetParam().in);
  ASSERT_TRUE(translated) << translated.error().message();
  EXPECT_EQ(*translated, GetParam().out);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, TranslateGoRegexSyntaxTest,
    ::testing::Values(TranslateCase{"Plain", "abc", "abc"},
                      TranslateCase{"Named", "(?<n>a)", "(?P<n>a)"},
                      TranslateCase{"AlreadyP", "(?P<n>a)", "(?P<n>a)"},
                      TranslateCase{"Two", "(?<a>x)(?<b>y)", "(?P<a>x)(?P<b>y)"},
                      TranslateCase{"Escaped", "\\(?<n>a)", "\\(?<n>a)"},
                      TranslateCase{"InClass", "[(?<n>]", "[(?<n>]"},
                      TranslateCase{"ClassLeadingBracket", "[]?(?<]x(?<n>y)", "[]?(?<]x(?P<n>y)"},
                      TranslateCase{"PosixClass", "[[:alpha:](?<]x", "[[:alpha:](?<]x"},
                      TranslateCase{"Quoted", "\\Q(?<x>\\E", "\\Q(?<x>\\E"},
                      TranslateCase{"AfterQuote", "\\Qa\\E(?<x>b)", "\\Qa\\E(?P<x>b)"},
                      TranslateCase{"TrailingBackslash", "a\\", "a\\"}),
    [](const ::testing::TestParamInfo<TranslateCase>& info) { return info.param.name; });

TEST(ExclusionFilterTest, QuotedGroupOpenerIsLiteral) {
  Result<ExclusionFilter> filter = ExclusionFilter::Create(Tags{"\\Q(?<x>\\E"});
  ASSERT_TRUE(filter) << filter.error().message();
  EXPECT_TRUE(filter->Excluded("a(?<x>b"));
  EXPECT_FALSE(filter->Excluded("(?P<x>"));
}

TEST(ExclusionFilterTest, NamedGroupCompiles) {
  Result<ExclusionFilter> filter = ExclusionFilter::Create(Tags{"^(?<v>[0-9]+)-rc$"});
  ASSERT_TRUE(filter) << filter.error().message();
  EXPECT_TRUE(filter->Excluded("12-rc"));
  EXPECT_FALSE(filter->Excluded("12"));
}

class ExclusionFilterLookbehindTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExclusionFilterLookbehindTest, FailsToCompile) {
  Result<ExclusionFilter> filter = ExclusionFilter::Create(Tags{GetParam()});
  ASSERT_FALSE(filter);
  EXPECT_EQ(filter.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(filter.error().message().rfind("failed to compile regex " + GetParam() + ": ", 0), 0U)
      << filter.error().message();
}

INSTANTIATE_TEST_SUITE_P(Vectors, ExclusionFilterLookbehindTest,
                         ::testing::Values("(?<=a)b", "(?<!a)b"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return std::string(info.param[3] == '=' ? "Positive" : "Negative");
                         });

}  // namespace
}  // namespace imgauto::reflector::scan
