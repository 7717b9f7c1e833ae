#include "cmd/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace imgauto::cmd {
namespace {

using Args = std::vector<std::string>;

FlagSet TestFlags() {
  FlagSet flags("test");
  flags.String("tags", "FILE", "tags file", "stdin");
  flags.StringList("exclude", "RE", "exclusion");
  flags.Bool("json", "json output");
  flags.Bool("help", "help");
  return flags;
}

Result<ParsedFlags> Parse(const Args& args) { return TestFlags().Parse(args); }

TEST(FlagSetTest, ParsesSpaceSeparatedValue) {
  Result<ParsedFlags> p = Parse({"--tags", "a.txt"});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->GetString("tags"), "a.txt");
  EXPECT_TRUE(p->Has("tags"));
}

TEST(FlagSetTest, ParsesEqualsValue) {
  Result<ParsedFlags> p = Parse({"--tags=a=b.txt"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->GetString("tags"), "a=b.txt");
}

TEST(FlagSetTest, EqualsAllowsEmptyValue) {
  Result<ParsedFlags> p = Parse({"--tags="});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->GetString("tags"), "");
}

TEST(FlagSetTest, ValueMayStartWithDash) {
  Result<ParsedFlags> p = Parse({"--exclude", "-alpha$", "--tags", "-"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->GetList("exclude"), Args{"-alpha$"});
  EXPECT_EQ(p->GetString("tags"), "-");
}

TEST(FlagSetTest, RepeatedStringKeepsLastValue) {
  Result<ParsedFlags> p = Parse({"--tags", "a", "--tags=b"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->GetString("tags"), "b");
}

TEST(FlagSetTest, RepeatedListKeepsEveryValueInOrder) {
  Result<ParsedFlags> p = Parse({"--exclude", "a", "x", "--exclude=b", "--exclude", "c"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->GetList("exclude"), (Args{"a", "b", "c"}));
  EXPECT_EQ(p->positional(), Args{"x"});
}

TEST(FlagSetTest, AbsentFlagsHaveNoValue) {
  Result<ParsedFlags> p = Parse({});
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->Has("tags"));
  EXPECT_FALSE(p->GetString("tags").has_value());
  EXPECT_TRUE(p->GetList("exclude").empty());
  EXPECT_FALSE(p->GetBool("json"));
}

TEST(FlagSetTest, BareBoolIsTrue) {
  Result<ParsedFlags> p = Parse({"--json"});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->GetBool("json"));
}

TEST(FlagSetTest, BoolAcceptsExplicitValues) {
  EXPECT_TRUE(Parse({"--json=true"})->GetBool("json"));
  EXPECT_FALSE(Parse({"--json=false"})->GetBool("json"));
  EXPECT_FALSE(Parse({"--json", "--json=false"})->GetBool("json"));
}

TEST(FlagSetTest, BoolDoesNotConsumeNextArgument) {
  Result<ParsedFlags> p = Parse({"--json", "false"});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->GetBool("json"));
  EXPECT_EQ(p->positional(), Args{"false"});
}

TEST(FlagSetTest, PositionalsKeepOrderAroundFlags) {
  Result<ParsedFlags> p = Parse({"a", "--json", "b", "-", "c"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->positional(), (Args{"a", "b", "-", "c"}));
}

TEST(FlagSetTest, DoubleDashEndsFlags) {
  Result<ParsedFlags> p = Parse({"--json", "--", "--tags", "-x"});
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->Has("tags"));
  EXPECT_EQ(p->positional(), (Args{"--tags", "-x"}));
}

TEST(FlagSetTest, ShortHelpIsAliasOfHelp) {
  Result<ParsedFlags> p = Parse({"-h"});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->GetBool("help"));
}

struct BadArgsCase {
  std::string name;
  Args args;
  std::string message;
};

class FlagSetErrorTest : public ::testing::TestWithParam<BadArgsCase> {};

TEST_P(FlagSetErrorTest, RejectsWithUsageMessage) {
  Result<ParsedFlags> p = Parse(GetParam().args);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(p.error().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, FlagSetErrorTest,
    ::testing::Values(
        BadArgsCase{"UnknownLong", {"--nope"}, "unknown flag --nope"},
        BadArgsCase{"UnknownWithValue", {"--nope=1"}, "unknown flag --nope"},
        BadArgsCase{"SingleDashLong", {"-json"}, "unknown flag -json"},
        BadArgsCase{"UnknownShort", {"-x"}, "unknown flag -x"},
        BadArgsCase{"MissingValue", {"--tags"}, "flag --tags needs a value"},
        BadArgsCase{"MissingListValue", {"a", "--exclude"}, "flag --exclude needs a value"},
        BadArgsCase{"BadBool", {"--json=yes"},
                    "flag --json takes no value other than true or false"},
        BadArgsCase{"TripleDash", {"---json"}, "unknown flag ---json"}),
    [](const ::testing::TestParamInfo<BadArgsCase>& info) { return info.param.name; });

TEST(FlagSetTest, ShortHelpIsUnknownWithoutHelpFlag) {
  FlagSet flags("bare");
  Result<ParsedFlags> p = flags.Parse(Args{"-h"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(), "unknown flag -h");
}

TEST(FlagSetTest, UsageAlignsFlagsAndShowsDefaults) {
  EXPECT_EQ(TestFlags().Usage(),
            "  --tags FILE    tags file (default: stdin)\n"
            "  --exclude RE   exclusion\n"
            "  --json         json output\n"
            "  --help         help\n");
}

TEST(FlagSetTest, DescribesRegisteredFlags) {
  FlagSet flags = TestFlags();
  EXPECT_EQ(flags.command(), "test");
  ASSERT_EQ(flags.flags().size(), 4u);
  EXPECT_EQ(flags.flags()[1].kind, FlagKind::kStringList);
}

}  // namespace
}  // namespace imgauto::cmd
