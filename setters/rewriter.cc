#include "setters/rewriter.h"

#include <algorithm>
#include <cstdio>

#include "setters/yaml11.h"

namespace imgauto::setters {
namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

bool HasControl(std::string_view value) {
  return std::any_of(value.begin(), value.end(),
                     [](char c) { return IsControl(static_cast<unsigned char>(c)); });
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string_view ScalarStyleName(ScalarStyle style) {
  switch (style) {
    case ScalarStyle::kPlain:
      return "plain";
    case ScalarStyle::kSingleQuoted:
      return "single";
    case ScalarStyle::kDoubleQuoted:
      return "double";
    case ScalarStyle::kLiteral:
      return "literal";
    case ScalarStyle::kFolded:
      return "folded";
  }
  return "unknown";
}

Result<std::string> ApplyEdits(std::string_view text, std::vector<Edit> edits) {
  std::stable_sort(edits.begin(), edits.end(),
                   [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out;
  std::size_t growth = 0;
  for (const Edit& edit : edits) {
    growth += edit.replacement.size();
  }
  out.reserve(text.size() + growth);
  std::size_t copied = 0;
  for (const Edit& edit : edits) {
    if (edit.begin > edit.end || edit.end > text.size()) {
      return Error(ErrorKind::kInternal,
                   "edit [" + std::to_string(edit.begin) + ", " + std::to_string(edit.end) +
                       ") is outside the text of " + std::to_string(text.size()) + " bytes");
    }
    if (edit.begin < copied) {
      return Error(ErrorKind::kInternal,
                   "edit at byte " + std::to_string(edit.begin) + " overlaps a previous edit");
    }
    out.append(text.substr(copied, edit.begin - copied));
    out.append(edit.replacement);
    copied = edit.end;
  }
  out.append(text.substr(copied));
  return out;
}

bool NeedsQuotingForSyntax(std::string_view value, bool in_flow) {
  if (value.empty() || IsBlank(value.front()) || IsBlank(value.back()) || HasControl(value)) {
    return true;
  }
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(value.front()) != std::string_view::npos) {
    return true;
  }
  if (value.substr(0, 3) == "---" || value.substr(0, 3) == "...") {
    return true;
  }
  if (value.back() == ':' || value.find(": ") != std::string_view::npos ||
      value.find(":\t") != std::string_view::npos || value.find(" #") != std::string_view::npos ||
      value.find("\t#") != std::string_view::npos) {
    return true;
  }
  if (in_flow && value.find_first_of(",[]{}") != std::string_view::npos) {
    return true;
  }
  // U+FEFF (BOM) or U+0085/U+2028/U+2029 line separators would not survive as plain text.
  static constexpr std::string_view kAwkward[] = {"\xEF\xBB\xBF", "\xC2\x85", "\xE2\x80\xA8",
                                                  "\xE2\x80\xA9"};
  return std::any_of(std::begin(kAwkward), std::end(kAwkward), [&](std::string_view seq) {
    return value.find(seq) != std::string_view::npos;
  });
}

std::string DoubleQuote(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('"');
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (IsControl(u)) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02X", u);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string SingleQuote(std::string_view value) {
  if (HasControl(value)) {
    return DoubleQuote(value);
  }
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('\'');
  for (char c : value) {
    out.push_back(c);
    if (c == '\'') {
      out.push_back('\'');
    }
  }
  out.push_back('\'');
  return out;
}

std::string RenderScalar(std::string_view value, ScalarStyle original, bool in_flow) {
  switch (original) {
    case ScalarStyle::kSingleQuoted:
      return SingleQuote(value);
    case ScalarStyle::kPlain:
      if (!NeedsQuotingForSyntax(value, in_flow) && !IsYaml11NonString(value)) {
        return std::string(value);
      }
      return DoubleQuote(value);
    case ScalarStyle::kDoubleQuoted:
    case ScalarStyle::kLiteral:
    case ScalarStyle::kFolded:
      break;
  }
  return DoubleQuote(value);
}

}  // namespace imgauto::setters
