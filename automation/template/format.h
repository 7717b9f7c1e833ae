// Go's fmt and strconv formatting for template values: %v of every Value kind exactly as Go
// prints it (structs `{a b}`, slices `[a b]`, maps `map[k:v]` with sorted keys, nil `<nil>`, a
// String() form where the object has one), Printf verbs with flags, width and precision, and
// Sprint/Sprintln spacing.
//
//   Sprintf("%-6s|%05d|%.2f", {Value("ab"), Value(42), Value(3.14159)})  // "ab    |00042|3.14"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "automation/template/value.h"

namespace imgauto::gotemplate {

// fmt.Sprint(v): the %v rendering of one value.
std::string FormatValue(const Value& value);
// fmt.Sprint(args...): spaces between operands when neither side is a string.
std::string Sprint(const List& args);
// fmt.Sprintln(args...): spaces between all operands and a trailing newline.
std::string Sprintln(const List& args);
// fmt.Sprintf. Never fails: bad verbs and argument mismatches render inline as Go does
// ("%!d(string=x)", "%!s(MISSING)", "%!(EXTRA int=1)").
std::string Sprintf(std::string_view format, const List& args);

// strconv.FormatFloat for fmt 'e', 'f' or 'g'; prec -1 selects the shortest exact digits.
std::string FormatFloat(double value, char fmt, int prec);
// strconv.Quote: double-quoted with Go escapes.
std::string QuoteString(std::string_view text);
// strconv.QuoteRune.
std::string QuoteRune(int32_t rune);

// UTF-8 helpers (Go's utf8 package). DecodeRune returns U+FFFD with width 1 for invalid input.
int32_t DecodeRune(std::string_view text, size_t pos, size_t* width);
void AppendRune(std::string* out, int32_t rune);
size_t RuneCount(std::string_view text);

}  // namespace imgauto::gotemplate
