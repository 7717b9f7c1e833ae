// Small string helpers with Go-compatible semantics where it matters (byte-wise, ASCII-only case).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace imgauto {

// Splits on every occurrence of `sep` (Go strings.Split): "a,,b" → {"a","","b"}; "" → {""}.
std::vector<std::string> Split(std::string_view text, std::string_view sep);
// Removes leading and trailing ASCII whitespace.
std::string_view TrimSpace(std::string_view text);
std::string AsciiLower(std::string_view text);
std::string AsciiUpper(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Joins with `sep`.
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
// The value of one hexadecimal digit (either case), or -1 when `c` is not one.
int HexDigitValue(char c);
// Returns Go's strconv.Quote-like rendering for messages: "\"a\\n\"" (ASCII escapes only).
std::string Quote(std::string_view text);

}  // namespace imgauto
