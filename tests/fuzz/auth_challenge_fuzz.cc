// libFuzzer target for WWW-Authenticate parsing. Errors must be kTransient and must not echo the
// input; parsed challenges have non-empty, lower-case schemes and lower-case parameter names.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "reflector/registry/auth_challenge.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

bool IsLower(std::string_view text) {
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using imgauto::reflector::registry::AuthChallenge;
  const std::string text(reinterpret_cast<const char*>(data), size);
  imgauto::Result<std::vector<AuthChallenge>> parsed =
      imgauto::reflector::registry::ParseAuthChallenges(text);
  if (!parsed) {
    Require(parsed.error().kind() == imgauto::ErrorKind::kTransient);
    Require(parsed.error().message().size() < 100);
    return 0;
  }
  Require(!parsed->empty());
  for (const AuthChallenge& challenge : *parsed) {
    Require(!challenge.scheme.empty() && IsLower(challenge.scheme));
    for (const auto& [name, value] : challenge.params) {
      Require(!name.empty() && IsLower(name));
      Require(challenge.Param(name) == value);
    }
  }
  std::vector<AuthChallenge> all =
      imgauto::reflector::registry::ParseAuthChallengeHeaders({text, text});
  Require(all.size() == 2 * parsed->size());
  return 0;
}
