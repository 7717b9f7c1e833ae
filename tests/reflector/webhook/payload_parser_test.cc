#include "reflector/webhook/payload_parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "reflector/webhook/signature.h"

namespace imgauto::reflector::webhook {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr char kToken[] = "8c7e1f0d-webhook-token";
constexpr char kDigest[] =
    "sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf";

system_clock::time_point Unix(long long s) { return system_clock::time_point(seconds(s)); }

WebhookRequest Post(std::string body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  return WebhookRequest{"POST", std::move(headers), std::move(body)};
}

ParsedWebhook MustParse(ReceiverType type, const WebhookRequest& request,
                        std::string_view token = kToken) {
  Result<ParsedWebhook> parsed = ParsePayload(type, request, token);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().message());
  return parsed ? *parsed : ParsedWebhook{};
}

Error MustFail(ReceiverType type, const WebhookRequest& request, std::string_view token = kToken) {
  Result<ParsedWebhook> parsed = ParsePayload(type, request, token);
  EXPECT_FALSE(parsed);
  if (parsed) {
    return Error(ErrorKind::kInternal, "parsed");
  }
  // No message may carry the token, whatever failed.
  EXPECT_EQ(parsed.error().message().find(token), std::string::npos) << parsed.error().message();
  return parsed.error();
}

// ---- distribution ----

// Shaped after CNCF Distribution's notifications documentation: a manifest push, one of its
// layers, and a pull, in one envelope.
std::string DistributionEnvelope() {
  return std::string(R"({"events":[
    {"id":"320678d8-ca14-430f-8bb6-4ca139cd83f7","timestamp":"2024-05-01T10:00:00.25Z",
     "action":"push",
     "target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":708,
       "digest":")") +
         kDigest + R"(","length":708,"repository":"team/app",
       "url":"http://registry.example.com:5000/v2/team/app/manifests/)" +
         kDigest + R"(","tag":"1.2.3"},
     "request":{"id":"6df24a34-0959-4923-81ca-14f09767db19","addr":"192.168.64.11:42961",
       "host":"registry.example.com:5000","method":"PUT","useragent":"docker/24.0.7"},
     "actor":{"name":"ci"},
     "source":{"addr":"registry-0:5000","instanceID":"a53db899-3b4b-4a62-a067-8dd013beaca4"}},
    {"id":"asdf-asdf-asdf-asdf-1","timestamp":"2024-05-01T10:00:00Z","action":"push",
     "target":{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip",
       "digest":"sha256:c3b3692957d439ac1928219a83fac91e7bf96c153725526874673ae1f2023f8d",
       "length":2,"repository":"team/other",
       "url":"http://registry.example.com:5000/v2/team/other/blobs/sha256:c3b3"},
     "request":{"host":"registry.example.com:5000","method":"PUT"}},
    {"id":"asdf-asdf-asdf-asdf-2","timestamp":"2024-05-01T10:00:01Z","action":"pull",
     "target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
       "repository":"team/pulled","tag":"latest",
       "url":"http://registry.example.com:5000/v2/team/pulled/manifests/latest"},
     "request":{"host":"registry.example.com:5000","method":"GET"}}
  ]})";
}

WebhookRequest DistributionRequest(std::string body) {
  return Post(std::move(body),
              {{"Content-Type", "application/vnd.docker.distribution.events.v1+json"}});
}

TEST(DistributionPayloadTest, KeepsManifestPushesOnly) {
  ParsedWebhook parsed =
      MustParse(ReceiverType::kDistribution, DistributionRequest(DistributionEnvelope()));
  ASSERT_EQ(parsed.events.size(), 1u);
  const PushEvent& e = parsed.events[0];
  EXPECT_EQ(e.registry, "registry.example.com:5000");
  EXPECT_EQ(e.repository, "team/app");
  EXPECT_EQ(e.tag, "1.2.3");
  EXPECT_EQ(e.digest, kDigest);
  ASSERT_TRUE(e.pushed_at.has_value());
  EXPECT_EQ(*e.pushed_at, Unix(1714557600) + std::chrono::milliseconds(250));
  EXPECT_FALSE(parsed.all_resources);
}

TEST(DistributionPayloadTest, RegistryFallsBackToUrlHost) {
  ParsedWebhook parsed = MustParse(ReceiverType::kDistribution, Post(R"({"events":[
      {"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json",
       "repository":"app","tag":"v2",
       "url":"https://Registry.Example.com/v2/app/manifests/v2"}}]})"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].registry, "registry.example.com");
  EXPECT_FALSE(parsed.events[0].pushed_at.has_value());
}

TEST(DistributionPayloadTest, MultiArchPushIsOneEvent) {
  ParsedWebhook parsed = MustParse(ReceiverType::kDistribution, Post(R"({"events":[
      {"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json",
       "repository":"app","digest":"sha256:01"},"request":{"host":"localhost:5000"}},
      {"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json",
       "repository":"app","digest":"sha256:02"},"request":{"host":"localhost:5000"}},
      {"action":"push","target":{"mediaType":"application/vnd.oci.image.index.v1+json",
       "repository":"app","digest":"sha256:03","tag":"1.0"},"request":{"host":"localhost:5000"}}
    ]})"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].tag, "1.0");
  EXPECT_EQ(parsed.events[0].digest, "sha256:03");
}

TEST(DistributionPayloadTest, KeepsUntaggedManifestPush) {
  ParsedWebhook parsed = MustParse(ReceiverType::kDistribution, Post(R"({"events":[
      {"action":"push","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
       "repository":"app","digest":"sha256:01"},"request":{"host":"localhost:5000"}}]})"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].tag, "");
  EXPECT_EQ(parsed.events[0].digest, "sha256:01");
}

TEST(DistributionPayloadTest, PullsAndBlobsOnlyMeanNothingToScan) {
  ParsedWebhook parsed = MustParse(ReceiverType::kDistribution, Post(R"({"events":[
      {"action":"pull","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
       "repository":"app","tag":"1"}},
      {"action":"push","target":{"mediaType":"application/octet-stream","repository":"app",
       "url":"http://r:5000/v2/app/blobs/sha256:1"}}]})"));
  EXPECT_TRUE(parsed.events.empty());
  EXPECT_FALSE(parsed.all_resources);
  EXPECT_FALSE(parsed.ignored_reason.empty());
}

TEST(DistributionPayloadTest, SkipsMalformedEventsButRejectsMalformedEnvelope) {
  ParsedWebhook lenient = MustParse(ReceiverType::kDistribution,
                                    Post(R"({"events":[1,"x",{"action":"push"},{"target":[]}]})"));
  EXPECT_TRUE(lenient.events.empty());
  Error not_list = MustFail(ReceiverType::kDistribution, Post(R"({"events":{}})"));
  EXPECT_EQ(not_list.kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(not_list.message().find("events"), std::string::npos) << not_list.message();
  EXPECT_NE(not_list.message().find("expected a list"), std::string::npos) << not_list.message();
  Error missing = MustFail(ReceiverType::kDistribution, Post(R"({"event":[]})"));
  EXPECT_NE(missing.message().find("events: required"), std::string::npos) << missing.message();
  Error array = MustFail(ReceiverType::kDistribution, Post("[]"));
  EXPECT_NE(array.message().find("expected a JSON object"), std::string::npos) << array.message();
}

// ---- dockerhub ----

// Docker Hub's documented example payload.
constexpr char kDockerHubPayload[] = R"({
  "callback_url": "https://registry.hub.docker.com/u/svendowideit/testhook/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/",
  "push_data": {"pushed_at": 1417566161, "pusher": "trustedbuilder", "tag": "latest"},
  "repository": {
    "comment_count": 0, "date_created": 1417494799, "description": "",
    "dockerfile": "#\n# BUILD\u0009\u0009docker build -t svendowideit/apt-cacher .\nFROM\u0009\u0009ubuntu\n",
    "full_description": "Docker Hub based automated build from a GitHub repo",
    "is_official": false, "is_private": true, "is_trusted": true, "name": "testhook",
    "namespace": "svendowideit", "owner": "svendowideit", "repo_name": "svendowideit/testhook",
    "repo_url": "https://registry.hub.docker.com/u/svendowideit/testhook/", "star_count": 0,
    "status": "Active"}
})";

TEST(DockerHubPayloadTest, ParsesDocumentedPayload) {
  ParsedWebhook parsed = MustParse(ReceiverType::kDockerHub, Post(kDockerHubPayload));
  ASSERT_EQ(parsed.events.size(), 1u);
  const PushEvent& e = parsed.events[0];
  EXPECT_EQ(e.registry, "docker.io");
  EXPECT_EQ(e.repository, "svendowideit/testhook");
  EXPECT_EQ(e.tag, "latest");
  ASSERT_TRUE(e.pushed_at.has_value());
  EXPECT_EQ(*e.pushed_at, Unix(1417566161));
}

TEST(DockerHubPayloadTest, OfficialImageGetsLibraryAndFloatTime) {
  ParsedWebhook parsed = MustParse(ReceiverType::kDockerHub,
                                   Post(R"({"push_data":{"pushed_at":1.417566161e+09,"tag":"1.25"},
               "repository":{"repo_name":"nginx","is_official":true}})"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].repository, "library/nginx");
  ASSERT_TRUE(parsed.events[0].pushed_at.has_value());
  EXPECT_EQ(std::chrono::floor<seconds>(*parsed.events[0].pushed_at), Unix(1417566161));
}

TEST(DockerHubPayloadTest, WrongShapeNamesTheField) {
  Error missing = MustFail(ReceiverType::kDockerHub, Post(R"({"push_data":{"tag":"x"}})"));
  EXPECT_EQ(missing.kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(missing.message().find("repository"), std::string::npos) << missing.message();
  Error type = MustFail(ReceiverType::kDockerHub, Post(R"({"repository":{"repo_name":7}})"));
  EXPECT_NE(type.message().find("repository.repo_name: expected a string"), std::string::npos)
      << type.message();
}

// ---- github ----

// Shaped after GitHub's registry_package "published" webhook (abridged).
std::string GitHubPackagePayload(std::string_view action = "published") {
  return std::string(R"({"action":")") + std::string(action) + R"(",
  "registry_package":{"id":123456,"name":"App","namespace":"Acme","description":"",
    "ecosystem":"CONTAINER","package_type":"CONTAINER",
    "html_url":"https://github.com/orgs/Acme/packages/container/package/App",
    "created_at":"2024-04-01T09:00:00Z","updated_at":"2024-05-01T10:00:00Z",
    "owner":{"login":"Acme","id":1,"type":"Organization"},
    "package_version":{"id":987654,"version":")" +
         kDigest + R"(","name":")" + kDigest + R"(",
      "description":"","summary":"","body":"","manifest":"",
      "html_url":"https://github.com/orgs/Acme/packages/container/App/987654",
      "created_at":"2024-05-01T10:00:00Z","updated_at":"2024-05-01T10:00:00Z","metadata":[],
      "container_metadata":{"tag":{"name":"v1.2.3","digest":")" +
         kDigest + R"("},
        "labels":{"description":"","source":"https://github.com/Acme/app","revision":"abc"},
        "manifest":{}},
      "package_files":[],"installation_command":"docker pull ghcr.io/acme/app:v1.2.3",
      "package_url":"ghcr.io/acme/app:v1.2.3"},
    "registry":{"about_url":"https://docs.github.com/packages","name":"GitHub CONTAINER registry",
      "type":"CONTAINER","url":"https://ghcr.io/acme","vendor":"GitHub Inc"}},
  "repository":{"id":1,"name":"app","full_name":"Acme/app"},
  "sender":{"login":"octocat","id":2}})";
}

WebhookRequest GitHubRequest(std::string event, std::string body, std::string_view token = kToken) {
  std::string signature = "sha256=" + HmacHex("sha256", token, body);
  return Post(std::move(body), {{"X-GitHub-Event", std::move(event)},
                                {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
                                {"X-Hub-Signature-256", std::move(signature)},
                                {"Content-Type", "application/json"}});
}

TEST(GitHubPayloadTest, ParsesRegistryPackagePublished) {
  ParsedWebhook parsed =
      MustParse(ReceiverType::kGitHub, GitHubRequest("registry_package", GitHubPackagePayload()));
  ASSERT_EQ(parsed.events.size(), 1u);
  const PushEvent& e = parsed.events[0];
  EXPECT_EQ(e.registry, "ghcr.io");
  EXPECT_EQ(e.repository, "acme/app");
  EXPECT_EQ(e.tag, "v1.2.3");
  EXPECT_EQ(e.digest, kDigest);
  ASSERT_TRUE(e.pushed_at.has_value());
  EXPECT_EQ(*e.pushed_at, Unix(1714557600));
}

TEST(GitHubPayloadTest, AcceptsUpdatedAndPackageEvent) {
  EXPECT_EQ(MustParse(ReceiverType::kGitHub,
                      GitHubRequest("registry_package", GitHubPackagePayload("updated")))
                .events.size(),
            1u);
  ParsedWebhook parsed =
      MustParse(ReceiverType::kGitHub,
                GitHubRequest("package", R"({"action":"published","package":{"name":"tool",
        "package_type":"container","owner":{"login":"Octo-Org"},
        "package_version":{"container_metadata":{"tag":{"name":"2024.05","digest":""}}}}})"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].repository, "octo-org/tool");
  EXPECT_EQ(parsed.events[0].tag, "2024.05");
}

TEST(GitHubPayloadTest, AcceptsSha1SignatureHeader) {
  std::string body = GitHubPackagePayload();
  WebhookRequest request =
      Post(body, {{"X-GitHub-Event", "registry_package"},
                  {"X-Hub-Signature", "sha1=" + HmacHex("sha1", kToken, body)}});
  EXPECT_EQ(MustParse(ReceiverType::kGitHub, request).events.size(), 1u);
}

TEST(GitHubPayloadTest, AcceptsFormEncodedDelivery) {
  const std::string json = R"({"action":"published","registry_package":{"name":"app",)"
                           R"("namespace":"acme","package_type":"CONTAINER","package_version":)"
                           R"({"container_metadata":{"tag":{"name":"v1+build"}}}}})";
  std::string form = "payload=";
  for (char c : json) {
    if (c == '"' || c == '{' || c == '}' || c == ':' || c == ',' || c == '+') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      form += '%';
      form += kHex[static_cast<unsigned char>(c) >> 4];
      form += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      form += c;
    }
  }
  WebhookRequest request =
      Post(form, {{"X-GitHub-Event", "registry_package"},
                  {"Content-Type", "application/x-www-form-urlencoded"},
                  {"X-Hub-Signature-256", "sha256=" + HmacHex("sha256", kToken, form)}});
  ParsedWebhook parsed = MustParse(ReceiverType::kGitHub, request);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].tag, "v1+build");
}

TEST(GitHubPayloadTest, PingIsAcceptedWithNothingToScan) {
  ParsedWebhook parsed =
      MustParse(ReceiverType::kGitHub,
                GitHubRequest("ping", R"({"zen":"Keep it logically awesome.","hook_id":1})"));
  EXPECT_TRUE(parsed.events.empty());
  EXPECT_FALSE(parsed.all_resources);
  EXPECT_NE(parsed.ignored_reason.find("ping"), std::string::npos);
}

TEST(GitHubPayloadTest, IgnoresOtherEventsActionsAndPackageTypes) {
  EXPECT_TRUE(
      MustParse(ReceiverType::kGitHub, GitHubRequest("push", R"({"ref":"refs/heads/main"})"))
          .events.empty());
  EXPECT_TRUE(MustParse(ReceiverType::kGitHub,
                        GitHubRequest("registry_package", GitHubPackagePayload("deleted")))
                  .events.empty());
  std::string npm = GitHubPackagePayload();
  npm.replace(npm.find(R"("package_type":"CONTAINER")"), 26, R"("package_type":"npm")");
  ParsedWebhook parsed = MustParse(ReceiverType::kGitHub, GitHubRequest("registry_package", npm));
  EXPECT_TRUE(parsed.events.empty());
  EXPECT_NE(parsed.ignored_reason.find("npm"), std::string::npos) << parsed.ignored_reason;
}

TEST(GitHubPayloadTest, BadSignatureIsUnauthorized) {
  WebhookRequest request =
      GitHubRequest("registry_package", GitHubPackagePayload(), "another-token");
  Error error = MustFail(ReceiverType::kGitHub, request);
  EXPECT_EQ(error.kind(), ErrorKind::kUnauthorized);
}

TEST(GitHubPayloadTest, TamperedBodyIsUnauthorized) {
  WebhookRequest request = GitHubRequest("registry_package", GitHubPackagePayload());
  request.body.replace(request.body.find("v1.2.3"), 6, "v9.9.9");
  EXPECT_EQ(MustFail(ReceiverType::kGitHub, request).kind(), ErrorKind::kUnauthorized);
}

TEST(GitHubPayloadTest, MissingSignatureIsUnauthorizedEvenForPing) {
  Error error = MustFail(ReceiverType::kGitHub, Post("{}", {{"X-GitHub-Event", "ping"}}));
  EXPECT_EQ(error.kind(), ErrorKind::kUnauthorized);
  EXPECT_NE(error.message().find("X-Hub-Signature-256"), std::string::npos) << error.message();
}

TEST(GitHubPayloadTest, MissingOwnerIsInvalid) {
  Error error = MustFail(
      ReceiverType::kGitHub,
      GitHubRequest(
          "registry_package",
          R"({"action":"published","registry_package":{"name":"app","package_type":"CONTAINER"}})"));
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(error.message().find("registry_package.namespace"), std::string::npos)
      << error.message();
}

// ---- harbor ----

// Harbor's documented PUSH_ARTIFACT example: an untagged push reports the digest as the tag.
std::string HarborUntagged() {
  return R"({"type":"PUSH_ARTIFACT","occur_at":1680501893,"operator":"harbor-jobservice",
  "event_data":{"resources":[{"digest":"sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4",
    "tag":"sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4",
    "resource_url":"localhost/harbor/alpine@sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4"}],
  "repository":{"date_created":1680501893,"name":"alpine","namespace":"harbor",
    "repo_full_name":"harbor/alpine","repo_type":"private"}}})";
}

constexpr char kHarborTagged[] = R"({"type":"PUSH_ARTIFACT","occur_at":1586922308,
  "operator":"username","event_data":{"resources":[{
    "digest":"sha256:1b26826f602946860c279fce658f31050cff2c596583af237d971f4629b57792",
    "tag":"5.0","resource_url":"epic-exoscale.container-registry.com/documentation/test_slack:5.0"}],
  "repository":{"date_created":1628167510,"name":"test_slack","namespace":"documentation",
    "repo_full_name":"documentation/test_slack","repo_type":"private"}}})";

WebhookRequest HarborRequest(std::string body, std::string authorization = kToken) {
  return Post(std::move(body),
              {{"Content-Type", "application/json"}, {"Authorization", std::move(authorization)}});
}

TEST(HarborPayloadTest, ParsesTaggedPush) {
  ParsedWebhook parsed = MustParse(ReceiverType::kHarbor, HarborRequest(kHarborTagged));
  ASSERT_EQ(parsed.events.size(), 1u);
  const PushEvent& e = parsed.events[0];
  EXPECT_EQ(e.registry, "epic-exoscale.container-registry.com");
  EXPECT_EQ(e.repository, "documentation/test_slack");
  EXPECT_EQ(e.tag, "5.0");
  EXPECT_EQ(e.digest, "sha256:1b26826f602946860c279fce658f31050cff2c596583af237d971f4629b57792");
  ASSERT_TRUE(e.pushed_at.has_value());
  EXPECT_EQ(*e.pushed_at, Unix(1586922308));
}

TEST(HarborPayloadTest, DigestInTagFieldIsNotATag) {
  ParsedWebhook parsed = MustParse(ReceiverType::kHarbor, HarborRequest(HarborUntagged()));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].registry, "localhost");
  EXPECT_EQ(parsed.events[0].repository, "harbor/alpine");
  EXPECT_EQ(parsed.events[0].tag, "");
  EXPECT_TRUE(parsed.events[0].digest.starts_with("sha256:954b"));
}

TEST(HarborPayloadTest, OtherEventTypesAreIgnored) {
  std::string pull = kHarborTagged;
  pull.replace(pull.find("PUSH_ARTIFACT"), 13, "PULL_ARTIFACT");
  ParsedWebhook parsed = MustParse(ReceiverType::kHarbor, HarborRequest(pull));
  EXPECT_TRUE(parsed.events.empty());
  EXPECT_NE(parsed.ignored_reason.find("PULL_ARTIFACT"), std::string::npos);
}

TEST(HarborPayloadTest, AuthorizationMustEqualToken) {
  EXPECT_EQ(MustFail(ReceiverType::kHarbor, HarborRequest(kHarborTagged, "Bearer wrong")).kind(),
            ErrorKind::kUnauthorized);
  EXPECT_EQ(MustFail(ReceiverType::kHarbor, HarborRequest(kHarborTagged, std::string(kToken) + "x"))
                .kind(),
            ErrorKind::kUnauthorized);
  Error missing = MustFail(ReceiverType::kHarbor, Post(kHarborTagged));
  EXPECT_EQ(missing.kind(), ErrorKind::kUnauthorized);
  EXPECT_NE(missing.message().find("Authorization"), std::string::npos);
}

TEST(HarborPayloadTest, AuthenticatesBeforeParsing) {
  EXPECT_EQ(MustFail(ReceiverType::kHarbor, HarborRequest("not json", "wrong")).kind(),
            ErrorKind::kUnauthorized);
}

TEST(HarborPayloadTest, MissingRepositoryNameIsInvalid) {
  Error error =
      MustFail(ReceiverType::kHarbor,
               HarborRequest(R"({"type":"PUSH_ARTIFACT","event_data":{"repository":{}}})"));
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(error.message().find("event_data.repository.repo_full_name"), std::string::npos)
      << error.message();
}

// ---- quay ----

// Red Hat Quay's documented "Repository Push" notification.
constexpr char kQuayPayload[] = R"({"name":"repository","repository":"dgangaia/test",
  "namespace":"dgangaia","docker_url":"quay.io/dgangaia/test",
  "homepage":"https://quay.io/repository/dgangaia/repository","updated_tags":["latest","v1.0"]})";

TEST(QuayPayloadTest, OneEventPerUpdatedTag) {
  ParsedWebhook parsed = MustParse(ReceiverType::kQuay, Post(kQuayPayload));
  ASSERT_EQ(parsed.events.size(), 2u);
  EXPECT_EQ(parsed.events[0].registry, "quay.io");
  EXPECT_EQ(parsed.events[0].repository, "dgangaia/test");
  EXPECT_EQ(parsed.events[0].tag, "latest");
  EXPECT_EQ(parsed.events[1].tag, "v1.0");
}

TEST(QuayPayloadTest, AcceptsEarlyObjectForm) {
  ParsedWebhook parsed =
      MustParse(ReceiverType::kQuay,
                Post(R"({"pushed_image_count":2,"name":"ubuntu","repository":"devtable/ubuntu",
               "docker_url":"quay.example.com:8443/devtable/ubuntu",
               "updated_tags":{"latest":"b750fe79269d2ec9a3c593ef05b4332b1d1a02a62b4accb2c21d589ff2f5f2dc"},
               "namespace":"devtable","visibility":"private"})"));
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].registry, "quay.example.com:8443");
  EXPECT_EQ(parsed.events[0].tag, "latest");
}

TEST(QuayPayloadTest, WrongShapeIsInvalid) {
  Error error =
      MustFail(ReceiverType::kQuay, Post(R"({"repository":"a/b","updated_tags":"latest"})"));
  EXPECT_NE(error.message().find("updated_tags"), std::string::npos) << error.message();
  EXPECT_EQ(MustFail(ReceiverType::kQuay, Post(R"({"updated_tags":[]})")).kind(),
            ErrorKind::kInvalidSpec);
}

// ---- generic and generic-hmac ----

TEST(GenericPayloadTest, AnyBodyScansAllResources) {
  for (const char* body : {"", "not json", "[1,2]", R"({"ref":"main"})"}) {
    ParsedWebhook parsed = MustParse(ReceiverType::kGeneric, Post(body));
    EXPECT_TRUE(parsed.all_resources) << body;
    EXPECT_TRUE(parsed.events.empty()) << body;
  }
}

TEST(GenericPayloadTest, ImageAndTagNameOneRepository) {
  ParsedWebhook parsed = MustParse(ReceiverType::kGeneric,
                                   Post(R"({"image":"registry.example.com/app","tag":"1.4.0"})"));
  EXPECT_FALSE(parsed.all_resources);
  ASSERT_EQ(parsed.events.size(), 1u);
  EXPECT_EQ(parsed.events[0].registry, "registry.example.com");
  EXPECT_EQ(parsed.events[0].repository, "app");
  EXPECT_EQ(parsed.events[0].tag, "1.4.0");
  ParsedWebhook inline_tag = MustParse(ReceiverType::kGeneric, Post(R"({"image":"nginx:1.25"})"));
  ASSERT_EQ(inline_tag.events.size(), 1u);
  EXPECT_EQ(inline_tag.events[0].repository, "library/nginx");
  EXPECT_EQ(inline_tag.events[0].tag, "1.25");
}

TEST(GenericPayloadTest, BadImageIsInvalid) {
  EXPECT_EQ(MustFail(ReceiverType::kGeneric, Post(R"({"image":5})")).kind(),
            ErrorKind::kInvalidSpec);
  Error scheme =
      MustFail(ReceiverType::kGeneric, Post(R"({"image":"https://registry.example.com/app"})"));
  EXPECT_NE(scheme.message().find("image"), std::string::npos) << scheme.message();
  EXPECT_EQ(MustFail(ReceiverType::kGeneric, Post(R"({"image":"app","tag":"-bad"})")).kind(),
            ErrorKind::kInvalidSpec);
}

TEST(GenericHmacPayloadTest, ChecksXSignature) {
  const std::string body = R"({"image":"ghcr.io/acme/app"})";
  for (const char* algorithm : {"sha1", "sha256", "sha512"}) {
    WebhookRequest request = Post(
        body, {{"X-Signature", std::string(algorithm) + "=" + HmacHex(algorithm, kToken, body)}});
    EXPECT_EQ(MustParse(ReceiverType::kGenericHmac, request).events.size(), 1u) << algorithm;
  }
  Error missing = MustFail(ReceiverType::kGenericHmac, Post(body));
  EXPECT_EQ(missing.kind(), ErrorKind::kUnauthorized);
  EXPECT_NE(missing.message().find("X-Signature"), std::string::npos);
  WebhookRequest wrong =
      Post(body, {{"X-Signature", "sha256=" + HmacHex("sha256", "not-the-token", body)}});
  EXPECT_EQ(MustFail(ReceiverType::kGenericHmac, wrong).kind(), ErrorKind::kUnauthorized);
  WebhookRequest no_algorithm = Post(body, {{"X-Signature", HmacHex("sha256", kToken, body)}});
  EXPECT_EQ(MustFail(ReceiverType::kGenericHmac, no_algorithm).kind(), ErrorKind::kUnauthorized);
}

// ---- malformed input ----

TEST(MalformedPayloadTest, TruncatedJsonReportsPositionOnly) {
  const std::string body = DistributionEnvelope();
  Error error = MustFail(ReceiverType::kDistribution, Post(body.substr(0, body.size() / 2)));
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(error.message().find("malformed JSON at byte"), std::string::npos) << error.message();
  EXPECT_LT(error.message().size(), 120u) << error.message();
}

TEST(MalformedPayloadTest, GarbageIsInvalidForEveryJsonType) {
  for (ReceiverType type :
       {ReceiverType::kDistribution, ReceiverType::kDockerHub, ReceiverType::kQuay}) {
    for (const char* body : {"", "\xff\xfe\x00garbage", "{\"a\":", "nul", "{} {}"}) {
      EXPECT_EQ(MustFail(type, Post(body)).kind(), ErrorKind::kInvalidSpec)
          << ReceiverTypeName(type) << " " << body;
    }
  }
  EXPECT_EQ(MustFail(ReceiverType::kHarbor, HarborRequest("{\"type\":")).kind(),
            ErrorKind::kInvalidSpec);
  EXPECT_EQ(MustFail(ReceiverType::kGitHub, GitHubRequest("registry_package", "[[[")).kind(),
            ErrorKind::kInvalidSpec);
}

TEST(MalformedPayloadTest, NumberOutOfRangeIsInvalid) {
  Error error = MustFail(ReceiverType::kDockerHub, Post("4444444444e44444"));
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(error.message().find("4444"), std::string::npos) << error.message();
  EXPECT_TRUE(MustParse(ReceiverType::kGeneric, Post(R"({"image":1e999})")).all_resources);
}

TEST(MalformedPayloadTest, LongBadTokenIsNotEchoed) {
  const std::string run(5000, 'x');
  Error error = MustFail(ReceiverType::kQuay, Post("{\"repository\": " + run + "}"));
  EXPECT_EQ(error.message().find("xxxxxxxxxx"), std::string::npos) << error.message();
  const std::string type(5000, 'T');
  ParsedWebhook ignored = MustParse(ReceiverType::kHarbor,
                                    HarborRequest(R"({"type":")" + type + R"(","event_data":{}})"));
  EXPECT_LT(ignored.ignored_reason.size(), 150u);
}

TEST(MalformedPayloadTest, DeepNestingIsRejectedBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  Error error = MustFail(ReceiverType::kDockerHub, Post(deep));
  EXPECT_NE(error.message().find("nested too deeply"), std::string::npos) << error.message();
  EXPECT_TRUE(MustParse(ReceiverType::kGeneric, Post(deep)).all_resources);
  // Brackets inside strings do not count.
  const std::string in_string =
      R"({"repository":"a/b","homepage":")" + std::string(1000, '[') + R"(","updated_tags":["x"]})";
  EXPECT_EQ(MustParse(ReceiverType::kQuay, Post(in_string)).events.size(), 1u);
}

TEST(MalformedPayloadTest, HugeBodiesAreRejectedAndLargeOnesParsed) {
  const std::string huge =
      R"({"repository":"a/b","homepage":")" + std::string(kMaxPayloadBytes, 'h') + R"("})";
  Error error = MustFail(ReceiverType::kQuay, Post(huge));
  EXPECT_NE(error.message().find("larger than"), std::string::npos) << error.message();
  const std::string large = R"({"repository":"a/b","homepage":")" +
                            std::string(kMaxPayloadBytes / 2, 'h') + R"(","updated_tags":["1"]})";
  EXPECT_EQ(MustParse(ReceiverType::kQuay, Post(large)).events.size(), 1u);
}

}  // namespace
}  // namespace imgauto::reflector::webhook
