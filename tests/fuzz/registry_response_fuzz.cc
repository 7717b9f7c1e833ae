// libFuzzer target for the registry response parsers (registry_responses.h): tag list pages,
// token server answers, distribution error bodies and Retry-After values. None may crash; errors
// are kTransient with the documented prefixes; error summaries stay on one line.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "reflector/registry/registry_responses.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace internal = imgauto::reflector::registry::internal;
  const std::string text(reinterpret_cast<const char*>(data), size);

  imgauto::Result<std::vector<std::string>> tags = internal::ParseTagPage(text, "r.io");
  if (!tags) {
    Require(tags.error().kind() == imgauto::ErrorKind::kTransient);
    Require(StartsWith(tags.error().message(), "invalid tag list response from r.io: "));
  }

  imgauto::Result<std::string> token =
      internal::ParseTokenResponse(text, "https://auth.r.io/token?scope=x");
  if (token) {
    Require(!token->empty());
  } else {
    Require(token.error().kind() == imgauto::ErrorKind::kTransient);
    Require(StartsWith(token.error().message(), "invalid token response from "));
  }

  const std::string detail = internal::RegistryErrorDetail(text);
  Require(!text.empty() || detail.empty());
  for (char c : detail) {
    Require(c != '\n' && c != '\r' && c != '\0');
  }

  const auto now = std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 50));
  std::optional<std::chrono::seconds> delay = internal::ParseRetryAfter(text, now);
  if (delay) {
    Require(delay->count() >= 0);
  }
  return 0;
}
