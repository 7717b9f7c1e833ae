#include "core/duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace imgauto {
namespace {

using std::chrono::nanoseconds;
constexpr std::int64_t kMs = 1000000;
constexpr std::int64_t kS = 1000 * kMs;

struct ParseCase {
  std::string name;
  std::string text;
  std::int64_t want_ns;
};

class ParseGoDurationTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseGoDurationTest, ParsesLikeGo) {
  Result<nanoseconds> d = ParseGoDuration(GetParam().text);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->count(), GetParam().want_ns);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseGoDurationTest,
    ::testing::ValuesIn(std::vector<ParseCase>{
        {"Zero", "0", 0},
        {"Seconds", "5s", 5 * kS},
        {"Minutes", "10m", 600 * kS},
        {"HoursAndMinutes", "1h30m", 5400 * kS},
        {"FractionalHours", "1.5h", 5400 * kS},
        {"Millis", "300ms", 300 * kMs},
        {"Micros", "2us", 2000},
        {"MicroSign", "2\xc2\xb5s", 2000},
        {"Nanos", "7ns", 7},
        {"LeadingDot", ".5s", kS / 2},
        {"TrailingDot", "5.s", 5 * kS},
        {"Negative", "-1m", -60 * kS},
        {"Plus", "+2s", 2 * kS},
        {"Mixed", "1h2m3.5s", 3723 * kS + kS / 2},
    }),
    [](const auto& info) { return info.param.name; });

TEST(ParseGoDurationTest, RejectsEmpty) {
  Result<nanoseconds> d = ParseGoDuration("");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(), "time: invalid duration \"\"");
}

TEST(ParseGoDurationTest, RejectsMissingUnit) {
  Result<nanoseconds> d = ParseGoDuration("10");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(), "time: missing unit in duration \"10\"");
}

TEST(ParseGoDurationTest, RejectsUnknownUnit) {
  Result<nanoseconds> d = ParseGoDuration("3d");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(), "time: unknown unit \"d\" in duration \"3d\"");
}

TEST(ParseGoDurationTest, RejectsOverflow) {
  EXPECT_FALSE(ParseGoDuration("9999999999h"));
}

TEST(ParseGoDurationTest, RejectsGarbage) {
  EXPECT_FALSE(ParseGoDuration("abc"));
  EXPECT_FALSE(ParseGoDuration("."));
  EXPECT_FALSE(ParseGoDuration("1h-2m"));
}

struct FormatCase {
  std::string name;
  std::int64_t ns;
  std::string want;
};

class FormatGoDurationTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatGoDurationTest, FormatsLikeGo) {
  EXPECT_EQ(FormatGoDuration(nanoseconds(GetParam().ns)), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FormatGoDurationTest,
    ::testing::ValuesIn(std::vector<FormatCase>{
        {"Zero", 0, "0s"},
        {"FiveMinutes", 300 * kS, "5m0s"},
        {"OneHour", 3600 * kS, "1h0m0s"},
        {"OneAndHalfSeconds", 1500 * kMs, "1.5s"},
        {"Remaining", 299 * kS + 123 * kMs, "4m59.123s"},
        {"Millis", 300 * kMs, "300ms"},
        {"FractionalMillis", 1500000 + 500, "1.5005ms"},
        {"Micros", 1500, "1.5\xc2\xb5s"},
        {"Nanos", 42, "42ns"},
        {"Negative", -30 * kS, "-30s"},
        {"ThirtySeconds", 30 * kS, "30s"},
    }),
    [](const auto& info) { return info.param.name; });

TEST(FormatRfc3339Test, FormatsUtcSeconds) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1714557600));
  EXPECT_EQ(FormatRfc3339(t), "2024-05-01T10:00:00Z");
}

TEST(FormatRfc3339Test, NanoKeepsNineFractionDigits) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1714557600)) +
                 std::chrono::microseconds(1500);
  EXPECT_EQ(FormatRfc3339Nano(t), "2024-05-01T10:00:00.001500000Z");
  EXPECT_EQ(FormatRfc3339Nano(std::chrono::system_clock::time_point(
                std::chrono::seconds(1714557600))),
            "2024-05-01T10:00:00.000000000Z");
}

}  // namespace
}  // namespace imgauto
