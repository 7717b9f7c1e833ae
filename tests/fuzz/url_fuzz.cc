// libFuzzer target for URL parsing, reference resolution and NO_PROXY matching. The input is
// "<url>\n<reference or NO_PROXY list>". Errors must be kInvalidSpec; a parsed URL must be
// well-formed and survive ToString → ParseUrl unchanged (userinfo aside); a resolved reference
// must have a target starting with '/'.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/http/proxy.h"
#include "core/http/url.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void CheckWellFormed(const imgauto::http::Url& url) {
  Require(url.scheme == "http" || url.scheme == "https");
  Require(!url.host.empty());
  Require(url.port != 0);
  Require(!url.target.empty() && url.target.front() == '/');
  Require(url.target.find_first_of(" #\r\n") == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view first = input.substr(0, newline);
  const std::string_view second =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  imgauto::Result<imgauto::http::Url> url = imgauto::http::ParseUrl(first);
  if (!url) {
    Require(url.error().kind() == imgauto::ErrorKind::kInvalidSpec);
    return 0;
  }
  CheckWellFormed(*url);
  imgauto::Result<imgauto::http::Url> again = imgauto::http::ParseUrl(url->ToString());
  Require(again.has_value());
  imgauto::http::Url without_userinfo = *url;
  without_userinfo.username.clear();
  without_userinfo.password.clear();
  Require(*again == without_userinfo);

  imgauto::Result<imgauto::http::Url> resolved = imgauto::http::ResolveReference(*url, second);
  if (resolved) {
    CheckWellFormed(*resolved);
  } else {
    Require(resolved.error().kind() == imgauto::ErrorKind::kInvalidSpec);
  }
  (void)imgauto::http::BypassProxy(*url, second);
  return 0;
}
