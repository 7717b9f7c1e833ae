#include "core/kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "core/strings.h"

namespace imgauto::kube {
namespace {

namespace fs = std::filesystem;

Error Invalid(std::string message) { return Error(ErrorKind::kInvalidSpec, std::move(message)); }

Result<std::string> ReadFile(const fs::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorKind::kNotFound, "reading " + std::string(what) + " " + path.string() +
                                           ": no such file or unreadable");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Standard base64 (padded or not); nullopt on any other byte.
std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : TrimSpace(text)) {
    int digit;
    if (c >= 'A' && c <= 'Z') {
      digit = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      digit = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      digit = c - '0' + 52;
    } else if (c == '+') {
      digit = 62;
    } else if (c == '/') {
      digit = 63;
    } else if (c == '=') {
      break;
    } else if (c == '\n' || c == '\r') {
      continue;
    } else {
      return std::nullopt;
    }
    value = (value << 6) | static_cast<unsigned>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

std::string Scalar(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

// Finds `name` in a kubeconfig list (`clusters`, `users`, `contexts`) and returns its `field`.
std::optional<YAML::Node> Named(const YAML::Node& root, const char* list, const char* field,
                                const std::string& name) {
  const YAML::Node entries = root[list];
  if (!entries || !entries.IsSequence()) {
    return std::nullopt;
  }
  for (const YAML::Node& entry : entries) {
    if (entry.IsMap() && Scalar(entry, "name") == name) {
      const YAML::Node value = entry[field];
      return value && value.IsMap() ? value : YAML::Node(YAML::NodeType::Map);
    }
  }
  return std::nullopt;
}

// Reads `<key>-data` (base64) or the file `<key>`; "" when neither is set.
Result<std::string> Material(const YAML::Node& node, const std::string& key,
                             const fs::path& base_dir, const std::string& owner) {
  const std::string data = Scalar(node, (key + "-data").c_str());
  if (!data.empty()) {
    std::optional<std::string> decoded = DecodeBase64(data);
    if (!decoded) {
      return Invalid(owner + ": " + key + "-data is not valid base64");
    }
    return *decoded;
  }
  const std::string file = Scalar(node, key.c_str());
  if (file.empty()) {
    return std::string();
  }
  const fs::path path = fs::path(file).is_absolute() ? fs::path(file) : base_dir / file;
  Result<std::string> text = ReadFile(path, owner + " " + key);
  if (!text) {
    return Invalid(text.error().message());
  }
  return text;
}

}  // namespace

EnvironmentLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

Result<ClusterConfig> InClusterConfig(const EnvironmentLookup& env, const fs::path& sa_dir) {
  const std::optional<std::string> host = env("KUBERNETES_SERVICE_HOST");
  const std::optional<std::string> port = env("KUBERNETES_SERVICE_PORT");
  if (!host || !port || host->empty() || port->empty()) {
    return Error(ErrorKind::kNotFound,
                 "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
                 "KUBERNETES_SERVICE_PORT must be defined");
  }
  ClusterConfig config;
  const bool ipv6 = host->find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
  std::error_code ec;
  if (!fs::exists(sa_dir / "token", ec)) {
    return Error(ErrorKind::kNotFound, "unable to load in-cluster configuration: no token at " +
                                           (sa_dir / "token").string());
  }
  config.token_file = sa_dir / "token";
  if (Result<std::string> ca = ReadFile(sa_dir / "ca.crt", "service account CA"); ca) {
    config.ca_pem = *ca;
  }
  if (Result<std::string> ns = ReadFile(sa_dir / "namespace", "service account namespace"); ns) {
    config.ns = std::string(TrimSpace(*ns));
  }
  return config;
}

Result<ClusterConfig> ParseKubeconfig(std::string_view yaml, const fs::path& base_dir,
                                      std::optional<std::string> context) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Invalid("kubeconfig is not valid YAML: " + std::string(e.what()));
  }
  if (!root.IsMap()) {
    return Invalid("kubeconfig is not a YAML mapping");
  }
  const std::string context_name = context.value_or(Scalar(root, "current-context"));
  if (context_name.empty()) {
    return Invalid("kubeconfig has no current-context");
  }
  const std::optional<YAML::Node> ctx = Named(root, "contexts", "context", context_name);
  if (!ctx) {
    return Invalid("kubeconfig: context " + Quote(context_name) + " does not exist");
  }
  const std::string cluster_name = Scalar(*ctx, "cluster");
  const std::optional<YAML::Node> cluster = Named(root, "clusters", "cluster", cluster_name);
  if (!cluster) {
    return Invalid("kubeconfig: cluster " + Quote(cluster_name) + " of context " +
                   Quote(context_name) + " does not exist");
  }
  ClusterConfig config;
  config.ns = Scalar(*ctx, "namespace");
  config.server = Scalar(*cluster, "server");
  if (config.server.empty()) {
    return Invalid("kubeconfig: cluster " + Quote(cluster_name) + " has no server");
  }
  const std::string insecure = Scalar(*cluster, "insecure-skip-tls-verify");
  config.insecure_skip_tls_verify = insecure == "true";
  Result<std::string> ca =
      Material(*cluster, "certificate-authority", base_dir, "cluster " + Quote(cluster_name));
  if (!ca) {
    return ca.error();
  }
  config.ca_pem = *ca;

  const std::string user_name = Scalar(*ctx, "user");
  if (user_name.empty()) {
    return config;  // anonymous
  }
  const std::optional<YAML::Node> user = Named(root, "users", "user", user_name);
  if (!user) {
    return Invalid("kubeconfig: user " + Quote(user_name) + " of context " +
                   Quote(context_name) + " does not exist");
  }
  const std::string owner = "user " + Quote(user_name);
  for (const char* unsupported : {"exec", "auth-provider", "username"}) {
    if ((*user)[unsupported]) {
      return Invalid("kubeconfig: " + owner + " uses " + unsupported +
                     " credentials, which imgauto does not support; use a token or a client "
                     "certificate");
    }
  }
  config.token = Scalar(*user, "token");
  if (const std::string file = Scalar(*user, "tokenFile"); !file.empty()) {
    config.token_file = fs::path(file).is_absolute() ? fs::path(file) : base_dir / file;
  }
  Result<std::string> cert = Material(*user, "client-certificate", base_dir, owner);
  if (!cert) {
    return cert.error();
  }
  Result<std::string> key = Material(*user, "client-key", base_dir, owner);
  if (!key) {
    return key.error();
  }
  if (cert->empty() != key->empty()) {
    return Invalid("kubeconfig: " + owner + " needs both client-certificate and client-key");
  }
  config.client_cert_pem = *cert;
  config.client_key_pem = *key;
  return config;
}

Result<ClusterConfig> LoadKubeconfig(const fs::path& path, std::optional<std::string> context) {
  Result<std::string> text = ReadFile(path, "kubeconfig");
  if (!text) {
    return text.error();
  }
  Result<ClusterConfig> config = ParseKubeconfig(*text, path.parent_path(), std::move(context));
  if (!config) {
    return config.error().Wrap(path.string());
  }
  return config;
}

Result<ClusterConfig> ResolveClusterConfig(const std::optional<fs::path>& flag,
                                           const EnvironmentLookup& env, const fs::path& sa_dir) {
  if (flag && !flag->empty()) {
    return LoadKubeconfig(*flag);
  }
  if (const std::optional<std::string> list = env("KUBECONFIG"); list && !list->empty()) {
    for (const std::string& entry : Split(*list, ":")) {
      std::error_code ec;
      if (!entry.empty() && fs::exists(entry, ec)) {
        return LoadKubeconfig(entry);
      }
    }
  }
  Result<ClusterConfig> in_cluster = InClusterConfig(env, sa_dir);
  if (in_cluster || in_cluster.error().kind() != ErrorKind::kNotFound) {
    return in_cluster;
  }
  if (const std::optional<std::string> home = env("HOME"); home && !home->empty()) {
    const fs::path path = fs::path(*home) / ".kube" / "config";
    std::error_code ec;
    if (fs::exists(path, ec)) {
      return LoadKubeconfig(path);
    }
  }
  return Error(ErrorKind::kNotFound,
               "no Kubernetes configuration: not running in a cluster and no kubeconfig "
               "(--kubeconfig, KUBECONFIG or ~/.kube/config)");
}

}  // namespace imgauto::kube
