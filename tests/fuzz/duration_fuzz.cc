// libFuzzer target for Go duration parsing and formatting. Parse errors must be kInvalidSpec;
// a parsed value must survive FormatGoDuration → ParseGoDuration unchanged.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/duration.h"
#include "core/error.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  imgauto::Result<std::chrono::nanoseconds> parsed = imgauto::ParseGoDuration(text);
  if (!parsed) {
    Require(parsed.error().kind() == imgauto::ErrorKind::kInvalidSpec);
    return 0;
  }
  const std::string formatted = imgauto::FormatGoDuration(*parsed);
  imgauto::Result<std::chrono::nanoseconds> reparsed = imgauto::ParseGoDuration(formatted);
  Require(reparsed.has_value());
  Require(*reparsed == *parsed);
  Require(imgauto::FormatGoDuration(*reparsed) == formatted);
  return 0;
}
