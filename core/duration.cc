#include "core/duration.h"

#include <cstdint>
#include <ctime>
#include <limits>

namespace imgauto {
namespace {

constexpr std::uint64_t kNanosecond = 1;
constexpr std::uint64_t kMicrosecond = 1000 * kNanosecond;
constexpr std::uint64_t kMillisecond = 1000 * kMicrosecond;
constexpr std::uint64_t kSecond = 1000 * kMillisecond;
constexpr std::uint64_t kMinute = 60 * kSecond;
constexpr std::uint64_t kHour = 60 * kMinute;

Error InvalidDuration(std::string_view original) {
  return Error(ErrorKind::kInvalidSpec, "time: invalid duration \"" + std::string(original) + "\"");
}

// Returns the unit's size in nanoseconds, or 0 for an unknown unit.
std::uint64_t UnitSize(std::string_view unit) {
  if (unit == "ns") return kNanosecond;
  if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") return kMicrosecond;
  if (unit == "ms") return kMillisecond;
  if (unit == "s") return kSecond;
  if (unit == "m") return kMinute;
  if (unit == "h") return kHour;
  return 0;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Writes the fraction of v / 10^prec without trailing zeros (Go's fmtFrac); returns v / 10^prec.
std::uint64_t FormatFraction(std::string& out, std::uint64_t v, int prec) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    const std::uint64_t digit = v % 10;
    print = print || digit != 0;
    if (print) {
      digits.insert(digits.begin(), static_cast<char>('0' + digit));
    }
    v /= 10;
  }
  if (print) {
    out += '.';
    out += digits;
  }
  return v;
}

}  // namespace

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  const std::string_view original = text;
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == "0") {
    return std::chrono::nanoseconds(0);
  }
  if (text.empty()) {
    return InvalidDuration(original);
  }
  std::uint64_t total = 0;
  while (!text.empty()) {
    if (!(text[0] == '.' || IsDigit(text[0]))) {
      return InvalidDuration(original);
    }
    // Integer part.
    std::uint64_t whole = 0;
    std::size_t i = 0;
    bool overflow = false;
    while (i < text.size() && IsDigit(text[i])) {
      if (whole > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
        overflow = true;
      }
      whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
      ++i;
    }
    if (overflow) {
      return InvalidDuration(original);
    }
    const bool had_whole = i > 0;
    // Fraction part.
    std::uint64_t frac = 0;
    double scale = 1;
    bool had_frac = false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      const std::size_t start = i;
      while (i < text.size() && IsDigit(text[i])) {
        if (frac <= (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
          frac = frac * 10 + static_cast<std::uint64_t>(text[i] - '0');
          scale *= 10;
        }
        ++i;
      }
      had_frac = i > start;
    }
    if (!had_whole && !had_frac) {
      return InvalidDuration(original);
    }
    // Unit.
    const std::size_t unit_start = i;
    while (i < text.size() && text[i] != '.' && !IsDigit(text[i])) {
      ++i;
    }
    if (unit_start == i) {
      return Error(ErrorKind::kInvalidSpec,
                   "time: missing unit in duration \"" + std::string(original) + "\"");
    }
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    const std::uint64_t size = UnitSize(unit);
    if (size == 0) {
      return Error(ErrorKind::kInvalidSpec, "time: unknown unit \"" + std::string(unit) +
                                                "\" in duration \"" + std::string(original) + "\"");
    }
    constexpr std::uint64_t kMax = static_cast<std::uint64_t>(1) << 63;
    if (whole > kMax / size) {
      return InvalidDuration(original);
    }
    std::uint64_t value = whole * size;
    if (frac > 0) {
      value += static_cast<std::uint64_t>(static_cast<double>(frac) *
                                          (static_cast<double>(size) / scale));
      if (value > kMax) {
        return InvalidDuration(original);
      }
    }
    total += value;
    if (total > kMax) {
      return InvalidDuration(original);
    }
    text.remove_prefix(i);
  }
  if (!negative && total > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return InvalidDuration(original);
  }
  const std::int64_t signed_total =
      negative ? static_cast<std::int64_t>(0 - total) : static_cast<std::int64_t>(total);
  return std::chrono::nanoseconds(signed_total);
}

std::string FormatGoDuration(std::chrono::nanoseconds d) {
  const std::int64_t v = d.count();
  const bool negative = v < 0;
  std::uint64_t u = negative ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  std::string out;
  if (u < kSecond) {
    if (u == 0) {
      return "0s";
    }
    if (u < kMicrosecond) {
      out = std::to_string(u) + "ns";
    } else {
      const bool micros = u < kMillisecond;
      std::string frac;
      const std::uint64_t whole = FormatFraction(frac, u, micros ? 3 : 6);
      out = std::to_string(whole) + frac + (micros ? "\xc2\xb5s" : "ms");
    }
  } else {
    std::string frac;
    u = FormatFraction(frac, u, 9);
    out = std::to_string(u % 60) + frac + "s";
    u /= 60;
    if (u > 0) {
      out = std::to_string(u % 60) + "m" + out;
      u /= 60;
      if (u > 0) {
        out = std::to_string(u) + "h" + out;
      }
    }
  }
  return negative ? "-" + out : out;
}

std::string FormatRfc3339(std::chrono::system_clock::time_point t) {
  // floor, not truncation: 1969-12-31T23:59:59.5Z is still in second 59.
  const std::time_t seconds = std::chrono::system_clock::to_time_t(
      std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatRfc3339Nano(std::chrono::system_clock::time_point t) {
  std::string text = FormatRfc3339(t);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         t - std::chrono::floor<std::chrono::seconds>(t))
                         .count();
  std::string fraction = std::to_string(nanos);
  fraction.insert(0, 9 - fraction.size(), '0');
  text.insert(text.size() - 1, "." + fraction);
  return text;
}

}  // namespace imgauto
