#include "cmd/registry_flags.h"

#include <optional>
#include <utility>

#include "core/duration.h"
#include "core/fs.h"
#include "core/http/beast_client.h"
#include "reflector/registry/docker_config.h"
#include "reflector/registry/http_registry_client.h"

namespace imgauto::cmd {
namespace {

constexpr std::size_t kMaxConfigBytes = std::size_t{4} << 20;

Result<std::string> ReadNamed(std::string_view what, const std::string& path) {
  Result<std::string> data = ReadFile(path, kMaxConfigBytes);
  if (!data) {
    return data.error().Wrap("reading " + std::string(what));
  }
  return data;
}

// Adds the password of a "scheme://user:pass@host" proxy URL to `secrets`.
void AddProxyPassword(std::string_view url, SecretRegistry& secrets) {
  std::size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  std::size_t at = rest.substr(0, rest.find('/')).rfind('@');
  if (at == std::string_view::npos) {
    return;
  }
  std::string_view userinfo = rest.substr(0, at);
  std::size_t colon = userinfo.find(':');
  if (colon != std::string_view::npos) {
    secrets.Add(userinfo.substr(colon + 1));
  }
}

Result<std::optional<reflector::registry::AuthConfig>> LoadAuth(
    const std::string& path, const reflector::registry::ImageReference& ref,
    SecretRegistry& secrets) {
  using Out = std::optional<reflector::registry::AuthConfig>;
  if (path.empty()) {
    return Out();
  }
  Result<std::string> json = ReadNamed("docker config", path);
  if (!json) {
    return json.error();
  }
  Result<reflector::registry::DockerConfig> config =
      reflector::registry::DockerConfig::Parse(*json);
  if (!config) {
    return config.error().Wrap("parsing docker config " + path);
  }
  Out auth = config->Lookup(ref);
  if (auth.has_value()) {
    secrets.Add(auth->password);
    secrets.Add(auth->identity_token);
    secrets.Add(auth->registry_token);
  }
  return auth;
}

Result<http::TlsOptions> LoadTls(const RegistryFlagValues& values) {
  http::TlsOptions tls;
  const std::pair<std::string_view, const std::string*> files[] = {
      {"CA file", &values.ca_file}, {"certificate file", &values.cert_file},
      {"key file", &values.key_file}};
  std::string* targets[] = {&tls.ca_pem, &tls.cert_pem, &tls.key_pem};
  for (std::size_t i = 0; i < 3; ++i) {
    if (files[i].second->empty()) {
      continue;
    }
    Result<std::string> pem = ReadNamed(files[i].first, *files[i].second);
    if (!pem) {
      return pem.error();
    }
    *targets[i] = std::move(*pem);
  }
  return tls;
}

}  // namespace

void AddRegistryFlags(FlagSet& flags) {
  flags.String("docker-config", "FILE", "Docker config JSON with registry credentials");
  flags.String("ca-file", "FILE", "extra trusted CA certificates (PEM)");
  flags.String("cert-file", "FILE", "TLS client certificate (PEM), with --key-file");
  flags.String("key-file", "FILE", "TLS client key (PEM), with --cert-file");
  flags.Bool("insecure", "allow plain HTTP (https is tried first; local registries always may)");
  flags.String("proxy", "URL", "HTTP proxy for registry requests",
               "HTTPS_PROXY, HTTP_PROXY and NO_PROXY");
  flags.String("timeout", "DUR", "deadline for the whole operation (Go duration)", "1m");
}

Result<RegistryFlagValues> ReadRegistryFlags(const ParsedFlags& flags) {
  RegistryFlagValues values;
  values.docker_config = flags.GetString("docker-config").value_or("");
  values.ca_file = flags.GetString("ca-file").value_or("");
  values.cert_file = flags.GetString("cert-file").value_or("");
  values.key_file = flags.GetString("key-file").value_or("");
  values.proxy = flags.GetString("proxy").value_or("");
  values.insecure = flags.GetBool("insecure");
  if (values.cert_file.empty() != values.key_file.empty()) {
    return Error(ErrorKind::kInvalidSpec, "flags --cert-file and --key-file go together");
  }
  if (std::optional<std::string> timeout = flags.GetString("timeout")) {
    Result<std::chrono::nanoseconds> parsed = ParseGoDuration(*timeout);
    if (!parsed) {
      return parsed.error().Wrap("flag --timeout");
    }
    if (parsed->count() <= 0) {
      return Error(ErrorKind::kInvalidSpec, "flag --timeout: must be positive");
    }
    values.timeout = *parsed;
  }
  return values;
}

Result<RegistryStack> BuildRegistryStack(const RegistryFlagValues& values,
                                         const reflector::registry::ImageReference& ref,
                                         SecretRegistry& secrets, const Logger* logger) {
  Result<std::optional<reflector::registry::AuthConfig>> auth =
      LoadAuth(values.docker_config, ref, secrets);
  if (!auth) {
    return auth.error();
  }
  Result<http::TlsOptions> tls = LoadTls(values);
  if (!tls) {
    return tls.error();
  }
  http::ClientOptions options;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(values.timeout);
  options.tls = std::move(*tls);
  options.logger = logger;
  if (!values.proxy.empty()) {
    AddProxyPassword(values.proxy, secrets);
    options.proxy = http::ProxyConfig{values.proxy, "", ""};
  }
  Result<http::HttpClientPtr> http_client = http::BeastHttpClient::Create(std::move(options));
  if (!http_client) {
    return http_client.error();
  }
  RegistryStack stack;
  stack.http = std::move(*http_client);
  reflector::registry::RegistryOptions registry_options;
  registry_options.auth = std::move(*auth);
  registry_options.timeout = values.timeout;
  stack.client = std::make_unique<reflector::registry::HttpRegistryClient>(
      *stack.http, std::move(registry_options));
  return stack;
}

}  // namespace imgauto::cmd
