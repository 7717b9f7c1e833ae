// libFuzzer target for semver::Constraint. The input is a constraint, optionally followed by
// NUL-separated candidate versions. Traps when parsing reports a non-kInvalidSpec error, when
// Check differs between a constraint and its copy, or when two versions of equal precedence
// (with and without a "v" prefix and build metadata) are judged differently.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "reflector/policy/semver/constraint.h"
#include "reflector/policy/semver/version.h"

namespace {

using imgauto::ErrorKind;
using imgauto::Result;
using imgauto::reflector::policy::semver::Compare;
using imgauto::reflector::policy::semver::Constraint;
using imgauto::reflector::policy::semver::Version;

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

constexpr std::array<std::string_view, 14> kProbes = {
    "0.0.0",       "0.0.1",
    "0.1.0",       "1.0.0-0",
    "1.0.0-rc.1",  "1.0.0",
    "1.2.3",       "1.2.4-1",
    "1.3.0-rc9",   "2.0.0",
    "2.0.0-alpha", "3.12.0-1",
    "10.20.30",    "18446744073709551615.18446744073709551615.18446744073709551615",
};

void Probe(const Constraint& constraint, const Constraint& copy, std::string_view text) {
  const std::optional<Version> v = Version::ParseCoerced(text);
  if (!v) {
    return;
  }
  const bool verdict = constraint.Check(*v);
  Require(verdict == copy.Check(*v));
  Require(verdict == constraint.Check(*v));
  // Same precedence, different spelling: "v" prefix and build metadata never change the verdict.
  std::string respelled = "v" + v->ToString() + (v->metadata().empty() ? "+fuzz" : ".fuzz");
  const std::optional<Version> w = Version::ParseCoerced(respelled);
  Require(w.has_value());
  Require(Compare(*v, *w) == 0);
  Require(constraint.Check(*w) == verdict);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = input.find('\0');
  const std::string_view text = input.substr(0, cut);
  Result<Constraint> parsed = Constraint::Parse(text);
  if (!parsed) {
    Require(parsed.error().kind() == ErrorKind::kInvalidSpec);
    return 0;
  }
  Require(parsed->text() == text);
  const Constraint copy = *parsed;
  for (const std::string_view probe : kProbes) {
    Probe(*parsed, copy, probe);
  }
  if (cut != std::string_view::npos) {
    std::string_view rest = input.substr(cut + 1);
    while (!rest.empty()) {
      const std::size_t next = rest.find('\0');
      Probe(*parsed, copy, rest.substr(0, next));
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    }
  }
  return 0;
}
