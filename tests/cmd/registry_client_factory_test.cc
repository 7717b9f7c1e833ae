// HttpRegistryClientFactory against loopback servers: credentials, CA and client certificate from
// Secrets, the proxy from a proxySecretRef, and the setup failures that become
// AuthenticationFailed.
#include "cmd/registry_client_factory.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "reflector/registry/docker_config.h"
#include "tests/fakes/fake_secret_getter.h"
#include "tests/servers/test_http_server.h"

namespace imgauto::cmd {
namespace {

using imgauto::testing::FakeSecretGetter;
using imgauto::testing::RecordedRequest;
using imgauto::testing::TestCertificates;
using imgauto::testing::TestHttpServer;
using imgauto::testing::TestResponse;
using reflector::registry::RegistryClientPtr;

constexpr std::string_view kUser = "bot";
constexpr std::string_view kPassword = "Fact0ry-Pa55word";

std::string DockerConfigFor(const std::string& host) {
  return R"({"auths":{")" + host + R"(":{"username":")" + std::string(kUser) + R"(","password":")" +
         std::string(kPassword) + R"("}}})";
}

// A registry that wants Basic credentials for /v2/team/app/tags/list.
void RegistryHandler(const RecordedRequest& request, TestResponse& response) {
  const std::string expected = "Basic " + reflector::registry::Base64Encode(
                                              std::string(kUser) + ":" + std::string(kPassword));
  if (request.Header("Authorization") != expected) {
    response.status = 401;
    response.SetHeader("WWW-Authenticate", "Basic realm=\"test\"");
    return;
  }
  if (request.path != "/v2/team/app/tags/list") {
    response.status = 404;
    return;
  }
  response.SetHeader("Content-Type", "application/json");
  response.body = R"({"name":"team/app","tags":["1.0.0","1.1.0"]})";
}

class RegistryClientFactoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = new TestCertificates(TestCertificates::Generate()); }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }

  RegistryClientFactoryTest() {
    repo_.metadata.ns = "apps";
    repo_.metadata.name = "app";
    repo_.spec.interval = std::chrono::seconds(10);
  }

  // Builds a client with a fresh factory that is gone before the client is used.
  Result<RegistryClientPtr> Create() {
    HttpRegistryClientFactory factory(
        {.secrets = &redactor_, .proxy_environment = http::ProxyEnvironment{}});
    return factory.Create(repo_, secrets_);
  }

  Result<std::vector<std::string>> ListTags(RegistryClientPtr& client) {
    Result<reflector::registry::ImageReference> ref =
        reflector::registry::ParseRepository(repo_.spec.image, repo_.spec.insecure);
    EXPECT_TRUE(ref);
    return client->ListTags(*ref);
  }

  static TestCertificates* certs_;
  FakeSecretGetter secrets_;
  SecretRegistry redactor_;
  reflector::api::ImageRepository repo_;
};

TestCertificates* RegistryClientFactoryTest::certs_ = nullptr;

TEST_F(RegistryClientFactoryTest, UsesCaAndDockerConfigFromSecrets) {
  TestHttpServer server({.cert_pem = certs_->server_cert_pem,
                         .key_pem = certs_->server_key_pem,
                         .handler = RegistryHandler});
  repo_.spec.image = server.host() + "/team/app";
  repo_.spec.secret_ref = "regcred";
  repo_.spec.cert_secret_ref = "registry-ca";
  secrets_.AddSecret({"apps", "regcred"}, {{".dockerconfigjson", DockerConfigFor(server.host())}});
  secrets_.AddSecret({"apps", "registry-ca"}, {{"ca.crt", certs_->ca_pem}});

  Result<RegistryClientPtr> client = Create();
  ASSERT_TRUE(client) << client.error().message();
  Result<std::vector<std::string>> tags = ListTags(*client);

  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, (std::vector<std::string>{"1.0.0", "1.1.0"}));
}

TEST_F(RegistryClientFactoryTest, WithoutTheCaTheServerIsNotTrusted) {
  TestHttpServer server({.cert_pem = certs_->server_cert_pem,
                         .key_pem = certs_->server_key_pem,
                         .handler = RegistryHandler});
  repo_.spec.image = server.host() + "/team/app";
  repo_.spec.secret_ref = "regcred";
  secrets_.AddSecret({"apps", "regcred"}, {{".dockerconfigjson", DockerConfigFor(server.host())}});

  Result<RegistryClientPtr> client = Create();
  ASSERT_TRUE(client) << client.error().message();
  Result<std::vector<std::string>> tags = ListTags(*client);

  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kUnauthorized);
}

TEST_F(RegistryClientFactoryTest, PresentsClientCertificateFromSecret) {
  TestHttpServer server({.cert_pem = certs_->server_cert_pem,
                         .key_pem = certs_->server_key_pem,
                         .client_ca_pem = certs_->ca_pem,
                         .handler = RegistryHandler});
  repo_.spec.image = server.host() + "/team/app";
  repo_.spec.secret_ref = "regcred";
  repo_.spec.cert_secret_ref = "mtls";
  secrets_.AddSecret({"apps", "regcred"}, {{".dockerconfigjson", DockerConfigFor(server.host())}});
  secrets_.AddSecret({"apps", "mtls"}, {{"ca.crt", certs_->ca_pem},
                                        {"tls.crt", certs_->client_cert_pem},
                                        {"tls.key", certs_->client_key_pem}});

  Result<RegistryClientPtr> client = Create();
  ASSERT_TRUE(client) << client.error().message();
  Result<std::vector<std::string>> tags = ListTags(*client);

  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(tags->size(), 2u);
}

TEST_F(RegistryClientFactoryTest, ProxySecretRoutesRequestsThroughTheProxy) {
  TestHttpServer proxy(
      {.handler = [](const RecordedRequest&, TestResponse& response) { response.status = 407; }});
  repo_.spec.image = "registry.invalid/team/app";
  repo_.spec.proxy_secret_ref = "proxy";
  secrets_.AddSecret({"apps", "proxy"}, {{"address", proxy.base_url()},
                                         {"username", "proxy-user"},
                                         {"password", std::string(kPassword)}});

  Result<RegistryClientPtr> client = Create();
  ASSERT_TRUE(client) << client.error().message();
  Result<std::vector<std::string>> tags = ListTags(*client);

  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().message().find(kPassword), std::string::npos);
  std::vector<RecordedRequest> requests = proxy.Requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].method, "CONNECT");
  EXPECT_EQ(requests[0].target, "registry.invalid:443");
  EXPECT_EQ(requests[0].Header("Proxy-Authorization"),
            "Basic " + reflector::registry::Base64Encode("proxy-user:" + std::string(kPassword)));
}

TEST_F(RegistryClientFactoryTest, CredentialsAreRegisteredForRedaction) {
  repo_.spec.image = "ghcr.io/team/app";
  repo_.spec.secret_ref = "regcred";
  secrets_.AddSecret({"apps", "regcred"}, {{".dockerconfigjson", DockerConfigFor("ghcr.io")}});

  ASSERT_TRUE(Create());

  EXPECT_EQ(redactor_.Redact("login " + std::string(kPassword)), "login ***");
}

TEST_F(RegistryClientFactoryTest, MissingSecretFails) {
  repo_.spec.image = "ghcr.io/team/app";
  repo_.spec.secret_ref = "regcred";

  Result<RegistryClientPtr> client = Create();

  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(client.error().message(), "secrets \"regcred\" not found");
}

TEST_F(RegistryClientFactoryTest, InvalidCaPemFails) {
  repo_.spec.image = "ghcr.io/team/app";
  repo_.spec.cert_secret_ref = "registry-ca";
  secrets_.AddSecret({"apps", "registry-ca"}, {{"ca.crt", "not a certificate"}});

  Result<RegistryClientPtr> client = Create();

  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(client.error().message().rfind("invalid CA certificate", 0), 0u)
      << client.error().message();
}

TEST_F(RegistryClientFactoryTest, MismatchedClientPairFails) {
  const TestCertificates other = TestCertificates::Generate();
  repo_.spec.image = "ghcr.io/team/app";
  repo_.spec.cert_secret_ref = "mtls";
  secrets_.AddSecret({"apps", "mtls"},
                     {{"tls.crt", certs_->client_cert_pem}, {"tls.key", other.client_key_pem}});

  Result<RegistryClientPtr> client = Create();

  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidSpec);
}

TEST_F(RegistryClientFactoryTest, InvalidImageFails) {
  repo_.spec.image = "https://ghcr.io/team/app";

  Result<RegistryClientPtr> client = Create();

  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalidSpec);
}

}  // namespace
}  // namespace imgauto::cmd
