// Locates the value scalars of a YAML document stream in the original bytes. yaml-cpp's event
// parser validates the text and gives each node's mark; comments, quoting and exact byte ranges
// are then read from the raw text (yaml-cpp drops comments), so callers can splice new values
// in place (rewriter.h) and leave every other byte untouched.
//
//   Result<std::vector<LocatedDocument>> docs = LocateScalars(text);
//   if (!docs) { /* a "problem file" (§3.3): docs.error().message() says why */ }
//   for (const LocatedScalar& s : docs->front().scalars) { if (s.exact) { ... } }
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "setters/change_set.h"
#include "setters/rewriter.h"

namespace imgauto::setters {

// A scalar in value position: a mapping value or a sequence item (never a mapping key, never an
// alias). A plain `~`/`null` value on its own line counts as a plain scalar with that text.
struct LocatedScalar {
  std::size_t begin = 0;  // byte offset of the first character (opening quote included)
  std::size_t end = 0;    // one past the last character (closing quote included)
  // True when [begin, end) was verified to hold exactly this scalar (its text decodes to
  // `value`), so it may be replaced. False for block scalars, multi-line scalars and anything
  // the locator could not pin down; those are never edited.
  bool exact = false;
  ScalarStyle style = ScalarStyle::kPlain;
  bool in_flow = false;  // inside a flow collection ({...} or [...])
  std::string value;     // decoded value as yaml-cpp read it
  // The comment after the scalar on its line, from '#' to end of line ('\r' removed), or "".
  std::string line_comment;
  // The comment lines directly above the line where the entry starts (the key's line for
  // `key: value` when the key begins its line; the `- item` line for a sequence item), each
  // from its '#', joined with '\n'; "" when there are none.
  std::string head_comment;
  int line = 0;    // 0-based line of the node's mark
  int column = 0;  // 0-based column of the node's mark
};

// One document whose root is a mapping, with its identity and value scalars in document order.
struct LocatedDocument {
  ObjectId object;  // top-level apiVersion and kind, metadata.name and metadata.namespace
  std::vector<LocatedScalar> scalars;
};

// Parses `text` (UTF-8, LF or CRLF, any number of documents separated by `---`/`...`) and
// returns its non-empty documents. Errors (all kInvalidSpec) make the file a problem file:
// invalid UTF-8 or control characters, a `---` line followed by text other than a comment,
// malformed YAML (yaml-cpp's message), a duplicate mapping key, or a document whose root is not
// a mapping. Pure function; never throws.
Result<std::vector<LocatedDocument>> LocateScalars(std::string_view text);

}  // namespace imgauto::setters
