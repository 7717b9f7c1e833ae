// Parser for Go text/template: builds the parse tree of a template and of every {{define}} and
// {{block}} it contains, with Go's syntax rules and error texts, e.g.
// `template: commit message:3: unexpected "}" in operand`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace imgauto::gotemplate {

enum class NodeType {
  kText,
  kAction,
  kBool,
  kChain,
  kCommand,
  kDot,
  kField,
  kIdentifier,
  kIf,
  kList,
  kNil,
  kNumber,
  kPipe,
  kRange,
  kString,
  kTemplate,
  kVariable,
  kWith,
  kComment,
  kBreak,
  kContinue,
  kElse,  // transient: never in a finished tree
  kEnd,   // transient: never in a finished tree
};

// One parse-tree node; which members are meaningful depends on `type`.
struct Node {
  NodeType type = NodeType::kList;
  size_t pos = 0;  // byte offset in the template text
  int line = 0;

  std::string text;  // kText: text; kString: value; kIdentifier, kTemplate: name; kNumber: literal
  std::string quoted;               // kString: the literal as written
  std::vector<std::string> idents;  // kField, kVariable: path ("$x", "A"); kChain: fields
  bool bool_value = false;          // kBool
  // kNumber: which interpretations the literal admits.
  bool is_int = false;
  bool is_uint = false;
  bool is_float = false;
  bool is_complex = false;
  bool is_char = false;
  int64_t int_value = 0;
  double float_value = 0;

  std::unique_ptr<Node>
      pipe;  // kAction, kIf, kRange, kWith, kTemplate (may be null); kChain: operand
  std::unique_ptr<Node> list;                // kIf, kRange, kWith body
  std::unique_ptr<Node> else_list;           // may be null
  std::vector<std::unique_ptr<Node>> nodes;  // kList: items; kPipe: commands; kCommand: args
  std::vector<std::unique_ptr<Node>> decls;  // kPipe: declared variables (kVariable nodes)
  bool is_assign = false;                    // kPipe: `=` rather than `:=`
};

// Go's Node.String(), used in error contexts: `.A.B`, `printf "%d" 1`, `{{if .X}}...{{end}}`.
std::string NodeString(const Node& node);

// A parsed template: `name` is what {{template}} calls it, `parse_name` the top-level template
// whose text contains it (error positions are reported against that text).
struct Tree {
  std::string name;
  std::string parse_name;
  std::unique_ptr<Node> root;
};

using TreeSet = std::map<std::string, std::shared_ptr<const Tree>, std::less<>>;

// Parses `text` as template `name`, adding it and every template it defines to `trees`.
// `has_function` tells whether an identifier names a function (builtin or user); unknown ones
// fail as in Go (`function "foo" not defined`). Errors are kInvalidSpec.
Result<void> ParseInto(std::string_view name, std::string_view text,
                       const std::function<bool(std::string_view)>& has_function, TreeSet* trees);

// Go's strconv.Unquote for "..." and `...` literals; nullopt on invalid syntax.
std::optional<std::string> Unquote(std::string_view literal);

}  // namespace imgauto::gotemplate
