// Go text/template's predefined functions: and or not eq ne lt le gt ge len index slice print
// printf println html js urlquery call, with Go's semantics and error texts. The executor
// evaluates `and`/`or` lazily (short-circuit); the entries here are used for lookup and arity.
#pragma once

#include <string>
#include <string_view>

#include "automation/template/value.h"
#include "core/error.h"

namespace imgauto::gotemplate {

// The builtin function table (shared, immutable).
const FuncMap& Builtins();

// eq with Go's rules: basic kinds compare by value (ints of any width together), different
// basic kinds are an error ("incompatible types for comparison"), nil equals only nil.
Result<bool> GoEqual(const Value& a, const Value& b);
// lt with Go's rules: ints, floats and strings only ("invalid type for comparison").
Result<bool> GoLess(const Value& a, const Value& b);

// template.HTMLEscapeString, JSEscapeString and url.QueryEscape.
std::string HtmlEscape(std::string_view text);
std::string JsEscape(std::string_view text);
std::string QueryEscape(std::string_view text);

}  // namespace imgauto::gotemplate
