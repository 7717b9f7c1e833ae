// HttpRegistryClientFactory: the production RegistryClientFactory. It resolves the Secrets an
// ImageRepository names (reflector/controller/registry_access.h) and builds a BeastHttpClient
// with the TLS material, proxy and timeout, under an HttpRegistryClient with the credentials. The
// returned client owns both, so it stays valid after the factory is gone.
//
//   HttpRegistryClientFactory factory({.logger = &logger, .secrets = &secret_registry});
//   Result<reflector::registry::RegistryClientPtr> client = factory.Create(repo, secret_getter);
//   if (!client) MarkAuthenticationFailed(client.error());
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "core/clock.h"
#include "core/http/proxy.h"
#include "core/log.h"
#include "core/redact.h"
#include "reflector/controller/registry_client_factory.h"

namespace imgauto::cmd {

struct HttpRegistryClientFactoryOptions {
  const Logger* logger = nullptr;     // borrowed; may be null
  SecretRegistry* secrets = nullptr;  // borrowed; receives every credential value resolved
  // Replaces the process environment for proxy selection (tests); getenv when unset.
  std::optional<http::ProxyEnvironment> proxy_environment{};
  const Clock* clock = nullptr;  // borrowed; the registry client's clock (SystemClock when null)
  // Passed to every client as RegistryOptions::on_response: called once per HTTP response from a
  // registry host (code 0 for a transport failure), e.g. to count
  // imgauto_registry_requests_total{registry,code}. Shared by all clients; must be thread-safe.
  std::function<void(std::string_view registry, int code)> on_registry_response{};
};

// Thread-safe: Create may be called concurrently; every client is independent.
class HttpRegistryClientFactory final : public reflector::controller::RegistryClientFactory {
 public:
  explicit HttpRegistryClientFactory(HttpRegistryClientFactoryOptions options = {});

  // Errors (all meaning AuthenticationFailed): an invalid spec.image (kInvalidSpec), the
  // ResolveRegistryAccess errors, invalid PEM material ("invalid CA certificate: …", "client
  // certificate and key do not match", …) or proxy address (kInvalidSpec).
  Result<reflector::registry::RegistryClientPtr> Create(
      const reflector::api::ImageRepository& repo,
      const reflector::controller::SecretGetter& secrets) override;

 private:
  HttpRegistryClientFactoryOptions options_;
};

}  // namespace imgauto::cmd
