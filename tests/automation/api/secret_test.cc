#include "automation/api/secret.h"

#include <gtest/gtest.h>

#include <string>

namespace imgauto::automation::api {
namespace {

constexpr std::string_view kHead = "apiVersion: v1\nkind: Secret\n";

// The secret text the leak tests plant: "s3cr3t-passw0rd" and its base64.
constexpr std::string_view kPlain = "s3cr3t-passw0rd";
constexpr std::string_view kEncoded = "czNjcjN0LXBhc3N3MHJk";

void ExpectNoLeak(const Result<Secret>& secret) {
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().kind(), ErrorKind::kInvalidSpec);
  const std::string& message = secret.error().message();
  EXPECT_EQ(message.find(kPlain), std::string::npos) << message;
  EXPECT_EQ(message.find(kEncoded), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
  EXPECT_EQ(message.find("czNjcjN0"), std::string::npos) << message;
}

TEST(SecretDecodeTest, DecodesBase64DataAndType) {
  Result<Secret> secret = DecodeSecret(R"(
apiVersion: v1
kind: Secret
metadata:
  name: git-credentials
  namespace: flux-system
type: kubernetes.io/basic-auth
data:
  username: Z2l0
  password: czNjcjN0LXBhc3N3MHJk
)");
  ASSERT_TRUE(secret) << secret.error().message();
  EXPECT_EQ(secret->metadata.name, "git-credentials");
  EXPECT_EQ(secret->metadata.ns, "flux-system");
  EXPECT_EQ(secret->type, "kubernetes.io/basic-auth");
  EXPECT_EQ(secret->data,
            (std::map<std::string, std::string>{{"username", "git"}, {"password", kPlain.data()}}));
}

TEST(SecretDecodeTest, TypeDefaultsToOpaque) {
  Result<Secret> secret = DecodeSecret(std::string(kHead) + "metadata: {name: s}\n");
  ASSERT_TRUE(secret) << secret.error().message();
  EXPECT_EQ(secret->type, "Opaque");
  EXPECT_TRUE(secret->data.empty());
}

TEST(SecretDecodeTest, StringDataWinsOverDataForTheSameKey) {
  Result<Secret> secret = DecodeSecret(std::string(kHead) +
                                       "data:\n  address: b2xk\n  username: dQ==\n"
                                       "stringData:\n  address: http://proxy:3128\n"
                                       "  password: plain\n");
  ASSERT_TRUE(secret) << secret.error().message();
  EXPECT_EQ(secret->data,
            (std::map<std::string, std::string>{
                {"address", "http://proxy:3128"}, {"password", "plain"}, {"username", "u"}}));
}

TEST(SecretDecodeTest, KeepsBinaryDataAndMultiLineBase64) {
  // A PEM-like value split over lines, as `kubectl create secret` never does but people do.
  Result<Secret> secret = DecodeSecret(
      std::string(kHead) + "data:\n  bin: AP8QgA==\n  wrapped: |\n    Zm9v\n    YmFy\n");
  ASSERT_TRUE(secret) << secret.error().message();
  EXPECT_EQ(secret->data.at("bin"), std::string("\x00\xff\x10\x80", 4));
  EXPECT_EQ(secret->data.at("wrapped"), "foobar");
}

TEST(SecretDecodeTest, EmptyAndNullValuesAreEmpty) {
  Result<Secret> secret = DecodeSecret(std::string(kHead) +
                                       "data:\n  a: ''\n  b:\nstringData:\n"
                                       "  c:\n");
  ASSERT_TRUE(secret) << secret.error().message();
  EXPECT_EQ(secret->data, (std::map<std::string, std::string>{{"a", ""}, {"b", ""}, {"c", ""}}));
}

TEST(SecretDecodeTest, FindReturnsValueOrNull) {
  Result<Secret> secret = DecodeSecret(std::string(kHead) + "stringData: {identity: key}\n");
  ASSERT_TRUE(secret) << secret.error().message();
  ASSERT_NE(secret->Find("identity"), nullptr);
  EXPECT_EQ(*secret->Find("identity"), "key");
  EXPECT_EQ(secret->Find("identity.pub"), nullptr);
}

TEST(SecretDecodeTest, InvalidBase64NamesTheKeyButNotTheValue) {
  Result<Secret> secret =
      DecodeSecret(std::string(kHead) + "data:\n  token: czNjcjN0LXBhc3N3MHJk*\n");
  ExpectNoLeak(secret);
  EXPECT_EQ(secret.error().message(), "data.token: illegal base64 data at input byte 20");
}

TEST(SecretDecodeTest, UnpaddedBase64IsRejectedAsKubernetesDoes) {
  Result<Secret> secret = DecodeSecret(std::string(kHead) + "data:\n  token: czNjcjN0LXBhc3N3MA\n");
  ExpectNoLeak(secret);
  EXPECT_EQ(secret.error().message(), "data.token: illegal base64 data at input byte 16");
}

TEST(SecretDecodeTest, NonStringValueDoesNotLeak) {
  ExpectNoLeak(DecodeSecret(std::string(kHead) + "data:\n  token: [czNjcjN0LXBhc3N3MHJk]\n"));
  ExpectNoLeak(DecodeSecret(std::string(kHead) + "stringData:\n  token: {s3cr3t-passw0rd: 1}\n"));
}

TEST(SecretDecodeTest, YamlSyntaxErrorDoesNotLeak) {
  // yaml-cpp names the bad escape character; the message must not carry document text.
  Result<Secret> secret =
      DecodeSecret(std::string(kHead) + "stringData:\n  password: \"s3cr3t-passw0rd\\q\"\n");
  ExpectNoLeak(secret);
  EXPECT_NE(secret.error().message().find("invalid yaml at line 4"), std::string::npos)
      << secret.error().message();
  EXPECT_NE(secret.error().message().find(": malformed document"), std::string::npos)
      << secret.error().message();
  EXPECT_EQ(secret.error().message().find("escape character"), std::string::npos)
      << secret.error().message();
}

TEST(SecretDecodeTest, OtherSyntaxErrorsDoNotLeak) {
  ExpectNoLeak(DecodeSecret(std::string(kHead) + "stringData:\n  password: [s3cr3t-passw0rd\n"));
  ExpectNoLeak(DecodeSecret(std::string(kHead) + "stringData:\n  password: s3cr3t-passw0rd: x\n"));
  ExpectNoLeak(DecodeSecret(std::string(kHead) + "data:\n  password: czNjcjN0LXBhc3N3MHJk\n"
                                                 "  password: czNjcjN0LXBhc3N3MHJk\n---\n"
                                                 "czNjcjN0LXBhc3N3MHJk: 1\n"));
}

struct MalformedCase {
  std::string name;
  std::string yaml;
  std::string expected;  // the whole error message
};

class SecretMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(SecretMalformedTest, RejectsWithInvalidSpec) {
  Result<Secret> secret = DecodeSecret(GetParam().yaml);
  ExpectNoLeak(secret);
  if (!secret) {
    EXPECT_EQ(secret.error().message(), GetParam().expected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, SecretMalformedTest,
    ::testing::Values(
        MalformedCase{"Empty", "", "invalid yaml: empty document"},
        MalformedCase{"TopLevelList", "- a\n",
                      "invalid yaml at line 1, column 1: expected a mapping at the top level"},
        MalformedCase{"AppsGroup", "apiVersion: apps/v1\nkind: Secret\n",
                      "apiVersion: unsupported \"apps/v1\" for kind Secret; expected v1"},
        MalformedCase{"WrongKind", "apiVersion: v1\nkind: ConfigMap\n",
                      "kind: expected Secret, got \"ConfigMap\""},
        MalformedCase{"DataList", std::string(kHead) + "data: [czNjcjN0LXBhc3N3MHJk]\n",
                      "data: expected a mapping, got a list"},
        MalformedCase{"BadDataKey", std::string(kHead) + "data: {\"a b\": czNjcjN0LXBhc3N3MHJk}\n",
                      "data: invalid key \"a b\": must consist of alphanumeric characters, '-', "
                      "'_' or '.'"},
        MalformedCase{"BadStringDataKey",
                      std::string(kHead) + "stringData: {\"a/b\": s3cr3t-passw0rd}\n",
                      "stringData: invalid key \"a/b\": must consist of alphanumeric "
                      "characters, '-', '_' or '.'"},
        MalformedCase{"DotDotKey", std::string(kHead) + "stringData: {\"..\": s3cr3t-passw0rd}\n",
                      "stringData: invalid key \"..\": must consist of alphanumeric "
                      "characters, '-', '_' or '.'"},
        MalformedCase{"ValueIsMapping", std::string(kHead) + "data: {k: {czNjcjN0: x}}\n",
                      "data.k: expected a string, got a mapping"},
        MalformedCase{"TypeList", std::string(kHead) + "type: [Opaque]\n",
                      "type: expected a string, got a list"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

struct Base64Case {
  std::string name;
  std::string encoded;
  std::optional<std::string> decoded;  // nullopt: invalid
  std::size_t error_offset = 0;
};

class SecretBase64Test : public ::testing::TestWithParam<Base64Case> {};

TEST_P(SecretBase64Test, DecodesLikeGoStdEncoding) {
  std::size_t offset = 12345;
  std::optional<std::string> got = DecodeSecretBase64(GetParam().encoded, offset);
  EXPECT_EQ(got, GetParam().decoded);
  if (!GetParam().decoded.has_value()) {
    EXPECT_EQ(offset, GetParam().error_offset);
  }
}

// RFC 4648 §10 vectors, then the ways Go's StdEncoding rejects input.
INSTANTIATE_TEST_SUITE_P(
    Vectors, SecretBase64Test,
    ::testing::Values(Base64Case{"Empty", "", ""}, Base64Case{"F", "Zg==", "f"},
                      Base64Case{"Fo", "Zm8=", "fo"}, Base64Case{"Foo", "Zm9v", "foo"},
                      Base64Case{"Foob", "Zm9vYg==", "foob"},
                      Base64Case{"Fooba", "Zm9vYmE=", "fooba"},
                      Base64Case{"Foobar", "Zm9vYmFy", "foobar"},
                      Base64Case{"AllAlphabet", "+/+/", "\xfb\xff\xbf"},
                      Base64Case{"CrLfSkipped", "Zm9v\r\nYmFy\n", "foobar"},
                      Base64Case{"LineBreakInsidePadding", "Zg=\n=", "f"},
                      Base64Case{"MissingPadding", "Zg", std::nullopt, 0},
                      Base64Case{"MissingSecondPad", "Zm9vZg=", std::nullopt, 7},
                      Base64Case{"PadTooEarly", "Z===", std::nullopt, 1},
                      Base64Case{"PadOnly", "====", std::nullopt, 0},
                      Base64Case{"DataAfterPadding", "Zg==Zg==", std::nullopt, 4},
                      Base64Case{"UrlAlphabet", "Zm-_", std::nullopt, 2},
                      Base64Case{"Space", "Zm9v YmFy", std::nullopt, 4},
                      Base64Case{"SingleTrailingChar", "Zm9vY", std::nullopt, 4}),
    [](const ::testing::TestParamInfo<Base64Case>& info) { return info.param.name; });

}  // namespace
}  // namespace imgauto::automation::api
