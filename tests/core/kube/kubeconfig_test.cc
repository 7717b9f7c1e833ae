#include "core/kube/kubeconfig.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "tests/support/temp_dir.h"

namespace imgauto::kube {
namespace {

using imgauto::testing::TempDir;

EnvironmentLookup Env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

// kCaData is the base64 encoding of kCaText.
constexpr const char* kCaData = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmNhCg==";
constexpr const char* kCaText = "-----BEGIN CERTIFICATE-----\nca\n";

constexpr const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmNhCg==
- name: prod-cluster
  cluster:
    server: https://prod.example.com
    insecure-skip-tls-verify: true
contexts:
- name: dev
  context:
    cluster: dev-cluster
    user: dev-user
    namespace: apps
- name: prod
  context:
    cluster: prod-cluster
    user: prod-user
users:
- name: dev-user
  user:
    token: s3cr3t-dev-token
- name: prod-user
  user:
    client-certificate: certs/client.crt
    client-key: /abs/client.key
)";

TEST(KubeconfigTest, UsesTheCurrentContext) {
  Result<ClusterConfig> config = ParseKubeconfig(kKubeconfig, "/home/me/.kube");
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443/");
  EXPECT_EQ(config->ca_pem, kCaText);
  EXPECT_EQ(config->token, "s3cr3t-dev-token");
  EXPECT_EQ(config->ns, "apps");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_TRUE(config->token_file.empty());
}

TEST(KubeconfigTest, ReadsFilesRelativeToTheKubeconfig) {
  TempDir dir("kubeconfig");
  dir.Write("certs/client.crt", "CERT");
  dir.Write("client.key", "KEY");
  std::string yaml = kKubeconfig;
  yaml.replace(yaml.find("/abs/client.key"), 15, (dir.path() / "client.key").string());
  Result<ClusterConfig> config = ParseKubeconfig(yaml, dir.path(), "prod");
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->server, "https://prod.example.com");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->client_cert_pem, "CERT");
  EXPECT_EQ(config->client_key_pem, "KEY");
  EXPECT_TRUE(config->token.empty());
  EXPECT_TRUE(config->ca_pem.empty());
}

TEST(KubeconfigTest, ReadsInlineClientCertificatesAndTokenFiles) {
  const std::string yaml = std::string(R"(current-context: c
clusters:
- name: k
  cluster:
    server: https://k:443
    certificate-authority: ca.pem
contexts:
- name: c
  context: {cluster: k, user: u}
users:
- name: u
  user:
    client-certificate-data: )") + kCaData + R"(
    client-key-data: S0VZ
    tokenFile: token
)";
  TempDir dir("kubeconfig");
  const auto path = dir.Write("config", yaml);
  dir.Write("ca.pem", "CA FILE");
  Result<ClusterConfig> config = LoadKubeconfig(path);
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->ca_pem, "CA FILE");
  EXPECT_EQ(config->client_cert_pem, kCaText);
  EXPECT_EQ(config->client_key_pem, "KEY");
  EXPECT_EQ(config->token_file, dir.path() / "token");
}

TEST(KubeconfigTest, RejectsBrokenAndUnsupportedConfigs) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  const std::string cluster = "clusters: [{name: k, cluster: {server: 'https://k'}}]\n";
  const std::vector<Case> cases = {
      {"a: [", "not valid YAML"},
      {cluster, "no current-context"},
      {"current-context: x\n" + cluster, "context \"x\" does not exist"},
      {"current-context: c\ncontexts: [{name: c, context: {cluster: nope}}]\n",
       "cluster \"nope\" of context \"c\" does not exist"},
      {"current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n" + cluster,
       "user \"u\" of context \"c\" does not exist"},
      {"current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n" + cluster +
           "users: [{name: u, user: {exec: {command: aws}}}]\n",
       "uses exec credentials"},
      {"current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n" + cluster +
           "users: [{name: u, user: {client-certificate-data: '!!!', client-key-data: S0VZ}}]\n",
       "client-certificate-data is not valid base64"},
      {"current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n" + cluster +
           "users: [{name: u, user: {client-key-data: S0VZ, token: hidden-token-value}}]\n",
       "needs both client-certificate and client-key"},
      {"current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
       "clusters: [{name: k, cluster: {certificate-authority: /nonexistent/ca}}]\n",
       "has no server"},
  };
  for (const Case& c : cases) {
    Result<ClusterConfig> config = ParseKubeconfig(c.yaml, "/tmp");
    ASSERT_FALSE(config) << c.yaml;
    EXPECT_EQ(config.error().kind(), ErrorKind::kInvalidSpec) << c.yaml;
    EXPECT_NE(config.error().message().find(c.message), std::string::npos)
        << config.error().message();
    EXPECT_EQ(config.error().message().find("hidden-token-value"), std::string::npos);
  }
}

TEST(KubeconfigTest, InClusterConfigReadsTheServiceAccount) {
  TempDir sa("sa");
  sa.Write("token", "pod-token\n");
  sa.Write("ca.crt", "CLUSTER CA");
  sa.Write("namespace", "flux-system\n");
  Result<ClusterConfig> config = InClusterConfig(
      Env({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      sa.path());
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->token_file, sa.path() / "token");
  EXPECT_EQ(config->ca_pem, "CLUSTER CA");
  EXPECT_EQ(config->ns, "flux-system");

  Result<ClusterConfig> v6 = InClusterConfig(
      Env({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      sa.path());
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->server, "https://[fd00::1]:443");

  Result<ClusterConfig> outside = InClusterConfig(Env({}), sa.path());
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(outside.error().message().find("KUBERNETES_SERVICE_HOST"), std::string::npos);
}

TEST(KubeconfigTest, ResolvesFlagThenEnvironmentThenInClusterThenHome) {
  TempDir dir("resolve");
  const std::string yaml_a = "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
                             "clusters: [{name: k, cluster: {server: 'https://flag'}}]\n";
  const auto flag = dir.Write("flag-config", yaml_a);
  std::string yaml_b = yaml_a;
  yaml_b.replace(yaml_b.find("flag"), 4, "env");
  const auto env_config = dir.Write("env-config", yaml_b);
  std::string yaml_c = yaml_a;
  yaml_c.replace(yaml_c.find("flag"), 4, "home");
  dir.Write("home/.kube/config", yaml_c);
  TempDir sa("sa");
  sa.Write("token", "t");

  const std::string home = (dir.path() / "home").string();
  const std::string kubeconfig_list = "/nonexistent:" + env_config.string();
  auto server = [](const Result<ClusterConfig>& c) { return c ? c->server : c.error().message(); };
  EXPECT_EQ(server(ResolveClusterConfig(flag, Env({{"KUBECONFIG", env_config.string()}}),
                                        sa.path())),
            "https://flag");
  EXPECT_EQ(server(ResolveClusterConfig(std::nullopt,
                                        Env({{"KUBECONFIG", kubeconfig_list}, {"HOME", home}}),
                                        sa.path())),
            "https://env");
  EXPECT_EQ(server(ResolveClusterConfig(std::nullopt,
                                        Env({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                             {"KUBERNETES_SERVICE_PORT", "443"},
                                             {"HOME", home}}),
                                        sa.path())),
            "https://10.0.0.1:443");
  EXPECT_EQ(server(ResolveClusterConfig(std::nullopt, Env({{"HOME", home}}), sa.path())),
            "https://home");
  Result<ClusterConfig> none = ResolveClusterConfig(std::nullopt, Env({}), sa.path());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind(), ErrorKind::kNotFound);
  Result<ClusterConfig> missing = ResolveClusterConfig(dir.Path("nope"), Env({}), sa.path());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace imgauto::kube
