// libFuzzer target for semver::Version parsing and precedence. Traps on internal inconsistency:
// Parse must equal ParseCoerced plus the two-dot rule, Compare must be reflexive and
// antisymmetric, and a version must survive a round trip through ToString.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reflector/policy/semver/version.h"

namespace {

using imgauto::reflector::policy::semver::Compare;
using imgauto::reflector::policy::semver::Version;

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void CheckOne(std::string_view text) {
  const std::optional<Version> strict = Version::Parse(text);
  const std::optional<Version> coerced = Version::ParseCoerced(text);
  std::size_t dots = 0;
  for (const char c : text) {
    dots += c == '.' ? 1 : 0;
  }
  Require(strict.has_value() == (coerced.has_value() && dots >= 2));
  if (!coerced) {
    return;
  }
  Require(coerced->original() == text);
  Require(Compare(*coerced, *coerced) == 0);
  const std::string canonical = coerced->ToString();
  const std::optional<Version> again = Version::ParseCoerced(canonical);
  Require(again.has_value());
  Require(Compare(*again, *coerced) == 0);
  Require(again->prerelease() == coerced->prerelease());
  Require(again->metadata() == coerced->metadata());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckOne(input);
  // Split on the first NUL (or in the middle) to compare two versions with each other.
  std::size_t cut = input.find('\0');
  if (cut == std::string_view::npos) {
    cut = size / 2;
  }
  const std::string_view left = input.substr(0, cut);
  const std::string_view right = input.substr(cut == size ? cut : cut + 1);
  CheckOne(left);
  CheckOne(right);
  const std::optional<Version> a = Version::ParseCoerced(left);
  const std::optional<Version> b = Version::ParseCoerced(right);
  if (a && b) {
    const int ab = Compare(*a, *b);
    Require(ab >= -1 && ab <= 1);
    Require(ab == -Compare(*b, *a));
  }
  return 0;
}
