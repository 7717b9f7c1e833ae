// Go-compatible float parsing for the numerical policy: ParseGoFloat accepts exactly the strings
// Go's strconv.ParseFloat(s, 64) accepts and returns the same value.
//
//   ParseGoFloat("1_000")  → 1000      ParseGoFloat("0x1.8p1") → 3
//   ParseGoFloat("-Inf")   → -inf      ParseGoFloat("0x10")    → nullopt (hex needs 'p')
//   ParseGoFloat("1e400")  → nullopt   ParseGoFloat("1e-400")  → 0 (underflow is not an error)
#pragma once

#include <optional>
#include <string_view>

namespace imgauto::reflector::policy {

// Parses `text` with Go's strconv.ParseFloat(text, 64) grammar and rounding:
//  * optional sign, then decimal digits with an optional '.' and an optional e/E exponent
//    (".5", "5.", "+1e3"), or a 0x/0X hex mantissa that must carry a p/P binary exponent;
//  * underscores only between digits (or after the base prefix), as Go's underscoreOK rules;
//  * "inf"/"infinity" with an optional sign and "nan" without one, in any letter case;
//  * results are correctly rounded to nearest-even; values too large for a double fail
//    (Go's range error), values too small become ±0 (Go returns them without error).
// Returns nullopt for anything Go would reject. Pure function; allocates only when the text
// contains underscores and is longer than 64 bytes.
std::optional<double> ParseGoFloat(std::string_view text);

}  // namespace imgauto::reflector::policy
