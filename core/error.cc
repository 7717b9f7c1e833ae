#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace imgauto {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidSpec:
      return "invalid_spec";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kUnauthorized:
      return "unauthorized";
    case ErrorKind::kTransient:
      return "transient";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

Error Error::Wrap(std::string_view context) const {
  std::string message;
  message.reserve(context.size() + 2 + message_.size());
  message.append(context).append(": ").append(message_);
  return Error(kind_, std::move(message));
}

namespace internal {
void CheckFailed(const char* file, int line, const char* condition, const char* message) {
  std::fprintf(stderr, "imgauto: internal check failed at %s:%d: %s (%s)\n", file, line, condition,
               message);
  std::abort();
}
}  // namespace internal

}  // namespace imgauto
