// Fuzzes ParseGoFloat against glibc's strtod, an independent correctly rounded parser: whenever
// Go's grammar accepts a finite number, strtod on the same text (underscores removed, since C
// has no digit separators) must give the same double, except where Go's range rules differ
// (overflow fails in Go; underflow is 0 in Go without error).
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "reflector/policy/go_float.h"

namespace {

bool IsSpecialWord(std::string_view text) {
  for (const char c : text) {
    if (c == 'i' || c == 'I' || c == 'n' || c == 'N') {
      return true;
    }
  }
  return false;
}

void Trap(const char* what) {
  std::fprintf(stderr, "go_float_fuzz: %s\n", what);
  std::abort();
}

// The C-and-Go common subset: [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
bool IsPlainDecimal(std::string_view text) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    return i - start;
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    ++i;
  }
  std::size_t mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) {
    return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == text.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<double> value = imgauto::reflector::policy::ParseGoFloat(text);
  if (!value && IsPlainDecimal(text)) {
    // Go rejects a plain decimal only when it overflows.
    errno = 0;
    const double reference = std::strtod(std::string(text).c_str(), nullptr);
    if (!(errno == ERANGE && std::isinf(reference))) {
      Trap("rejected a plain decimal");
    }
  }
  if (!value || std::isnan(*value) || std::isinf(*value) || IsSpecialWord(text)) {
    return 0;
  }
  // Accepted finite numbers: only sign, digits, hex digits, '.', '_', exponent letters.
  std::string cleaned;
  for (const char c : text) {
    if (c == '_') {
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\0') {
      Trap("accepted whitespace or NUL");
    }
    cleaned.push_back(c);
  }
  errno = 0;
  char* end = nullptr;
  const double reference = std::strtod(cleaned.c_str(), &end);
  if (end != cleaned.c_str() + cleaned.size()) {
    Trap("accepted text strtod cannot parse");
  }
  if (errno == ERANGE && std::fabs(reference) > 1.0) {
    Trap("accepted an overflowing value");
  }
  if (errno == ERANGE && reference == 0.0) {
    if (*value != 0.0) {
      Trap("underflow did not give zero");
    }
    return 0;
  }
  if (std::memcmp(&reference, &*value, sizeof(double)) != 0) {
    Trap("value differs from strtod");
  }
  return 0;
}
