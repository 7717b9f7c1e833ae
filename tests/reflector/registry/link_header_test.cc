#include "reflector/registry/link_header.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace imgauto::reflector::registry {
namespace {

constexpr char kRequest[] = "https://r.io/v2/org/app/tags/list";

std::optional<std::string> Next(const std::vector<std::string>& values,
                                const std::string& request = kRequest) {
  Result<std::optional<std::string>> next = FindNextLink(values, request);
  EXPECT_TRUE(next) << (next ? "" : next.error().message());
  return next ? *next : std::nullopt;
}

struct NextCase {
  std::string header;
  std::string next;
};

class NextLinkTest : public ::testing::TestWithParam<NextCase> {};

TEST_P(NextLinkTest, ResolvesAgainstRequestUrl) {
  EXPECT_EQ(Next({GetParam().header}), GetParam().next);
}

INSTANTIATE_TEST_SUITE_P(
    Table, NextLinkTest,
    ::testing::Values(
        NextCase{R"(</v2/org/app/tags/list?n=100&last=t>; rel="next")",
                 "https://r.io/v2/org/app/tags/list?n=100&last=t"},
        NextCase{R"(<https://cdn.r.io/v2/org/app/tags/list?last=t>; rel="next")",
                 "https://cdn.r.io/v2/org/app/tags/list?last=t"},
        NextCase{R"(<list?last=b>; rel=next)", "https://r.io/v2/org/app/tags/list?last=b"},
        NextCase{R"(<?last=b>; rel=next)", "https://r.io/v2/org/app/tags/list?last=b"},
        NextCase{R"(<../../other/tags/list?last=b>; rel="next")",
                 "https://r.io/v2/org/other/tags/list?last=b"},
        NextCase{R"(<//mirror.r.io/v2/x?last=b>; rel="next")", "https://mirror.r.io/v2/x?last=b"},
        NextCase{R"(</a>; rel="prev", </b>; rel="next")", "https://r.io/b"},
        NextCase{R"(</a>; rel="next last")", "https://r.io/a"},
        NextCase{R"(</a>;REL=NEXT)", "https://r.io/a"},
        NextCase{R"(</a,b>; title="x, y; z"; rel="next")", "https://r.io/a,b"},
        NextCase{R"(</a>;; rel="next";)", "https://r.io/a"},
        NextCase{R"(</plain>)", "https://r.io/plain"},
        NextCase{R"(</plain>, </explicit>; rel="next")", "https://r.io/explicit"}),
    [](const ::testing::TestParamInfo<NextCase>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(LinkHeaderTest, NoNextWhenOnlyOtherRelations) {
  EXPECT_EQ(Next({R"(</a>; rel="prev", </b>; rel="first")"}), std::nullopt);
}

TEST(LinkHeaderTest, NoNextWithoutHeaders) { EXPECT_EQ(Next({}), std::nullopt); }

TEST(LinkHeaderTest, SearchesEveryHeaderValue) {
  EXPECT_EQ(Next({R"(</a>; rel="prev")", R"(</b>; rel="next")"}), "https://r.io/b");
}

TEST(LinkHeaderTest, KeepsPlainHttp) {
  EXPECT_EQ(
      Next({R"(</v2/x/tags/list?last=a>; rel="next")"}, "http://127.0.0.1:5000/v2/x/tags/list"),
      "http://127.0.0.1:5000/v2/x/tags/list?last=a");
}

TEST(LinkHeaderTest, ParsesParameters) {
  Result<std::vector<Link>> links =
      ParseLinkHeader(R"(<https://e.com/a>; rel="next"; title="A \"b\""; hreflang=en; x)");
  ASSERT_TRUE(links);
  ASSERT_EQ(links->size(), 1u);
  const Link& link = (*links)[0];
  EXPECT_EQ(link.target, "https://e.com/a");
  EXPECT_TRUE(link.HasRel("NEXT"));
  EXPECT_FALSE(link.HasRel("prev"));
  EXPECT_EQ(link.params.at("title"), R"(A "b")");
  EXPECT_EQ(link.params.at("hreflang"), "en");
  EXPECT_EQ(link.params.at("x"), "");
}

TEST(LinkHeaderTest, RejectsMalformedHeaders) {
  for (std::string bad : {"garbage", "</a", R"(</a>; rel="next)", "</a> junk", "</a>; =x"}) {
    Result<std::vector<Link>> links = ParseLinkHeader(bad);
    ASSERT_FALSE(links) << bad;
    EXPECT_EQ(links.error().kind(), ErrorKind::kTransient);
    EXPECT_EQ(links.error().message().rfind("invalid Link header: ", 0), 0u);
    EXPECT_FALSE(FindNextLink({bad}, kRequest)) << bad;
  }
}

TEST(LinkHeaderTest, RejectsNonHttpTargets) {
  Result<std::optional<std::string>> next =
      FindNextLink({R"(<ftp://r.io/list>; rel="next")"}, kRequest);
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().kind(), ErrorKind::kTransient);
}

TEST(LinkHeaderTest, EmptyHeaderHasNoLinks) {
  Result<std::vector<Link>> links = ParseLinkHeader("  ,  ");
  ASSERT_TRUE(links);
  EXPECT_TRUE(links->empty());
}

}  // namespace
}  // namespace imgauto::reflector::registry
