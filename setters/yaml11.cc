#include "setters/yaml11.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

namespace imgauto::setters {
namespace {

// go-yaml v2's resolveMap keys that resolve to bool, null or float.
constexpr std::array<std::string_view, 39> kResolvedWords = {
    "y",    "Y",    "yes",   "Yes",   "YES",   "true",  "True",  "TRUE",  "on",    "On",
    "ON",   "n",    "N",     "no",    "No",    "NO",    "false", "False", "FALSE", "off",
    "Off",  "OFF",  "~",     "null",  "Null",  "NULL",  ".nan",  ".NaN",  ".NAN",  ".inf",
    ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "",
};

bool IsDigitIn(char c, int base) {
  int v = -1;
  if (c >= '0' && c <= '9') {
    v = c - '0';
  } else if (c >= 'a' && c <= 'z') {
    v = c - 'a' + 10;
  } else if (c >= 'A' && c <= 'Z') {
    v = c - 'A' + 10;
  }
  return v >= 0 && v < base;
}

// Go's strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64) success test (no underscores: the caller
// removed them). `allow_sign` distinguishes ParseInt from ParseUint.
bool GoParsesInteger(std::string_view s, bool allow_sign) {
  bool negative = false;
  if (allow_sign && !s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return false;
  }
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    const char p = s[1];
    if (p == 'x' || p == 'X') {
      base = 16;
      s.remove_prefix(2);
    } else if (p == 'o' || p == 'O') {
      base = 8;
      s.remove_prefix(2);
    } else if (p == 'b' || p == 'B') {
      base = 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
    if (s.empty()) {
      return false;
    }
  }
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (char c : s) {
    if (!IsDigitIn(c, base)) {
      return false;
    }
    const auto digit =
        static_cast<std::uint64_t>((c >= '0' && c <= '9') ? c - '0' : ((c | 0x20) - 'a' + 10));
    if (value > (kMax - digit) / static_cast<std::uint64_t>(base)) {
      return false;  // overflows uint64
    }
    value = value * static_cast<std::uint64_t>(base) + digit;
  }
  if (!allow_sign) {
    return true;
  }
  const std::uint64_t int64_max = std::numeric_limits<std::int64_t>::max();
  return negative ? value <= int64_max + 1 : value <= int64_max;
}

// Matches go-yaml v2's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool MatchesYamlStyleFloat(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&]() {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
    }
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) {
      return false;
    }
  } else {
    if (digits() == 0) {
      return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == s.size();
}

// Go's strconv.ParseFloat(s, 64) success for text that already matches the decimal float
// grammar above: it fails only on overflow (±Inf with ErrRange); underflow to zero succeeds.
bool DecimalFloatInRange(std::string_view s) {
  std::string text(s);
  if (!text.empty() && text[0] == '+') {
    text.erase(0, 1);  // from_chars rejects a leading '+'
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc::result_out_of_range) {
    return ec == std::errc() && ptr == text.data() + text.size();
  }
  // Out of range: decide overflow vs underflow from the decimal exponent of the text.
  long exponent = 0;
  const std::size_t e = text.find_first_of("eE");
  if (e != std::string::npos) {
    std::size_t i = e + 1;
    const bool negative = text[i] == '-';
    if (text[i] == '-' || text[i] == '+') {
      ++i;
    }
    for (; i < text.size(); ++i) {
      exponent = std::min(exponent * 10 + (text[i] - '0'), 100000L);  // saturates
    }
    exponent = negative ? -exponent : exponent;
  }
  const std::string mantissa = text.substr(0, e);
  const std::size_t point = mantissa.find('.');
  const std::string int_part = mantissa.substr(0, point);
  const std::size_t first_nonzero = int_part.find_first_not_of("+-0");
  const long int_digits =
      first_nonzero == std::string::npos ? 0 : static_cast<long>(int_part.size() - first_nonzero);
  return int_digits + exponent <= 0;  // magnitude below 1 → underflow → Go returns 0, no error
}

}  // namespace

bool IsYaml11NonString(std::string_view value) {
  if (value.empty() || value.find('\n') != std::string_view::npos) {
    return false;
  }
  for (std::string_view word : kResolvedWords) {
    if (!word.empty() && value == word) {
      return true;
    }
  }
  const char hint = value[0];
  if (hint == '.') {
    // Not a resolveMap word: Go's ParseFloat on the raw text, which (starting with '.') only
    // accepts .digits with an optional exponent.
    return MatchesYamlStyleFloat(value) && DecimalFloatInRange(value);
  }
  if (!(hint == '+' || hint == '-' || (hint >= '0' && hint <= '9'))) {
    return false;
  }
  std::string plain;
  plain.reserve(value.size());
  for (char c : value) {
    if (c != '_') {
      plain.push_back(c);
    }
  }
  if (GoParsesInteger(plain, /*allow_sign=*/true) || GoParsesInteger(plain, false)) {
    return true;
  }
  return MatchesYamlStyleFloat(plain) && DecimalFloatInRange(plain);
}

}  // namespace imgauto::setters
