#include "reflector/policy/semver/version.h"

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace imgauto::reflector::policy::semver {
namespace {

constexpr std::uint64_t kMaxUint64 = std::numeric_limits<std::uint64_t>::max();

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr bool IsIdentifierChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// Consumes [0-9]+ at `p` into `value`. False when there is no digit or the value does not fit
// uint64 (Go's strconv.ParseUint range error).
bool ParseNumber(const char*& p, const char* end, std::uint64_t& value) {
  if (p == end || !IsDigit(*p)) {
    return false;
  }
  std::uint64_t v = 0;
  do {
    const auto digit = static_cast<std::uint64_t>(*p - '0');
    if (v > (kMaxUint64 - digit) / 10) {
      return false;
    }
    v = v * 10 + digit;
    ++p;
  } while (p != end && IsDigit(*p));
  value = v;
  return true;
}

// Consumes dot-separated, non-empty [0-9A-Za-z-]+ identifiers at `p`, counting the separating
// dots. With `prerelease`, purely numeric identifiers must not start with '0' unless they are
// exactly "0" (Masterminds validatePrerelease).
bool ScanIdentifiers(const char*& p, const char* end, bool prerelease, int& dots) {
  while (true) {
    const char* start = p;
    bool all_digits = true;
    while (p != end && IsIdentifierChar(*p)) {
      all_digits = all_digits && IsDigit(*p);
      ++p;
    }
    if (p == start) {
      return false;
    }
    if (prerelease && all_digits && p - start > 1 && *start == '0') {
      return false;
    }
    if (p == end || *p != '.') {
      return true;
    }
    ++p;
    ++dots;
  }
}

std::optional<Version> ParseImpl(std::string_view text, int min_dots) {
  const char* p = text.data();
  const char* const end = p + text.size();
  if (p == end) {
    return std::nullopt;
  }
  if (*p == 'v') {
    ++p;
  }
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  int dots = 0;
  if (!ParseNumber(p, end, major)) {
    return std::nullopt;
  }
  if (p != end && *p == '.') {
    ++p;
    ++dots;
    if (!ParseNumber(p, end, minor)) {
      return std::nullopt;
    }
    if (p != end && *p == '.') {
      ++p;
      ++dots;
      if (!ParseNumber(p, end, patch)) {
        return std::nullopt;
      }
    }
  }
  std::string_view prerelease;
  std::string_view metadata;
  if (p != end && *p == '-') {
    const char* start = ++p;
    if (!ScanIdentifiers(p, end, /*prerelease=*/true, dots)) {
      return std::nullopt;
    }
    prerelease = std::string_view(start, static_cast<std::size_t>(p - start));
  }
  if (p != end && *p == '+') {
    const char* start = ++p;
    if (!ScanIdentifiers(p, end, /*prerelease=*/false, dots)) {
      return std::nullopt;
    }
    metadata = std::string_view(start, static_cast<std::size_t>(p - start));
  }
  if (p != end || dots < min_dots) {
    return std::nullopt;
  }
  return Version(major, minor, patch, prerelease, metadata, text);
}

// Go's strconv.ParseUint(s, 10, 64) == nil for a non-empty identifier.
bool ParseUnsigned(std::string_view s, std::uint64_t& value) {
  const char* p = s.data();
  const char* const end = p + s.size();
  return ParseNumber(p, end, value) && p == end;
}

// Masterminds comparePrePart.
int ComparePart(std::string_view s, std::string_view o) {
  if (s == o) {
    return 0;
  }
  if (s.empty()) {
    return -1;
  }
  if (o.empty()) {
    return 1;
  }
  std::uint64_t si = 0;
  std::uint64_t oi = 0;
  const bool s_numeric = ParseUnsigned(s, si);
  const bool o_numeric = ParseUnsigned(o, oi);
  if (!s_numeric && !o_numeric) {
    return s > o ? 1 : -1;
  }
  if (!o_numeric) {
    return -1;
  }
  if (!s_numeric) {
    return 1;
  }
  return si > oi ? 1 : -1;
}

// Pops the next '.'-separated part of `rest` (Go strings.Split semantics: "" is one empty part).
std::string_view NextPart(std::string_view& rest, bool& more) {
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos) {
    more = false;
    return rest;
  }
  std::string_view part = rest.substr(0, dot);
  rest.remove_prefix(dot + 1);
  return part;
}

int CompareSegment(std::uint64_t a, std::uint64_t b) {
  if (a == b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

}  // namespace

std::optional<Version> Version::Parse(std::string_view text) {
  // Fast rejection: most registry tags ("latest", "main-abc1234-1700000000", "sha-…") fail here.
  if (text.size() < 5 || !(IsDigit(text.front()) || text.front() == 'v')) {
    return std::nullopt;
  }
  return ParseImpl(text, /*min_dots=*/2);
}

std::optional<Version> Version::ParseCoerced(std::string_view text) {
  return ParseImpl(text, /*min_dots=*/0);
}

std::string Version::ToString() const {
  std::string out = std::to_string(major_);
  out += '.';
  out += std::to_string(minor_);
  out += '.';
  out += std::to_string(patch_);
  if (!prerelease_.empty()) {
    out += '-';
    out += prerelease_;
  }
  if (!metadata_.empty()) {
    out += '+';
    out += metadata_;
  }
  return out;
}

int ComparePrerelease(std::string_view a, std::string_view b) {
  bool a_more = true;
  bool b_more = true;
  while (a_more || b_more) {
    const std::string_view pa = a_more ? NextPart(a, a_more) : std::string_view();
    const std::string_view pb = b_more ? NextPart(b, b_more) : std::string_view();
    if (const int d = ComparePart(pa, pb); d != 0) {
      return d;
    }
  }
  return 0;
}

int Compare(const Version& a, const Version& b) {
  if (const int d = CompareSegment(a.major(), b.major()); d != 0) {
    return d;
  }
  if (const int d = CompareSegment(a.minor(), b.minor()); d != 0) {
    return d;
  }
  if (const int d = CompareSegment(a.patch(), b.patch()); d != 0) {
    return d;
  }
  const std::string_view pa = a.prerelease();
  const std::string_view pb = b.prerelease();
  if (pa.empty() || pb.empty()) {
    if (pa.empty() && pb.empty()) {
      return 0;
    }
    return pa.empty() ? 1 : -1;
  }
  return ComparePrerelease(pa, pb);
}

}  // namespace imgauto::reflector::policy::semver
