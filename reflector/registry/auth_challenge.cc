#include "reflector/registry/auth_challenge.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/strings.h"

namespace imgauto::reflector::registry {
namespace {

// RFC 7230 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// Characters accepted in a "word" position: tchar plus '/', which token68 allows.
bool IsWordChar(char c) { return IsTokenChar(c) || c == '/'; }

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view text) : text_(text) {}

  Result<std::vector<AuthChallenge>> Parse() {
    std::vector<AuthChallenge> challenges;
    // True right after "<scheme> " while the challenge has no parameter yet: a following word
    // not introducing a parameter is then a token68, not a new scheme.
    bool fresh = false;
    while (true) {
      SkipSpace();
      if (AtEnd()) {
        break;
      }
      if (Peek() == ',') {
        ++pos_;
        fresh = false;
        continue;
      }
      std::size_t word_start = pos_;
      std::string_view word = ReadWhile(IsWordChar);
      if (word.empty()) {
        return Fail("unexpected character at offset " + std::to_string(pos_));
      }
      bool had_space = SkipSpace() > 0;
      if (!AtEnd() && Peek() == '=') {
        if (challenges.empty()) {
          return Fail("parameter before any auth scheme at offset " + std::to_string(word_start));
        }
        std::size_t equals = 0;
        while (!AtEnd() && Peek() == '=') {
          ++pos_;
          ++equals;
        }
        SkipSpace();
        AuthChallenge& current = challenges.back();
        if (fresh && (equals > 1 || AtEnd() || Peek() == ',')) {
          current.token68 = std::string(word) + std::string(equals, '=');
          fresh = false;
          continue;
        }
        if (equals > 1) {
          return Fail("unexpected '=' at offset " + std::to_string(pos_ - 1));
        }
        Result<std::string> value = ReadValue();
        if (!value) {
          return value.error();
        }
        current.params.emplace(AsciiLower(word), std::move(*value));
        fresh = false;
        continue;
      }
      if (fresh) {
        challenges.back().token68 = std::string(word);
        fresh = false;
        continue;
      }
      AuthChallenge challenge;
      challenge.scheme = AsciiLower(word);
      challenges.push_back(std::move(challenge));
      fresh = had_space && !AtEnd() && Peek() != ',';
    }
    if (challenges.empty()) {
      return Fail("no challenge");
    }
    return challenges;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  std::size_t SkipSpace() {
    std::size_t start = pos_;
    while (!AtEnd() && IsSpace(Peek())) {
      ++pos_;
    }
    return pos_ - start;
  }

  template <typename Pred>
  std::string_view ReadWhile(Pred pred) {
    std::size_t start = pos_;
    while (!AtEnd() && pred(Peek())) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  // A quoted-string (backslash escapes any byte) or a bare value up to ',' or whitespace.
  Result<std::string> ReadValue() {
    if (AtEnd() || Peek() != '"') {
      std::string_view bare = ReadWhile([](char c) { return c != ',' && !IsSpace(c); });
      return std::string(bare);
    }
    std::size_t open = pos_;
    ++pos_;
    std::string value;
    while (!AtEnd()) {
      char c = Peek();
      ++pos_;
      if (c == '"') {
        return value;
      }
      if (c == '\\') {
        if (AtEnd()) {
          break;
        }
        c = Peek();
        ++pos_;
      }
      value.push_back(c);
    }
    return Fail("unterminated quoted string at offset " + std::to_string(open));
  }

  static Error Fail(const std::string& what) {
    return Error(ErrorKind::kTransient, "invalid WWW-Authenticate header: " + what);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string AuthChallenge::Param(std::string_view name) const {
  auto it = params.find(AsciiLower(name));
  return it == params.end() ? std::string() : it->second;
}

Result<std::vector<AuthChallenge>> ParseAuthChallenges(std::string_view header) {
  return ChallengeParser(header).Parse();
}

std::vector<AuthChallenge> ParseAuthChallengeHeaders(const std::vector<std::string>& headers) {
  std::vector<AuthChallenge> all;
  for (const std::string& header : headers) {
    Result<std::vector<AuthChallenge>> parsed = ParseAuthChallenges(header);
    if (!parsed) {
      continue;
    }
    for (AuthChallenge& challenge : *parsed) {
      all.push_back(std::move(challenge));
    }
  }
  return all;
}

const AuthChallenge* FindChallenge(const std::vector<AuthChallenge>& challenges,
                                   std::string_view scheme) {
  for (const AuthChallenge& challenge : challenges) {
    if (EqualsIgnoreCase(challenge.scheme, scheme)) {
      return &challenge;
    }
  }
  return nullptr;
}

}  // namespace imgauto::reflector::registry
