// In-process tests of the CLI: `imgauto policy` through RunApp with string streams, the global
// flags and dispatch, and the scan command's core (ExecuteScan) over a fake registry.
#include "cmd/policy_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <istream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cmd/app.h"
#include "cmd/scan_command.h"
#include "core/duration.h"
#include "reflector/store/file_tag_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_registry_client.h"

namespace imgauto::cmd {
namespace {

namespace fs = std::filesystem;
using Args = std::vector<std::string>;

std::string PolicyYaml(std::string_view policy, std::string_view filter = "",
                       std::string_view version = "v1") {
  std::string yaml = "apiVersion: image.toolkit.fluxcd.io/" + std::string(version) +
                     "\nkind: ImagePolicy\nmetadata: {name: p}\nspec:\n"
                     "  imageRepositoryRef: {name: r}\n  policy: " +
                     std::string(policy) + "\n";
  if (!filter.empty()) {
    yaml += "  filterTags: " + std::string(filter) + "\n";
  }
  return yaml;
}

struct RunResult {
  int code;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "imgauto-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(std::string_view name, std::string_view content) {
    fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  RunResult Run(const Args& args, std::string_view stdin_text = "") {
    std::istringstream in{std::string(stdin_text)};
    std::ostringstream out;
    std::ostringstream err;
    int code = RunApp(args, in, out, err, &clock_);
    return RunResult{code, out.str(), err.str()};
  }

  RunResult Policy(std::string_view yaml, std::string_view tags) {
    return Run({"policy", "--policy", Write("policy.yaml", yaml)}, tags);
  }

  fs::path dir_;
  testing::FakeClock clock_;
};

TEST_F(CliTest, PolicySelectsSemverFromStdin) {
  RunResult r = Policy(PolicyYaml("{semver: {range: 1.0.x}}"), "1.0.0\n2.0.0\n1.0.1\n1.2.0\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1.0.1\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(CliTest, PolicyReadsTagsFromFile) {
  std::string policy = Write("p.yaml", PolicyYaml("{semver: {range: v1.0.x}}"));
  std::string tags = Write("tags.txt", "v1.0.0\nv2.0.0\nv1.0.1\nv1.2.0\n");
  RunResult r = Run({"policy", "--policy", policy, "--tags", tags});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "v1.0.1\n");
}

TEST_F(CliTest, PolicyDashMeansStdin) {
  std::string policy = Write("p.yaml", PolicyYaml("{alphabetical: {}}"));
  RunResult r = Run({"policy", "--tags=-", "--policy=" + policy},
                    "xenial\nyakkety\nzesty\nartful\nbionic\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "zesty\n");
}

TEST_F(CliTest, PolicyTrimsCarriageReturnsAndSkipsEmptyLines) {
  RunResult r = Policy(PolicyYaml("{alphabetical: {order: desc}}"), "\r\nb\r\n\n  \na\r\nc");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "a\n");
}

TEST_F(CliTest, PolicyReturnsOriginalTagWhenExtracting) {
  RunResult r = Policy(
      PolicyYaml("{semver: {range: '>=0.x'}}", "{pattern: '^test-(.*)$', extract: '$1'}"),
      "test-0.1.0\ntest-0.1.1\ndev-0.2.0\n1.0.0\n1.0.1\n1.0.2\n1.1.0-alpha\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "test-0.1.1\n");
}

TEST_F(CliTest, PolicyNumericalWithNamedGroupFromV1Beta2) {
  RunResult r = Policy(
      PolicyYaml("{numerical: {order: asc}}",
                 "{pattern: '1.0.0-rc\\.(?P<num>[0-9]+)', extract: '$num'}", "v1beta2"),
      "1.0.0\n1.0.0-rc.1\n1.0.0-rc.2\n1.0.0-rc.3\n1.0.1-rc.2\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1.0.0-rc.3\n");
}

TEST_F(CliTest, PolicyAlphabeticalWithExtract) {
  RunResult r = Policy(PolicyYaml("{alphabetical: {order: asc}}",
                                  "{pattern: 'foo-(?P<word>[a-z]+)', extract: '$word'}"),
                       "foo-aaa\nbar-bbb\nfoo-zzz\nbaz-nnn\nfoo-ooo\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "foo-zzz\n");
}

TEST_F(CliTest, PolicyNoMatchingVersionExitsOne) {
  RunResult r = Policy(PolicyYaml("{semver: {range: 1.0.x}}"), "b1.2.3\nb1.0.0\nb0.1.0\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "unable to determine latest version from provided list\n");
}

TEST_F(CliTest, PolicyEmptyTagListExitsOne) {
  RunResult r = Policy(PolicyYaml("{semver: {range: 1.0.x}}"), "\n\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "version list argument cannot be empty\n");
}

struct InvalidPolicyCase {
  std::string name;
  std::string yaml;
  std::string message;  // substring of stderr
};

class CliInvalidPolicyTest : public CliTest,
                             public ::testing::WithParamInterface<InvalidPolicyCase> {};

TEST_P(CliInvalidPolicyTest, ExitsTwoWithMessage) {
  RunResult r = Policy(GetParam().yaml, "1.0.0\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(GetParam().message), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, CliInvalidPolicyTest,
    ::testing::Values(
        InvalidPolicyCase{"BadRange", PolicyYaml("{semver: {range: 1x}}"), "invalid policy"},
        InvalidPolicyCase{"EmptyChoice", PolicyYaml("{}"),
                          "invalid policy: given ImagePolicyChoice object is invalid"},
        InvalidPolicyCase{"BadOrder", PolicyYaml("{alphabetical: {order: up}}"),
                          "invalid policy"},
        InvalidPolicyCase{"BadRegex", PolicyYaml("{alphabetical: {}}", "{pattern: '[='}"),
                          "invalid regular expression pattern"},
        InvalidPolicyCase{"UnclosedGroup",
                          PolicyYaml("{alphabetical: {}}", "{pattern: '^test-(.*'}"),
                          "invalid regular expression pattern"},
        InvalidPolicyCase{"MalformedYaml", "spec: [\n", "invalid yaml at line"},
        InvalidPolicyCase{"WrongKind",
                          "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n",
                          "kind: expected ImagePolicy"},
        InvalidPolicyCase{"WrongGroup", "apiVersion: v1\nkind: ImagePolicy\n",
                          "apiVersion: unsupported"}),
    [](const ::testing::TestParamInfo<InvalidPolicyCase>& info) { return info.param.name; });

TEST_F(CliTest, PolicyWithoutPolicyFlagIsUsageError) {
  RunResult r = Run({"policy"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "flag --policy is required\n");
}

TEST_F(CliTest, PolicyUnreadableFileIsUsageError) {
  RunResult r = Run({"policy", "--policy", (dir_ / "missing.yaml").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("reading policy: "), std::string::npos) << r.err;
}

TEST_F(CliTest, PolicyUnreadableTagsFileIsUsageError) {
  std::string policy = Write("p.yaml", PolicyYaml("{alphabetical: {}}"));
  RunResult r = Run({"policy", "--policy", policy, "--tags", (dir_ / "nope").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("reading tags"), std::string::npos) << r.err;
}

TEST_F(CliTest, PolicyRejectsPositionalArguments) {
  std::string policy = Write("p.yaml", PolicyYaml("{alphabetical: {}}"));
  RunResult r = Run({"policy", "--policy", policy, "extra"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "unexpected argument extra\n");
}

TEST(ReadTagLinesTest, FailsPastLimit) {
  std::istringstream in("aaaa\nbbbb\n");
  Result<std::vector<std::string>> tags = ReadTagLines(in, 6);
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kInvalidSpec);
}

// An input of `size` bytes of 'a' without a newline that counts how many bytes were taken.
class EndlessLineBuf : public std::streambuf {
 public:
  explicit EndlessLineBuf(std::size_t size) : remaining_(size) { buffer_.fill('a'); }
  std::size_t delivered() const { return delivered_; }

 protected:
  int_type underflow() override {
    if (remaining_ == 0) {
      return traits_type::eof();
    }
    const std::size_t n = std::min(remaining_, buffer_.size());
    remaining_ -= n;
    delivered_ += n;
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return traits_type::to_int_type(buffer_[0]);
  }

 private:
  std::array<char, 4096> buffer_{};
  std::size_t remaining_;
  std::size_t delivered_ = 0;
};

TEST(ReadTagLinesTest, StopsReadingLineWithoutNewlineAtLimit) {
  EndlessLineBuf buf(std::size_t{256} << 20);
  std::istream in(&buf);
  Result<std::vector<std::string>> tags = ReadTagLines(in, 1000);
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().message(), "tag list exceeds 1000 bytes");
  EXPECT_LE(buf.delivered(), std::size_t{1} << 20);
}

TEST(ReadTagLinesTest, AcceptsInputOfExactlyLimit) {
  std::istringstream in("aaaa\nbbbb");
  Result<std::vector<std::string>> tags = ReadTagLines(in, 9);
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, (Args{"aaaa", "bbbb"}));
}

TEST(ReadTagLinesTest, JoinsLinesAcrossChunks) {
  const std::string long_tag(100000, 't');
  std::istringstream in(" a \r\n" + long_tag + "\n\n  \nz");
  Result<std::vector<std::string>> tags = ReadTagLines(in);
  ASSERT_TRUE(tags);
  EXPECT_EQ(*tags, (Args{"a", long_tag, "z"}));
}

TEST(ReadTagLinesTest, KeepsOrderAndDuplicates) {
  std::istringstream in("b\na\nb");
  Result<std::vector<std::string>> tags = ReadTagLines(in);
  ASSERT_TRUE(tags);
  EXPECT_EQ(*tags, (Args{"b", "a", "b"}));
}

// ---- global flags and dispatch ----

TEST_F(CliTest, VersionPrintsVersion) {
  RunResult r = Run({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "imgauto " + std::string(kVersion) + "\n");
}

TEST_F(CliTest, HelpListsCommands) {
  RunResult r = Run({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* word : {"policy", "scan", "digest", "--log-level", "--log-encoding"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  }
  EXPECT_EQ(Run({"help"}).out, r.out);
}

TEST_F(CliTest, HelpCommandShowsCommandFlags) {
  RunResult r = Run({"help", "scan"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--state-dir DIR"), std::string::npos);
  EXPECT_NE(r.out.find("$XDG_STATE_HOME/imgauto"), std::string::npos);
  EXPECT_EQ(Run({"scan", "--help"}).out, r.out);
  EXPECT_EQ(Run({"scan", "-h"}).out, r.out);
}

TEST_F(CliTest, HelpForUnknownTopicIsUsageError) {
  RunResult r = Run({"help", "frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown help topic"), std::string::npos);
}

TEST_F(CliTest, NoArgumentsPrintsUsageAndExitsTwo) {
  RunResult r = Run({});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Usage:"), std::string::npos);
}

TEST_F(CliTest, UnknownCommandExitsTwo) {
  RunResult r = Run({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "unknown command \"frobnicate\"; run 'imgauto help'\n");
}

TEST_F(CliTest, UnknownFlagExitsTwo) {
  EXPECT_EQ(Run({"--frob"}).code, 2);
  RunResult r = Run({"policy", "--frob"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "unknown flag --frob; run 'imgauto help policy'\n");
}

TEST_F(CliTest, GlobalFlagsWorkBeforeAndAfterCommand) {
  std::string policy = Write("p.yaml", PolicyYaml("{alphabetical: {}}"));
  RunResult before = Run({"--log-level", "debug", "--log-encoding=json", "policy", "--policy",
                          policy}, "a\nb\n");
  EXPECT_EQ(before.code, 0) << before.err;
  EXPECT_EQ(before.out, "b\n");
  RunResult after = Run({"policy", "--policy", policy, "--log-level=error"}, "a\nb\n");
  EXPECT_EQ(after.code, 0) << after.err;
}

TEST_F(CliTest, InvalidLogLevelExitsTwo) {
  RunResult r = Run({"--log-level", "loud", "policy", "--policy", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--log-level"), std::string::npos);
}

// ---- scan ----

class ScanCliTest : public CliTest {
 protected:
  RunResult Scan(const ScanRequest& request) {
    auto store = reflector::store::FileTagStore::Create(dir_ / "state");
    EXPECT_TRUE(store);
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    Logger logger(LogOptions{.level = LogLevel::kError});
    CommandContext ctx{in, out, err, logger, clock_};
    int code = ExecuteScan(request, registry_, **store, ctx, secrets_);
    return RunResult{code, out.str(), err.str()};
  }

  testing::FakeRegistryClient registry_;
  SecretRegistry secrets_;
};

TEST_F(ScanCliTest, PrintsStoredTagsDescending) {
  registry_.SetTags("ghcr.io/org/app", {"1.0.0", "1.0.0.sig", "2.0.0", "1.5.0"});
  RunResult r = Scan(ScanRequest{"ghcr.io/org/app", false, {}, false});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "2.0.0\n1.5.0\n1.0.0\n");
}

TEST_F(ScanCliTest, ExcludeReplacesDefault) {
  registry_.SetTags("ghcr.io/org/app", {"1.0.0", "1.0.0.sig", "2.0.0-rc.1"});
  RunResult r = Scan(ScanRequest{"ghcr.io/org/app", false, {"-rc"}, false});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1.0.0.sig\n1.0.0\n");
}

TEST_F(ScanCliTest, JsonMatchesStatusShape) {
  registry_.SetTags("index.docker.io/library/alpine", {"a", "b", "c", "d"});
  RunResult r = Scan(ScanRequest{"alpine", false, {}, true});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["canonicalImageName"], "index.docker.io/library/alpine");
  EXPECT_EQ(doc["lastScanResult"]["revision"],
            "sha256:5c6861a52da9e6bfd5f0b37a8c51af173d7550443bb36253b18b2caf57987f53");
  EXPECT_EQ(doc["lastScanResult"]["tagCount"], 4);
  EXPECT_EQ(doc["lastScanResult"]["scanTime"], FormatRfc3339(clock_.Now()));
  EXPECT_EQ(doc["lastScanResult"]["latestTags"], nlohmann::json::parse(R"(["d","c","b","a"])"));
}

TEST_F(ScanCliTest, JsonOmitsLatestTagsWhenEmpty) {
  registry_.SetTags("ghcr.io/org/empty", {});
  RunResult r = Scan(ScanRequest{"ghcr.io/org/empty", false, {}, true});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_FALSE(doc["lastScanResult"].contains("latestTags"));
  EXPECT_EQ(doc["lastScanResult"]["tagCount"], 0);
}

TEST_F(ScanCliTest, MissingRepositoryIsReadOperationFailed) {
  RunResult r = Scan(ScanRequest{"ghcr.io/org/missing", false, {}, false});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("ReadOperationFailed: scan failed: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("404 Not Found"), std::string::npos);
}

TEST_F(ScanCliTest, InvalidImageExitsTwo) {
  RunResult r = Scan(ScanRequest{"ghcr.io/org/app:1.0", false, {}, false});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "ImageURLInvalid: image 'ghcr.io/org/app:1.0' should not include a tag; "
                   "remove ':1.0'\n");
}

TEST_F(ScanCliTest, CredentialsNeverReachOutput) {
  secrets_.Add("s3cr3t-token-value");
  registry_.FailWith(Error(ErrorKind::kUnauthorized,
                           "GET https://bob:hunter2pass@ghcr.io/v2/: token s3cr3t-token-value"));
  RunResult r = Scan(ScanRequest{"ghcr.io/org/app", false, {}, false});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.find("hunter2pass"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("s3cr3t-token-value"), std::string::npos) << r.err;
}

TEST_F(CliTest, ScanInvalidImageFromCommandLineExitsTwo) {
  RunResult r = Run({"scan", "https://ghcr.io/org/app", "--state-dir", (dir_ / "s").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("ImageURLInvalid: ", 0), 0u) << r.err;
}

TEST_F(CliTest, ScanInvalidExcludeExitsTwo) {
  RunResult r = Run({"scan", "ghcr.io/org/app", "--exclude", "[[=", "--state-dir",
                     (dir_ / "s").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("failed to compile regex [[="), std::string::npos) << r.err;
}

TEST_F(CliTest, ScanNeedsExactlyOneImage) {
  EXPECT_EQ(Run({"scan"}).code, 2);
  EXPECT_EQ(Run({"scan", "a", "b"}).code, 2);
}

TEST_F(CliTest, CertWithoutKeyIsUsageError) {
  RunResult r = Run({"digest", "ghcr.io/org/app:1", "--cert-file", "c.pem"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "flags --cert-file and --key-file go together\n");
}

TEST_F(CliTest, BadTimeoutIsUsageError) {
  EXPECT_EQ(Run({"digest", "ghcr.io/org/app:1", "--timeout", "soon"}).code, 2);
  EXPECT_EQ(Run({"digest", "ghcr.io/org/app:1", "--timeout", "0s"}).code, 2);
}

TEST_F(CliTest, UnreadableDockerConfigIsAuthenticationFailed) {
  RunResult r = Run({"digest", "ghcr.io/org/app:1", "--docker-config",
                     (dir_ / "none.json").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("AuthenticationFailed: failed to configure authentication options: ", 0),
            0u)
      << r.err;
}

struct DigestFailureCase {
  std::string name;
  std::string image;     // the IMAGE argument
  std::string expected;  // "<image as given>:<tag>" in the message
};

class DigestFailureTest : public CliTest,
                          public ::testing::WithParamInterface<DigestFailureCase> {};

// Port 1 on loopback refuses the connection, so the manifest request fails.
TEST_P(DigestFailureTest, UsesFluxWordingWithImageAsGiven) {
  RunResult r = Run({"digest", GetParam().image, "--insecure", "--timeout", "5s"});
  EXPECT_EQ(r.code, 1);
  const std::string prefix = "Failed: failed fetching digest of " + GetParam().expected + ": ";
  EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Images, DigestFailureTest,
    ::testing::Values(DigestFailureCase{"Tagged", "127.0.0.1:1/org/app:1.2",
                                        "127.0.0.1:1/org/app:1.2"},
                      DigestFailureCase{"DefaultTag", "127.0.0.1:1/org/app",
                                        "127.0.0.1:1/org/app:latest"}),
    [](const ::testing::TestParamInfo<DigestFailureCase>& info) { return info.param.name; });

TEST(CliStoreKeyTest, SanitisesAndHashesCanonicalName) {
  kube::ObjectKey a = CliStoreKey("localhost:5000/org/app");
  kube::ObjectKey b = CliStoreKey("localhost-5000/org/app");
  EXPECT_EQ(a.ns, "cli");
  EXPECT_EQ(a.name.rfind("localhost-5000-org-app-", 0), 0u) << a.name;
  EXPECT_NE(a.name, b.name);
  EXPECT_EQ(a.name.size(), std::string("localhost-5000-org-app-").size() + 12);
}

}  // namespace
}  // namespace imgauto::cmd
