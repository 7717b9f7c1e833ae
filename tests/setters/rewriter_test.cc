#include "setters/rewriter.h"

#include <gtest/gtest.h>

#include <string>

namespace imgauto::setters {
namespace {

TEST(ApplyEditsTest, ReplacesRangesAndKeepsOtherBytes) {
  const Result<std::string> out =
      ApplyEdits("a: 1\r\nb: 22 # c\r\n", {Edit{3, 4, "x"}, Edit{9, 11, "\"yy\""}});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, "a: x\r\nb: \"yy\" # c\r\n");
}

TEST(ApplyEditsTest, AcceptsEditsInAnyOrder) {
  const Result<std::string> out = ApplyEdits("0123456789", {Edit{8, 9, "B"}, Edit{1, 2, "A"}});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, "0A234567B9");
}

TEST(ApplyEditsTest, EmptyRangeInserts) {
  const Result<std::string> out = ApplyEdits("ab", {Edit{1, 1, "-"}});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, "a-b");
}

TEST(ApplyEditsTest, NoEditsReturnsInput) {
  const Result<std::string> out = ApplyEdits("same", {});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, "same");
}

TEST(ApplyEditsTest, RejectsOverlap) {
  const Result<std::string> out = ApplyEdits("0123456789", {Edit{1, 5, "x"}, Edit{4, 6, "y"}});
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().kind(), ErrorKind::kInternal);
}

TEST(ApplyEditsTest, RejectsOutOfRange) {
  const Result<std::string> out = ApplyEdits("abc", {Edit{2, 4, "x"}});
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().kind(), ErrorKind::kInternal);
}

TEST(ApplyEditsTest, RejectsInvertedRange) {
  EXPECT_FALSE(ApplyEdits("abc", {Edit{2, 1, "x"}}).has_value());
}

TEST(RenderScalarTest, PlainStaysPlain) {
  EXPECT_EQ(RenderScalar("ghcr.io/acme/app:v1.2.3", ScalarStyle::kPlain, false),
            "ghcr.io/acme/app:v1.2.3");
}

TEST(RenderScalarTest, PlainNumericBecomesDoubleQuoted) {
  EXPECT_EQ(RenderScalar("20240101", ScalarStyle::kPlain, false), "\"20240101\"");
}

TEST(RenderScalarTest, PlainEmptyBecomesDoubleQuoted) {
  EXPECT_EQ(RenderScalar("", ScalarStyle::kPlain, false), "\"\"");
}

TEST(RenderScalarTest, PlainNeedingSyntaxQuotesBecomesDoubleQuoted) {
  EXPECT_EQ(RenderScalar("a: b", ScalarStyle::kPlain, false), "\"a: b\"");
  EXPECT_EQ(RenderScalar("a #b", ScalarStyle::kPlain, false), "\"a #b\"");
  EXPECT_EQ(RenderScalar("*x", ScalarStyle::kPlain, false), "\"*x\"");
}

TEST(RenderScalarTest, FlowIndicatorsQuotedOnlyInFlow) {
  EXPECT_EQ(RenderScalar("a,b", ScalarStyle::kPlain, false), "a,b");
  EXPECT_EQ(RenderScalar("a,b", ScalarStyle::kPlain, true), "\"a,b\"");
}

TEST(RenderScalarTest, SingleQuotedDoublesQuotes) {
  EXPECT_EQ(RenderScalar("it's", ScalarStyle::kSingleQuoted, false), "'it''s'");
}

TEST(RenderScalarTest, SingleQuotedKeepsNumbersQuoted) {
  EXPECT_EQ(RenderScalar("20240101", ScalarStyle::kSingleQuoted, false), "'20240101'");
}

TEST(RenderScalarTest, SingleQuotedWithControlCharacterFallsBackToDouble) {
  EXPECT_EQ(RenderScalar("a\nb", ScalarStyle::kSingleQuoted, false), "\"a\\nb\"");
}

TEST(RenderScalarTest, DoubleQuotedEscapes) {
  EXPECT_EQ(RenderScalar("a\"b\\c\x01", ScalarStyle::kDoubleQuoted, false), "\"a\\\"b\\\\c\\x01\"");
}

TEST(RenderScalarTest, DoubleQuotedKeepsUtf8) {
  EXPECT_EQ(RenderScalar("caf\xC3\xA9", ScalarStyle::kDoubleQuoted, false), "\"caf\xC3\xA9\"");
}

TEST(NeedsQuotingForSyntaxTest, OrdinaryReferencesArePlain) {
  EXPECT_FALSE(NeedsQuotingForSyntax("localhost:5000/org/app:1.0@sha256:abc", false));
  EXPECT_FALSE(NeedsQuotingForSyntax("a#b", false));
}

TEST(NeedsQuotingForSyntaxTest, EdgesNeedQuotes) {
  EXPECT_TRUE(NeedsQuotingForSyntax(" x", false));
  EXPECT_TRUE(NeedsQuotingForSyntax("x ", false));
  EXPECT_TRUE(NeedsQuotingForSyntax("x:", false));
  EXPECT_TRUE(NeedsQuotingForSyntax("---x", false));
  EXPECT_TRUE(NeedsQuotingForSyntax("-x", false));
  EXPECT_TRUE(NeedsQuotingForSyntax("x\ty", false));
}

}  // namespace
}  // namespace imgauto::setters
