// RegistryAccess: an ImageRepository's registry settings with the Secrets they name resolved,
// the way Flux's AuthOptionsGetter reads them (reference §1.2, §2.2 step 2):
//   proxySecretRef  `address` (required), `username`, `password`
//   certSecretRef   `ca.crt` and/or `tls.crt` + `tls.key` (legacy `caFile`, `certFile`,
//                   `keyFile` when the new keys are absent)
//   secretRef and the imagePullSecrets of serviceAccountName
//                   `.dockerconfigjson` (or legacy `.dockercfg`) merged into one keychain; a
//                   Secret holding neither key adds nothing, as in go-containerregistry
//   timeout         spec.timeout, else the interval, at least one second
// Only the `generic` provider is supported: cloud contextual login is kInvalidSpec.
// RegistryClientFactory implementations turn the result into a client; no I/O besides the
// SecretGetter.
//
//   Result<RegistryAccess> access = ResolveRegistryAccess(repo, ref, secrets);
//   if (!access) return access.error();  // AuthenticationFailed
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/http/proxy.h"
#include "core/http/tls.h"
#include "reflector/api/image_repository.h"
#include "reflector/controller/secret_getter.h"
#include "reflector/registry/docker_config.h"
#include "reflector/registry/reference.h"

namespace imgauto::reflector::controller {

struct RegistryAccess {
  std::optional<registry::AuthConfig> auth;  // nullopt: anonymous
  http::TlsOptions tls;                      // PEM only; validated by the HTTP client
  std::optional<http::ProxyConfig> proxy;    // nullopt: HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply
  std::chrono::nanoseconds timeout{0};
  // Every credential value resolved (passwords, tokens, proxy password), for redaction.
  std::vector<std::string> secret_values;
};

// Resolves the Secrets `repo` names (all in repo's namespace) and looks up the credentials for
// `ref` in the merged keychain. Errors: the SecretGetter's (kNotFound `secrets "x" not found`),
// kInvalidSpec `secret 'ns/name': key 'address' not found`, `secret 'ns/name' contains
// 'tls.crt' but missing 'tls.key'` (and the reverse), `secret 'ns/name' must contain either
// 'ca.crt' or both 'tls.crt' and 'tls.key'`, `secret 'ns/name': <docker config error>`, and
// `provider '<p>' is not supported: …`. Messages never contain secret values.
Result<RegistryAccess> ResolveRegistryAccess(const api::ImageRepository& repo,
                                             const registry::ImageReference& ref,
                                             const SecretGetter& secrets);

}  // namespace imgauto::reflector::controller
