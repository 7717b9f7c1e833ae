#include "reflector/registry/link_header.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http/url.h"
#include "core/strings.h"

namespace imgauto::reflector::registry {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Error Fail(const std::string& what) {
  return Error(ErrorKind::kTransient, "invalid Link header: " + what);
}

class LinkParser {
 public:
  explicit LinkParser(std::string_view text) : text_(text) {}

  Result<std::vector<Link>> Parse() {
    std::vector<Link> links;
    while (true) {
      while (!AtEnd() && (IsSpace(Peek()) || Peek() == ',')) {
        ++pos_;
      }
      if (AtEnd()) {
        return links;
      }
      if (Peek() != '<') {
        return Fail("expected '<' at offset " + std::to_string(pos_));
      }
      std::size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos) {
        return Fail("unterminated '<' at offset " + std::to_string(pos_));
      }
      Link link;
      link.target = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      Result<void> params = ParseParams(link);
      if (!params) {
        return params.error();
      }
      links.push_back(std::move(link));
    }
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) {
      ++pos_;
    }
  }

  Result<void> ParseParams(Link& link) {
    while (true) {
      SkipSpace();
      if (AtEnd() || Peek() == ',') {
        return {};
      }
      if (Peek() != ';') {
        return Fail("expected ';' or ',' at offset " + std::to_string(pos_));
      }
      ++pos_;
      SkipSpace();
      std::size_t start = pos_;
      while (!AtEnd() && IsTokenChar(Peek())) {
        ++pos_;
      }
      std::string name = AsciiLower(text_.substr(start, pos_ - start));
      if (name.empty()) {
        if (AtEnd() || Peek() == ',' || Peek() == ';') {
          continue;  // tolerate empty parameters ("<x>;;rel=next", trailing ';')
        }
        return Fail("expected a parameter name at offset " + std::to_string(pos_));
      }
      SkipSpace();
      std::string value;
      if (!AtEnd() && Peek() == '=') {
        ++pos_;
        SkipSpace();
        Result<std::string> parsed = ReadValue();
        if (!parsed) {
          return parsed.error();
        }
        value = std::move(*parsed);
      }
      link.params.emplace(std::move(name), std::move(value));
    }
  }

  Result<std::string> ReadValue() {
    if (AtEnd() || Peek() != '"') {
      std::size_t start = pos_;
      while (!AtEnd() && Peek() != ';' && Peek() != ',' && !IsSpace(Peek())) {
        ++pos_;
      }
      return std::string(text_.substr(start, pos_ - start));
    }
    std::size_t open = pos_++;
    std::string value;
    while (!AtEnd()) {
      char c = text_[pos_++];
      if (c == '"') {
        return value;
      }
      if (c == '\\' && !AtEnd()) {
        c = text_[pos_++];
      }
      value.push_back(c);
    }
    return Fail("unterminated quoted string at offset " + std::to_string(open));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

Result<std::string> Resolve(std::string_view base, std::string_view reference) {
  Result<http::Url> base_url = http::ParseUrl(base);
  if (!base_url) {
    return Error(ErrorKind::kTransient, "invalid Link header base: " + base_url.error().message());
  }
  Result<http::Url> resolved = http::ResolveReference(*base_url, reference);
  if (!resolved) {
    return Fail("target: " + resolved.error().message());
  }
  return resolved->ToString();
}

}  // namespace

bool Link::HasRel(std::string_view relation) const {
  auto it = params.find("rel");
  if (it == params.end()) {
    return false;
  }
  for (const std::string& rel : Split(it->second, " ")) {
    if (!rel.empty() && EqualsIgnoreCase(TrimSpace(rel), relation)) {
      return true;
    }
  }
  return false;
}

Result<std::vector<Link>> ParseLinkHeader(std::string_view value) {
  return LinkParser(value).Parse();
}

Result<std::optional<std::string>> FindNextLink(const std::vector<std::string>& values,
                                                std::string_view request_url) {
  std::optional<std::string> relless;
  for (const std::string& value : values) {
    Result<std::vector<Link>> links = ParseLinkHeader(value);
    if (!links) {
      return links.error();
    }
    for (const Link& link : *links) {
      bool next = link.HasRel("next");
      if (!next && (relless || link.params.find("rel") != link.params.end())) {
        continue;
      }
      Result<std::string> resolved = Resolve(request_url, link.target);
      if (!resolved) {
        return resolved.error();
      }
      if (next) {
        return std::optional<std::string>(std::move(*resolved));
      }
      relless = std::move(*resolved);
    }
  }
  return relless;
}

}  // namespace imgauto::reflector::registry
