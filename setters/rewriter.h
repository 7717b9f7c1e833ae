// Minimal-edit rewriting (style.md convention 10): splice replacement text into the original
// bytes, and render a new scalar value in the quoting style of the scalar it replaces.
//
//   std::string text = "tag: v1 # {\"$imagepolicy\": \"ns:p:tag\"}\n";
//   Result<std::string> out = ApplyEdits(text, {Edit{5, 7, RenderScalar("20240101",
//                                                    ScalarStyle::kPlain, false)}});
//   // *out == "tag: \"20240101\" # {...}\n"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace imgauto::setters {

// The presentation of a scalar in the source text.
enum class ScalarStyle { kPlain, kSingleQuoted, kDoubleQuoted, kLiteral, kFolded };

// Returns "plain", "single", "double", "literal" or "folded".
std::string_view ScalarStyleName(ScalarStyle style);

struct Edit {
  std::size_t begin = 0;    // byte offset of the scalar's first character (quote included)
  std::size_t end = 0;      // one past its last character
  std::string replacement;  // already quoted like the original
};

// Applies non-overlapping edits to `text`. Bytes outside the edits are copied unchanged;
// overlapping or out-of-range edits are kInternal (the locator produced them). Edits may be
// given in any order; empty ranges insert.
Result<std::string> ApplyEdits(std::string_view text, std::vector<Edit> edits);

// Returns true when `value` cannot be written as a plain scalar without changing its meaning for
// YAML syntax reasons: empty, leading/trailing blanks, control characters or line breaks, a
// leading indicator (- ? : , [ ] { } # & * ! | > ' " % @ `), ": " or " #" inside, a trailing
// ':', a "---"/"..." start, or (inside a flow collection) any of , [ ] { }.
bool NeedsQuotingForSyntax(std::string_view value, bool in_flow);

// Renders `value` as a YAML double-quoted scalar: '"' and '\' escaped, control characters as
// \n, \t, \xXX escapes; everything else (UTF-8 included) verbatim.
std::string DoubleQuote(std::string_view value);

// Renders `value` as a single-quoted scalar ('' for '), or double-quoted when it holds control
// characters single quotes cannot represent.
std::string SingleQuote(std::string_view value);

// Renders `value` to replace a scalar written in `original` style. Quoted styles are kept. A
// plain scalar stays plain unless the value would read as a non-string in YAML 1.1 (yaml11.h)
// or needs quoting for syntax reasons; then it becomes double-quoted ("20240101"). Block styles
// are rendered double-quoted (callers never splice into block scalars).
std::string RenderScalar(std::string_view value, ScalarStyle original, bool in_flow);

}  // namespace imgauto::setters
