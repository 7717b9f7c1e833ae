// The real client stack (BeastHttpClient + HttpRegistryClient + scanner + FileTagStore) against a
// real CNCF Distribution registry started on loopback: plain HTTP, TLS from a test CA, htpasswd
// Basic auth, digests, 404s and unreachable registries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/http/beast_client.h"
#include "core/http/url.h"
#include "core/sha256.h"
#include "reflector/api/image_repository.h"
#include "reflector/registry/docker_config.h"
#include "reflector/registry/http_registry_client.h"
#include "reflector/registry/reference.h"
#include "reflector/scan/scanner.h"
#include "reflector/store/file_tag_store.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace imgauto::reflector {
namespace {

using imgauto::testing::FreeLoopbackPort;
using imgauto::testing::ManifestFormat;
using imgauto::testing::TempDir;
using imgauto::testing::TestRegistry;
using imgauto::testing::TestRegistryOptions;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr auto kCallTimeout = std::chrono::seconds(15);

// How the client side is configured for one test.
struct ClientSetup {
  bool trust_test_ca = true;
  std::optional<std::pair<std::string, std::string>> credentials{};  // user, password
};

// One client stack talking to one registry, with its own tag store.
class Stack {
 public:
  static std::unique_ptr<Stack> Create(const TestRegistry& registry, const ClientSetup& setup) {
    auto stack = std::unique_ptr<Stack>(new Stack());
    http::ClientOptions options;
    options.timeout = kRequestTimeout;
    options.proxy_from_environment = false;  // hermetic: CI proxies must not see loopback
    if (setup.trust_test_ca) {
      options.tls.ca_pem = registry.ca_pem();
    }
    Result<http::HttpClientPtr> http = http::BeastHttpClient::Create(options);
    EXPECT_TRUE(http) << http.error().message();
    if (!http) {
      return nullptr;
    }
    stack->http_ = std::move(*http);

    registry::RegistryOptions registry_options;
    registry_options.timeout = kCallTimeout;
    registry_options.initial_backoff = std::chrono::milliseconds(50);
    if (setup.credentials) {
      // Credentials take the production path: a dockerconfigjson document and its keychain.
      Result<registry::DockerConfig> config = registry::DockerConfig::Parse(
          registry.DockerConfigJson(setup.credentials->first, setup.credentials->second));
      EXPECT_TRUE(config) << config.error().message();
      if (!config) {
        return nullptr;
      }
      registry_options.auth = config->Lookup(registry.host(), "team/app");
      EXPECT_TRUE(registry_options.auth.has_value()) << "no credentials for " << registry.host();
    }
    stack->client_ =
        std::make_unique<registry::HttpRegistryClient>(*stack->http_, registry_options);

    Result<std::unique_ptr<store::FileTagStore>> store =
        store::FileTagStore::Create(stack->store_dir_.path());
    EXPECT_TRUE(store) << store.error().message();
    if (!store) {
      return nullptr;
    }
    stack->store_ = std::move(*store);
    return stack;
  }

  registry::HttpRegistryClient& client() { return *client_; }
  store::FileTagStore& store() { return *store_; }

  // Scans `image` like an ImageRepository named apps/app would.
  scan::ScanOutcome Scan(const std::string& image, bool insecure,
                         std::vector<std::string> exclusions = {}) {
    api::ImageRepository repo;
    repo.metadata.ns = "apps";
    repo.metadata.name = "app";
    repo.metadata.generation = 1;
    repo.spec.image = image;
    repo.spec.insecure = insecure;
    repo.spec.interval = std::chrono::minutes(5);
    repo.spec.exclusion_list = std::move(exclusions);
    return scan::ScanRepository(repo, *client_, *store_, clock_);
  }

 private:
  Stack() = default;

  TempDir store_dir_{"integ-store"};
  SystemClock clock_;
  http::HttpClientPtr http_;
  std::unique_ptr<registry::HttpRegistryClient> client_;
  std::unique_ptr<store::FileTagStore> store_;
};

// Starts a registry or fails the test with its error.
std::unique_ptr<TestRegistry> StartRegistry(TestRegistryOptions options) {
  Result<std::unique_ptr<TestRegistry>> registry = TestRegistry::Start(std::move(options));
  EXPECT_TRUE(registry) << registry.error().message();
  return registry ? std::move(*registry) : nullptr;
}

registry::ImageReference Repo(const TestRegistry& registry, const std::string& path,
                              bool insecure) {
  Result<registry::ImageReference> ref =
      registry::ParseRepository(registry.host() + "/" + path, insecure);
  EXPECT_TRUE(ref) << ref.error().message();
  return ref ? *ref : registry::ImageReference{};
}

void PushAll(TestRegistry& registry, const std::string& repo,
             const std::vector<std::string>& tags) {
  for (const std::string& tag : tags) {
    Result<std::string> digest = registry.PushImage(repo, tag);
    ASSERT_TRUE(digest) << digest.error().message();
  }
}

TEST(RegistryIntegrationTest, PlainHttpScanStoresTagsDescendingWithoutSignatures) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({});
  ASSERT_NE(registry, nullptr);
  // Pushed out of order; 11 tags (Flux vector 47) plus a cosign signature tag.
  ASSERT_NO_FATAL_FAILURE(
      PushAll(*registry, "team/app",
              {"c", "k", "a", "sha256-0a1b.sig", "f", "b", "j", "d", "i", "e", "h", "g"}));
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {});
  ASSERT_NE(stack, nullptr);

  scan::ScanOutcome outcome = stack->Scan(registry->host() + "/team/app", /*insecure=*/true);

  ASSERT_FALSE(outcome.failure) << outcome.failure->error.message();
  const scan::ScanReport& report = *outcome.report;
  EXPECT_EQ(report.canonical_image_name, registry->host() + "/team/app");
  EXPECT_THAT(report.tags, ElementsAre("k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a"));
  EXPECT_EQ(report.result.tag_count, 11);
  EXPECT_THAT(report.result.latest_tags,
              ElementsAre("k", "j", "i", "h", "g", "f", "e", "d", "c", "b"));
  EXPECT_EQ(report.result.revision, store::FileTagStore::Revision(report.tags));
  EXPECT_FALSE(report.result.scan_time.empty());
  EXPECT_THAT(report.observed_exclusion_list, ElementsAre("^.*\\.sig$"));
}

TEST(RegistryIntegrationTest, PlainHttpScanWritesTheTagStore) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({});
  ASSERT_NE(registry, nullptr);
  ASSERT_NO_FATAL_FAILURE(PushAll(*registry, "team/app", {"1.0.0", "1.10.0", "1.9.0"}));
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {});
  ASSERT_NE(stack, nullptr);

  scan::ScanOutcome outcome = stack->Scan(registry->host() + "/team/app", /*insecure=*/true);

  ASSERT_FALSE(outcome.failure) << outcome.failure->error.message();
  Result<std::vector<std::string>> stored = stack->store().Tags({"apps", "app"});
  ASSERT_TRUE(stored) << stored.error().message();
  EXPECT_THAT(*stored, ElementsAre("1.9.0", "1.10.0", "1.0.0"));  // byte order, not semver
}

TEST(RegistryIntegrationTest, CustomExclusionListReplacesTheDefault) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({});
  ASSERT_NE(registry, nullptr);
  // Flux vector 50: a custom list drops "-alpha" tags and keeps ".sig" tags.
  ASSERT_NO_FATAL_FAILURE(
      PushAll(*registry, "team/app",
              {"0.1.0", "0.1.1-alpha", "0.1.1", "0.1.1.sig", "1.0.0-alpha", "1.0.0"}));
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {});
  ASSERT_NE(stack, nullptr);

  scan::ScanOutcome outcome =
      stack->Scan(registry->host() + "/team/app", /*insecure=*/true, {"^.*\\-alpha$"});

  ASSERT_FALSE(outcome.failure) << outcome.failure->error.message();
  EXPECT_THAT(outcome.report->tags, ElementsAre("1.0.0", "0.1.1.sig", "0.1.1", "0.1.0"));
}

TEST(RegistryIntegrationTest, TlsScanSucceedsWithTheTestCa) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({.tls = true});
  ASSERT_NE(registry, nullptr);
  ASSERT_NO_FATAL_FAILURE(PushAll(*registry, "team/app", {"v1", "v2"}));
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {.trust_test_ca = true});
  ASSERT_NE(stack, nullptr);

  scan::ScanOutcome outcome = stack->Scan(registry->host() + "/team/app", /*insecure=*/false);

  ASSERT_FALSE(outcome.failure) << outcome.failure->error.message();
  EXPECT_THAT(outcome.report->tags, ElementsAre("v2", "v1"));
}

TEST(RegistryIntegrationTest, TlsScanWithoutTheCaFailsVerification) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({.tls = true});
  ASSERT_NE(registry, nullptr);
  ASSERT_NO_FATAL_FAILURE(PushAll(*registry, "team/app", {"v1"}));
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {.trust_test_ca = false});
  ASSERT_NE(stack, nullptr);

  scan::ScanOutcome outcome = stack->Scan(registry->host() + "/team/app", /*insecure=*/false);

  ASSERT_TRUE(outcome.failure);
  EXPECT_EQ(scan::ScanFailureReason(outcome.failure->stage), "ReadOperationFailed");
  std::string message = scan::ScanFailureMessage(*outcome.failure);
  EXPECT_THAT(message, HasSubstr("scan failed: "));
  EXPECT_THAT(message, HasSubstr("certificate verify failed"));
}

TEST(RegistryIntegrationTest, BasicAuthScanSucceedsWithDockerConfigCredentials) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({.tls = true, .basic_auth = true});
  ASSERT_NE(registry, nullptr);
  ASSERT_NO_FATAL_FAILURE(PushAll(*registry, "team/app", {"1.0.0", "2.0.0"}));
  std::unique_ptr<Stack> stack = Stack::Create(
      *registry,
      {.credentials = std::make_pair(registry->options().user, registry->options().password)});
  ASSERT_NE(stack, nullptr);

  scan::ScanOutcome outcome = stack->Scan(registry->host() + "/team/app", /*insecure=*/false);

  ASSERT_FALSE(outcome.failure) << outcome.failure->error.message();
  EXPECT_THAT(outcome.report->tags, ElementsAre("2.0.0", "1.0.0"));
}

TEST(RegistryIntegrationTest, BasicAuthWithoutCredentialsIsUnauthorized) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({.basic_auth = true});
  ASSERT_NE(registry, nullptr);
  ASSERT_NO_FATAL_FAILURE(PushAll(*registry, "team/app", {"1.0.0"}));
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {});
  ASSERT_NE(stack, nullptr);

  Result<std::vector<std::string>> tags =
      stack->client().ListTags(Repo(*registry, "team/app", /*insecure=*/true));

  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized) << tags.error().message();
  EXPECT_THAT(tags.error().message(), HasSubstr("401 Unauthorized"));
}

TEST(RegistryIntegrationTest, BasicAuthWithWrongPasswordIsUnauthorizedAndNeverEchoesIt) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({.basic_auth = true});
  ASSERT_NE(registry, nullptr);
  ASSERT_NO_FATAL_FAILURE(PushAll(*registry, "team/app", {"1.0.0"}));
  const std::string wrong_password = "Wr0ng-Secret-7c1e";
  std::unique_ptr<Stack> stack = Stack::Create(
      *registry, {.credentials = std::make_pair(registry->options().user, wrong_password)});
  ASSERT_NE(stack, nullptr);

  Result<std::vector<std::string>> tags =
      stack->client().ListTags(Repo(*registry, "team/app", /*insecure=*/true));

  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized) << tags.error().message();
  EXPECT_THAT(tags.error().message(), Not(HasSubstr(wrong_password)));
  EXPECT_THAT(
      tags.error().message(),
      Not(HasSubstr(registry::Base64Encode(registry->options().user + ":" + wrong_password))));
}

struct DigestCase {
  std::string name;
  ManifestFormat format;
  bool tls;
  bool basic_auth;
};

class RegistryDigestIntegrationTest : public ::testing::TestWithParam<DigestCase> {};

TEST_P(RegistryDigestIntegrationTest, ResolveDigestEqualsThePushedDigest) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  const DigestCase& c = GetParam();
  std::unique_ptr<TestRegistry> registry =
      StartRegistry({.tls = c.tls, .basic_auth = c.basic_auth});
  ASSERT_NE(registry, nullptr);
  Result<std::string> first = registry->PushImage("team/app", "1.0.0", c.format);
  ASSERT_TRUE(first) << first.error().message();
  Result<std::string> second = registry->PushImage("team/app", "1.1.0", c.format);
  ASSERT_TRUE(second) << second.error().message();
  ASSERT_NE(*first, *second);
  ClientSetup setup;
  if (c.basic_auth) {
    setup.credentials = std::make_pair(registry->options().user, registry->options().password);
  }
  std::unique_ptr<Stack> stack = Stack::Create(*registry, setup);
  ASSERT_NE(stack, nullptr);
  registry::ImageReference ref = Repo(*registry, "team/app", /*insecure=*/!c.tls);

  Result<std::string> digest_first = stack->client().ResolveDigest(ref, "1.0.0");
  Result<std::string> digest_second = stack->client().ResolveDigest(ref, "1.1.0");

  ASSERT_TRUE(digest_first) << digest_first.error().message();
  ASSERT_TRUE(digest_second) << digest_second.error().message();
  EXPECT_EQ(*digest_first, *first);
  EXPECT_EQ(*digest_second, *second);
}

INSTANTIATE_TEST_SUITE_P(Formats, RegistryDigestIntegrationTest,
                         ::testing::ValuesIn(std::vector<DigestCase>{
                             {"OciPlainHttp", ManifestFormat::kOci, false, false},
                             {"DockerV2PlainHttp", ManifestFormat::kDockerV2, false, false},
                             {"OciTlsBasicAuth", ManifestFormat::kOci, true, true},
                             {"DockerV2TlsBasicAuth", ManifestFormat::kDockerV2, true, true},
                         }),
                         [](const auto& info) { return info.param.name; });

TEST(RegistryIntegrationTest, ResolveDigestOfUnknownTagIsNotFound) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({});
  ASSERT_NE(registry, nullptr);
  ASSERT_NO_FATAL_FAILURE(PushAll(*registry, "team/app", {"1.0.0"}));
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {});
  ASSERT_NE(stack, nullptr);

  Result<std::string> digest =
      stack->client().ResolveDigest(Repo(*registry, "team/app", /*insecure=*/true), "9.9.9");

  ASSERT_FALSE(digest);
  EXPECT_EQ(digest.error().kind(), ErrorKind::kNotFound) << digest.error().message();
}

TEST(RegistryIntegrationTest, UnknownRepositoryScanFailsWith404NotFound) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({});
  ASSERT_NE(registry, nullptr);
  ASSERT_NO_FATAL_FAILURE(PushAll(*registry, "team/app", {"1.0.0"}));
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {});
  ASSERT_NE(stack, nullptr);

  scan::ScanOutcome outcome = stack->Scan(registry->host() + "/team/missing", /*insecure=*/true);

  ASSERT_TRUE(outcome.failure);
  EXPECT_EQ(outcome.failure->error.kind(), ErrorKind::kNotFound);
  EXPECT_EQ(scan::ScanFailureReason(outcome.failure->stage), "ReadOperationFailed");
  EXPECT_THAT(scan::ScanFailureMessage(*outcome.failure), HasSubstr("404 Not Found"));
}

TEST(RegistryIntegrationTest, UnreachableRegistryFailsQuicklyWithTransientError) {
  Result<int> port = FreeLoopbackPort();  // closed again: nothing listens there
  ASSERT_TRUE(port) << port.error().message();
  const std::string host = "127.0.0.1:" + std::to_string(*port);
  http::ClientOptions options;
  options.timeout = kRequestTimeout;
  options.proxy_from_environment = false;
  Result<http::HttpClientPtr> http = http::BeastHttpClient::Create(options);
  ASSERT_TRUE(http) << http.error().message();
  registry::RegistryOptions registry_options;
  registry_options.timeout = kCallTimeout;
  registry_options.initial_backoff = std::chrono::milliseconds(50);
  registry::HttpRegistryClient client(**http, registry_options);
  Result<registry::ImageReference> ref = registry::ParseRepository(host + "/team/app", true);
  ASSERT_TRUE(ref) << ref.error().message();

  auto start = std::chrono::steady_clock::now();
  Result<std::vector<std::string>> tags = client.ListTags(*ref);
  auto took = std::chrono::steady_clock::now() - start;

  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient) << tags.error().message();
  EXPECT_THAT(tags.error().message(), HasSubstr(host));
  EXPECT_THAT(tags.error().message(), HasSubstr("refused"));
  EXPECT_LT(took, std::chrono::seconds(5));
}

// ---------------------------------------------------------------------------------------------
// ImageCreated and the response observer against the real registry. Images are pushed here over
// the distribution API (TestRegistry::PushImage writes no `created`).

using std::chrono::system_clock;

constexpr char kOciManifestType[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kOciIndexType[] = "application/vnd.oci.image.index.v1+json";

// Pushes blobs and manifests with a BeastHttpClient of its own (Basic auth when the registry
// wants it).
class Pusher {
 public:
  explicit Pusher(const TestRegistry& registry) : registry_(registry) {
    http::ClientOptions options;
    options.timeout = kRequestTimeout;
    options.proxy_from_environment = false;
    options.tls.ca_pem = registry.ca_pem();
    Result<http::HttpClientPtr> http = http::BeastHttpClient::Create(options);
    EXPECT_TRUE(http) << http.error().message();
    if (http) {
      http_ = std::move(*http);
    }
  }

  // Uploads `data` as a blob of `repo` (monolithic POST + PUT) and returns its digest.
  Result<std::string> Blob(const std::string& repo, const std::string& data) {
    const std::string digest = "sha256:" + Sha256Hex(data);
    Result<http::Response> started =
        Send("POST", registry_.base_url() + "/v2/" + repo + "/blobs/uploads/", "", "");
    if (!started) {
      return started.error();
    }
    if (started->status != 202 || !started->Header("Location")) {
      return Error(ErrorKind::kInternal, "upload start: " + std::to_string(started->status));
    }
    Result<http::Url> base = http::ParseUrl(registry_.base_url() + "/v2/");
    Result<http::Url> location = http::ResolveReference(*base, *started->Header("Location"));
    if (!location) {
      return location.error();
    }
    std::string url = location->ToString();
    url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest;
    Result<http::Response> put = Send("PUT", url, "application/octet-stream", data);
    if (!put) {
      return put.error();
    }
    if (put->status != 201) {
      return Error(ErrorKind::kInternal,
                   "blob upload: " + std::to_string(put->status) + " " + put->body);
    }
    return digest;
  }

  // PUTs `body` as manifest `reference` of `repo`; returns its digest.
  Result<std::string> Manifest(const std::string& repo, const std::string& reference,
                               const std::string& media_type, const std::string& body) {
    Result<http::Response> put = Send(
        "PUT", registry_.base_url() + "/v2/" + repo + "/manifests/" + reference, media_type, body);
    if (!put) {
      return put.error();
    }
    if (put->status != 201) {
      return Error(ErrorKind::kInternal,
                   "manifest upload: " + std::to_string(put->status) + " " + put->body);
    }
    return "sha256:" + Sha256Hex(body);
  }

  // Pushes an OCI image (config with `created` unless empty, one layer, optional manifest
  // annotations JSON) as repo:tag; returns the manifest body.
  Result<std::string> Image(const std::string& repo, const std::string& tag,
                            const std::string& created, const std::string& architecture = "amd64",
                            const std::string& annotations = "") {
    nlohmann::json config = {
        {"architecture", architecture},
        {"os", "linux"},
        {"config", {{"Labels", {{"org.imgauto.test", repo + ":" + tag}}}}},
        {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}}};
    if (!created.empty()) {
      config["created"] = created;
    }
    const std::string config_body = config.dump();
    const std::string layer = "layer of " + repo + ":" + tag + "/" + architecture;
    Result<std::string> config_digest = Blob(repo, config_body);
    if (!config_digest) {
      return config_digest.error();
    }
    Result<std::string> layer_digest = Blob(repo, layer);
    if (!layer_digest) {
      return layer_digest.error();
    }
    nlohmann::json manifest = {{"schemaVersion", 2},
                               {"mediaType", kOciManifestType},
                               {"config",
                                {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                 {"digest", *config_digest},
                                 {"size", config_body.size()}}},
                               {"layers",
                                {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                  {"digest", *layer_digest},
                                  {"size", layer.size()}}}}};
    if (!annotations.empty()) {
      manifest["annotations"] = nlohmann::json::parse(annotations);
    }
    const std::string body = manifest.dump();
    Result<std::string> pushed = Manifest(repo, tag, kOciManifestType, body);
    if (!pushed) {
      return pushed.error();
    }
    return body;
  }

 private:
  Result<http::Response> Send(const std::string& method, const std::string& url,
                              const std::string& content_type, const std::string& body) {
    if (!http_) {
      return Error(ErrorKind::kInternal, "no http client");
    }
    http::Request request;
    request.method = method;
    request.url = url;
    request.body = body;
    if (!content_type.empty()) {
      request.headers.emplace_back("Content-Type", content_type);
    }
    if (registry_.options().basic_auth) {
      request.headers.emplace_back(
          "Authorization", "Basic " + registry::Base64Encode(registry_.options().user + ":" +
                                                             registry_.options().password));
    }
    return http_->Send(request);
  }

  const TestRegistry& registry_;
  http::HttpClientPtr http_;
};

system_clock::time_point At(int y, unsigned mo, unsigned d, int h, int mi, int s,
                            std::chrono::nanoseconds fraction = {}) {
  using namespace std::chrono;
  return time_point_cast<system_clock::duration>(sys_days(year(y) / month(mo) / day(d)) + hours(h) +
                                                 minutes(mi) + seconds(s) + fraction);
}

TEST(RegistryIntegrationTest, ImageCreatedReadsTheConfigOfAPushedImage) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({});
  ASSERT_NE(registry, nullptr);
  Pusher push(*registry);
  ASSERT_TRUE(push.Image("team/app", "1.0.0", "2024-05-01T10:00:00.123456789Z"));
  ASSERT_TRUE(push.Image("team/app", "1.1.0", "2024-06-02T08:30:15+02:00"));
  ASSERT_TRUE(push.Image("team/app", "annotated", "", "amd64",
                         R"({"org.opencontainers.image.created":"2023-01-02T03:04:05Z"})"));
  ASSERT_TRUE(push.Image("team/app", "undated", ""));
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {});
  ASSERT_NE(stack, nullptr);
  registry::ImageReference ref = Repo(*registry, "team/app", /*insecure=*/true);

  Result<system_clock::time_point> first = stack->client().ImageCreated(ref, "1.0.0");
  Result<system_clock::time_point> second = stack->client().ImageCreated(ref, "1.1.0");
  Result<system_clock::time_point> annotated = stack->client().ImageCreated(ref, "annotated");
  Result<system_clock::time_point> undated = stack->client().ImageCreated(ref, "undated");
  Result<system_clock::time_point> missing = stack->client().ImageCreated(ref, "9.9.9");

  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, At(2024, 5, 1, 10, 0, 0, std::chrono::nanoseconds(123456789)));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(*second, At(2024, 6, 2, 6, 30, 15));
  ASSERT_TRUE(annotated) << annotated.error().message();
  EXPECT_EQ(*annotated, At(2023, 1, 2, 3, 4, 5));
  ASSERT_FALSE(undated);
  EXPECT_EQ(undated.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(undated.error().message(), "image config has no created time");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound) << missing.error().message();
}

TEST(RegistryIntegrationTest, ImageCreatedPicksLinuxAmd64FromAPushedIndex) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({});
  ASSERT_NE(registry, nullptr);
  Pusher push(*registry);
  Result<std::string> arm = push.Image("team/app", "arm", "2020-01-01T00:00:00Z", "arm64");
  ASSERT_TRUE(arm) << arm.error().message();
  Result<std::string> amd = push.Image("team/app", "amd", "2024-05-01T10:00:00.5Z", "amd64");
  ASSERT_TRUE(amd) << amd.error().message();
  auto entry = [](const std::string& manifest, const std::string& architecture) {
    return nlohmann::json{{"mediaType", kOciManifestType},
                          {"digest", "sha256:" + Sha256Hex(manifest)},
                          {"size", manifest.size()},
                          {"platform", {{"os", "linux"}, {"architecture", architecture}}}};
  };
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", kOciIndexType},
                          {"manifests", {entry(*arm, "arm64"), entry(*amd, "amd64")}}};
  Result<std::string> pushed = push.Manifest("team/app", "multi", kOciIndexType, index.dump());
  ASSERT_TRUE(pushed) << pushed.error().message();
  std::unique_ptr<Stack> stack = Stack::Create(*registry, {});
  ASSERT_NE(stack, nullptr);

  Result<system_clock::time_point> created =
      stack->client().ImageCreated(Repo(*registry, "team/app", /*insecure=*/true), "multi");

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, At(2024, 5, 1, 10, 0, 0, std::chrono::milliseconds(500)));
}

TEST(RegistryIntegrationTest, ImageCreatedOverTlsWithBasicAuthReportsEveryResponse) {
  IMGAUTO_REQUIRE_REGISTRY_TOOLS();
  std::unique_ptr<TestRegistry> registry = StartRegistry({.tls = true, .basic_auth = true});
  ASSERT_NE(registry, nullptr);
  Pusher push(*registry);
  Result<std::string> image = push.Image("team/app", "1.0.0", "2024-05-01T10:00:00Z");
  ASSERT_TRUE(image) << image.error().message();

  http::ClientOptions options;
  options.timeout = kRequestTimeout;
  options.proxy_from_environment = false;
  options.tls.ca_pem = registry->ca_pem();
  Result<http::HttpClientPtr> http = http::BeastHttpClient::Create(options);
  ASSERT_TRUE(http) << http.error().message();
  std::mutex mu;
  std::vector<std::pair<std::string, int>> responses;
  registry::RegistryOptions registry_options;
  registry_options.timeout = kCallTimeout;
  registry_options.auth =
      registry::AuthConfig{registry->options().user, registry->options().password, "", ""};
  registry_options.on_response = [&](std::string_view host, int code) {
    std::lock_guard<std::mutex> lock(mu);
    responses.emplace_back(std::string(host), code);
  };
  registry::HttpRegistryClient client(**http, registry_options);

  Result<system_clock::time_point> created =
      client.ImageCreated(Repo(*registry, "team/app", /*insecure=*/false), "1.0.0");

  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(*created, At(2024, 5, 1, 10, 0, 0));
  std::lock_guard<std::mutex> lock(mu);
  // Anonymous manifest GET (401 Basic challenge), the manifest, the config blob.
  EXPECT_EQ(responses,
            (std::vector<std::pair<std::string, int>>{
                {registry->host(), 401}, {registry->host(), 200}, {registry->host(), 200}}));
}

}  // namespace
}  // namespace imgauto::reflector
