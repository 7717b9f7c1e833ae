// libFuzzer target for dockerconfigjson parsing and keychain lookup. Errors must be kInvalidSpec;
// lookups never crash; base64 round-trips.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "reflector/registry/docker_config.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using imgauto::reflector::registry::DockerConfig;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const std::string encoded = imgauto::reflector::registry::Base64Encode(text);
  std::optional<std::string> decoded = imgauto::reflector::registry::Base64Decode(encoded);
  Require(decoded.has_value() && *decoded == text);
  (void)imgauto::reflector::registry::Base64Decode(text);

  imgauto::Result<DockerConfig> config = DockerConfig::Parse(text);
  if (!config) {
    Require(config.error().kind() == imgauto::ErrorKind::kInvalidSpec);
    return 0;
  }
  for (const char* registry : {"index.docker.io", "ghcr.io", "localhost:5000", "[::1]:5000", ""}) {
    for (const char* repository : {"", "library/alpine", "org/app"}) {
      std::optional<imgauto::reflector::registry::AuthConfig> auth =
          config->Lookup(registry, repository);
      Require(!auth || !auth->Empty());
    }
  }
  DockerConfig merged = *config;
  merged.Merge(*config);
  Require(merged.size() == 2 * config->size());
  return 0;
}
