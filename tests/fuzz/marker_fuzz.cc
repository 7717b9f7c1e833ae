// libFuzzer target for setter-marker parsing: never crashes; a marker is never empty; a parsed
// object re-serialised with plain escapes parses back to the same map.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "setters/marker.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<std::string> marker = imgauto::setters::ParseMarker(text);
  Require(!marker || !marker->empty());

  const auto object = imgauto::setters::ParseStringObject(text);
  if (object) {
    std::string json = "{";
    for (const auto& [key, value] : *object) {
      if (json.size() > 1) {
        json += ",";
      }
      json += JsonString(key) + ":" + JsonString(value);
    }
    json += "}";
    Require(imgauto::setters::ParseStringObject(json) == object);
  }
  const std::size_t half = size / 2;
  (void)imgauto::setters::SelectMarker(text.substr(0, half), text.substr(half));
  return 0;
}
