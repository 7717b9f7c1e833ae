#include "setters/marker.h"

#include <cstdint>

#include "core/strings.h"

namespace imgauto::setters {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

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

// A cursor over the JSON text; every method returns false on a syntax error.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && IsJsonSpace(text_[pos_])) {
      ++pos_;
    }
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool ConsumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }
  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  bool ReadHex4(std::uint32_t& out) {
    if (pos_ + 4 > text_.size()) {
      return false;
    }
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const int v = HexDigitValue(text_[pos_++]);
      if (v < 0) {
        return false;
      }
      out = out * 16 + static_cast<std::uint32_t>(v);
    }
    return true;
  }

  // Reads a JSON string (the cursor is on the opening quote) and decodes it into `out`.
  bool ReadString(std::string& out) {
    if (!Consume('"')) {
      return false;
    }
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return false;
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) {
        return false;
      }
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u':
          if (!ReadEscapedCodePoint(out)) {
            return false;
          }
          break;
        default:
          return false;
      }
    }
    return false;
  }

 private:
  // Decodes "XXXX" (after "\u"), pairing surrogates; lone surrogates become U+FFFD like Go.
  bool ReadEscapedCodePoint(std::string& out) {
    std::uint32_t cp = 0;
    if (!ReadHex4(cp)) {
      return false;
    }
    if (cp >= 0xD800 && cp < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
      const std::size_t saved = pos_;
      pos_ += 2;
      std::uint32_t low = 0;
      if (!ReadHex4(low)) {
        return false;
      }
      if (low >= 0xDC00 && low < 0xE000) {
        AppendUtf8(0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00), out);
        return true;
      }
      pos_ = saved;  // the second escape is decoded on its own
    }
    if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD;
    }
    AppendUtf8(cp, out);
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::map<std::string, std::string>> ParseStringObject(std::string_view json) {
  JsonReader reader(json);
  std::map<std::string, std::string> out;
  reader.SkipSpace();
  if (!reader.Consume('{')) {
    return std::nullopt;
  }
  reader.SkipSpace();
  if (!reader.Consume('}')) {
    while (true) {
      reader.SkipSpace();
      std::string key;
      if (!reader.ReadString(key)) {
        return std::nullopt;
      }
      reader.SkipSpace();
      if (!reader.Consume(':')) {
        return std::nullopt;
      }
      reader.SkipSpace();
      std::string value;
      if (reader.Peek('"')) {
        if (!reader.ReadString(value)) {
          return std::nullopt;
        }
      } else if (!reader.ConsumeWord("null")) {
        return std::nullopt;
      }
      out[std::move(key)] = std::move(value);
      reader.SkipSpace();
      if (reader.Consume('}')) {
        break;
      }
      if (!reader.Consume(',')) {
        return std::nullopt;
      }
    }
  }
  reader.SkipSpace();
  if (!reader.AtEnd()) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> ParseMarker(std::string_view comment) {
  const std::size_t start = comment.find_first_not_of('#');
  if (start == std::string_view::npos) {
    return std::nullopt;
  }
  const std::optional<std::map<std::string, std::string>> object =
      ParseStringObject(comment.substr(start));
  if (!object) {
    return std::nullopt;
  }
  if (const auto it = object->find(std::string(kMarkerKey)); it != object->end()) {
    if (it->second.empty()) {
      return std::nullopt;
    }
    return it->second;
  }
  if (const auto it = object->find("$ref"); it != object->end()) {
    const std::string_view ref = it->second;
    if (ref.size() > kLegacyRefPrefix.size() &&
        ref.substr(0, kLegacyRefPrefix.size()) == kLegacyRefPrefix) {
      return std::string(ref.substr(kLegacyRefPrefix.size()));
    }
  }
  return std::nullopt;
}

std::optional<std::string> SelectMarker(std::string_view line_comment,
                                        std::string_view head_comment) {
  if (!line_comment.empty()) {
    return ParseMarker(line_comment);
  }
  if (!head_comment.empty()) {
    return ParseMarker(head_comment);
  }
  return std::nullopt;
}

}  // namespace imgauto::setters
