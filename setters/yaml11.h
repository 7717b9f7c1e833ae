// YAML 1.1 non-string detection (§3.4): would a plain scalar with this text decode as something
// other than a string under go-yaml v2 (the test kyaml applies before writing a value)?
//
//   IsYaml11NonString("20240101")  → true   (int: written as "20240101")
//   IsYaml11NonString("v1.0.1")    → false  (stays plain)
#pragma once

#include <string_view>

namespace imgauto::setters {

// Returns true when go-yaml v2 would resolve the plain scalar `value` to a bool, int, float or
// null: y/Y/yes/Yes/YES/n/N/no/No/NO/true/True/TRUE/false/False/FALSE/on/On/ON/off/Off/OFF,
// ~/null/Null/NULL, .inf/.nan variants, Go base-0 integers after removing '_' (0x, 0o, 0b,
// leading-zero octal, sign), decimal floats ("1.0", ".5", "1e3", "09") that do not overflow.
// Timestamps (2024-01-01) stay strings, as does "1e400" (out of range) and "12:30".
// Values that are empty or contain a newline return false, as kyaml does; whether a value needs
// quoting for YAML syntax reasons is a separate question (see rewriter.h).
bool IsYaml11NonString(std::string_view value);

}  // namespace imgauto::setters
