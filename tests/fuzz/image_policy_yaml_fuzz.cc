// libFuzzer target for the ImagePolicy / ImageRepository YAML decoders. Any input must decode or
// fail with kInvalidSpec; nothing may throw, crash or report another kind. A decoded object
// must also decode identically a second time (the decoders are pure).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "reflector/api/image_policy.h"
#include "reflector/api/image_repository.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using imgauto::ErrorKind;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto policy = imgauto::reflector::api::DecodeImagePolicy(text);
  if (!policy) {
    Require(policy.error().kind() == ErrorKind::kInvalidSpec);
    Require(!policy.error().message().empty());
  } else {
    auto again = imgauto::reflector::api::DecodeImagePolicy(text);
    Require(again.has_value());
    Require(again->spec.image_repository_name == policy->spec.image_repository_name);
    Require(again->status.latest_ref == policy->status.latest_ref);
  }

  auto repo = imgauto::reflector::api::DecodeImageRepository(text);
  if (!repo) {
    Require(repo.error().kind() == ErrorKind::kInvalidSpec);
    Require(!repo.error().message().empty());
  } else {
    Require(!repo->spec.image.empty());
    Require(repo->spec.interval.count() >= 0);
    Require(repo->spec.EffectiveTimeout().count() >= 1000000000);
    Require(!repo->spec.EffectiveExclusionList().empty());
  }
  return 0;
}
