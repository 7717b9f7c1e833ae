// ResolveRegistryAccess: the Secrets an ImageRepository names, read as Flux's AuthOptionsGetter
// reads them (reference §1.2, §2.2 step 2).
#include "reflector/controller/registry_access.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/fakes/fake_secret_getter.h"

namespace imgauto::reflector::controller {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kPassword = "s3cr3t-Passw0rd";

// {"auths":{"ghcr.io":{"username":"bot","password":kPassword}}}
std::string DockerConfigFor(std::string_view host, std::string_view user,
                            std::string_view password) {
  return R"({"auths":{")" + std::string(host) + R"(":{"username":")" + std::string(user) +
         R"(","password":")" + std::string(password) + R"("}}})";
}

class RegistryAccessTest : public ::testing::Test {
 protected:
  RegistryAccessTest() {
    repo_.metadata.ns = "apps";
    repo_.metadata.name = "app";
    repo_.spec.image = "ghcr.io/acme/app";
    repo_.spec.interval = minutes(5);
  }

  Result<RegistryAccess> Resolve() {
    Result<registry::ImageReference> ref = registry::ParseRepository(repo_.spec.image);
    EXPECT_TRUE(ref);
    return ResolveRegistryAccess(repo_, *ref, secrets_);
  }

  testing::FakeSecretGetter secrets_;
  api::ImageRepository repo_;
};

TEST_F(RegistryAccessTest, NoReferencesIsAnonymousWithIntervalTimeout) {
  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access) << access.error().message();
  EXPECT_FALSE(access->auth.has_value());
  EXPECT_FALSE(access->proxy.has_value());
  EXPECT_TRUE(access->tls.ca_pem.empty());
  EXPECT_EQ(access->timeout, minutes(5));
  EXPECT_EQ(secrets_.secret_reads(), 0);
}

TEST_F(RegistryAccessTest, SpecTimeoutWins) {
  repo_.spec.timeout = seconds(45);
  EXPECT_EQ(Resolve()->timeout, seconds(45));
}

TEST_F(RegistryAccessTest, SecretRefDockerConfigGivesCredentials) {
  repo_.spec.secret_ref = "regcred";
  secrets_.AddSecret({"apps", "regcred"},
                     {{".dockerconfigjson", DockerConfigFor("ghcr.io", "bot", kPassword)}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access) << access.error().message();
  ASSERT_TRUE(access->auth.has_value());
  EXPECT_EQ(access->auth->username, "bot");
  EXPECT_EQ(access->auth->password, kPassword);
  EXPECT_EQ(access->secret_values, (std::vector<std::string>{std::string(kPassword)}));
}

TEST_F(RegistryAccessTest, CredentialsForAnotherRegistryAreNotUsed) {
  repo_.spec.secret_ref = "regcred";
  secrets_.AddSecret({"apps", "regcred"},
                     {{".dockerconfigjson", DockerConfigFor("quay.io", "bot", kPassword)}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access);
  EXPECT_FALSE(access->auth.has_value());
  EXPECT_TRUE(access->secret_values.empty());
}

TEST_F(RegistryAccessTest, LegacyDockerCfgIsRead) {
  repo_.spec.secret_ref = "regcred";
  secrets_.AddSecret({"apps", "regcred"},
                     {{".dockercfg", R"({"ghcr.io":{"username":"old","password":"p4ssw0rd"}})"}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access) << access.error().message();
  ASSERT_TRUE(access->auth.has_value());
  EXPECT_EQ(access->auth->username, "old");
}

TEST_F(RegistryAccessTest, SecretWithoutDockerConfigIsAnonymous) {
  repo_.spec.secret_ref = "opaque";
  secrets_.AddSecret({"apps", "opaque"}, {{"token", "abc"}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access);
  EXPECT_FALSE(access->auth.has_value());
}

TEST_F(RegistryAccessTest, MissingSecretIsNotFound) {
  repo_.spec.secret_ref = "regcred";

  Result<RegistryAccess> access = Resolve();

  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(access.error().message(), "secrets \"regcred\" not found");
}

TEST_F(RegistryAccessTest, InvalidDockerConfigNamesTheSecretNotTheValue) {
  repo_.spec.secret_ref = "regcred";
  secrets_.AddSecret({"apps", "regcred"},
                     {{".dockerconfigjson", "{\"auths\": " + std::string(kPassword)}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(access.error().message().rfind("secret 'apps/regcred': ", 0), 0u)
      << access.error().message();
  EXPECT_EQ(access.error().message().find(kPassword), std::string::npos);
}

TEST_F(RegistryAccessTest, ServiceAccountPullSecretsJoinTheKeychain) {
  repo_.spec.service_account_name = "puller";
  secrets_.AddServiceAccount({"apps", "puller"}, {"other", "ghcr"});
  secrets_.AddSecret({"apps", "other"},
                     {{".dockerconfigjson", DockerConfigFor("quay.io", "q", "quay-pass")}});
  secrets_.AddSecret({"apps", "ghcr"},
                     {{".dockerconfigjson", DockerConfigFor("ghcr.io", "sa-bot", kPassword)}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access) << access.error().message();
  ASSERT_TRUE(access->auth.has_value());
  EXPECT_EQ(access->auth->username, "sa-bot");
}

TEST_F(RegistryAccessTest, SecretRefComesBeforeServiceAccountSecrets) {
  repo_.spec.secret_ref = "regcred";
  repo_.spec.service_account_name = "puller";
  secrets_.AddSecret({"apps", "regcred"},
                     {{".dockerconfigjson", DockerConfigFor("ghcr.io", "direct", kPassword)}});
  secrets_.AddServiceAccount({"apps", "puller"}, {"ghcr"});
  secrets_.AddSecret({"apps", "ghcr"},
                     {{".dockerconfigjson", DockerConfigFor("ghcr.io", "sa-bot", "other-pass")}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access);
  EXPECT_EQ(access->auth->username, "direct");
}

TEST_F(RegistryAccessTest, MissingServiceAccountIsNotFound) {
  repo_.spec.service_account_name = "puller";

  Result<RegistryAccess> access = Resolve();

  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().message(), "serviceaccounts \"puller\" not found");
}

TEST_F(RegistryAccessTest, CertSecretWithCaOnly) {
  repo_.spec.cert_secret_ref = "tls";
  secrets_.AddSecret({"apps", "tls"}, {{"ca.crt", "CA PEM"}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access) << access.error().message();
  EXPECT_EQ(access->tls.ca_pem, "CA PEM");
  EXPECT_TRUE(access->tls.cert_pem.empty());
  EXPECT_FALSE(access->tls.insecure_skip_verify);
}

TEST_F(RegistryAccessTest, CertSecretWithClientPair) {
  repo_.spec.cert_secret_ref = "tls";
  secrets_.AddSecret({"apps", "tls"}, {{"tls.crt", "CERT"}, {"tls.key", "KEY"}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access) << access.error().message();
  EXPECT_EQ(access->tls.cert_pem, "CERT");
  EXPECT_EQ(access->tls.key_pem, "KEY");
}

TEST_F(RegistryAccessTest, LegacyCertKeysAreRead) {
  repo_.spec.cert_secret_ref = "tls";
  secrets_.AddSecret({"apps", "tls"}, {{"caFile", "CA"}, {"certFile", "CERT"}, {"keyFile", "KEY"}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access) << access.error().message();
  EXPECT_EQ(access->tls.ca_pem, "CA");
  EXPECT_EQ(access->tls.cert_pem, "CERT");
  EXPECT_EQ(access->tls.key_pem, "KEY");
}

TEST_F(RegistryAccessTest, CertSecretProblemsAreNamed) {
  repo_.spec.cert_secret_ref = "tls";
  secrets_.AddSecret({"apps", "tls"}, {{"tls.crt", "CERT"}});
  EXPECT_EQ(Resolve().error().message(),
            "secret 'apps/tls' contains 'tls.crt' but missing 'tls.key'");

  secrets_.AddSecret({"apps", "tls"}, {{"tls.key", "KEY"}});
  EXPECT_EQ(Resolve().error().message(),
            "secret 'apps/tls' contains 'tls.key' but missing 'tls.crt'");

  secrets_.AddSecret({"apps", "tls"}, {{"other", "x"}});
  EXPECT_EQ(Resolve().error().message(),
            "secret 'apps/tls' must contain either 'ca.crt' or both 'tls.crt' and 'tls.key'");
  EXPECT_EQ(Resolve().error().kind(), ErrorKind::kInvalidSpec);
}

TEST_F(RegistryAccessTest, ProxySecretGivesExplicitProxy) {
  repo_.spec.proxy_secret_ref = "proxy";
  secrets_.AddSecret({"apps", "proxy"}, {{"address", "http://proxy.internal:3128"},
                                         {"username", "u"},
                                         {"password", std::string(kPassword)}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_TRUE(access) << access.error().message();
  ASSERT_TRUE(access->proxy.has_value());
  EXPECT_EQ(*access->proxy,
            (http::ProxyConfig{"http://proxy.internal:3128", "u", std::string(kPassword)}));
  EXPECT_EQ(access->secret_values, (std::vector<std::string>{std::string(kPassword)}));
}

TEST_F(RegistryAccessTest, ProxySecretNeedsAddress) {
  repo_.spec.proxy_secret_ref = "proxy";
  secrets_.AddSecret({"apps", "proxy"}, {{"username", "u"}});

  Result<RegistryAccess> access = Resolve();

  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().message(), "secret 'apps/proxy': key 'address' not found");
}

TEST_F(RegistryAccessTest, CloudProviderIsNotSupported) {
  repo_.spec.provider = "azure";

  Result<RegistryAccess> access = Resolve();

  ASSERT_FALSE(access);
  EXPECT_EQ(access.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_EQ(access.error().message().rfind("provider 'azure' is not supported", 0), 0u);
}

TEST_F(RegistryAccessTest, GenericProviderIsAccepted) {
  repo_.spec.provider = "generic";
  EXPECT_TRUE(Resolve());
}

}  // namespace
}  // namespace imgauto::reflector::controller
