#include "core/error.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace imgauto {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) {
    return Error(ErrorKind::kInvalidSpec, "odd number " + std::to_string(n));
  }
  return n / 2;
}

TEST(ResultTest, HoldsValue) {
  Result<int> r = Half(8);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 4);
}

TEST(ResultTest, HoldsErrorWithKindAndMessage) {
  Result<int> r = Half(3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(r.error().message(), "odd number 3");
}

TEST(ResultTest, ValueOrReturnsFallbackOnError) {
  EXPECT_EQ(Half(3).value_or(-1), -1);
  EXPECT_EQ(Half(4).value_or(-1), 2);
}

TEST(ResultTest, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(ResultTest, VoidResultDefaultsToSuccess) {
  Result<void> ok;
  EXPECT_TRUE(ok);
  Result<void> bad = Error(ErrorKind::kTransient, "boom");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "boom");
}

TEST(ErrorTest, WrapPrefixesContextAndKeepsKind) {
  Error e = Error(ErrorKind::kUnauthorized, "401 Unauthorized").Wrap("listing tags of x");
  EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
  EXPECT_EQ(e.message(), "listing tags of x: 401 Unauthorized");
}

TEST(ErrorTest, KindNamesAreStable) {
  EXPECT_EQ(ErrorKindName(ErrorKind::kNotFound), "not_found");
  EXPECT_EQ(ErrorKindName(ErrorKind::kConflict), "conflict");
}

TEST(ResultDeathTest, ValueOnErrorAborts) {
  Result<int> r = Half(1);
  EXPECT_DEATH((void)r.value(), "internal check failed");
}

}  // namespace
}  // namespace imgauto
