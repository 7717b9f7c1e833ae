#include "reflector/policy/go_float.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <system_error>

namespace imgauto::reflector::policy {
namespace {

constexpr std::size_t kMaxExactDigits = 15;
constexpr std::int64_t kExponentCap = 100000;  // far beyond any finite double's exponent

// ASCII case folding for letters (Go's `lower`): only meaningful when compared with a letter.
char Lower(char c) { return static_cast<char>(c | 0x20); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexLetter(char c) { return Lower(c) >= 'a' && Lower(c) <= 'f'; }

std::size_t CommonPrefixIgnoreCase(std::string_view text, std::string_view word) {
  std::size_t n = 0;
  while (n < text.size() && n < word.size() && Lower(text[n]) == word[n]) {
    ++n;
  }
  return n;
}

enum class Special { kNone, kReject, kValue };

// Recognises Go's special words. kReject means Go recognised a word prefix but the text goes on
// ("infx", "nan1"), which ParseFloat reports as a syntax error.
Special ParseSpecial(std::string_view text, double& value) {
  std::string_view rest = text;
  bool negative = false;
  if (rest[0] == '+' || rest[0] == '-') {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  } else if (Lower(rest[0]) == 'n') {
    if (CommonPrefixIgnoreCase(rest, "nan") != 3) {
      return Special::kNone;
    }
    value = std::numeric_limits<double>::quiet_NaN();
    return rest.size() == 3 ? Special::kValue : Special::kReject;
  } else if (Lower(rest[0]) != 'i') {
    return Special::kNone;
  }
  std::size_t n = CommonPrefixIgnoreCase(rest, "infinity");
  if (n < 3) {
    return Special::kNone;
  }
  if (n < 8) {
    n = 3;  // "inf" is accepted; a partial "infinity" counts as "inf" followed by junk
  }
  value =
      negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  return n == rest.size() ? Special::kValue : Special::kReject;
}

// Go's underscoreOK: '_' must sit between digits, or between a base prefix and a digit.
bool UnderscoresOk(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    text.remove_prefix(1);
  }
  char saw = '^';  // '^' start, '0' digit or prefix, '_' underscore, '!' anything else
  std::size_t i = 0;
  bool hex = false;
  if (text.size() >= 2 && text[0] == '0' &&
      (Lower(text[1]) == 'b' || Lower(text[1]) == 'o' || Lower(text[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = Lower(text[1]) == 'x';
  }
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (IsDigit(c) || (hex && IsHexLetter(c))) {
      saw = '0';
    } else if (c == '_') {
      if (saw != '0') {
        return false;
      }
      saw = '_';
    } else if (saw == '_') {
      return false;
    } else {
      saw = '!';
    }
  }
  return saw != '_';
}

// What the syntax check learned about a finite number.
struct Scanned {
  bool negative = false;
  bool hex = false;
  bool underscores = false;
  std::string_view body;       // the text after the sign and the 0x prefix
  std::int64_t magnitude = 0;  // rough log10 (log2 for hex) of the value; sign is what matters
};

// Reads the exponent after text[i] (the 'e' or 'p') into `exponent`, saturated; false when no
// exponent digits follow.
bool ScanExponent(std::string_view text, std::size_t& i, std::int64_t& exponent,
                  bool& underscores) {
  ++i;  // the 'e' or 'p'
  if (i >= text.size()) {
    return false;
  }
  std::int64_t sign = 1;
  if (text[i] == '+' || text[i] == '-') {
    sign = text[i] == '-' ? -1 : 1;
    ++i;
  }
  if (i >= text.size() || !IsDigit(text[i])) {
    return false;
  }
  std::int64_t value = 0;
  for (; i < text.size() && (IsDigit(text[i]) || text[i] == '_'); ++i) {
    if (text[i] == '_') {
      underscores = true;
    } else if (value < kExponentCap) {
      value = value * 10 + (text[i] - '0');
    }
  }
  exponent = sign * value;
  return true;
}

// Checks Go's readFloat grammar over the whole text (specials already handled).
std::optional<Scanned> Scan(std::string_view text) {
  Scanned out;
  std::size_t i = 0;
  if (text[i] == '+' || text[i] == '-') {
    out.negative = text[i] == '-';
    ++i;
  }
  if (i + 2 < text.size() && text[i] == '0' && Lower(text[i + 1]) == 'x') {
    out.hex = true;
    i += 2;
  }
  const std::size_t body_begin = i;
  bool saw_dot = false;
  bool saw_digits = false;
  bool saw_nonzero = false;
  std::int64_t lead = 0;  // digits from the first non-zero digit to the dot, or -(zeros after it)
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      out.underscores = true;
      continue;
    }
    if (c == '.') {
      if (saw_dot) {
        break;
      }
      saw_dot = true;
      continue;
    }
    if (!IsDigit(c) && !(out.hex && IsHexLetter(c))) {
      break;
    }
    saw_digits = true;
    saw_nonzero = saw_nonzero || c != '0';
    if (saw_nonzero && !saw_dot) {
      ++lead;
    } else if (!saw_nonzero && saw_dot) {
      --lead;
    }
  }
  if (!saw_digits) {
    return std::nullopt;
  }
  std::int64_t exponent = 0;
  const char exponent_char = out.hex ? 'p' : 'e';
  if (i < text.size() && Lower(text[i]) == exponent_char) {
    if (!ScanExponent(text, i, exponent, out.underscores)) {
      return std::nullopt;
    }
  } else if (out.hex) {
    return std::nullopt;  // Go requires the binary exponent on hex floats
  }
  if (i != text.size()) {
    return std::nullopt;
  }
  if (out.underscores && !UnderscoresOk(text)) {
    return std::nullopt;
  }
  out.body = text.substr(body_begin);
  out.magnitude = (out.hex ? 4 * lead : lead) + exponent;
  return out;
}

std::optional<double> Convert(const Scanned& scanned, std::string_view body) {
  double value = 0;
  const std::chars_format format =
      scanned.hex ? std::chars_format::hex : std::chars_format::general;
  const std::from_chars_result result =
      std::from_chars(body.data(), body.data() + body.size(), value, format);
  if (result.ptr != body.data() + body.size()) {
    return std::nullopt;  // unreachable: the syntax was validated above
  }
  if (result.ec == std::errc::result_out_of_range) {
    if (scanned.magnitude > 0) {
      return std::nullopt;  // overflow: Go's range error
    }
    value = 0;  // underflow: Go rounds to zero without error
  } else if (result.ec != std::errc()) {
    return std::nullopt;
  }
  return scanned.negative ? -value : value;
}

}  // namespace

std::optional<double> ParseGoFloat(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  // Fast path for the common tag shape (timestamps, build numbers): up to 15 plain digits are
  // below 2^53, so the integer converts to a double exactly.
  if (text.size() <= kMaxExactDigits) {
    std::uint64_t integer = 0;
    bool digits_only = true;
    for (const char c : text) {
      digits_only = digits_only && IsDigit(c);
      integer = integer * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (digits_only) {
      return static_cast<double>(integer);
    }
  }
  double special = 0;
  switch (ParseSpecial(text, special)) {
    case Special::kValue:
      return special;
    case Special::kReject:
      return std::nullopt;
    case Special::kNone:
      break;
  }
  const std::optional<Scanned> scanned = Scan(text);
  if (!scanned) {
    return std::nullopt;
  }
  if (!scanned->underscores) {
    return Convert(*scanned, scanned->body);
  }
  // from_chars does not know Go's digit separators: drop them into a scratch buffer.
  constexpr std::size_t kInline = 64;
  if (scanned->body.size() <= kInline) {
    char buffer[kInline];
    char* end = std::remove_copy(scanned->body.begin(), scanned->body.end(), buffer, '_');
    return Convert(*scanned, std::string_view(buffer, static_cast<std::size_t>(end - buffer)));
  }
  std::string cleaned;
  cleaned.reserve(scanned->body.size());
  std::remove_copy(scanned->body.begin(), scanned->body.end(), std::back_inserter(cleaned), '_');
  return Convert(*scanned, cleaned);
}

}  // namespace imgauto::reflector::policy
