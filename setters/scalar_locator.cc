#include "setters/scalar_locator.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cstdint>
#include <istream>
#include <optional>
#include <streambuf>
#include <unordered_set>
#include <utility>

namespace imgauto::setters {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsBreak(char c) { return c == '\n' || c == '\r'; }
bool IsFlowIndicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

// Returns the offset of the first byte of the line holding `pos`.
std::size_t LineStart(std::string_view text, std::size_t pos) {
  if (pos == 0) {
    return 0;
  }
  const std::size_t nl = text.rfind('\n', pos - 1);
  return nl == std::string_view::npos ? 0 : nl + 1;
}

void AppendUtf8(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Rejects what go-yaml's reader rejects: invalid UTF-8 and characters outside
// #x9 | #xA | #xD | [#x20-#x7E] | #x85 | [#xA0-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
std::optional<std::string> CheckCharacters(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = bytes[i];
    std::uint32_t cp = 0;
    std::size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if (c >= 0xC2 && c <= 0xDF) {
      cp = c & 0x1F;
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      cp = c & 0x0F;
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      cp = c & 0x07;
      len = 4;
    } else {
      return "invalid UTF-8 at byte " + std::to_string(i);
    }
    if (i + len > n) {
      return "invalid UTF-8 at byte " + std::to_string(i);
    }
    for (std::size_t k = 1; k < len; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) {
        return "invalid UTF-8 at byte " + std::to_string(i);
      }
      cp = (cp << 6) | (bytes[i + k] & 0x3F);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return "invalid UTF-8 at byte " + std::to_string(i);
    }
    const bool allowed = cp == 0x09 || cp == 0x0A || cp == 0x0D || (cp >= 0x20 && cp <= 0x7E) ||
                         cp == 0x85 || (cp >= 0xA0 && cp <= 0xFFFD) || cp >= 0x10000;
    if (!allowed) {
      return "control characters are not allowed (byte " + std::to_string(i) + ")";
    }
    i += len;
  }
  return std::nullopt;
}

// A line starting with "---" must continue with nothing but blanks or a comment (§3.4).
std::optional<std::string> CheckSeparators(std::string_view text) {
  std::size_t line = 1;
  for (std::size_t start = 0; start < text.size(); ++line) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view content = text.substr(start, end - start);
    if (content.substr(0, 3) == "---") {
      std::string_view rest = content.substr(3);
      while (!rest.empty() && (IsBlank(rest.front()) || rest.front() == '\r')) {
        rest.remove_prefix(1);
      }
      if (!rest.empty() && rest.front() != '#') {
        return "invalid document separator at line " + std::to_string(line);
      }
    }
    start = end + 1;
  }
  return std::nullopt;
}

// True when `prefix` (the text before an entry on its line) is blanks, or, with `allow_dash`,
// blanks, one '-' and blanks: then comment lines above belong to this entry.
bool IsEntryPrefix(std::string_view prefix, bool allow_dash) {
  std::size_t i = 0;
  while (i < prefix.size() && IsBlank(prefix[i])) {
    ++i;
  }
  if (i == prefix.size()) {
    return true;
  }
  if (!allow_dash || prefix[i] != '-' || i + 1 == prefix.size() || !IsBlank(prefix[i + 1])) {
    return false;
  }
  for (++i; i < prefix.size(); ++i) {
    if (!IsBlank(prefix[i])) {
      return false;
    }
  }
  return true;
}

// Collects the comment-only lines directly above `line_start` (stopping at a blank or content
// line). Lines that are really the content of an earlier multi-line scalar — before `prev_end`,
// or indented like the preceding block scalar's content — are not comments.
std::string CommentLinesAbove(std::string_view text, std::size_t line_start, std::size_t prev_end,
                              std::optional<int> prev_block_indent) {
  std::vector<std::string_view> lines;
  std::size_t cur = line_start;
  while (cur > 0) {
    const std::size_t newline = cur - 1;
    const std::size_t start = LineStart(text, newline);
    std::string_view line = text.substr(start, newline - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (start == 0 && line.substr(0, 3) == "\xEF\xBB\xBF") {
      line.remove_prefix(3);
    }
    std::size_t indent = 0;
    while (indent < line.size() && IsBlank(line[indent])) {
      ++indent;
    }
    if (indent == line.size() || line[indent] != '#' || start < prev_end ||
        (prev_block_indent && static_cast<int>(indent) >= *prev_block_indent)) {
      break;
    }
    lines.push_back(line.substr(indent));
    cur = start;
  }
  std::string out;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!out.empty()) {
      out.push_back('\n');
    }
    out.append(*it);
  }
  return out;
}

// Skips node properties (&anchor, !tag, !<verbatim>) and the blanks, comments and line breaks
// that may follow them; returns the offset of the node's content.
std::size_t SkipProperties(std::string_view text, std::size_t pos) {
  const std::size_t n = text.size();
  std::size_t p = pos;
  while (true) {
    while (p < n && IsBlank(text[p])) {
      ++p;
    }
    if (p >= n || (text[p] != '&' && text[p] != '!')) {
      return p;
    }
    if (text.substr(p, 2) == "!<") {
      const std::size_t close = text.find('>', p);
      p = close == std::string_view::npos ? n : close + 1;
    } else {
      while (p < n && !IsBlank(text[p]) && !IsBreak(text[p]) && !IsFlowIndicator(text[p])) {
        ++p;
      }
    }
    while (p < n) {
      if (IsBlank(text[p]) || IsBreak(text[p])) {
        ++p;
      } else if (text[p] == '#') {
        while (p < n && text[p] != '\n') {
          ++p;
        }
      } else {
        break;
      }
    }
  }
}

// Returns one past the last character of a single-line plain scalar starting at `start`.
std::size_t PlainEnd(std::string_view text, std::size_t start, bool in_flow) {
  const std::size_t n = text.size();
  std::size_t p = start;
  for (; p < n; ++p) {
    const char c = text[p];
    if (IsBreak(c) || (c == '#' && p > start && IsBlank(text[p - 1])) ||
        (in_flow && IsFlowIndicator(c))) {
      break;
    }
    if (c == ':' && (p + 1 >= n || IsBlank(text[p + 1]) || IsBreak(text[p + 1]) ||
                     (in_flow && IsFlowIndicator(text[p + 1])))) {
      break;
    }
  }
  while (p > start && IsBlank(text[p - 1])) {
    --p;
  }
  return p;
}

// Returns the offset of the closing quote of the quoted scalar opening at `start`, or npos.
std::size_t QuoteEnd(std::string_view text, std::size_t start) {
  const char quote = text[start];
  for (std::size_t p = start + 1; p < text.size(); ++p) {
    if (quote == '"' && text[p] == '\\') {
      ++p;
    } else if (text[p] == quote) {
      if (quote == '\'' && p + 1 < text.size() && text[p + 1] == '\'') {
        ++p;
      } else {
        return p;
      }
    }
  }
  return std::string_view::npos;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
    return (c | 0x20) - 'a' + 10;
  }
  return -1;
}

// Decodes the body of a single-line double-quoted scalar; nullopt on an unknown escape.
std::optional<std::string> DecodeDoubleQuoted(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out.push_back(raw[i]);
      continue;
    }
    if (++i >= raw.size()) {
      return std::nullopt;
    }
    static constexpr std::string_view kFrom = "0abt\tnvfre \"/\\";
    static constexpr std::string_view kTo("\0\a\b\t\t\n\v\f\r\x1b \"/\\", 14);
    const char e = raw[i];
    if (const std::size_t k = kFrom.find(e); k != std::string_view::npos) {
      out.push_back(kTo[k]);
      continue;
    }
    std::size_t digits = 0;
    std::uint32_t cp = 0;
    switch (e) {
      case 'N':
        cp = 0x85;
        break;
      case '_':
        cp = 0xA0;
        break;
      case 'L':
        cp = 0x2028;
        break;
      case 'P':
        cp = 0x2029;
        break;
      case 'x':
        digits = 2;
        break;
      case 'u':
        digits = 4;
        break;
      case 'U':
        digits = 8;
        break;
      default:
        return std::nullopt;
    }
    for (std::size_t k = 0; k < digits; ++k) {
      const int v = ++i < raw.size() ? HexDigit(raw[i]) : -1;
      if (v < 0) {
        return std::nullopt;
      }
      cp = cp * 16 + static_cast<std::uint32_t>(v);
    }
    if (cp > 0x10FFFF) {
      return std::nullopt;
    }
    AppendUtf8(cp, out);
  }
  return out;
}

// Returns the indentation of the first non-blank line after a block scalar header at `start`.
std::optional<int> BlockContentIndent(std::string_view text, std::size_t start) {
  std::size_t p = text.find('\n', start);
  while (p != std::string_view::npos && p + 1 < text.size()) {
    std::size_t q = p + 1;
    while (q < text.size() && text[q] == ' ') {
      ++q;
    }
    if (q < text.size() && !IsBreak(text[q])) {
      return static_cast<int>(q - p - 1);
    }
    p = text.find('\n', q);
  }
  return std::nullopt;
}

struct ScanResult {
  ScalarStyle style = ScalarStyle::kPlain;
  std::size_t end = 0;
  bool exact = false;
  std::optional<int> block_indent;
};

// Determines the style and extent of the scalar whose content starts at `start`, and whether
// the extent provably holds `value` (single-line scalars only).
ScanResult ScanScalar(std::string_view text, std::size_t start, const std::string& value,
                      const std::string& tag, bool in_flow) {
  ScanResult r;
  r.end = start;
  if (start >= text.size()) {
    return r;
  }
  const char c = text[start];
  if (c == '\'' || c == '"') {
    r.style = c == '\'' ? ScalarStyle::kSingleQuoted : ScalarStyle::kDoubleQuoted;
    const std::size_t close = QuoteEnd(text, start);
    if (close == std::string_view::npos) {
      return r;
    }
    r.end = close + 1;
    const std::string_view raw = text.substr(start + 1, close - start - 1);
    if (raw.find_first_of("\r\n") != std::string_view::npos || tag == "?") {
      return r;
    }
    std::optional<std::string> decoded;
    if (c == '"') {
      decoded = DecodeDoubleQuoted(raw);
    } else {
      decoded.emplace();
      for (std::size_t i = 0; i < raw.size(); ++i) {
        decoded->push_back(raw[i]);
        i += raw[i] == '\'' ? 1 : 0;
      }
    }
    r.exact = decoded && *decoded == value;
    return r;
  }
  if (c == '|' || c == '>') {
    r.style = c == '|' ? ScalarStyle::kLiteral : ScalarStyle::kFolded;
    r.block_indent = BlockContentIndent(text, start);
    return r;
  }
  r.end = PlainEnd(text, start, in_flow);
  // An empty plain scalar has no bytes to replace (and its "start" may be the next token).
  r.exact = r.end > start && tag != "!" && text.substr(start, r.end - start) == value;
  return r;
}

// Returns the comment after `end` on the same line ("# ..."), or "" when there is none.
std::string LineCommentAfter(std::string_view text, std::size_t end) {
  std::size_t p = end;
  while (p < text.size() && IsBlank(text[p])) {
    ++p;
  }
  if (p == end || p >= text.size() || text[p] != '#') {
    return "";
  }
  std::size_t eol = text.find('\n', p);
  if (eol == std::string_view::npos) {
    eol = text.size();
  }
  if (eol > p && text[eol - 1] == '\r') {
    --eol;
  }
  return std::string(text.substr(p, eol - p));
}

// Read-only std::streambuf over a string_view, so yaml-cpp reads the text without a copy.
class ViewStreamBuf : public std::streambuf {
 public:
  explicit ViewStreamBuf(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // the get area is never written
    setg(begin, begin, begin + text.size());
  }
};

// Thrown by the handler to stop parsing a problem file; never leaves this file.
struct ProblemFound {
  std::string reason;
};

enum class Role { kRoot, kKey, kValue, kItem };

struct Frame {
  bool is_map = false;
  bool flow = false;
  bool expect_key = true;
  std::string key;           // the current entry's key (scalar keys only)
  std::size_t key_pos = 0;   // byte offset of the current key's mark
  std::string head_comment;  // head comment of the current key, when it begins its line
  std::unordered_set<std::string> seen_keys;
};

class LocatingHandler : public YAML::EventHandler {
 public:
  LocatingHandler(std::string_view text, std::size_t base) : text_(text), base_(base) {}

  std::vector<LocatedDocument> TakeDocuments() { return std::move(docs_); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp 0.7 can report the same empty document forever on a stray token (",\n"):
    // a document starting where the previous one did means the parser made no progress.
    if (started_ && mark.pos == last_start_) {
      throw ProblemFound{"invalid YAML: unexpected content at line " +
                         std::to_string(mark.line + 1)};
    }
    started_ = true;
    last_start_ = mark.pos;
    stack_.clear();
    doc_ = LocatedDocument{};
    has_root_map_ = false;
    prev_end_ = 0;
    prev_block_indent_.reset();
  }

  void OnDocumentEnd() override {
    if (has_root_map_) {
      docs_.push_back(std::move(doc_));
    }
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override {
    const Role role = BeginNode();
    if (role == Role::kKey) {
      Frame& frame = stack_.back();
      frame.key.clear();
      frame.key_pos = Offset(mark);
      frame.head_comment.clear();
    } else if (role == Role::kValue || role == Role::kItem) {
      LocateNullWord(mark, role);
    }
    ResetPrevious();
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override {
    if (BeginNode() == Role::kKey) {
      Frame& frame = stack_.back();
      frame.key.clear();
      frame.key_pos = Offset(mark);
      frame.head_comment.clear();
    }
    ResetPrevious();
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t /*anchor*/,
                const std::string& value) override {
    const Role role = BeginNode();
    switch (role) {
      case Role::kRoot:
        throw ProblemFound{"document root is not a mapping (scalar at line " +
                           std::to_string(mark.line + 1) + ")"};
      case Role::kKey:
        RecordKey(mark, value);
        ResetPrevious();
        return;
      case Role::kValue:
      case Role::kItem:
        RecordIdentity(value);
        LocateValue(mark, tag, value, role);
        return;
    }
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value style) override {
    if (BeginNode() == Role::kRoot) {
      throw ProblemFound{"document root is not a mapping (sequence at line " +
                         std::to_string(mark.line + 1) + ")"};
    }
    Push(false, style);
  }

  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value style) override {
    if (BeginNode() == Role::kRoot) {
      has_root_map_ = true;
    }
    Push(true, style);
  }

  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapEnd() override { stack_.pop_back(); }

 private:
  std::size_t Offset(const YAML::Mark& mark) const {
    return mark.pos < 0 ? text_.size() : std::min(text_.size(), base_ + mark.pos);
  }

  bool InFlow() const { return !stack_.empty() && stack_.back().flow; }

  Role BeginNode() {
    if (stack_.empty()) {
      return Role::kRoot;
    }
    Frame& frame = stack_.back();
    if (!frame.is_map) {
      return Role::kItem;
    }
    frame.expect_key = !frame.expect_key;
    return frame.expect_key ? Role::kValue : Role::kKey;
  }

  void Push(bool is_map, YAML::EmitterStyle::value style) {
    Frame frame;
    frame.is_map = is_map;
    frame.flow = InFlow() || style == YAML::EmitterStyle::Flow;
    stack_.push_back(std::move(frame));
  }

  void ResetPrevious() { prev_block_indent_.reset(); }

  void RecordKey(const YAML::Mark& mark, const std::string& value) {
    Frame& frame = stack_.back();
    if (!frame.seen_keys.insert(value).second && value != "<<") {
      throw ProblemFound{"mapping key \"" + value + "\" already defined (line " +
                         std::to_string(mark.line + 1) + ")"};
    }
    frame.key = value;
    frame.key_pos = Offset(mark);
    frame.head_comment = HeadCommentAt(frame.key_pos, /*allow_dash=*/false);
  }

  void RecordIdentity(const std::string& value) {
    const std::string& key = stack_.back().key;
    if (stack_.size() == 1) {
      if (key == "apiVersion") {
        doc_.object.api_version = value;
      } else if (key == "kind") {
        doc_.object.kind = value;
      }
    } else if (stack_.size() == 2 && stack_[0].key == "metadata" && stack_[1].is_map) {
      if (key == "name") {
        doc_.object.name = value;
      } else if (key == "namespace") {
        doc_.object.ns = value;
      }
    }
  }

  // Returns the comment lines directly above the line holding `pos`, provided only blanks
  // (and, for sequence items, one "- ") precede `pos` on its line.
  std::string HeadCommentAt(std::size_t pos, bool allow_dash) const {
    const std::size_t line_start = LineStart(text_, pos);
    if (!IsEntryPrefix(text_.substr(line_start, pos - line_start), allow_dash)) {
      return "";
    }
    return CommentLinesAbove(text_, line_start, prev_end_, prev_block_indent_);
  }

  void LocateValue(const YAML::Mark& mark, const std::string& tag, const std::string& value,
                   Role role) {
    LocatedScalar scalar;
    scalar.line = mark.line;
    scalar.column = mark.column;
    scalar.value = value;
    scalar.in_flow = InFlow();
    scalar.head_comment =
        role == Role::kValue ? stack_.back().head_comment : HeadCommentAt(Offset(mark), true);
    const std::size_t start = SkipProperties(text_, Offset(mark));
    const ScanResult scan = ScanScalar(text_, start, value, tag, scalar.in_flow);
    scalar.style = scan.style;
    scalar.begin = start;
    scalar.end = scan.end;
    scalar.exact = scan.exact;
    if (scan.exact) {
      scalar.line_comment = LineCommentAfter(text_, scan.end);
    }
    prev_block_indent_ = scan.block_indent;
    if (scan.end > prev_end_) {
      prev_end_ = scan.end;
    }
    doc_.scalars.push_back(std::move(scalar));
  }

  // A plain `~`/`null` value is a null event; it is a target when written on the entry's line.
  void LocateNullWord(const YAML::Mark& mark, Role role) {
    const std::size_t start = SkipProperties(text_, Offset(mark));
    const std::size_t entry = role == Role::kValue ? stack_.back().key_pos : Offset(mark);
    if (start >= text_.size() || start < entry ||
        text_.substr(entry, start - entry).find('\n') != std::string_view::npos) {
      return;
    }
    const std::size_t end = PlainEnd(text_, start, InFlow());
    const std::string_view word = text_.substr(start, end - start);
    if (word != "~" && word != "null" && word != "Null" && word != "NULL") {
      return;
    }
    LocatedScalar scalar;
    scalar.begin = start;
    scalar.end = end;
    scalar.exact = true;
    scalar.value = std::string(word);
    scalar.in_flow = InFlow();
    scalar.line = mark.line;
    scalar.column = mark.column;
    scalar.line_comment = LineCommentAfter(text_, end);
    scalar.head_comment =
        role == Role::kValue ? stack_.back().head_comment : HeadCommentAt(Offset(mark), true);
    prev_end_ = std::max(prev_end_, end);
    doc_.scalars.push_back(std::move(scalar));
  }

  std::string_view text_;
  std::size_t base_;
  bool started_ = false;
  int last_start_ = 0;
  std::vector<LocatedDocument> docs_;
  LocatedDocument doc_;
  bool has_root_map_ = false;
  std::vector<Frame> stack_;
  std::size_t prev_end_ = 0;              // end of the furthest scalar seen in this document
  std::optional<int> prev_block_indent_;  // content indent when the last node was a block
};

}  // namespace

Result<std::vector<LocatedDocument>> LocateScalars(std::string_view text) {
  if (std::optional<std::string> reason = CheckCharacters(text)) {
    return Error(ErrorKind::kInvalidSpec, *reason);
  }
  if (std::optional<std::string> reason = CheckSeparators(text)) {
    return Error(ErrorKind::kInvalidSpec, *reason);
  }
  const std::size_t base = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  ViewStreamBuf buffer(text);
  std::istream input(&buffer);
  LocatingHandler handler(text, base);
  try {
    YAML::Parser parser(input);
    while (parser.HandleNextDocument(handler)) {
    }
  } catch (const YAML::Exception& e) {
    return Error(ErrorKind::kInvalidSpec, std::string("invalid YAML: ") + e.what());
  } catch (const ProblemFound& problem) {
    return Error(ErrorKind::kInvalidSpec, problem.reason);
  }
  return handler.TakeDocuments();
}

}  // namespace imgauto::setters
