// Where the Kubernetes API server is and how to authenticate to it: from the pod's service
// account (in-cluster) or from a kubeconfig file (running outside, `--kubeconfig` / KUBECONFIG),
// in the order client-go's controller-runtime uses.
//
//   Result<ClusterConfig> config = ResolveClusterConfig(flags.kubeconfig, ProcessEnvironment());
//   if (!config) return config.error().Wrap("configuring the Kubernetes client");
//   Result<ApiClientPtr> client = ApiClient::Create(*config);
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace imgauto::kube {

struct ClusterConfig {
  std::string server{};  // "https://10.96.0.1:443"
  std::string ca_pem{};  // trusted CA certificates; empty: system CAs only
  std::string client_cert_pem{};
  std::string client_key_pem{};
  bool insecure_skip_tls_verify = false;
  std::string token{};                    // a static bearer token
  std::filesystem::path token_file{};     // a token re-read when the file changes (wins)
  std::string ns{};                       // the context's or the pod's namespace, "" when unknown
};

// Reads environment variables; returns nullopt when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvironmentLookup ProcessEnvironment();

inline constexpr std::string_view kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// The in-cluster configuration: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
// (IPv6 hosts bracketed), the CA in `<sa_dir>/ca.crt`, the token file `<sa_dir>/token`, the
// namespace in `<sa_dir>/namespace`. kNotFound when the variables or the token are missing
// ("unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and
// KUBERNETES_SERVICE_PORT must be defined").
Result<ClusterConfig> InClusterConfig(const EnvironmentLookup& env,
                                      const std::filesystem::path& sa_dir =
                                          std::filesystem::path(kServiceAccountDir));

// Parses kubeconfig YAML: the `context` given, else `current-context`; its cluster (server,
// certificate-authority / -data, insecure-skip-tls-verify) and user (token, tokenFile,
// client-certificate / -data, client-key / -data). Relative file paths resolve against
// `base_dir` (the kubeconfig's directory). Errors are kInvalidSpec and never contain secret
// values: unparseable YAML, no current context, a context/cluster/user that does not exist,
// bad base64, unreadable files, exec / auth-provider / basic-auth users (unsupported).
Result<ClusterConfig> ParseKubeconfig(std::string_view yaml, const std::filesystem::path& base_dir,
                                      std::optional<std::string> context = std::nullopt);

// Reads and parses a kubeconfig file (kNotFound when it does not exist).
Result<ClusterConfig> LoadKubeconfig(const std::filesystem::path& path,
                                     std::optional<std::string> context = std::nullopt);

// controller-runtime's order: the --kubeconfig flag when given; else $KUBECONFIG (the first
// existing file of a ':'-separated list); else in-cluster; else $HOME/.kube/config.
Result<ClusterConfig> ResolveClusterConfig(const std::optional<std::filesystem::path>& flag,
                                           const EnvironmentLookup& env,
                                           const std::filesystem::path& sa_dir =
                                               std::filesystem::path(kServiceAccountDir));

}  // namespace imgauto::kube
