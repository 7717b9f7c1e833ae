#include "core/log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace imgauto {
namespace {

TEST(LoggerTest, FormatsTextWithQuotedValues) {
  Logger log(LogOptions{.level = LogLevel::kInfo, .encoding = LogEncoding::kText});
  EXPECT_EQ(log.Format(LogLevel::kInfo, "scan done", {{"image", "ghcr.io/a"}, {"note", "two words"}},
                       "2024-05-01T10:00:00.000Z"),
            "2024-05-01T10:00:00.000Z info scan done image=ghcr.io/a note=\"two words\"");
}

TEST(LoggerTest, FormatsValidJson) {
  Logger log(LogOptions{.level = LogLevel::kInfo, .encoding = LogEncoding::kJson});
  const std::string line =
      log.Format(LogLevel::kError, "bad \"input\"\n", {{"kind", "ImagePolicy"}}, "ts");
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "bad \"input\"\n");
  EXPECT_EQ(j["kind"], "ImagePolicy");
}

TEST(LoggerTest, RedactsSecretsInMessagesAndFields) {
  SecretRegistry secrets;
  secrets.Add("topsecretvalue");
  Logger log(LogOptions{.encoding = LogEncoding::kJson, .secrets = &secrets});
  const std::string line = log.Format(LogLevel::kInfo, "login with topsecretvalue",
                                      {{"url", "https://u:pw@host/x"}}, "ts");
  EXPECT_EQ(line.find("topsecretvalue"), std::string::npos);
  EXPECT_EQ(line.find("u:pw"), std::string::npos);
}

TEST(LoggerTest, FiltersBelowConfiguredLevel) {
  std::FILE* sink = std::tmpfile();
  ASSERT_NE(sink, nullptr);
  Logger log(LogOptions{.level = LogLevel::kError, .sink = sink});
  log.Info("hidden");
  log.Error("shown");
  std::rewind(sink);
  char buf[512] = {};
  const std::size_t n = std::fread(buf, 1, sizeof(buf) - 1, sink);
  std::fclose(sink);
  const std::string out(buf, n);
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_NE(out.find("shown"), std::string::npos);
}

TEST(ParseLogLevelTest, AcceptsFluxLevels) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("TRACE"), LogLevel::kTrace);
  EXPECT_FALSE(ParseLogLevel("verbose"));
}

TEST(ParseLogEncodingTest, AcceptsJsonAndConsole) {
  EXPECT_EQ(*ParseLogEncoding("json"), LogEncoding::kJson);
  EXPECT_EQ(*ParseLogEncoding("console"), LogEncoding::kText);
  EXPECT_FALSE(ParseLogEncoding("xml"));
}

}  // namespace
}  // namespace imgauto
