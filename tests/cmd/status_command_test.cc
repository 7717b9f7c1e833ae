// In-process tests of `imgauto status` through RunApp: tables per kind from status files as the
// StateStore writes them, --kind, --json, unreadable files and the missing state directory.
#include "cmd/status_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/app.h"
#include "cmd/standalone/manifest_dir.h"
#include "cmd/standalone/state_store.h"
#include "tests/support/temp_dir.h"

namespace imgauto::cmd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Args = std::vector<std::string>;

struct RunResult {
  int code;
  std::string out;
  std::string err;
};

standalone::ManifestDocument Doc(std::string api_version, std::string kind, std::string ns,
                                 std::string name) {
  standalone::ManifestDocument doc;
  doc.api_version = std::move(api_version);
  doc.kind = std::move(kind);
  doc.ns = std::move(ns);
  doc.name = std::move(name);
  doc.text = "apiVersion: " + doc.api_version + "\nkind: " + doc.kind +
             "\nmetadata:\n  name: " + doc.name + "\n  namespace: " + doc.ns + "\nspec: {}\n";
  doc.file = "objects.yaml";
  return doc;
}

class StatusCommandTest : public ::testing::Test {
 protected:
  RunResult Run(Args args) {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    int code = RunApp(args, in, out, err);
    return RunResult{code, out.str(), err.str()};
  }

  // Writes status files for one object of each kind, the way `imgauto run` saves them.
  void WriteObjects() {
    standalone::StateStore store(state_.path());
    ASSERT_TRUE(
        store.Save(Doc("image.toolkit.fluxcd.io/v1", "ImageRepository", "flux-system", "app"),
                   R"({"canonicalImageName":"ghcr.io/acme/app","lastScanResult":{
                               "revision":"sha256:abc","tagCount":42,
                               "scanTime":"2026-05-01T10:00:00Z","latestTags":["1.1.0"]},
                               "conditions":[{"type":"Ready","status":"True",
                               "reason":"Succeeded","message":"successful scan: found 42 tags"}]})"));
    ASSERT_TRUE(store.Save(Doc("image.toolkit.fluxcd.io/v1", "ImagePolicy", "flux-system", "app"),
                           R"({"latestRef":{"name":"ghcr.io/acme/app","tag":"1.1.0"},
                               "conditions":[{"type":"Ready","status":"True","reason":"Succeeded",
                               "message":"Latest image tag for ghcr.io/acme/app resolved to 1.1.0"}]})"));
    ASSERT_TRUE(store.Save(Doc("image.toolkit.fluxcd.io/v1beta2", "ImagePolicy", "apps", "web"),
                           R"({"latestImage":"registry.local:5000/team/web:2.0.1",
                               "conditions":[{"type":"Ready","status":"False",
                               "reason":"Failure","message":"no tag\nmatched"}]})"));
    ASSERT_TRUE(store.Save(
        Doc("image.toolkit.fluxcd.io/v1", "ImageUpdateAutomation", "flux-system", "fleet"),
        R"({"lastAutomationRunTime":"2026-05-01T10:00:05Z","conditions":[{"type":"Ready",
            "status":"True","reason":"Succeeded","message":"repository up-to-date"}]})"));
  }

  testing::TempDir state_{"status-state"};
};

TEST_F(StatusCommandTest, PrintsOneTablePerKind) {
  WriteObjects();
  RunResult r = Run({"status", "--state-dir", state_.path().string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string expected =
      "NAME                                  LAST SCAN              TAGS   "
      "READY   MESSAGE\n"
      "imagerepository/flux-system/app       2026-05-01T10:00:00Z   42     "
      "True    "
      "successful scan: found 42 tags\n"
      "\n"
      "NAME                          IMAGE                         TAG     "
      "READY   MESSAGE\n"
      "imagepolicy/apps/web          registry.local:5000/team/web  2.0.1   "
      "False   no tag matched\n"
      "imagepolicy/flux-system/app   ghcr.io/acme/app              1.1.0   "
      "True    "
      "Latest image tag for ghcr.io/acme/app resolved to 1.1.0\n"
      "\n"
      "NAME                                          LAST RUN               "
      "READY   MESSAGE\n"
      "imageupdateautomation/flux-system/fleet       2026-05-01T10:00:05Z   "
      "True    "
      "repository up-to-date\n";
  // Column widths follow the widest cell; compare the cells rather than exact padding.
  std::istringstream lines(r.out);
  std::istringstream want(expected);
  std::string got_line;
  std::string want_line;
  while (std::getline(want, want_line)) {
    ASSERT_TRUE(std::getline(lines, got_line)) << r.out;
    std::istringstream a(got_line);
    std::istringstream b(want_line);
    std::vector<std::string> got_words{std::istream_iterator<std::string>(a), {}};
    std::vector<std::string> want_words{std::istream_iterator<std::string>(b), {}};
    EXPECT_EQ(got_words, want_words) << r.out;
  }
  EXPECT_FALSE(std::getline(lines, got_line)) << r.out;
}

TEST_F(StatusCommandTest, AlignsColumns) {
  WriteObjects();
  RunResult r = Run({"status", "--state-dir", state_.path().string(), "--kind", "policy"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header;
  std::string first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header.find("IMAGE"), first.find("registry.local"));
  EXPECT_EQ(header.find("READY"), first.find("False"));
  EXPECT_EQ(header.find("IMAGE"), std::string("imagepolicy/flux-system/app").size() + 3);
}

TEST_F(StatusCommandTest, KindSelectsOneTable) {
  WriteObjects();
  RunResult r =
      Run({"status", "--state-dir", state_.path().string(), "--kind", "ImageUpdateAutomation"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("NAME"));
  EXPECT_THAT(r.out, HasSubstr("LAST RUN"));
  EXPECT_THAT(r.out, HasSubstr("imageupdateautomation/flux-system/fleet"));
  EXPECT_THAT(r.out, Not(HasSubstr("imagepolicy/")));
  EXPECT_THAT(r.out, Not(HasSubstr("imagerepository/")));
}

TEST_F(StatusCommandTest, UnknownKindIsUsageError) {
  RunResult r = Run({"status", "--state-dir", state_.path().string(), "--kind", "Deployment"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("invalid --kind \"Deployment\""));
}

TEST_F(StatusCommandTest, JsonPrintsTheRawObjects) {
  WriteObjects();
  RunResult r = Run({"status", "--state-dir", state_.path().string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  ASSERT_EQ(doc["items"].size(), 4u);
  EXPECT_TRUE(doc["unreadable"].empty());
  const nlohmann::json& repo = doc["items"][0];
  EXPECT_EQ(repo["kind"], "ImageRepository");
  EXPECT_EQ(repo["metadata"]["name"], "app");
  EXPECT_EQ(repo["metadata"]["generation"], 1);
  EXPECT_EQ(repo["status"]["lastScanResult"]["tagCount"], 42);
  EXPECT_EQ(repo["status"]["lastScanResult"]["latestTags"][0],
            "1.1.0");  // quoted: a string
  EXPECT_EQ(doc["items"][3]["kind"], "ImageUpdateAutomation");
}

TEST_F(StatusCommandTest, CorruptFileIsListedAsUnreadable) {
  WriteObjects();
  state_.Write("status/imagerepository/flux-system/broken.yaml",
               std::string("\x01\x02status: [unclosed\n\xff", 22));
  RunResult r = Run({"status", "--state-dir", state_.path().string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("imagerepository/flux-system/app"));
  EXPECT_THAT(r.out, HasSubstr("imagerepository/flux-system/broken"));
  EXPECT_THAT(r.out, HasSubstr("Unknown"));
  EXPECT_THAT(r.out, HasSubstr("unreadable status file "
                               "status/imagerepository/flux-system/broken.yaml"));
  EXPECT_THAT(r.out, HasSubstr("imageupdateautomation/flux-system/fleet"));

  RunResult json = Run({"status", "--state-dir", state_.path().string(), "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  nlohmann::json doc = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << json.out;
  EXPECT_EQ(doc["items"].size(), 4u);
  ASSERT_EQ(doc["unreadable"].size(), 1u);
  EXPECT_EQ(doc["unreadable"][0]["file"], "status/imagerepository/flux-system/broken.yaml");
}

TEST_F(StatusCommandTest, EmptyStateDirectoryPrintsNothingFound) {
  RunResult r = Run({"status", "--state-dir", state_.path().string()});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("no objects found"));
}

TEST_F(StatusCommandTest, MissingStateDirectoryIsUsageError) {
  RunResult r = Run({"status", "--state-dir", (state_.path() / "nope").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("state directory"));
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
}

TEST_F(StatusCommandTest, UnexpectedArgumentIsUsageError) {
  RunResult r = Run({"status", "--state-dir", state_.path().string(), "extra"});
  EXPECT_EQ(r.code, 2);
}

TEST(ParseStatusKindTest, AcceptsKindsPluralsAndFluxWords) {
  EXPECT_EQ(*ParseStatusKind("ImageRepository"), "imagerepository");
  EXPECT_EQ(*ParseStatusKind("imagepolicies"), "imagepolicy");
  EXPECT_EQ(*ParseStatusKind("update"), "imageupdateautomation");
  EXPECT_FALSE(ParseStatusKind("images"));
}

}  // namespace
}  // namespace imgauto::cmd
