// Drives the built `imgauto` binary (IMGAUTO_BINARY) as a user would: `scan` and `digest` against
// a real CNCF Distribution registry on loopback, and `policy` over stdin. Checks the documented
// output shapes and exit codes (0 ok, 1 failed, 2 invalid input) and that secrets never leak.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "reflector/registry/docker_config.h"
#include "reflector/store/file_tag_store.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace imgauto::cmd {
namespace {

using imgauto::testing::CommandResult;
using imgauto::testing::ProcessOptions;
using imgauto::testing::TempDir;
using imgauto::testing::TestRegistry;
using imgauto::testing::TestRegistryOptions;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kCommandTimeout = std::chrono::seconds(20);

// Runs imgauto with a private state directory and HOME, and without proxy variables.
class Cli {
 public:
  CommandResult Run(std::vector<std::string> args, std::string stdin_text = "") const {
    ProcessOptions options;
    options.args = {IMGAUTO_BINARY};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.stdin_text = std::move(stdin_text);
    options.env = {{"HOME", home_.path().string()},
                   {"XDG_STATE_HOME", home_.Path("state").string()}};
    options.unset_env = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                         "NO_PROXY",    "no_proxy",    "ALL_PROXY",  "all_proxy"};
    options.cwd = home_.path();
    Result<CommandResult> result = imgauto::testing::RunCommand(options, kCommandTimeout);
    EXPECT_TRUE(result) << result.error().message();
    return result ? *result : CommandResult{};
  }

  // `imgauto scan IMAGE --state-dir <tmp> <extra…>`.
  CommandResult Scan(const std::string& image, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"scan", image, "--state-dir", home_.Path("store").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(std::move(args));
  }

  const TempDir& home() const { return home_; }

 private:
  TempDir home_{"cli"};
};

std::unique_ptr<TestRegistry> StartRegistry(TestRegistryOptions options,
                                            const std::vector<std::string>& tags) {
  Result<std::unique_ptr<TestRegistry>> registry = TestRegistry::Start(std::move(options));
  EXPECT_TRUE(registry) << registry.error().message();
  if (!registry) {
    return nullptr;
  }
  for (const std::string& tag : tags) {
    Result<std::string> digest = (*registry)->PushImage("team/app", tag);
    EXPECT_TRUE(digest) << digest.error().message();
    if (!digest) {
      return nullptr;
    }
  }
  return std::move(*registry);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (std::string& line : Split(text, "\n")) {
    if (!line.empty()) {
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

std::string Describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.stdout_text +
         "\nstderr: " + r.stderr_text;
}

TEST(CliIntegrationTest, ScanPrintsTagsDescendingWithoutSignatures) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry =
      StartRegistry({}, {"1.0.0", "1.2.0", "1.1.0", "sha256-77aa.sig"});
  ASSERT_NE(registry, nullptr);
  Cli cli;

  CommandResult r = cli.Scan(registry->host() + "/team/app", {"--insecure"});

  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(Lines(r.stdout_text), ElementsAre("1.2.0", "1.1.0", "1.0.0"));
}

TEST(CliIntegrationTest, ScanJsonReportsCanonicalNameAndLastScanResult) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({}, {"a", "c", "b"});
  ASSERT_NE(registry, nullptr);
  Cli cli;

  CommandResult r = cli.Scan(registry->host() + "/team/app", {"--insecure", "--json"});

  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  nlohmann::json doc = nlohmann::json::parse(r.stdout_text, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(doc.is_object()) << r.stdout_text;
  EXPECT_EQ(doc.value("canonicalImageName", ""), registry->host() + "/team/app");
  ASSERT_TRUE(doc.contains("lastScanResult")) << r.stdout_text;
  const nlohmann::json& result = doc["lastScanResult"];
  const std::vector<std::string> stored = {"c", "b", "a"};
  EXPECT_EQ(result.value("revision", ""), reflector::store::FileTagStore::Revision(stored));
  EXPECT_EQ(result.value("tagCount", -1), 3);
  EXPECT_THAT(result.value("scanTime", ""),
              ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T.*"));
  EXPECT_EQ(result.value("latestTags", std::vector<std::string>{}), stored);
}

TEST(CliIntegrationTest, ScanExcludeReplacesTheDefaultExclusion) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry =
      StartRegistry({}, {"1.0.0", "1.1.0-rc.1", "1.1.0", "1.1.0.sig"});
  ASSERT_NE(registry, nullptr);
  Cli cli;

  CommandResult r =
      cli.Scan(registry->host() + "/team/app", {"--insecure", "--exclude", "-rc\\.[0-9]+$"});

  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(Lines(r.stdout_text), ElementsAre("1.1.0.sig", "1.1.0", "1.0.0"));
}

TEST(CliIntegrationTest, ScanWithCaFileTrustsTheTestCa) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({.tls = true}, {"v1", "v2"});
  ASSERT_NE(registry, nullptr);
  Cli cli;

  CommandResult r =
      cli.Scan(registry->host() + "/team/app", {"--ca-file", registry->pki().ca_cert.string()});

  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(Lines(r.stdout_text), ElementsAre("v2", "v1"));
}

TEST(CliIntegrationTest, ScanWithoutCaFileFailsVerificationWithExitOne) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({.tls = true}, {"v1"});
  ASSERT_NE(registry, nullptr);
  Cli cli;

  CommandResult r = cli.Scan(registry->host() + "/team/app");

  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.stderr_text, HasSubstr("ReadOperationFailed: scan failed: "));
  EXPECT_THAT(r.stderr_text, HasSubstr("certificate verify failed"));
}

TEST(CliIntegrationTest, ScanWithDockerConfigUsesBasicAuth) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry =
      StartRegistry({.tls = true, .basic_auth = true}, {"2.0.0", "1.0.0"});
  ASSERT_NE(registry, nullptr);
  Cli cli;
  std::filesystem::path config = cli.home().Write(
      "docker/config.json",
      registry->DockerConfigJson(registry->options().user, registry->options().password));

  CommandResult r =
      cli.Scan(registry->host() + "/team/app",
               {"--docker-config", config.string(), "--ca-file", registry->pki().ca_cert.string()});

  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(Lines(r.stdout_text), ElementsAre("2.0.0", "1.0.0"));
}

TEST(CliIntegrationTest, ScanWithWrongCredentialsExitsOneWithoutLeakingThem) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({.basic_auth = true}, {"1.0.0"});
  ASSERT_NE(registry, nullptr);
  Cli cli;
  const std::string wrong_password = "Leak-Canary-5f3a9e";
  std::filesystem::path config = cli.home().Write(
      "docker/config.json", registry->DockerConfigJson(registry->options().user, wrong_password));

  CommandResult r = cli.Scan(registry->host() + "/team/app",
                             {"--insecure", "--docker-config", config.string(), "--json"});

  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.stderr_text, HasSubstr("401"));
  const std::string encoded =
      reflector::registry::Base64Encode(registry->options().user + ":" + wrong_password);
  for (const std::string* stream : {&r.stdout_text, &r.stderr_text}) {
    EXPECT_THAT(*stream, Not(HasSubstr(wrong_password)));
    EXPECT_THAT(*stream, Not(HasSubstr(encoded)));
  }
}

TEST(CliIntegrationTest, ScanRejectsUrlSchemeWithExitTwo) {
  Cli cli;

  CommandResult r = cli.Scan("https://x/y");

  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.stderr_text,
              HasSubstr("image 'https://x/y' should not include URL scheme; remove 'https://'"));
  EXPECT_EQ(r.stdout_text, "");
}

TEST(CliIntegrationTest, DigestPrintsThePushedManifestDigest) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({}, {"1.0.0"});
  ASSERT_NE(registry, nullptr);
  Result<std::string> pushed = registry->PushImage("team/app", "1.1.0");
  ASSERT_TRUE(pushed) << pushed.error().message();
  Cli cli;

  CommandResult r = cli.Run({"digest", registry->host() + "/team/app:1.1.0", "--insecure"});

  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(std::string(TrimSpace(r.stdout_text)), *pushed);
}

TEST(CliIntegrationTest, DigestOfUnknownTagExitsOne) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({}, {"1.0.0"});
  ASSERT_NE(registry, nullptr);
  Cli cli;

  CommandResult r = cli.Run({"digest", registry->host() + "/team/app:9.9.9", "--insecure"});

  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.stderr_text, HasSubstr("404"));
  EXPECT_THAT(r.stderr_text,
              HasSubstr("failed fetching digest of " + registry->host() + "/team/app:9.9.9: "));
}

struct PolicyCase {
  std::string name;    // letters and digits only: it becomes the test name
  std::string policy;  // spec.policy (+ filterTags) block, indented by two spaces
  std::string tags;    // stdin
  int want_exit;
  std::string want_stdout;  // trimmed; checked when want_exit == 0
  std::string want_stderr;  // substring; checked when not empty
};

std::string PolicyDocument(const std::string& spec_body) {
  return "apiVersion: image.toolkit.fluxcd.io/v1\n"
         "kind: ImagePolicy\n"
         "metadata:\n  name: app\n  namespace: apps\n"
         "spec:\n  imageRepositoryRef:\n    name: app\n" +
         spec_body;
}

class CliPolicyIntegrationTest : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(CliPolicyIntegrationTest, SelectsFromStdinWithDocumentedExitCode) {
  const PolicyCase& c = GetParam();
  Cli cli;
  std::filesystem::path policy = cli.home().Write("policy.yaml", PolicyDocument(c.policy));

  CommandResult r = cli.Run({"policy", "--policy", policy.string(), "--tags", "-"}, c.tags);

  ASSERT_EQ(r.exit_code, c.want_exit) << Describe(r);
  if (c.want_exit == 0) {
    EXPECT_EQ(std::string(TrimSpace(r.stdout_text)), c.want_stdout);
  } else {
    EXPECT_EQ(r.stdout_text, "");
  }
  if (!c.want_stderr.empty()) {
    EXPECT_THAT(r.stderr_text, HasSubstr(c.want_stderr));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliPolicyIntegrationTest,
    ::testing::ValuesIn(std::vector<PolicyCase>{
        {"SemverPicksHighestInRange", "  policy:\n    semver:\n      range: '>=1.0.0 <2.0.0'\n",
         "v1.0.0\nv1.1.1\nv2.0.0-rc.1\n", 0, "v1.1.1", ""},
        {"NumericalWithExtractPrintsOriginalTag",
         "  filterTags:\n    pattern: '^main-[a-f0-9]{7}-(?P<ts>[0-9]+)$'\n    extract: '$ts'\n"
         "  policy:\n    numerical:\n      order: asc\n",
         "main-abc1234-100\nmain-def5678-200\nfeature-x\nmain-0123456-150\n", 0, "main-def5678-200",
         ""},
        {"AlphabeticalDescending", "  policy:\n    alphabetical:\n      order: desc\n",
         "bravo\nalpha\ncharlie\n", 0, "alpha", ""},
        {"NoTagInRangeExitsOne", "  policy:\n    semver:\n      range: '>=3.0.0'\n",
         "1.0.0\n2.0.0\n", 1, "", "unable to determine latest version from provided list"},
        {"EmptyTagListExitsOne", "  policy:\n    semver:\n      range: '>=1.0.0'\n", "", 1, "",
         "version list argument cannot be empty"},
        {"NonNumericValueExitsOne", "  policy:\n    numerical:\n      order: asc\n", "1\nabc\n", 1,
         "", "failed to parse invalid numeric value 'abc'"},
        {"InvalidSemverRangeExitsTwo", "  policy:\n    semver:\n      range: 'not a range'\n",
         "1.0.0\n", 2, "", ""},
        {"InvalidFilterRegexExitsTwo",
         "  filterTags:\n    pattern: '['\n  policy:\n    alphabetical: {}\n", "a\n", 2, "", ""},
    }),
    [](const auto& info) { return info.param.name; });

TEST(CliIntegrationTest, PolicyReadsTagsFromAFile) {
  Cli cli;
  std::filesystem::path policy = cli.home().Write(
      "policy.yaml", PolicyDocument("  policy:\n    semver:\n      range: '~1.2'\n"));
  std::filesystem::path tags = cli.home().Write("tags.txt", "1.2.0\n1.2.9\n1.3.0\n");

  CommandResult r = cli.Run({"policy", "--policy", policy.string(), "--tags", tags.string()});

  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(std::string(TrimSpace(r.stdout_text)), "1.2.9");
}

}  // namespace
}  // namespace imgauto::cmd
