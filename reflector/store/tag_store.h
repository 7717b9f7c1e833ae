// TagStore keeps the scanned tag list of each ImageRepository. The scanner writes it, the policy
// evaluation reads it. Tags are stored in the order given (the scanner sorts them descending by
// bytes). Implementations are thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/kube/object.h"

namespace imgauto::reflector::store {

class TagStore {
 public:
  virtual ~TagStore() = default;

  // Replaces the tags of `repo` and returns the revision: "sha256:<hex>" over the tags joined
  // with "\n", each followed by "\n" (Flux's FluxStorage revision).
  virtual Result<std::string> SetTags(const kube::ObjectKey& repo,
                                      std::span<const std::string> tags) = 0;

  // Returns the stored tags, or an empty list when nothing was stored yet.
  virtual Result<std::vector<std::string>> Tags(const kube::ObjectKey& repo) const = 0;

  // Forgets `repo`. Deleting an unknown repository succeeds.
  virtual Result<void> Delete(const kube::ObjectKey& repo) = 0;
};

using TagStorePtr = std::unique_ptr<TagStore>;

}  // namespace imgauto::reflector::store
