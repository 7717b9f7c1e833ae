// libFuzzer target for Link header parsing and next-link resolution. Errors must be kTransient;
// a resolved next link is an absolute http(s) URL.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "reflector/registry/link_header.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace registry = imgauto::reflector::registry;
  const std::string text(reinterpret_cast<const char*>(data), size);
  imgauto::Result<std::vector<registry::Link>> links = registry::ParseLinkHeader(text);
  if (!links) {
    Require(links.error().kind() == imgauto::ErrorKind::kTransient);
  }
  for (const char* base : {"https://r.io/v2/org/app/tags/list", "http://127.0.0.1:5000/v2/x"}) {
    imgauto::Result<std::optional<std::string>> next = registry::FindNextLink({text}, base);
    if (!next) {
      Require(next.error().kind() == imgauto::ErrorKind::kTransient);
      continue;
    }
    Require(links.has_value());
    if (next->has_value()) {
      const std::string& url = **next;
      Require(url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0);
    }
  }
  return 0;
}
