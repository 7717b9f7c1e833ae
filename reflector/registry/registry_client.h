// RegistryClient is the seam between ImageRepository scanning and an OCI distribution registry.
// HttpRegistryClient implements it over core/http; tests use tests/fakes/fake_registry_client.h.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "reflector/registry/reference.h"

namespace imgauto::reflector::registry {

class RegistryClient {
 public:
  virtual ~RegistryClient() = default;

  // Returns every tag of `repo` in registry order, following Link pagination.
  // Errors: kUnauthorized (401/403), kNotFound (404, "… 404 Not Found"), kTransient (network,
  // 429, 5xx, timeouts, bad JSON), kInternal never for registry input.
  virtual Result<std::vector<std::string>> ListTags(const ImageReference& repo) = 0;

  // Returns the manifest digest ("sha256:…") of `repo:tag`, from Docker-Content-Digest on a
  // HEAD, falling back to GET and hashing the body.
  virtual Result<std::string> ResolveDigest(const ImageReference& repo, std::string_view tag) = 0;

  // Returns when the image `repo:tag` (a tag or a "sha256:…" digest) was built: the image
  // config's `created` time, or the manifest's org.opencontainers.image.created annotation when
  // the config has none. An image index picks its linux/amd64 image (else its first entry).
  // Errors as above, plus kNotFound "image config has no created time". The default
  // implementation returns kInternal "ImageCreated is not supported by this registry client", so
  // clients that predate it keep compiling.
  virtual Result<std::chrono::system_clock::time_point> ImageCreated(const ImageReference& repo,
                                                                     std::string_view tag) {
    (void)repo;
    (void)tag;
    return Error(ErrorKind::kInternal, "ImageCreated is not supported by this registry client");
  }
};

using RegistryClientPtr = std::unique_ptr<RegistryClient>;

}  // namespace imgauto::reflector::registry
