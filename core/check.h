// IMGAUTO_CHECK aborts with a message when an invariant of our own code is broken.
// Never use it on external input (registry responses, YAML, user flags): that is an Error.
#pragma once

namespace imgauto::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition, const char* message);
}  // namespace imgauto::internal

#define IMGAUTO_CHECK(cond, msg)                                             \
  do {                                                                       \
    if (!(cond)) {                                                           \
      ::imgauto::internal::CheckFailed(__FILE__, __LINE__, #cond, (msg));    \
    }                                                                        \
  } while (false)
