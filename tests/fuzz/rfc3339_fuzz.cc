// libFuzzer target for the scanner's RFC 3339 parser. Any input must parse or be rejected without
// crashing; a parsed time must survive FormatRfc3339 → ParseRfc3339 to the same second.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/duration.h"
#include "reflector/scan/scanner.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<std::chrono::system_clock::time_point> parsed =
      imgauto::reflector::scan::ParseRfc3339(text);
  if (!parsed.has_value()) {
    return 0;
  }
  const std::string formatted = imgauto::FormatRfc3339(*parsed);
  const std::optional<std::chrono::system_clock::time_point> reparsed =
      imgauto::reflector::scan::ParseRfc3339(formatted);
  Require(reparsed.has_value());
  Require(std::chrono::floor<std::chrono::seconds>(*reparsed) ==
          std::chrono::floor<std::chrono::seconds>(*parsed));
  Require(imgauto::FormatRfc3339(*reparsed) == formatted);
  return 0;
}
