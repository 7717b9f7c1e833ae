#include "core/http/client.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"

namespace imgauto::http {

std::optional<std::string> Response::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Response::Headers(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      values.push_back(value);
    }
  }
  return values;
}

ErrorKind ErrorKindForStatus(int status) {
  if (status == 401 || status == 403) {
    return ErrorKind::kUnauthorized;
  }
  if (status == 404) {
    return ErrorKind::kNotFound;
  }
  if (status == 408 || status == 429 || status >= 500) {
    return ErrorKind::kTransient;
  }
  if (status >= 400) {
    return ErrorKind::kInvalidSpec;
  }
  // A success or redirect the caller did not expect (e.g. a redirect loop longer than the
  // client follows): nothing the user can fix in the spec, so retry with backoff.
  return ErrorKind::kTransient;
}

}  // namespace imgauto::http
