#include "reflector/webhook/receiver.h"

#include <gtest/gtest.h>

#include <string>

namespace imgauto::reflector::webhook {
namespace {

constexpr char kHarborReceiver[] = R"(apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: harbor-hooks
  namespace: apps
spec:
  type: harbor
  secretRef:
    name: webhook-token
  resources:
    - apiVersion: image.toolkit.fluxcd.io/v1beta2
      kind: ImageRepository
      name: podinfo
    - kind: ImageRepository
      name: "*"
      namespace: team-b
      matchLabels:
        scan: webhook
)";

std::string WithSpec(const std::string& spec) {
  return "apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\nmetadata:\n  name: r\n"
         "spec:\n" +
         spec;
}

Error MustFail(const std::string& yaml) {
  Result<Receiver> receiver = DecodeReceiver(yaml, "flux-system");
  EXPECT_FALSE(receiver);
  return receiver ? Error(ErrorKind::kInternal, "decoded") : receiver.error();
}

TEST(DecodeReceiverTest, DecodesFluxShape) {
  Result<Receiver> receiver = DecodeReceiver(kHarborReceiver, "flux-system");
  ASSERT_TRUE(receiver) << receiver.error().message();
  EXPECT_EQ(receiver->ns, "apps");
  EXPECT_EQ(receiver->name, "harbor-hooks");
  EXPECT_EQ(receiver->Key(), "apps/harbor-hooks");
  EXPECT_EQ(receiver->type, ReceiverType::kHarbor);
  EXPECT_EQ(receiver->secret_name, "webhook-token");
  EXPECT_FALSE(receiver->suspend);
  ASSERT_EQ(receiver->resources.size(), 2u);
  EXPECT_EQ(receiver->resources[0].api_version, "image.toolkit.fluxcd.io/v1beta2");
  EXPECT_EQ(receiver->resources[0].kind, "ImageRepository");
  EXPECT_EQ(receiver->resources[0].name, "podinfo");
  EXPECT_EQ(receiver->resources[0].ns, "");
  EXPECT_EQ(receiver->resources[1].name, "*");
  EXPECT_EQ(receiver->resources[1].ns, "team-b");
  EXPECT_EQ(receiver->resources[1].match_labels.at("scan"), "webhook");
}

TEST(DecodeReceiverTest, DefaultsNamespaceAndReadsEventsAndSuspend) {
  Result<Receiver> receiver = DecodeReceiver(
      WithSpec("  type: github\n  events: [ping, registry_package]\n  suspend: true\n"
               "  secretRef: {name: t}\n  resources:\n  - {kind: ImageRepository, name: app}\n"),
      "flux-system");
  ASSERT_TRUE(receiver) << receiver.error().message();
  EXPECT_EQ(receiver->ns, "flux-system");
  EXPECT_EQ(receiver->type, ReceiverType::kGitHub);
  EXPECT_EQ(receiver->events, (std::vector<std::string>{"ping", "registry_package"}));
  EXPECT_TRUE(receiver->suspend);
}

TEST(DecodeReceiverTest, AcceptsEveryNotificationVersion) {
  for (const char* version : {"v1", "v1beta2", "v1beta3"}) {
    std::string yaml = std::string("apiVersion: notification.toolkit.fluxcd.io/") + version +
                       "\nkind: Receiver\nmetadata: {name: r}\nspec:\n  type: generic\n"
                       "  secretRef: {name: t}\n  resources: [{kind: ImageRepository, name: a}]\n";
    EXPECT_TRUE(DecodeReceiver(yaml, "ns")) << version;
  }
  Error error = MustFail(
      "apiVersion: notification.toolkit.fluxcd.io/v1beta1\nkind: Receiver\nmetadata: {name: r}\n"
      "spec: {type: generic, secretRef: {name: t}, resources: [{kind: ImageRepository, name: "
      "a}]}\n");
  EXPECT_NE(error.message().find("apiVersion"), std::string::npos) << error.message();
}

TEST(DecodeReceiverTest, UnknownTypeListsSupportedOnes) {
  Error error = MustFail(WithSpec(
      "  type: gitlab\n  secretRef: {name: t}\n  resources: [{kind: ImageRepository, name: a}]\n"));
  EXPECT_EQ(error.kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(error.message().find("spec.type"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("gitlab"), std::string::npos);
  for (const char* name :
       {"distribution", "dockerhub", "github", "harbor", "quay", "generic", "generic-hmac"}) {
    EXPECT_NE(error.message().find(name), std::string::npos) << name;
  }
}

TEST(DecodeReceiverTest, MissingSecretRefNameIsNamed) {
  Error error =
      MustFail(WithSpec("  type: quay\n  resources: [{kind: ImageRepository, name: a}]\n"));
  EXPECT_NE(error.message().find("spec.secretRef.name"), std::string::npos) << error.message();
  Error empty = MustFail(
      WithSpec("  type: quay\n  secretRef: {}\n  resources: [{kind: ImageRepository, name: a}]\n"));
  EXPECT_NE(empty.message().find("spec.secretRef.name"), std::string::npos) << empty.message();
}

TEST(DecodeReceiverTest, OtherKindsAreRejectedWithReason) {
  Error error = MustFail(WithSpec(
      "  type: dockerhub\n  secretRef: {name: t}\n"
      "  resources: [{apiVersion: source.toolkit.fluxcd.io/v1, kind: GitRepository, name: a}]\n"));
  EXPECT_NE(error.message().find("spec.resources[0].kind"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("only ImageRepository resources are scanned"), std::string::npos)
      << error.message();
}

TEST(DecodeReceiverTest, WildcardNeedsMatchLabels) {
  Error error = MustFail(WithSpec(
      "  type: generic\n  secretRef: {name: t}\n"
      "  resources: [{kind: ImageRepository, name: a}, {kind: ImageRepository, name: '*'}]\n"));
  EXPECT_NE(error.message().find("spec.resources[1].matchLabels"), std::string::npos)
      << error.message();
}

TEST(DecodeReceiverTest, EmptyResourcesAreRejected) {
  for (const char* resources : {"", "  resources: []\n"}) {
    Error error =
        MustFail(WithSpec(std::string("  type: generic\n  secretRef: {name: t}\n") + resources));
    EXPECT_NE(error.message().find("spec.resources"), std::string::npos) << error.message();
  }
}

TEST(DecodeReceiverTest, MalformedYamlIsInvalidSpec) {
  EXPECT_EQ(MustFail("{{{").kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(MustFail("").kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(MustFail(WithSpec("  type: [generic]\n")).kind(), ErrorKind::kInvalidSpec);
}

TEST(ReceiverTypeTest, NamesRoundTrip) {
  for (ReceiverType type : {ReceiverType::kDistribution, ReceiverType::kDockerHub,
                            ReceiverType::kGitHub, ReceiverType::kHarbor, ReceiverType::kQuay,
                            ReceiverType::kGeneric, ReceiverType::kGenericHmac}) {
    EXPECT_EQ(ParseReceiverType(ReceiverTypeName(type)), type);
  }
  EXPECT_EQ(ReceiverTypeName(ReceiverType::kGenericHmac), "generic-hmac");
  EXPECT_FALSE(ParseReceiverType("GitHub"));
}

// The expected digest is sha256("s3cr3t-token" "registry-hooks" "flux-system") computed with
// sha256sum, independently of the code under test.
TEST(WebhookPathTest, MatchesFluxScheme) {
  Receiver receiver;
  receiver.name = "registry-hooks";
  receiver.ns = "flux-system";
  EXPECT_EQ(WebhookPath(receiver, "s3cr3t-token"),
            "/hook/2fd67d8ba1dd98393aee2f78c0caa9cbf306bc77aa7a1132c13fa05ce92122ab");
}

TEST(WebhookPathTest, DependsOnTokenNameAndNamespace) {
  Receiver a;
  a.name = "r";
  a.ns = "ns";
  Receiver b = a;
  b.ns = "other";
  EXPECT_NE(WebhookPath(a, "t"), WebhookPath(a, "u"));
  EXPECT_NE(WebhookPath(a, "t"), WebhookPath(b, "t"));
}

}  // namespace
}  // namespace imgauto::reflector::webhook
