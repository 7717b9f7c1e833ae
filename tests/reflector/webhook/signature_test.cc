#include "reflector/webhook/signature.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace imgauto::reflector::webhook {
namespace {

// RFC 2202 / RFC 4231 test case 2: key "Jefe".
constexpr char kKey[] = "Jefe";
constexpr char kData[] = "what do ya want for nothing?";
constexpr char kSha1[] = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";
constexpr char kSha256[] = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
constexpr char kSha512[] =
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e"
    "6fdcaeab1a34d4a6b4b636e070a38bce737";

TEST(HmacHexTest, MatchesRfcVectors) {
  EXPECT_EQ(HmacHex("sha1", kKey, kData), kSha1);
  EXPECT_EQ(HmacHex("sha256", kKey, kData), kSha256);
  EXPECT_EQ(HmacHex("sha512", kKey, kData), kSha512);
  EXPECT_EQ(HmacHex("md5", kKey, kData), "");
}

TEST(VerifyHmacSignatureTest, AcceptsEachAlgorithm) {
  EXPECT_TRUE(VerifyHmacSignature(std::string("sha1=") + kSha1, kData, kKey));
  EXPECT_TRUE(VerifyHmacSignature(std::string("sha256=") + kSha256, kData, kKey));
  EXPECT_TRUE(VerifyHmacSignature(std::string("sha512=") + kSha512, kData, kKey));
}

TEST(VerifyHmacSignatureTest, AcceptsUpperCaseHex) {
  std::string upper = kSha256;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(VerifyHmacSignature("sha256=" + upper, kData, kKey));
}

TEST(VerifyHmacSignatureTest, RejectsWrongKeyBodyOrFormat) {
  const std::string good = std::string("sha256=") + kSha256;
  EXPECT_FALSE(VerifyHmacSignature(good, kData, "jefe"));
  EXPECT_FALSE(VerifyHmacSignature(good, std::string(kData) + " ", kKey));
  EXPECT_FALSE(VerifyHmacSignature("", kData, kKey));
  EXPECT_FALSE(VerifyHmacSignature(kSha256, kData, kKey));                         // no algorithm
  EXPECT_FALSE(VerifyHmacSignature(std::string("sha1=") + kSha256, kData, kKey));  // wrong algo
  EXPECT_FALSE(VerifyHmacSignature(std::string("md5=") + kSha256, kData, kKey));
  EXPECT_FALSE(VerifyHmacSignature(good.substr(0, good.size() - 2), kData, kKey));  // truncated
  EXPECT_FALSE(VerifyHmacSignature(good.substr(0, good.size() - 1) + "g", kData, kKey));
}

TEST(ConstantTimeEqualsTest, ComparesContent) {
  EXPECT_TRUE(ConstantTimeEquals("token", "token"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("token", "tokem"));
  EXPECT_FALSE(ConstantTimeEquals("token", "token "));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
}

}  // namespace
}  // namespace imgauto::reflector::webhook
