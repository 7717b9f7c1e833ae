#include "reflector/registry/docker_config.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace imgauto::reflector::registry {
namespace {

DockerConfig MustParse(const std::string& json) {
  Result<DockerConfig> config = DockerConfig::Parse(json);
  EXPECT_TRUE(config) << (config ? "" : config.error().message());
  return config ? *config : *DockerConfig::Parse("{}");
}

std::string SingleEntry(const std::string& key, const std::string& fields) {
  return R"({"auths":{")" + key + R"(":{)" + fields + "}}}";
}

// Flux's internal/secret/testdata/secret.json, decoded: kubectl create secret docker-registry.
TEST(DockerConfigTest, DecodesKubectlSecret) {
  DockerConfig config = MustParse(
      R"({"auths":{"https://index.docker.io/v1/":{"username":"fooser","password":"foopass",)"
      R"("email":"foo@example.com","auth":"Zm9vc2VyOmZvb3Bhc3M="}}})");
  Result<ImageReference> ref = ParseRepository("docker.io/stefan/podinfo");
  ASSERT_TRUE(ref);
  std::optional<AuthConfig> auth = config.Lookup(*ref);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->username, "fooser");
  EXPECT_EQ(auth->password, "foopass");
}

struct KeyCase {
  std::string key;
  std::string registry;
  std::string repository;
  bool matches;
};

class DockerConfigKeyTest : public ::testing::TestWithParam<KeyCase> {};

TEST_P(DockerConfigKeyTest, MatchesLikeTheKubernetesKeychain) {
  DockerConfig config = MustParse(SingleEntry(GetParam().key, R"("username":"u","password":"p")"));
  std::optional<AuthConfig> auth = config.Lookup(GetParam().registry, GetParam().repository);
  EXPECT_EQ(auth.has_value(), GetParam().matches);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DockerConfigKeyTest,
    ::testing::Values(
        KeyCase{"https://index.docker.io/v1/", "index.docker.io", "library/alpine", true},
        KeyCase{"index.docker.io", "index.docker.io", "library/alpine", true},
        KeyCase{"docker.io", "index.docker.io", "library/alpine", true},
        KeyCase{"https://docker.io", "index.docker.io", "x/y", true},
        KeyCase{"http://index.docker.io/v2/", "index.docker.io", "x/y", true},
        KeyCase{"https://index.docker.io/v1", "index.docker.io", "x/y", true},
        KeyCase{"registry.me:8082", "registry.me:8082", "stefan/podinfo", true},
        KeyCase{"http://registry.me:8082", "registry.me:8082", "stefan/podinfo", true},
        KeyCase{"registry.me", "registry.me:8082", "stefan/podinfo", false},
        KeyCase{"registry.me:8082", "registry.me", "stefan/podinfo", false},
        KeyCase{"ghcr.io/org", "ghcr.io", "org/app", true},
        KeyCase{"ghcr.io/org", "ghcr.io", "other/app", false},
        KeyCase{"https://ghcr.io/v2/org/app", "ghcr.io", "org/app", true},
        KeyCase{"*.gcr.io", "us.gcr.io", "p/app", true},
        KeyCase{"*.gcr.io", "gcr.io", "p/app", false},
        KeyCase{"GHCR.IO", "ghcr.io", "org/app", true},
        KeyCase{"quay.io", "ghcr.io", "org/app", false}),
    [](const ::testing::TestParamInfo<KeyCase>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(DockerConfigTest, AuthFieldWinsOverUsernamePassword) {
  DockerConfig config = MustParse(
      SingleEntry("ghcr.io", R"("username":"x","password":"y","auth":"dXNlcjpwYTpzcw==")"));
  std::optional<AuthConfig> auth = config.Lookup("ghcr.io", "org/app");
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->username, "user");
  EXPECT_EQ(auth->password, "pa:ss");
}

TEST(DockerConfigTest, AcceptsUnpaddedAuth) {
  DockerConfig config = MustParse(SingleEntry("ghcr.io", R"("auth":"dXNlcjpwYXNz")"));
  std::optional<AuthConfig> auth = config.Lookup("ghcr.io", "org/app");
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->username, "user");
  EXPECT_EQ(auth->password, "pass");
}

TEST(DockerConfigTest, ReadsTokens) {
  DockerConfig config =
      MustParse(SingleEntry("r.io", R"("identitytoken":"refresh","registrytoken":"bearer")"));
  std::optional<AuthConfig> auth = config.Lookup("r.io");
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->identity_token, "refresh");
  EXPECT_EQ(auth->registry_token, "bearer");
  EXPECT_TRUE(auth->username.empty());
}

TEST(DockerConfigTest, FieldNamesAreCaseInsensitive) {
  DockerConfig config =
      MustParse(R"({"Auths":{"r.io":{"Username":"u","PASSWORD":"p","IdentityToken":"t"}}})");
  std::optional<AuthConfig> auth = config.Lookup("r.io");
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->username, "u");
  EXPECT_EQ(auth->password, "p");
  EXPECT_EQ(auth->identity_token, "t");
}

TEST(DockerConfigTest, ParsesLegacyTopLevelMap) {
  DockerConfig config =
      MustParse(R"({"credsStore":"desktop","https://r.io":{"auth":"dTpw","email":"a@b"}})");
  EXPECT_EQ(config.size(), 1u);
  std::optional<AuthConfig> auth = config.Lookup("r.io", "app");
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->username, "u");
  EXPECT_EQ(auth->password, "p");
}

TEST(DockerConfigTest, MostSpecificKeyWins) {
  DockerConfig config = MustParse(R"({"auths":{"ghcr.io":{"username":"host","password":"p"},)"
                                  R"("ghcr.io/org":{"username":"org","password":"p"}}})");
  EXPECT_EQ(config.Lookup("ghcr.io", "org/app")->username, "org");
  EXPECT_EQ(config.Lookup("ghcr.io", "other/app")->username, "host");
}

TEST(DockerConfigTest, EmptyEntryIsAnonymous) {
  DockerConfig config = MustParse(SingleEntry("r.io", ""));
  EXPECT_EQ(config.size(), 1u);
  EXPECT_FALSE(config.Lookup("r.io", "app"));
}

TEST(DockerConfigTest, NullAuthsIsEmpty) {
  DockerConfig config = MustParse(R"({"auths":null})");
  EXPECT_EQ(config.size(), 0u);
  EXPECT_FALSE(config.Lookup("r.io"));
}

TEST(DockerConfigTest, MergeKeepsEarlierKeysFirst) {
  DockerConfig first = MustParse(SingleEntry("r.io", R"("username":"first","password":"p")"));
  DockerConfig second = MustParse(
      R"({"auths":{"r.io":{"username":"second","password":"p"},"q.io":{"auth":"dTpw"}}})");
  first.Merge(second);
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(first.Lookup("r.io")->username, "first");
  EXPECT_EQ(first.Lookup("q.io")->username, "u");
}

struct BadConfigCase {
  std::string json;
  std::string message;
};

class DockerConfigErrorTest : public ::testing::TestWithParam<BadConfigCase> {};

TEST_P(DockerConfigErrorTest, FailsWithoutLeakingSecrets) {
  Result<DockerConfig> config = DockerConfig::Parse(GetParam().json);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(config.error().message(), GetParam().message);
  EXPECT_EQ(config.error().message().find("s3cr3t"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DockerConfigErrorTest,
    ::testing::Values(
        BadConfigCase{R"({"auths":{"r.io":{"password":"s3cr3t")",
                      "invalid docker config: malformed JSON at byte 38"},
        BadConfigCase{"s3cr3t", "invalid docker config: malformed JSON at byte 1"},
        BadConfigCase{R"(["s3cr3t"])", "invalid docker config: expected a JSON object"},
        BadConfigCase{R"({"auths":["s3cr3t"]})",
                      "invalid docker config: 'auths' must be an object"},
        BadConfigCase{R"({"auths":{"r.io":"s3cr3t"}})",
                      "invalid docker config: entry 'r.io' must be an object"},
        BadConfigCase{R"({"auths":{"r.io":{"password":["s3cr3t"]}}})",
                      "invalid docker config: field 'password' of entry 'r.io' must be a string"},
        BadConfigCase{R"({"auths":{"r.io":{"auth":"!!s3cr3t!!"}}})",
                      "invalid docker config: unable to decode auth field of entry 'r.io': must "
                      "be formatted as base64(username:password)"},
        BadConfigCase{R"({"auths":{"r.io":{"auth":"czNjcjN0"}}})",
                      "invalid docker config: unable to decode auth field of entry 'r.io': must "
                      "be formatted as base64(username:password)"},
        BadConfigCase{R"({"auths":{"https://":{"auth":"dTpw"}}})",
                      "invalid docker config: entry 'https://' has no registry host"}),
    [](const ::testing::TestParamInfo<BadConfigCase>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(DockerConfigTest, Base64MatchesRfc4648Vectors) {
  const std::pair<std::string, std::string> kVectors[] = {{"", ""},
                                                          {"f", "Zg=="},
                                                          {"fo", "Zm8="},
                                                          {"foo", "Zm9v"},
                                                          {"foob", "Zm9vYg=="},
                                                          {"fooba", "Zm9vYmE="},
                                                          {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain);
  }
  EXPECT_EQ(Base64Decode("Zm9vYg"), "foob");
  EXPECT_EQ(Base64Decode(" Zm9v\n"), "foo");
  EXPECT_FALSE(Base64Decode("Zm9vY"));
  EXPECT_FALSE(Base64Decode("Zm9v!"));
  EXPECT_FALSE(Base64Decode("Zg="));
}

TEST(DockerConfigTest, BasicAuthorizationEncodesUserAndPassword) {
  AuthConfig auth;
  auth.username = "user";
  auth.password = "pass";
  EXPECT_EQ(auth.BasicAuthorization(), "Basic dXNlcjpwYXNz");
  EXPECT_FALSE(auth.Empty());
  EXPECT_TRUE(AuthConfig{}.Empty());
}

}  // namespace
}  // namespace imgauto::reflector::registry
