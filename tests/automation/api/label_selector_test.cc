#include "automation/api/label_selector.h"

#include <gtest/gtest.h>

#include <string>

namespace imgauto::automation::api {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

TEST(LabelSelectorMatchesTest, EmptySelectorMatchesEverything) {
  EXPECT_TRUE(LabelSelector{}.Matches({}));
  EXPECT_TRUE(LabelSelector{}.Matches({{"a", "b"}}));
}

TEST(LabelSelectorMatchesTest, MatchLabelsAreAnded) {
  LabelSelector selector{.match_labels = {{"app", "web"}, {"tier", "fe"}}, .match_expressions = {}};
  EXPECT_TRUE(selector.Matches({{"app", "web"}, {"tier", "fe"}, {"x", "y"}}));
  EXPECT_FALSE(selector.Matches({{"app", "web"}}));
  EXPECT_FALSE(selector.Matches({{"app", "web"}, {"tier", "be"}}));
}

TEST(LabelSelectorMatchesTest, InRequiresThePresentValueInTheSet) {
  LabelSelector selector{.match_labels = {},
                         .match_expressions = {{"env", "In", {"prod", "stage"}}}};
  EXPECT_TRUE(selector.Matches({{"env", "stage"}}));
  EXPECT_FALSE(selector.Matches({{"env", "dev"}}));
  EXPECT_FALSE(selector.Matches({}));
}

TEST(LabelSelectorMatchesTest, NotInAcceptsAbsentLabels) {
  LabelSelector selector{.match_labels = {}, .match_expressions = {{"env", "NotIn", {"prod"}}}};
  EXPECT_TRUE(selector.Matches({}));
  EXPECT_TRUE(selector.Matches({{"env", "dev"}}));
  EXPECT_FALSE(selector.Matches({{"env", "prod"}}));
}

TEST(LabelSelectorMatchesTest, ExistsAndDoesNotExist) {
  LabelSelector exists{.match_labels = {}, .match_expressions = {{"auto", "Exists", {}}}};
  LabelSelector absent{.match_labels = {}, .match_expressions = {{"auto", "DoesNotExist", {}}}};
  const Labels with = {{"auto", ""}};
  EXPECT_TRUE(exists.Matches(with));
  EXPECT_FALSE(exists.Matches({}));
  EXPECT_FALSE(absent.Matches(with));
  EXPECT_TRUE(absent.Matches({}));
}

TEST(LabelSelectorMatchesTest, LabelsAndExpressionsAreAnded) {
  LabelSelector selector{.match_labels = {{"app", "web"}},
                         .match_expressions = {{"env", "In", {"prod"}}}};
  EXPECT_TRUE(selector.Matches({{"app", "web"}, {"env", "prod"}}));
  EXPECT_FALSE(selector.Matches({{"app", "api"}, {"env", "prod"}}));
  EXPECT_FALSE(selector.Matches({{"app", "web"}, {"env", "dev"}}));
}

TEST(LabelSelectorMatchesTest, UnknownOperatorNeverMatches) {
  LabelSelector selector{.match_labels = {}, .match_expressions = {{"env", "Maybe", {"prod"}}}};
  EXPECT_FALSE(selector.Matches({{"env", "prod"}}));
}

TEST(LabelSelectorValidateTest, AcceptsWellFormedSelectors) {
  LabelSelector selector{.match_labels = {{"app.kubernetes.io/name", "podinfo"}, {"empty", ""}},
                         .match_expressions = {{"tier", "In", {"a", "b-c_d.e"}},
                                               {"example.com/flag", "Exists", {}},
                                               {"legacy", "DoesNotExist", {}},
                                               {"env", "NotIn", {"dev"}}}};
  Result<void> ok = ValidateLabelSelector(selector);
  EXPECT_TRUE(ok) << ok.error().message();
}

struct InvalidCase {
  std::string name;
  LabelSelector selector;
  std::string expected;  // the whole message
};

class LabelSelectorInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(LabelSelectorInvalidTest, RejectsWithInvalidSpec) {
  Result<void> ok = ValidateLabelSelector(GetParam().selector);
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(ok.error().message(), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, LabelSelectorInvalidTest,
    ::testing::Values(
        InvalidCase{"UnknownOperator",
                    {.match_labels = {}, .match_expressions = {{"a", "Maybe", {}}}},
                    "matchExpressions[0]: \"Maybe\" is not a valid label selector operator"},
        InvalidCase{
            "LowerCaseOperator",
            {.match_labels = {}, .match_expressions = {{"a", "Exists", {}}, {"a", "in", {"x"}}}},
            "matchExpressions[1]: \"in\" is not a valid label selector operator"},
        InvalidCase{"InWithoutValues",
                    {.match_labels = {}, .match_expressions = {{"a", "In", {}}}},
                    "matchExpressions[0].values: for 'in', 'notin' operators, values set can't "
                    "be empty"},
        InvalidCase{"NotInWithoutValues",
                    {.match_labels = {}, .match_expressions = {{"a", "NotIn", {}}}},
                    "matchExpressions[0].values: for 'in', 'notin' operators, values set can't "
                    "be empty"},
        InvalidCase{"ExistsWithValues",
                    {.match_labels = {}, .match_expressions = {{"a", "Exists", {"x"}}}},
                    "matchExpressions[0].values: values set must be empty for exists and does "
                    "not exist"},
        InvalidCase{"DoesNotExistWithValues",
                    {.match_labels = {}, .match_expressions = {{"a", "DoesNotExist", {"x"}}}},
                    "matchExpressions[0].values: values set must be empty for exists and does "
                    "not exist"},
        InvalidCase{"BadExpressionKey",
                    {.match_labels = {}, .match_expressions = {{"-a", "Exists", {}}}},
                    "matchExpressions[0].key: invalid label key \"-a\": name part must be at "
                    "most 63 characters of alphanumerics, '-', '_' or '.', starting and ending "
                    "with an alphanumeric"},
        InvalidCase{"BadKeyPrefix",
                    {.match_labels = {{"Example.com/a", "b"}}, .match_expressions = {}},
                    "matchLabels.Example.com/a: invalid label key \"Example.com/a\": prefix "
                    "part must be a lowercase RFC 1123 subdomain"},
        InvalidCase{"EmptyKeyName",
                    {.match_labels = {{"example.com/", "b"}}, .match_expressions = {}},
                    "matchLabels.example.com/: invalid label key \"example.com/\": name part "
                    "must be at most 63 characters of alphanumerics, '-', '_' or '.', starting "
                    "and ending with an alphanumeric"},
        InvalidCase{"LongKeyName",
                    {.match_labels = {{std::string(64, 'a'), "b"}}, .match_expressions = {}},
                    "matchLabels." + std::string(64, 'a') + ": invalid label key \"" +
                        std::string(64, 'a') +
                        "\": name part must be at most 63 characters of alphanumerics, '-', '_' "
                        "or '.', starting and ending with an alphanumeric"},
        InvalidCase{"BadLabelValue",
                    {.match_labels = {{"a", "b c"}}, .match_expressions = {}},
                    "matchLabels.a: invalid label value \"b c\": must be at most 63 characters "
                    "of alphanumerics, '-', '_' or '.', starting and ending with an "
                    "alphanumeric"},
        InvalidCase{"BadInValue",
                    {.match_labels = {}, .match_expressions = {{"a", "In", {"ok", "not ok"}}}},
                    "matchExpressions[0].values[1]: invalid label value \"not ok\": must be at "
                    "most 63 characters of alphanumerics, '-', '_' or '.', starting and ending "
                    "with an alphanumeric"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });

}  // namespace
}  // namespace imgauto::automation::api
