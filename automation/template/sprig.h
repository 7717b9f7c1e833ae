// The Sprig v3 hermetic text functions commit templates use: strings, lists, dicts, defaults,
// math, encoding and hashing, JSON, reflection, paths and regular expressions. Excluded (not
// hermetic): date*, now, rand*, uuidv4, env, expandenv, getHostByName, shuffle, and the crypto
// helpers that need randomness. Sprig's `slice` is not registered: Go's builtin keeps its name.
//
// Maps are iterated in sorted key order, so `keys` and `values` are deterministic (Go's are not).
// Regular expressions use std::regex (ECMAScript grammar, polynomial matcher) with length limits:
// an approximation of Go's RE2 syntax until the library links RE2.
#pragma once

#include <string>
#include <string_view>

#include "automation/template/value.h"

namespace imgauto::gotemplate {

// Flux's default commit message, used when the template is empty (no trailing newline).
inline constexpr std::string_view kDefaultCommitMessage = "Update from image update automation";

// Renders a commit message as Flux does (§3.6): template name "commit message", Go builtins
// plus Sprig; an empty template yields kDefaultCommitMessage; the result is used verbatim.
// Errors (kInvalidSpec) read "unable to create commit message template from spec: ..." for
// parse errors and "failed to run template from spec: ..." for execution errors.
Result<std::string> RenderCommitMessage(std::string_view template_text, const Value& data);

// Sprig's function table (shared, immutable).
const FuncMap& SprigFunctions();

// Sprig's strval/toString: strings as is, a String() form where the object has one, else %v.
std::string ToGoString(const Value& value);
// Sprig's `empty`: nil, false, 0, "" and empty lists and maps.
bool IsEmpty(const Value& value);
// encoding/json Marshal (sorted map keys, HTML-safe escaping); `indent` > 0 pretty-prints.
Result<std::string> ToJson(const Value& value, int indent = 0, bool escape_html = true);
// encoding/json Unmarshal into interface{}: objects become map[string]interface {},
// arrays []interface {}, numbers float64.
Result<Value> FromJson(std::string_view json);

}  // namespace imgauto::gotemplate
