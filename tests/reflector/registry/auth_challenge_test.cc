#include "reflector/registry/auth_challenge.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace imgauto::reflector::registry {
namespace {

std::vector<AuthChallenge> MustParse(const std::string& header) {
  Result<std::vector<AuthChallenge>> parsed = ParseAuthChallenges(header);
  EXPECT_TRUE(parsed) << header << ": " << (parsed ? "" : parsed.error().message());
  return parsed ? *parsed : std::vector<AuthChallenge>{};
}

TEST(AuthChallengeTest, ParsesDockerHubBearer) {
  std::vector<AuthChallenge> challenges =
      MustParse(R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
                R"(scope="repository:library/alpine:pull")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(challenges[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(challenges[0].Param("scope"), "repository:library/alpine:pull");
  EXPECT_EQ(challenges[0].Param("missing"), "");
}

TEST(AuthChallengeTest, ParsesBasic) {
  std::vector<AuthChallenge> challenges = MustParse(R"(Basic realm="Registry Realm")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "basic");
  EXPECT_EQ(challenges[0].Param("realm"), "Registry Realm");
}

TEST(AuthChallengeTest, SchemeAndParamNamesAreCaseInsensitive) {
  std::vector<AuthChallenge> challenges = MustParse(R"(BEARER Realm="x",SERVICE="Y")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].Param("REALM"), "x");
  EXPECT_EQ(challenges[0].Param("service"), "Y");
}

TEST(AuthChallengeTest, UnescapesQuotedStrings) {
  std::vector<AuthChallenge> challenges = MustParse(R"(Bearer realm="a\"b\\c,d")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].Param("realm"), R"(a"b\c,d)");
}

TEST(AuthChallengeTest, ParsesSeveralChallenges) {
  std::vector<AuthChallenge> challenges =
      MustParse(R"(Basic realm="x", Bearer realm="y",service="z", Negotiate)");
  ASSERT_EQ(challenges.size(), 3u);
  EXPECT_EQ(challenges[0].scheme, "basic");
  EXPECT_EQ(challenges[0].Param("realm"), "x");
  EXPECT_EQ(challenges[1].scheme, "bearer");
  EXPECT_EQ(challenges[1].Param("realm"), "y");
  EXPECT_EQ(challenges[1].Param("service"), "z");
  EXPECT_EQ(challenges[2].scheme, "negotiate");
  EXPECT_TRUE(challenges[2].params.empty());
}

TEST(AuthChallengeTest, AcceptsUnquotedValuesAndLooseSpacing) {
  std::vector<AuthChallenge> challenges =
      MustParse("Bearer  realm = https://r.io/token ,  service=r.io,scope=repository:a/b:pull");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].Param("realm"), "https://r.io/token");
  EXPECT_EQ(challenges[0].Param("service"), "r.io");
  EXPECT_EQ(challenges[0].Param("scope"), "repository:a/b:pull");
}

TEST(AuthChallengeTest, ParsesToken68) {
  std::vector<AuthChallenge> padded = MustParse("Basic dXNlcjpwYXNz==");
  ASSERT_EQ(padded.size(), 1u);
  EXPECT_EQ(padded[0].token68, "dXNlcjpwYXNz==");
  std::vector<AuthChallenge> bare = MustParse("Negotiate abc/def+ghi, Basic realm=\"r\"");
  ASSERT_EQ(bare.size(), 2u);
  EXPECT_EQ(bare[0].token68, "abc/def+ghi");
  EXPECT_EQ(bare[1].Param("realm"), "r");
}

TEST(AuthChallengeTest, DuplicateParamKeepsFirst) {
  std::vector<AuthChallenge> challenges = MustParse(R"(Bearer realm="first",realm="second")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].Param("realm"), "first");
}

TEST(AuthChallengeTest, RejectsGarbage) {
  for (std::string bad : {"", "   ", ",,,", R"("quoted")", R"(realm="x")", "Bearer realm=\"x",
                          "(Bearer)", "Bearer a=b, c==d"}) {
    Result<std::vector<AuthChallenge>> parsed = ParseAuthChallenges(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().kind(), ErrorKind::kTransient);
    EXPECT_EQ(parsed.error().message().rfind("invalid WWW-Authenticate header: ", 0), 0u)
        << parsed.error().message();
  }
}

TEST(AuthChallengeTest, ErrorsDoNotEchoValues) {
  Result<std::vector<AuthChallenge>> parsed =
      ParseAuthChallenges(R"(Bearer realm="https://r.io/token?secret=hunter2)");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message().find("hunter2"), std::string::npos);
  EXPECT_NE(parsed.error().message().find("unterminated quoted string at offset 13"),
            std::string::npos)
      << parsed.error().message();
}

TEST(AuthChallengeTest, SurvivesEveryByte) {
  for (int c = 0; c < 256; ++c) {
    std::string header = "Bearer realm=\"x\"" + std::string(1, static_cast<char>(c)) + "y=z";
    Result<std::vector<AuthChallenge>> parsed = ParseAuthChallenges(header);
    if (parsed) {
      EXPECT_FALSE(parsed->empty());
    }
    std::string alone(1, static_cast<char>(c));
    (void)ParseAuthChallenges(alone);
  }
}

TEST(AuthChallengeTest, HeadersSkipUnparsableValues) {
  std::vector<AuthChallenge> challenges =
      ParseAuthChallengeHeaders({"\"broken", R"(Bearer realm="y")", "Basic"});
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[1].scheme, "basic");
}

TEST(AuthChallengeTest, FindChallengeIgnoresCase) {
  std::vector<AuthChallenge> challenges = MustParse(R"(Basic realm="a", Bearer realm="b")");
  const AuthChallenge* bearer = FindChallenge(challenges, "Bearer");
  ASSERT_NE(bearer, nullptr);
  EXPECT_EQ(bearer->Param("realm"), "b");
  EXPECT_EQ(FindChallenge(challenges, "digest"), nullptr);
}

}  // namespace
}  // namespace imgauto::reflector::registry
