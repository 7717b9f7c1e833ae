// ImageRepositoryGetter: what the ImagePolicy reconciler reads besides its own object, the
// referenced ImageRepository (with its status) and, for cross-namespace references, the labels
// of the policy's namespace (for the repository's `accessFrom` ACL). The in-cluster mode reads
// the API server, the standalone mode its object store; tests use
// tests/fakes/fake_image_repository_getter.h.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/api/image_repository.h"

namespace imgauto::reflector::controller {

// Implementations are thread-safe: several reconciles read concurrently.
class ImageRepositoryGetter {
 public:
  virtual ~ImageRepositoryGetter() = default;

  // Returns the ImageRepository `key` with its current status. A missing object is kNotFound
  // with the API server's wording, `imagerepositories.image.toolkit.fluxcd.io "<name>" not
  // found`; other failures keep their kind.
  virtual Result<api::ImageRepository> GetImageRepository(const kube::ObjectKey& key) const = 0;

  // Returns the labels of the namespace `name` (empty when it has none). A missing namespace is
  // kNotFound, `namespaces "<name>" not found`.
  virtual Result<std::map<std::string, std::string>> GetNamespaceLabels(
      std::string_view name) const = 0;
};

}  // namespace imgauto::reflector::controller
