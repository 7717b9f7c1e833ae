// Lexer for Go text/template syntax with the default `{{` `}}` delimiters: text, actions,
// `{{-`/`-}}` trim markers, comments, literals, fields, variables and keywords, with Go's item
// boundaries and error texts ("unclosed action", "unterminated quoted string", ...).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace imgauto::gotemplate {

enum class ItemType {
  kError,         // val holds the message
  kBool,          // true, false
  kChar,          // a printable ASCII character not otherwise meaningful (',' '}' ...)
  kCharConstant,  // 'x'
  kComment,       // {{/* */}} (the parser skips it)
  kComplex,       // 1+2i
  kAssign,        // =
  kDeclare,       // :=
  kEof,
  kField,  // .Name
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,  // $x
  // Keywords.
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Item {
  ItemType type = ItemType::kEof;
  size_t pos = 0;   // byte offset in the input
  std::string val;  // the item's text (the message for kError)
  int line = 1;     // line of the item's start

  bool IsKeyword() const { return type >= ItemType::kBlock; }
};

// Go's item.String(): `"x"` for most items, `<if>` for keywords, the message for errors, "EOF".
std::string ItemString(const Item& item);

// Splits `input` into items. The result always ends with one kEof or one kError item.
// `break_ok`/`continue_ok` are false when a function of that name shadows the keyword.
std::vector<Item> Lex(std::string_view input, bool break_ok = true, bool continue_ok = true);

}  // namespace imgauto::gotemplate
