#include "core/redact.h"

#include <array>
#include <cctype>

#include "core/strings.h"

namespace imgauto {
namespace {

constexpr std::string_view kMask = "***";

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/' || c == '.' ||
         c == '_' || c == '~' || c == '-';
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// scheme://user:pass@host → scheme://***@host
std::string RedactUrlUserinfo(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t scheme_end = text.find("://", pos);
    if (scheme_end == std::string_view::npos) {
      out.append(text.substr(pos));
      return out;
    }
    const std::size_t authority = scheme_end + 3;
    std::size_t end = authority;
    while (end < text.size() && text[end] != '/' && text[end] != ' ' && text[end] != '"' &&
           text[end] != '\'' && text[end] != '\n' && text[end] != '?' && text[end] != '#') {
      ++end;
    }
    const std::size_t at = text.substr(authority, end - authority).rfind('@');
    out.append(text.substr(pos, authority - pos));
    if (at != std::string_view::npos) {
      out.append(kMask);
      out.append(text.substr(authority + at, end - authority - at));
    } else {
      out.append(text.substr(authority, end - authority));
    }
    pos = end;
  }
}

// "Basic dXNlcjpwYXNz" / "Bearer eyJ…" → "Basic ***" / "Bearer ***"
std::string RedactAuthSchemes(std::string_view text) {
  static constexpr std::array<std::string_view, 2> kSchemes = {"basic ", "bearer "};
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    for (std::string_view scheme : kSchemes) {
      if (i + scheme.size() <= text.size() &&
          EqualsIgnoreCase(text.substr(i, scheme.size()), scheme) &&
          (i == 0 || !IsWordChar(text[i - 1]))) {
        std::size_t j = i + scheme.size();
        const std::size_t token_start = j;
        while (j < text.size() && IsTokenChar(text[j])) {
          ++j;
        }
        std::size_t padded = j;
        while (padded < text.size() && text[padded] == '=') {
          ++padded;
        }
        const bool key_value = padded > j && padded < text.size() &&
                               (text[padded] == '"' || IsWordChar(text[padded]));
        if (j - token_start >= 6 && !key_value) {
          out.append(text.substr(i, scheme.size()));
          out.append(kMask);
          i = padded;
          replaced = true;
        }
        break;
      }
    }
    if (!replaced) {
      out += text[i];
      ++i;
    }
  }
  return out;
}

// password=…, "password": "…", token: … → value masked.
std::string RedactKeyValues(std::string_view text) {
  static constexpr std::array<std::string_view, 17> kKeys = {
      "password",         "passwd",           "token",           "access_token",
      "refresh_token",    "identitytoken",    "registrytoken",   "auth",
      "secret",           "client_secret",    "signature",       "sig",
      "x-amz-signature",  "x-amz-credential", "x-amz-security-token",
      "x-goog-signature", "x-goog-credential"};
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (std::isalpha(static_cast<unsigned char>(text[i])) != 0 &&
        (i == 0 || !IsWordChar(text[i - 1]))) {
      std::size_t word_end = i;
      while (word_end < text.size() && IsWordChar(text[word_end])) {
        ++word_end;
      }
      const std::string key = AsciiLower(text.substr(i, word_end - i));
      bool is_secret_key = false;
      for (std::string_view k : kKeys) {
        is_secret_key = is_secret_key || key == k;
      }
      if (is_secret_key) {
        std::size_t j = word_end;
        if (j < text.size() && text[j] == '"') {
          ++j;
        }
        while (j < text.size() && text[j] == ' ') {
          ++j;
        }
        if (j < text.size() && (text[j] == ':' || text[j] == '=')) {
          ++j;
          while (j < text.size() && text[j] == ' ') {
            ++j;
          }
          std::size_t value_end = j;
          if (j < text.size() && (text[j] == '"' || text[j] == '\'')) {
            const char quote = text[j];
            value_end = j + 1;
            while (value_end < text.size() && text[value_end] != quote) {
              value_end += text[value_end] == '\\' ? 2 : 1;
            }
            value_end = std::min(value_end, text.size());
            out.append(text.substr(i, j + 1 - i));
            out.append(kMask);
            i = value_end;
            replaced = true;
          } else {
            while (value_end < text.size() && text[value_end] != ' ' && text[value_end] != '&' &&
                   text[value_end] != ',' && text[value_end] != '}' && text[value_end] != '\n' &&
                   text[value_end] != ';') {
              ++value_end;
            }
            if (value_end > j) {
              out.append(text.substr(i, j - i));
              out.append(kMask);
              i = value_end;
              replaced = true;
            }
          }
        }
      }
      if (!replaced) {
        out.append(text.substr(i, word_end - i));
        i = word_end;
        continue;
      }
    }
    if (!replaced) {
      out += text[i];
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string RedactSecrets(std::string_view text) {
  return RedactKeyValues(RedactAuthSchemes(RedactUrlUserinfo(text)));
}

void SecretRegistry::Add(std::string_view secret) {
  if (secret.size() < 4) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& s : secrets_) {
    if (s == secret) {
      return;
    }
  }
  secrets_.emplace_back(secret);
}

std::string SecretRegistry::Redact(std::string_view text) const {
  std::string out(text);
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& secret : secrets_) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    }
  }
  return out;
}

}  // namespace imgauto
