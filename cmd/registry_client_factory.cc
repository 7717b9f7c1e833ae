#include "cmd/registry_client_factory.h"

#include <memory>
#include <utility>

#include "core/http/beast_client.h"
#include "reflector/controller/registry_access.h"
#include "reflector/registry/http_registry_client.h"
#include "reflector/scan/scanner.h"

namespace imgauto::cmd {
namespace {

namespace registry = reflector::registry;

// An HttpRegistryClient together with the HTTP client it borrows; declared in this order so the
// registry client is destroyed first.
class OwningRegistryClient final : public registry::RegistryClient {
 public:
  OwningRegistryClient(http::HttpClientPtr http, registry::RegistryOptions options)
      : http_(std::move(http)), client_(*http_, std::move(options)) {}

  Result<std::vector<std::string>> ListTags(const registry::ImageReference& repo) override {
    return client_.ListTags(repo);
  }
  Result<std::string> ResolveDigest(const registry::ImageReference& repo,
                                    std::string_view tag) override {
    return client_.ResolveDigest(repo, tag);
  }
  Result<std::chrono::system_clock::time_point> ImageCreated(const registry::ImageReference& repo,
                                                             std::string_view tag) override {
    return client_.ImageCreated(repo, tag);
  }

 private:
  http::HttpClientPtr http_;
  registry::HttpRegistryClient client_;
};

}  // namespace

HttpRegistryClientFactory::HttpRegistryClientFactory(HttpRegistryClientFactoryOptions options)
    : options_(std::move(options)) {}

Result<registry::RegistryClientPtr> HttpRegistryClientFactory::Create(
    const reflector::api::ImageRepository& repo,
    const reflector::controller::SecretGetter& secrets) {
  Result<registry::ImageReference> ref = reflector::scan::ParseImage(repo);
  if (!ref) {
    return ref.error();
  }
  Result<reflector::controller::RegistryAccess> access =
      reflector::controller::ResolveRegistryAccess(repo, *ref, secrets);
  if (!access) {
    return access.error();
  }
  if (options_.secrets != nullptr) {
    for (const std::string& value : access->secret_values) {
      options_.secrets->Add(value);
    }
  }

  http::ClientOptions client_options;
  if (access->timeout.count() > 0) {
    client_options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(access->timeout);
  }
  client_options.tls = std::move(access->tls);
  client_options.proxy = std::move(access->proxy);
  client_options.proxy_environment = options_.proxy_environment;
  client_options.logger = options_.logger;
  // Validates the PEM material and the proxy address: failures are authentication setup errors.
  Result<http::HttpClientPtr> http_client =
      http::BeastHttpClient::Create(std::move(client_options));
  if (!http_client) {
    return http_client.error();
  }

  registry::RegistryOptions registry_options;
  registry_options.auth = std::move(access->auth);
  registry_options.timeout = access->timeout;
  registry_options.clock = options_.clock;
  registry_options.on_response = options_.on_registry_response;
  return registry::RegistryClientPtr(
      std::make_unique<OwningRegistryClient>(std::move(*http_client), std::move(registry_options)));
}

}  // namespace imgauto::cmd
