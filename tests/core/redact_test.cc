#include "core/redact.h"

#include <gtest/gtest.h>

namespace imgauto {
namespace {

TEST(RedactSecretsTest, MasksUrlUserinfo) {
  EXPECT_EQ(RedactSecrets("proxy http://bob:s3cret@proxy:3128 failed"),
            "proxy http://***@proxy:3128 failed");
}

TEST(RedactSecretsTest, KeepsUrlsWithoutUserinfo) {
  EXPECT_EQ(RedactSecrets("GET https://ghcr.io/v2/a/tags/list?n=1"),
            "GET https://ghcr.io/v2/a/tags/list?n=1");
}

TEST(RedactSecretsTest, MasksAuthorizationSchemes) {
  EXPECT_EQ(RedactSecrets("Authorization: Basic dXNlcjpwYXNzd29yZA=="), "Authorization: Basic ***");
  EXPECT_EQ(RedactSecrets("Bearer eyJhbGciOi.abc.def"), "Bearer ***");
}

TEST(RedactSecretsTest, KeepsBearerChallengeParameters) {
  const std::string challenge = "Bearer realm=\"https://auth/token\",service=\"reg\"";
  EXPECT_EQ(RedactSecrets(challenge), challenge);
}

TEST(RedactSecretsTest, MasksJsonAndQueryFields) {
  EXPECT_EQ(RedactSecrets(R"({"password":"hunter22","user":"u"})"),
            R"({"password":"***","user":"u"})");
  EXPECT_EQ(RedactSecrets("token=abc123&scope=x"), "token=***&scope=x");
  EXPECT_EQ(RedactSecrets(R"({"access_token": "xyz987"})"), R"({"access_token": "***"})");
}

TEST(RedactSecretsTest, MasksSignedUrlQueryParameters) {
  EXPECT_EQ(RedactSecrets("https://s3/blob?X-Amz-Credential=AKIA1/x&X-Amz-Signature=abcdef12&n=1"),
            "https://s3/blob?X-Amz-Credential=***&X-Amz-Signature=***&n=1");
}

TEST(RedactSecretsTest, LeavesOrdinaryWordsAlone) {
  const std::string message = "failed to configure authentication options: token server down";
  EXPECT_EQ(RedactSecrets(message), message);
}

TEST(SecretRegistryTest, ReplacesEveryOccurrenceOfRegisteredValues) {
  SecretRegistry secrets;
  secrets.Add("p4ssw0rd");
  secrets.Add("ab");  // too short: ignored
  EXPECT_EQ(secrets.Redact("x p4ssw0rd y p4ssw0rd ab"), "x *** y *** ab");
}

}  // namespace
}  // namespace imgauto
