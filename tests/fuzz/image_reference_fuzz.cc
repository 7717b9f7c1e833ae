// libFuzzer target for image reference parsing. Errors must be kInvalidSpec; a parsed repository
// re-parses to the same canonical name, and a parsed reference satisfies the grammar checks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "reflector/registry/reference.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace registry = imgauto::reflector::registry;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  imgauto::Result<registry::ImageReference> repo = registry::ParseRepository(text);
  if (!repo) {
    Require(repo.error().kind() == imgauto::ErrorKind::kInvalidSpec);
  } else {
    Require(repo->tag.empty() && repo->digest.empty() && !repo->registry.empty());
    imgauto::Result<registry::ImageReference> again = registry::ParseRepository(repo->Canonical());
    Require(again.has_value() && again->Canonical() == repo->Canonical());
  }

  imgauto::Result<registry::ImageReference> ref = registry::ParseReference(text, true);
  if (!ref) {
    Require(ref.error().kind() == imgauto::ErrorKind::kInvalidSpec);
    return 0;
  }
  Require(ref->insecure && ref->BaseUrl().rfind("http://", 0) == 0);
  Require(ref->tag.empty() || registry::ValidateTag(ref->tag).has_value());
  Require(ref->digest.empty() || registry::ValidateDigest(ref->digest).has_value());
  imgauto::Result<registry::ImageReference> canonical = registry::ParseRepository(ref->Canonical());
  Require(canonical.has_value() && canonical->Canonical() == ref->Canonical());
  return 0;
}
