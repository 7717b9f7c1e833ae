// RegistryClientFactory builds the RegistryClient an ImageRepository scan (or an ImagePolicy
// digest lookup) talks through, configured from the repository's spec: credentials from
// `secretRef` and the `serviceAccountName` pull secrets, TLS material from `certSecretRef`, a
// proxy from `proxySecretRef`, `insecure` and the timeout (ResolveRegistryAccess in
// registry_access.h does the Secret part). The production implementation lives in
// cmd/registry_client_factory.h because only cmd may link the Beast HTTP client; tests use
// tests/fakes/fake_registry_client_factory.h.
//
//   Result<registry::RegistryClientPtr> client = factory.Create(repo, secrets);
//   if (!client) MarkAuthenticationFailed(client.error());  // "failed to configure auth…: …"
//   Result<std::vector<std::string>> tags = (*client)->ListTags(ref);
#pragma once

#include <memory>

#include "core/error.h"
#include "reflector/api/image_repository.h"
#include "reflector/controller/secret_getter.h"
#include "reflector/registry/registry_client.h"

namespace imgauto::reflector::controller {

// Implementations are thread-safe: reconcilers call Create concurrently.
class RegistryClientFactory {
 public:
  virtual ~RegistryClientFactory() = default;

  // Returns a client for `repo`'s registry; the client owns everything it needs. Any error
  // means the authentication options could not be configured (Flux's AuthenticationFailed):
  // a missing Secret or ServiceAccount (kNotFound), a missing key, an invalid dockerconfigjson,
  // PEM material or proxy address, an unsupported provider (kInvalidSpec). Messages never
  // contain secret values.
  virtual Result<registry::RegistryClientPtr> Create(const api::ImageRepository& repo,
                                                     const SecretGetter& secrets) = 0;
};

}  // namespace imgauto::reflector::controller
