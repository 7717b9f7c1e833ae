#include "automation/template/lexer.h"

#include <algorithm>
#include <cstdio>

#include "automation/template/format.h"

namespace imgauto::gotemplate {
namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr size_t kTrimMarkerLen = 2;  // "-" plus one space
constexpr int32_t kEofRune = -1;

bool IsSpace(int32_t r) { return r == ' ' || r == '\t' || r == '\r' || r == '\n'; }

// Go's unicode.IsLetter/IsDigit, approximated: every non-ASCII rune counts as a letter.
bool IsAlphaNumeric(int32_t r) {
  return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
         r >= 0x80;
}

bool HasLeftTrimMarker(std::string_view s) { return s.size() >= 2 && s[0] == '-' && IsSpace(s[1]); }
bool HasRightTrimMarker(std::string_view s) {
  return s.size() >= 2 && IsSpace(s[0]) && s[1] == '-';
}

size_t RightTrimLength(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsSpace(s[s.size() - 1 - n])) {
    ++n;
  }
  return n;
}

size_t LeftTrimLength(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsSpace(s[n])) {
    ++n;
  }
  return n;
}

// fmt's %#U: "U+0023 '#'".
std::string RuneDescription(int32_t r) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(r < 0 ? 0xFFFD : r));
  std::string out = buf;
  if (r >= 0x20 && r != 0x7F && !(r >= 0x80 && r < 0xA0)) {
    out += " '";
    AppendRune(&out, r);
    out += "'";
  }
  return out;
}

ItemType KeywordType(std::string_view word) {
  static constexpr std::pair<std::string_view, ItemType> kKeywords[] = {
      {".", ItemType::kDot},
      {"block", ItemType::kBlock},
      {"break", ItemType::kBreak},
      {"continue", ItemType::kContinue},
      {"define", ItemType::kDefine},
      {"else", ItemType::kElse},
      {"end", ItemType::kEnd},
      {"if", ItemType::kIf},
      {"range", ItemType::kRange},
      {"nil", ItemType::kNil},
      {"template", ItemType::kTemplate},
      {"with", ItemType::kWith},
  };
  for (const auto& [name, type] : kKeywords) {
    if (name == word) {
      return type;
    }
  }
  return ItemType::kError;
}

class Lexer {
 public:
  Lexer(std::string_view input, bool break_ok, bool continue_ok)
      : in_(input), break_ok_(break_ok), continue_ok_(continue_ok) {}

  std::vector<Item> Run() {
    bool inside = false;
    while (!done_) {
      inside = inside ? LexInsideAction() : LexText();
    }
    return std::move(items_);
  }

 private:
  int32_t Peek() const {
    if (pos_ >= in_.size()) {
      return kEofRune;
    }
    size_t width = 0;
    return DecodeRune(in_, pos_, &width);
  }
  int32_t Next() {
    if (pos_ >= in_.size()) {
      last_width_ = 0;
      return kEofRune;
    }
    int32_t r = DecodeRune(in_, pos_, &last_width_);
    pos_ += last_width_;
    return r;
  }
  void Backup() { pos_ -= last_width_; }
  bool Accept(std::string_view valid) {
    if (pos_ < in_.size() && valid.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }
  Item ThisItem(ItemType type) const {
    return Item{type, start_, std::string(in_.substr(start_, pos_ - start_)), start_line_};
  }
  void Ignore() {
    start_line_ +=
        static_cast<int>(std::count(in_.begin() + static_cast<std::ptrdiff_t>(start_),
                                    in_.begin() + static_cast<std::ptrdiff_t>(pos_), '\n'));
    start_ = pos_;
  }
  void EmitItem(Item item) {
    items_.push_back(std::move(item));
    if (items_.back().type == ItemType::kEof) {
      done_ = true;
    }
  }
  void Emit(ItemType type) {
    EmitItem(ThisItem(type));
    Ignore();
  }
  // Emits an error item and stops lexing; returns the state to stay in (irrelevant).
  bool Errorf(std::string message) {
    items_.push_back(Item{ItemType::kError, start_, std::move(message), start_line_});
    done_ = true;
    return false;
  }
  // Reports whether the input at pos_ is a right delimiter, optionally trim-marked.
  bool AtRightDelim(bool* trim) const {
    std::string_view rest = in_.substr(pos_);
    if (HasRightTrimMarker(rest) && rest.substr(kTrimMarkerLen).substr(0, 2) == kRightDelim) {
      *trim = true;
      return true;
    }
    *trim = false;
    return rest.substr(0, 2) == kRightDelim;
  }
  bool AtTerminator() const {
    int32_t r = Peek();
    if (IsSpace(r)) {
      return true;
    }
    switch (r) {
      case kEofRune:
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        return in_.substr(pos_, kRightDelim.size()) == kRightDelim;
    }
  }

  bool LexText();
  bool LexLeftDelim();
  bool LexComment();
  bool LexRightDelim();
  bool LexInsideAction();
  bool LexSpace();
  bool LexIdentifier();
  bool LexFieldOrVariable(ItemType type);
  bool LexQuoted(char quote, bool raw, const char* unterminated);
  bool LexNumber();
  bool ScanNumber();

  std::string_view in_;
  bool break_ok_;
  bool continue_ok_;
  size_t pos_ = 0;
  size_t start_ = 0;
  int start_line_ = 1;
  size_t last_width_ = 0;
  int paren_depth_ = 0;
  bool done_ = false;
  std::vector<Item> items_;
};

// Each state returns true to continue inside an action, false to continue with text.
bool Lexer::LexText() {
  size_t x = in_.find(kLeftDelim, pos_);
  if (x == std::string_view::npos) {
    pos_ = in_.size();
    if (pos_ > start_) {
      Emit(ItemType::kText);
    }
    Emit(ItemType::kEof);
    return false;
  }
  if (x > pos_) {
    pos_ = x;
    size_t trim = 0;
    if (HasLeftTrimMarker(in_.substr(x + kLeftDelim.size()))) {
      trim = RightTrimLength(in_.substr(start_, pos_ - start_));
    }
    pos_ -= trim;
    Item item = ThisItem(ItemType::kText);
    pos_ += trim;
    Ignore();
    if (!item.val.empty()) {
      EmitItem(std::move(item));
    }
  }
  return LexLeftDelim();
}

bool Lexer::LexLeftDelim() {
  pos_ += kLeftDelim.size();
  bool trim = HasLeftTrimMarker(in_.substr(pos_));
  size_t after_marker = trim ? kTrimMarkerLen : 0;
  if (in_.substr(pos_ + after_marker).substr(0, 2) == kLeftComment) {
    pos_ += after_marker;
    Ignore();
    return LexComment();
  }
  Item item = ThisItem(ItemType::kLeftDelim);
  pos_ += after_marker;
  Ignore();
  paren_depth_ = 0;
  EmitItem(std::move(item));
  return true;
}

bool Lexer::LexComment() {
  pos_ += kLeftComment.size();
  size_t x = in_.find(kRightComment, pos_);
  if (x == std::string_view::npos) {
    return Errorf("unclosed comment");
  }
  pos_ = x + kRightComment.size();
  bool trim = false;
  if (!AtRightDelim(&trim)) {
    return Errorf("comment ends before closing delimiter");
  }
  if (trim) {
    pos_ += kTrimMarkerLen;
  }
  pos_ += kRightDelim.size();
  if (trim) {
    pos_ += LeftTrimLength(in_.substr(pos_));
  }
  Ignore();
  return false;
}

bool Lexer::LexRightDelim() {
  bool trim = false;
  AtRightDelim(&trim);
  if (trim) {
    pos_ += kTrimMarkerLen;
    Ignore();
  }
  pos_ += kRightDelim.size();
  Item item = ThisItem(ItemType::kRightDelim);
  if (trim) {
    pos_ += LeftTrimLength(in_.substr(pos_));
  }
  Ignore();
  EmitItem(std::move(item));
  return false;
}

bool Lexer::LexInsideAction() {
  bool trim = false;
  if (AtRightDelim(&trim)) {
    if (paren_depth_ == 0) {
      return LexRightDelim();
    }
    return Errorf("unclosed left paren");
  }
  int32_t r = Next();
  if (r == kEofRune) {
    return Errorf("unclosed action");
  }
  if (IsSpace(r)) {
    Backup();
    return LexSpace();
  }
  switch (r) {
    case '=':
      Emit(ItemType::kAssign);
      return true;
    case ':':
      if (Next() != '=') {
        return Errorf("expected :=");
      }
      Emit(ItemType::kDeclare);
      return true;
    case '|':
      Emit(ItemType::kPipe);
      return true;
    case '"':
      return LexQuoted('"', false, "unterminated quoted string");
    case '`':
      return LexQuoted('`', true, "unterminated raw quoted string");
    case '\'':
      return LexQuoted('\'', false, "unterminated character constant");
    case '$':
      return LexFieldOrVariable(ItemType::kVariable);
    case '.':
      if (pos_ < in_.size() && (in_[pos_] < '0' || in_[pos_] > '9')) {
        return LexFieldOrVariable(ItemType::kField);
      }
      Backup();
      return LexNumber();
    case '(':
      Emit(ItemType::kLeftParen);
      ++paren_depth_;
      return true;
    case ')':
      Emit(ItemType::kRightParen);
      --paren_depth_;
      if (paren_depth_ < 0) {
        return Errorf("unexpected right paren");
      }
      return true;
    default:
      break;
  }
  if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
    Backup();
    return LexNumber();
  }
  if (IsAlphaNumeric(r)) {
    Backup();
    return LexIdentifier();
  }
  if (r < 0x80 && r >= 0x20 && r != 0x7F) {
    Emit(ItemType::kChar);
    return true;
  }
  return Errorf("unrecognized character in action: " + RuneDescription(r));
}

bool Lexer::LexSpace() {
  int spaces = 0;
  while (IsSpace(Peek())) {
    Next();
    ++spaces;
  }
  // A trim-marked right delimiter starts with a space: leave that space to it.
  std::string_view from_last = in_.substr(pos_ - 1);
  if (HasRightTrimMarker(from_last) &&
      from_last.substr(kTrimMarkerLen).substr(0, 2) == kRightDelim) {
    --pos_;
    if (spaces == 1) {
      return true;
    }
  }
  Emit(ItemType::kSpace);
  return true;
}

bool Lexer::LexIdentifier() {
  int32_t r = 0;
  while (true) {
    r = Next();
    if (!IsAlphaNumeric(r)) {
      Backup();
      break;
    }
  }
  if (!AtTerminator()) {
    return Errorf("bad character " + RuneDescription(Peek()));
  }
  std::string_view word = in_.substr(start_, pos_ - start_);
  ItemType keyword = KeywordType(word);
  if (keyword != ItemType::kError) {
    if ((keyword == ItemType::kBreak && !break_ok_) ||
        (keyword == ItemType::kContinue && !continue_ok_)) {
      Emit(ItemType::kIdentifier);
    } else {
      Emit(keyword);
    }
  } else if (word == "true" || word == "false") {
    Emit(ItemType::kBool);
  } else {
    Emit(ItemType::kIdentifier);
  }
  return true;
}

bool Lexer::LexFieldOrVariable(ItemType type) {
  if (AtTerminator()) {
    Emit(type == ItemType::kVariable ? ItemType::kVariable : ItemType::kDot);
    return true;
  }
  while (true) {
    int32_t r = Next();
    if (!IsAlphaNumeric(r)) {
      Backup();
      break;
    }
  }
  if (!AtTerminator()) {
    return Errorf("bad character " + RuneDescription(Peek()));
  }
  Emit(type);
  return true;
}

bool Lexer::LexQuoted(char quote, bool raw, const char* unterminated) {
  while (true) {
    int32_t r = Next();
    if (r == kEofRune || (!raw && r == '\n')) {
      return Errorf(unterminated);
    }
    if (!raw && r == '\\') {
      r = Next();
      if (r == kEofRune || r == '\n') {
        return Errorf(unterminated);
      }
      continue;
    }
    if (r == quote) {
      break;
    }
  }
  Emit(quote == '"' ? ItemType::kString
                    : (quote == '`' ? ItemType::kRawString : ItemType::kCharConstant));
  return true;
}

bool Lexer::ScanNumber() {
  Accept("+-");
  std::string_view digits = "0123456789_";
  if (Accept("0")) {
    if (Accept("xX")) {
      digits = "0123456789abcdefABCDEF_";
    } else if (Accept("oO")) {
      digits = "01234567_";
    } else if (Accept("bB")) {
      digits = "01_";
    }
  }
  AcceptRun(digits);
  if (Accept(".")) {
    AcceptRun(digits);
  }
  if (digits.size() == 11 && Accept("eE")) {
    Accept("+-");
    AcceptRun("0123456789_");
  }
  if (digits.size() == 23 && Accept("pP")) {
    Accept("+-");
    AcceptRun("0123456789_");
  }
  Accept("i");
  if (IsAlphaNumeric(Peek())) {
    Next();
    return false;
  }
  return true;
}

bool Lexer::LexNumber() {
  if (!ScanNumber()) {
    return Errorf("bad number syntax: " + QuoteString(in_.substr(start_, pos_ - start_)));
  }
  int32_t sign = Peek();
  if (sign == '+' || sign == '-') {
    if (!ScanNumber() || in_[pos_ - 1] != 'i') {
      return Errorf("bad number syntax: " + QuoteString(in_.substr(start_, pos_ - start_)));
    }
    Emit(ItemType::kComplex);
    return true;
  }
  Emit(ItemType::kNumber);
  return true;
}

}  // namespace

std::string ItemString(const Item& item) {
  if (item.type == ItemType::kEof) {
    return "EOF";
  }
  if (item.type == ItemType::kError) {
    return item.val;
  }
  if (item.IsKeyword()) {
    return "<" + item.val + ">";
  }
  if (RuneCount(item.val) > 10) {
    size_t pos = 0;
    for (int n = 0; n < 10; ++n) {
      size_t width = 0;
      DecodeRune(item.val, pos, &width);
      pos += width;
    }
    return QuoteString(std::string_view(item.val).substr(0, pos)) + "...";
  }
  return QuoteString(item.val);
}

std::vector<Item> Lex(std::string_view input, bool break_ok, bool continue_ok) {
  return Lexer(input, break_ok, continue_ok).Run();
}

}  // namespace imgauto::gotemplate
