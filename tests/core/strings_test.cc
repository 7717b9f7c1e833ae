#include "core/strings.h"

#include <gtest/gtest.h>

namespace imgauto {
namespace {

TEST(SplitTest, KeepsEmptyFieldsLikeGo) {
  EXPECT_EQ(Split("a,,b", ","), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(Split("", ","), (std::vector<std::string>{""}));
  EXPECT_EQ(Split("1.2.3", "."), (std::vector<std::string>{"1", "2", "3"}));
}

TEST(TrimSpaceTest, RemovesAsciiWhitespaceOnBothEnds) {
  EXPECT_EQ(TrimSpace(" \t a b \r\n"), "a b");
  EXPECT_EQ(TrimSpace("   "), "");
}

TEST(CaseTest, ConvertsAsciiOnly) {
  EXPECT_EQ(AsciiLower("AbC-\xc3\x89"), "abc-\xc3\x89");
  EXPECT_EQ(AsciiUpper("asc"), "ASC");
  EXPECT_TRUE(EqualsIgnoreCase("DESC", "desc"));
  EXPECT_FALSE(EqualsIgnoreCase("desc", "descx"));
}

TEST(JoinTest, JoinsWithSeparator) {
  EXPECT_EQ(Join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(Join({}, ","), "");
}

TEST(QuoteTest, EscapesControlCharacters) {
  EXPECT_EQ(Quote("a\"b\n\x01"), "\"a\\\"b\\n\\x01\"");
}

TEST(StringsTest, HexDigitValue) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  for (char c : {'g', 'G', '/', ':', '@', '`', ' ', '\0'}) EXPECT_EQ(HexDigitValue(c), -1) << c;
}

}  // namespace
}  // namespace imgauto
