#include "reflector/controller/registry_access.h"

#include <utility>

namespace imgauto::reflector::controller {
namespace {

constexpr std::string_view kDockerConfigJsonKey = ".dockerconfigjson";
constexpr std::string_view kDockerCfgKey = ".dockercfg";

std::string SecretName(const kube::ObjectKey& key) { return "secret '" + key.String() + "'"; }

// Returns the value of the first present, non-empty key, or nullptr.
const std::string* FirstOf(const SecretData& data, std::string_view preferred,
                           std::string_view legacy) {
  for (std::string_view key : {preferred, legacy}) {
    auto it = data.find(std::string(key));
    if (it != data.end() && !it->second.empty()) {
      return &it->second;
    }
  }
  return nullptr;
}

Result<http::ProxyConfig> ProxyFromSecret(const kube::ObjectKey& key, const SecretGetter& secrets,
                                          std::vector<std::string>& secret_values) {
  Result<SecretData> data = secrets.GetSecret(key);
  if (!data) {
    return data.error();
  }
  auto address = data->find("address");
  if (address == data->end() || address->second.empty()) {
    return Error(ErrorKind::kInvalidSpec, SecretName(key) + ": key 'address' not found");
  }
  http::ProxyConfig proxy;
  proxy.url = address->second;
  if (auto it = data->find("username"); it != data->end()) {
    proxy.username = it->second;
  }
  if (auto it = data->find("password"); it != data->end()) {
    proxy.password = it->second;
    secret_values.push_back(it->second);
  }
  return proxy;
}

Result<http::TlsOptions> TlsFromSecret(const kube::ObjectKey& key, const SecretGetter& secrets) {
  Result<SecretData> data = secrets.GetSecret(key);
  if (!data) {
    return data.error();
  }
  const std::string* ca = FirstOf(*data, "ca.crt", "caFile");
  const std::string* cert = FirstOf(*data, "tls.crt", "certFile");
  const std::string* private_key = FirstOf(*data, "tls.key", "keyFile");
  if (cert != nullptr && private_key == nullptr) {
    return Error(ErrorKind::kInvalidSpec,
                 SecretName(key) + " contains 'tls.crt' but missing 'tls.key'");
  }
  if (private_key != nullptr && cert == nullptr) {
    return Error(ErrorKind::kInvalidSpec,
                 SecretName(key) + " contains 'tls.key' but missing 'tls.crt'");
  }
  if (ca == nullptr && cert == nullptr) {
    return Error(ErrorKind::kInvalidSpec,
                 SecretName(key) + " must contain either 'ca.crt' or both 'tls.crt' and 'tls.key'");
  }
  http::TlsOptions tls;
  if (ca != nullptr) {
    tls.ca_pem = *ca;
  }
  if (cert != nullptr) {
    tls.cert_pem = *cert;
    tls.key_pem = *private_key;
  }
  return tls;
}

// Adds the docker config of the pull secret `key` to `keychain`; a Secret without one of the
// two docker config keys adds nothing (go-containerregistry's Kubernetes keychain skips it).
Result<void> AddPullSecret(const kube::ObjectKey& key, const SecretGetter& secrets,
                           registry::DockerConfig& keychain) {
  Result<SecretData> data = secrets.GetSecret(key);
  if (!data) {
    return data.error();
  }
  const std::string* json = FirstOf(*data, kDockerConfigJsonKey, kDockerCfgKey);
  if (json == nullptr) {
    return {};
  }
  Result<registry::DockerConfig> config = registry::DockerConfig::Parse(*json);
  if (!config) {
    return config.error().Wrap(SecretName(key));
  }
  keychain.Merge(*config);
  return {};
}

Result<std::optional<registry::AuthConfig>> AuthFromPullSecrets(const api::ImageRepository& repo,
                                                                const registry::ImageReference& ref,
                                                                const SecretGetter& secrets) {
  using Out = std::optional<registry::AuthConfig>;
  const std::string& ns = repo.metadata.ns;
  std::vector<std::string> names;
  if (!repo.spec.secret_ref.empty()) {
    names.push_back(repo.spec.secret_ref);
  }
  if (!repo.spec.service_account_name.empty()) {
    Result<std::vector<std::string>> pull =
        secrets.GetImagePullSecretNames({ns, repo.spec.service_account_name});
    if (!pull) {
      return pull.error();
    }
    names.insert(names.end(), pull->begin(), pull->end());
  }
  if (names.empty()) {
    return Out();
  }
  registry::DockerConfig keychain;
  for (const std::string& name : names) {
    if (Result<void> added = AddPullSecret({ns, name}, secrets, keychain); !added) {
      return added.error();
    }
  }
  return keychain.Lookup(ref);
}

}  // namespace

Result<RegistryAccess> ResolveRegistryAccess(const api::ImageRepository& repo,
                                             const registry::ImageReference& ref,
                                             const SecretGetter& secrets) {
  RegistryAccess access;
  access.timeout = repo.spec.EffectiveTimeout();
  const std::string& ns = repo.metadata.ns;
  // Same order as Flux: proxy, provider, certificates, then the keychain.
  if (!repo.spec.proxy_secret_ref.empty()) {
    Result<http::ProxyConfig> proxy =
        ProxyFromSecret({ns, repo.spec.proxy_secret_ref}, secrets, access.secret_values);
    if (!proxy) {
      return proxy.error();
    }
    access.proxy = std::move(*proxy);
  }
  if (!repo.spec.provider.empty() && repo.spec.provider != "generic") {
    return Error(ErrorKind::kInvalidSpec,
                 "provider '" + repo.spec.provider +
                     "' is not supported: use provider 'generic' with spec.secretRef or "
                     "spec.serviceAccountName pull secrets");
  }
  if (!repo.spec.cert_secret_ref.empty()) {
    Result<http::TlsOptions> tls = TlsFromSecret({ns, repo.spec.cert_secret_ref}, secrets);
    if (!tls) {
      return tls.error();
    }
    access.tls = std::move(*tls);
  }
  Result<std::optional<registry::AuthConfig>> auth = AuthFromPullSecrets(repo, ref, secrets);
  if (!auth) {
    return auth.error();
  }
  access.auth = std::move(*auth);
  if (access.auth.has_value()) {
    for (const std::string* value :
         {&access.auth->password, &access.auth->identity_token, &access.auth->registry_token}) {
      if (!value->empty()) {
        access.secret_values.push_back(*value);
      }
    }
  }
  return access;
}

}  // namespace imgauto::reflector::controller
