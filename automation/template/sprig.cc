#include "automation/template/sprig.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>

#include "automation/template/exec.h"
#include "automation/template/format.h"

namespace imgauto::gotemplate {
namespace {

using Args = std::vector<Value>;
constexpr ParamType kAny = ParamType::kAny;
constexpr ParamType kStr = ParamType::kString;
constexpr ParamType kInt = ParamType::kInt;
constexpr size_t kMaxBuilt = 1u << 20;     // largest string or list a function may build
constexpr size_t kMaxRegexPattern = 1024;  // std::regex compiles recursively
constexpr size_t kMaxRegexInput = 64u << 10;

Error FuncError(std::string message) { return Error(ErrorKind::kInvalidSpec, std::move(message)); }
Error TooLarge(std::string_view what) {
  return FuncError(std::string(what) + ": result exceeds " + std::to_string(kMaxBuilt) + " bytes");
}

Function F(std::vector<ParamType> params, std::optional<ParamType> variadic,
           std::function<Result<Value>(Args&)> call) {
  Function f;
  f.params = std::move(params);
  f.variadic = variadic;
  f.call = std::move(call);
  return f;
}

Value StringList(std::vector<std::string> items) {
  List out;
  out.reserve(items.size());
  for (auto& s : items) {
    out.emplace_back(std::move(s));
  }
  return Value(std::move(out), "[]string");
}

// Sprig's strslice.
std::vector<std::string> ToStringSlice(const Value& v) {
  std::vector<std::string> out;
  if (v.kind() == Value::Kind::kList) {
    bool typed = v.TypeName() == "[]string";
    for (const Value& item : v.AsList()) {
      if (!item.is_nil() || typed) {
        out.push_back(ToGoString(item));
      }
    }
  } else if (!v.is_nil()) {
    out.push_back(ToGoString(v));
  }
  return out;
}

bool IsSpaceRune(int32_t r) {
  return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0 || r == 0x1680 ||
         (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F ||
         r == 0x3000;
}
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char ToUpper(char c) { return IsLower(c) ? static_cast<char>(c - 32) : c; }
char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c + 32) : c; }

std::string MapChars(std::string_view s, char (*fn)(char)) {
  std::string out(s);
  for (char& c : out) {
    c = fn(c);
  }
  return out;
}

std::string TrimSet(std::string_view s, std::string_view cutset, bool left, bool right) {
  size_t b = 0;
  size_t e = s.size();
  while (left && b < e && cutset.find(s[b]) != std::string_view::npos) {
    ++b;
  }
  while (right && e > b && cutset.find(s[e - 1]) != std::string_view::npos) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}

std::string TrimSpaceGo(std::string_view s) { return TrimSet(s, " \t\n\v\f\r", true, true); }

std::string ReplaceAll(std::string_view s, std::string_view from, std::string_view to) {
  if (from.empty()) {
    // Go inserts `to` around every rune.
    std::string out(to);
    for (size_t pos = 0; pos < s.size();) {
      size_t width = 0;
      DecodeRune(s, pos, &width);
      out.append(s.substr(pos, width));
      out.append(to);
      pos += width;
    }
    return out;
  }
  std::string out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(from, start);
    if (pos == std::string_view::npos) {
      out.append(s.substr(start));
      return out;
    }
    out.append(s.substr(start, pos - start));
    out.append(to);
    start = pos + from.size();
  }
}

std::vector<std::string> SplitGo(std::string_view s, std::string_view sep, int64_t n = -1) {
  std::vector<std::string> out;
  if (n == 0) {
    return out;
  }
  if (sep.empty()) {
    for (size_t pos = 0; pos < s.size();) {
      size_t width = 0;
      DecodeRune(s, pos, &width);
      if (n > 0 && static_cast<int64_t>(out.size()) == n - 1) {
        out.emplace_back(s.substr(pos));
        return out;
      }
      out.emplace_back(s.substr(pos, width));
      pos += width;
    }
    return out;
  }
  size_t start = 0;
  while (n < 0 || static_cast<int64_t>(out.size()) < n - 1) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      break;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
  out.emplace_back(s.substr(start));
  return out;
}

Value SplitMap(const std::vector<std::string>& parts) {
  Map m("map[string]string", Value(""));
  for (size_t i = 0; i < parts.size(); ++i) {
    m.Set(Value("_" + std::to_string(i)), Value(parts[i]));
  }
  return Value(std::move(m));
}

// cast.ToInt64: numbers truncate, strings parse with base prefixes (errors give 0).
int64_t ToInt64(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kInt:
      return v.AsInt();
    case Value::Kind::kFloat: {
      double f = v.AsFloat();
      if (std::isnan(f) || std::fabs(f) >= 9.2e18) {
        return f < 0 ? INT64_MIN : (std::isnan(f) ? 0 : INT64_MIN);
      }
      return static_cast<int64_t>(f);
    }
    case Value::Kind::kBool:
      return v.AsBool() ? 1 : 0;
    case Value::Kind::kString: {
      std::string s = v.AsString();
      size_t dot = s.find('.');
      if (dot != std::string::npos && s.find_first_not_of('0', dot + 1) == std::string::npos) {
        s.resize(dot);
      }
      bool neg = !s.empty() && s[0] == '-';
      std::string_view body(s);
      if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
        body.remove_prefix(1);
      }
      int base = 10;
      if (body.size() > 1 && body[0] == '0') {
        char p = static_cast<char>(body[1] | 0x20);
        base = p == 'x' ? 16 : (p == 'b' ? 2 : 8);
        body.remove_prefix(p == 'x' || p == 'b' || p == 'o' ? 2 : 1);
      }
      if (body.empty() || body.find('_') != std::string_view::npos) {
        return 0;
      }
      char* end = nullptr;
      std::string digits(body);
      errno = 0;
      long long r = std::strtoll(digits.c_str(), &end, base);
      bool leading_ok = IsDigit(digits[0]) || (base == 16 && std::isxdigit(digits[0]) != 0);
      if (errno != 0 || end != digits.c_str() + digits.size() || !leading_ok) {
        return 0;
      }
      return neg ? -r : r;
    }
    default:
      return 0;
  }
}

double ToFloat64(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kInt:
      return static_cast<double>(v.AsInt());
    case Value::Kind::kFloat:
      return v.AsFloat();
    case Value::Kind::kBool:
      return v.AsBool() ? 1 : 0;
    case Value::Kind::kString: {
      const std::string& s = v.AsString();
      if (s.empty()) {
        return 0;
      }
      char* end = nullptr;
      double r = std::strtod(s.c_str(), &end);
      return end == s.c_str() + s.size() ? r : 0;
    }
    default:
      return 0;
  }
}

// Sprig's float math goes through shopspring/decimal; rounding to 15 significant digits gives
// the same results for the decimal inputs templates use.
double DecimalRound(double v) {
  if (!std::isfinite(v)) {
    return v;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return std::strtod(buf, nullptr);
}

Result<const List*> AsListArg(const Value& v, std::string_view op) {
  if (v.kind() != Value::Kind::kList) {
    return FuncError("Cannot " + std::string(op) + " on type " + v.TypeName());
  }
  return &v.AsList();
}

Value NewList(List items) { return Value(std::move(items)); }

Value DeepCopy(const Value& v, int depth = 0) {
  if (depth > 100) {
    return v;  // only cycles made with `set` nest this deep
  }
  switch (v.kind()) {
    case Value::Kind::kList: {
      List out;
      for (const Value& item : v.AsList()) {
        out.push_back(DeepCopy(item, depth + 1));
      }
      return Value(std::move(out), v.TypeName());
    }
    case Value::Kind::kMap: {
      Map out(v.AsMap().type_name(), v.AsMap().zero());
      for (const auto& [k, item] : v.AsMap().entries()) {
        out.Set(k, DeepCopy(item, depth + 1));
      }
      return Value(std::move(out));
    }
    default:
      return v;
  }
}

void MergeInto(Map& dst, const Map& src, bool overwrite, int depth = 0) {
  if (depth > 100) {
    return;  // only cycles made with `set` nest this deep
  }
  std::vector<std::pair<Value, Value>> entries = src.entries();  // dst may be src
  for (const auto& [key, value] : entries) {
    const Value* existing = dst.Find(key);
    if (existing != nullptr && existing->kind() == Value::Kind::kMap &&
        value.kind() == Value::Kind::kMap) {
      MergeInto(existing->MutableMap(), value.AsMap(), overwrite, depth + 1);
      continue;
    }
    if (existing == nullptr || IsEmpty(*existing) || (overwrite && !IsEmpty(value))) {
      dst.Set(key, value);
    }
  }
}

// ---- hashing and encoding ----

std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return hex;
}

uint32_t Adler32(std::string_view data) {
  uint32_t a = 1;
  uint32_t b = 0;
  for (unsigned char c : data) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

std::string BaseEncode(std::string_view data, int bits) {
  const char* alphabet = bits == 6
                             ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  size_t group = bits == 6 ? 4 : 8;
  std::string out;
  uint64_t buffer = 0;
  int held = 0;
  for (unsigned char c : data) {
    buffer = (buffer << 8) | c;
    held += 8;
    while (held >= bits) {
      held -= bits;
      out.push_back(alphabet[(buffer >> held) & ((1u << bits) - 1)]);
    }
  }
  if (held > 0) {
    out.push_back(alphabet[(buffer << (bits - held)) & ((1u << bits) - 1)]);
  }
  while (out.size() % group != 0) {
    out.push_back('=');
  }
  return out;
}

// Decodes standard base64/base32 with padding; on error returns Go's message as Sprig does.
std::string BaseDecode(std::string_view data, int bits) {
  std::string_view alphabet =
      bits == 6 ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                : "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  size_t group = bits == 6 ? 4 : 8;
  auto illegal = [&](size_t at) {
    return std::string(bits == 6 ? "illegal base64 data at input byte "
                                 : "illegal base32 data at input byte ") +
           std::to_string(at);
  };
  std::string out;
  uint64_t buffer = 0;
  int held = 0;
  size_t i = 0;
  for (; i < data.size() && data[i] != '='; ++i) {
    size_t v = alphabet.find(data[i]);
    if (v == std::string_view::npos) {
      return illegal(i);
    }
    buffer = (buffer << bits) | v;
    held += bits;
    if (held >= 8) {
      held -= 8;
      out.push_back(static_cast<char>((buffer >> held) & 0xFF));
    }
  }
  size_t data_len = i;
  for (; i < data.size(); ++i) {
    if (data[i] != '=') {
      return illegal(i);
    }
  }
  if (data.size() % group != 0 || (data_len % group == 1 && bits == 6)) {
    return illegal(data.size() % group == 0 ? data_len : data.size() / group * group);
  }
  return out;
}

// ---- case conversion ----

std::string Title(std::string_view s) {
  std::string out(s);
  char prev = ' ';
  for (char& c : out) {
    bool separator = !(IsUpper(prev) || IsLower(prev) || IsDigit(prev) || prev == '_' ||
                       static_cast<unsigned char>(prev) >= 0x80);
    if (separator) {
      c = ToUpper(c);
    }
    prev = c;
  }
  return out;
}

std::string MapWords(std::string_view s, char (*first)(char)) {
  std::string out(s);
  bool at_start = true;
  for (char& c : out) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      at_start = true;
      continue;
    }
    if (at_start) {
      c = first(c);
    }
    at_start = false;
  }
  return out;
}

std::string Initials(std::string_view s) {
  std::string out;
  bool at_start = true;
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    int32_t r = DecodeRune(s, pos, &width);
    if (IsSpaceRune(r)) {
      at_start = true;
    } else if (at_start) {
      out.append(s.substr(pos, width));
      at_start = false;
    }
    pos += width;
  }
  return out;
}

std::string SwapCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = IsUpper(c) ? ToLower(c) : (IsLower(c) ? ToUpper(c) : c);
  }
  return out;
}

std::string CamelCase(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size() && s[i] == '_') {
    out.push_back('_');
    ++i;
  }
  bool upper_next = true;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_' && i + 1 < s.size() && s[i + 1] != '_') {
      upper_next = true;
      continue;
    }
    out.push_back(upper_next ? ToUpper(c) : c);
    upper_next = false;
  }
  return out;
}

// xstrings.ToSnakeCase-style word splitting: case changes, acronyms, separators, and a digit
// run that starts a lower-case suffix ("http2xx" → http_2xx, "Bld4Floor" → bld4_floor).
std::string DelimitedCase(std::string_view s, char delimiter) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&]() {
    if (!word.empty()) {
      words.push_back(MapChars(word, ToLower));
      word.clear();
    }
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = IsUpper(c) || IsLower(c) || IsDigit(c) || static_cast<unsigned char>(c) >= 0x80;
    if (!alnum) {
      flush();
      continue;
    }
    char prev = word.empty() ? '\0' : word.back();
    char next = i + 1 < s.size() ? s[i + 1] : '\0';
    bool boundary = false;
    if (IsUpper(c) && (IsLower(prev) || IsDigit(prev))) {
      boundary = true;
    } else if (IsUpper(c) && IsUpper(prev) && IsLower(next)) {
      boundary = true;
    } else if (IsDigit(c) && (IsUpper(prev) || IsLower(prev))) {
      size_t j = i;
      while (j < s.size() && IsDigit(s[j])) {
        ++j;
      }
      boundary = j < s.size() && IsLower(s[j]);
    }
    if (boundary) {
      flush();
    }
    word.push_back(c);
  }
  flush();
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      out.push_back(delimiter);
    }
    out += words[i];
  }
  return out;
}

// goutils.WrapCustom with wrapLongWords = false.
std::string Wrap(std::string_view str, int64_t width, std::string_view newline) {
  if (str.empty()) {
    return "";
  }
  if (newline.empty()) {
    newline = "\n";
  }
  size_t wrap = static_cast<size_t>(std::max<int64_t>(width, 1));
  size_t offset = 0;
  std::string out;
  while (str.size() - offset > wrap) {
    if (str[offset] == ' ') {
      ++offset;
      continue;
    }
    size_t end = std::min(str.size(), wrap + offset + 1);
    size_t space = str.substr(offset, end - offset).rfind(' ');
    if (space != std::string_view::npos) {
      out.append(str.substr(offset, space));
      out.append(newline);
      offset += space + 1;
      continue;
    }
    size_t long_end = wrap + offset;
    size_t next_space = str.find(' ', long_end);
    if (next_space == std::string_view::npos) {
      out.append(str.substr(offset));
      offset = str.size();
    } else {
      out.append(str.substr(offset, next_space - offset));
      out.append(newline);
      offset = next_space + 1;
    }
  }
  out.append(str.substr(offset));
  return out;
}

// ---- paths (Go's path package) ----

std::string CleanPath(std::string_view p) {
  if (p.empty()) {
    return ".";
  }
  bool rooted = p[0] == '/';
  std::vector<std::string> parts;
  for (const std::string& part : SplitGo(p, "/")) {
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out.push_back('/');
    }
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::string BasePath(std::string_view p) {
  if (p.empty()) {
    return ".";
  }
  while (p.size() > 1 && p.back() == '/') {
    p.remove_suffix(1);
  }
  size_t slash = p.rfind('/');
  if (slash != std::string_view::npos && p.size() > 1) {
    p = p.substr(slash + 1);
  }
  return p.empty() ? "/" : std::string(p);
}

std::string DirPath(std::string_view p) {
  size_t slash = p.rfind('/');
  std::string dir(slash == std::string_view::npos ? "" : p.substr(0, slash + 1));
  return CleanPath(dir);
}

std::string ExtPath(std::string_view p) {
  for (size_t i = p.size(); i > 0; --i) {
    if (p[i - 1] == '/') {
      break;
    }
    if (p[i - 1] == '.') {
      return std::string(p.substr(i - 1));
    }
  }
  return "";
}

// ---- regular expressions ----

Result<std::regex> CompileRegex(const std::string& pattern) {
  if (pattern.size() > kMaxRegexPattern) {
    return FuncError("regexp: pattern longer than " + std::to_string(kMaxRegexPattern) + " bytes");
  }
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex_constants::__polynomial);
  } catch (const std::regex_error& e) {
    return FuncError("regexp: Compile(" + QuoteString(pattern) + "): " + e.what());
  }
}

Result<std::vector<std::smatch>> FindAll(const std::regex& re, const std::string& s, int64_t n) {
  if (s.size() > kMaxRegexInput) {
    return FuncError("regexp: input longer than " + std::to_string(kMaxRegexInput) + " bytes");
  }
  std::vector<std::smatch> out;
  try {
    for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator();
         ++it) {
      if (n >= 0 && static_cast<int64_t>(out.size()) >= n) {
        break;
      }
      out.push_back(*it);
    }
  } catch (const std::regex_error& e) {
    return FuncError(std::string("regexp: ") + e.what());
  }
  return out;
}

// Go's Regexp.Expand for $1, ${1}, $$ (named groups are not supported by std::regex).
std::string Expand(std::string_view repl, const std::smatch& m) {
  std::string out;
  for (size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] != '$' || i + 1 >= repl.size()) {
      out.push_back(repl[i]);
      continue;
    }
    if (repl[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool braced = repl[j] == '{';
    if (braced) {
      ++j;
    }
    size_t start = j;
    while (j < repl.size() &&
           (IsDigit(repl[j]) || IsUpper(repl[j]) || IsLower(repl[j]) || repl[j] == '_')) {
      ++j;
    }
    if (j == start || (braced && (j >= repl.size() || repl[j] != '}'))) {
      out.push_back('$');
      continue;
    }
    std::string name(repl.substr(start, j - start));
    if (std::all_of(name.begin(), name.end(), IsDigit) && name.size() < 6) {
      size_t group = static_cast<size_t>(std::stoul(name));
      if (group < m.size()) {
        out += m[group].str();
      }
    }
    i = braced ? j : j - 1;
  }
  return out;
}

Result<Value> RegexReplace(const std::string& pattern, const std::string& s,
                           const std::string& repl, bool literal) {
  Result<std::regex> re = CompileRegex(pattern);
  if (!re) {
    return re.error();
  }
  Result<std::vector<std::smatch>> matches = FindAll(*re, s, -1);
  if (!matches) {
    return matches.error();
  }
  std::string out;
  size_t last = 0;
  for (const std::smatch& m : *matches) {
    size_t pos = static_cast<size_t>(m.position(0));
    out.append(s, last, pos - last);
    out += literal ? repl : Expand(repl, m);
    last = pos + static_cast<size_t>(m.length(0));
    if (out.size() > kMaxBuilt) {
      return TooLarge("regexReplaceAll");
    }
  }
  out.append(s, last, std::string::npos);
  return Value(std::move(out));
}

void AddRegexFunctions(FuncMap& m) {
  auto match = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    Result<std::regex> re = CompileRegex(a[0].AsString());
    if (!re) {
      return re.error();
    }
    Result<std::vector<std::smatch>> found = FindAll(*re, a[1].AsString(), 1);
    if (!found) {
      return found.error();
    }
    return Value(!found->empty());
  });
  m["regexMatch"] = match;
  m["mustRegexMatch"] = match;
  auto find_all = F({kStr, kStr, kInt}, std::nullopt, [](Args& a) -> Result<Value> {
    Result<std::regex> re = CompileRegex(a[0].AsString());
    if (!re) {
      return re.error();
    }
    Result<std::vector<std::smatch>> found = FindAll(*re, a[1].AsString(), a[2].AsInt());
    if (!found) {
      return found.error();
    }
    std::vector<std::string> out;
    for (const std::smatch& mt : *found) {
      out.push_back(mt.str(0));
    }
    return StringList(std::move(out));
  });
  m["regexFindAll"] = find_all;
  m["mustRegexFindAll"] = find_all;
  auto find = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    Result<std::regex> re = CompileRegex(a[0].AsString());
    if (!re) {
      return re.error();
    }
    Result<std::vector<std::smatch>> found = FindAll(*re, a[1].AsString(), 1);
    if (!found) {
      return found.error();
    }
    return Value(found->empty() ? std::string() : (*found)[0].str(0));
  });
  m["regexFind"] = find;
  m["mustRegexFind"] = find;
  auto replace = F({kStr, kStr, kStr}, std::nullopt, [](Args& a) {
    return RegexReplace(a[0].AsString(), a[1].AsString(), a[2].AsString(), false);
  });
  m["regexReplaceAll"] = replace;
  m["mustRegexReplaceAll"] = replace;
  auto replace_literal = F({kStr, kStr, kStr}, std::nullopt, [](Args& a) {
    return RegexReplace(a[0].AsString(), a[1].AsString(), a[2].AsString(), true);
  });
  m["regexReplaceAllLiteral"] = replace_literal;
  m["mustRegexReplaceAllLiteral"] = replace_literal;
  auto split = F({kStr, kStr, kInt}, std::nullopt, [](Args& a) -> Result<Value> {
    Result<std::regex> re = CompileRegex(a[0].AsString());
    if (!re) {
      return re.error();
    }
    const std::string& s = a[1].AsString();
    int64_t n = a[2].AsInt();
    if (n == 0) {
      return StringList({});
    }
    Result<std::vector<std::smatch>> found = FindAll(*re, s, -1);
    if (!found) {
      return found.error();
    }
    std::vector<std::string> out;
    size_t beg = 0;
    for (const std::smatch& mt : *found) {
      if (n > 0 && static_cast<int64_t>(out.size()) == n - 1) {
        break;
      }
      size_t pos = static_cast<size_t>(mt.position(0));
      if (mt.length(0) == 0 && (pos == 0 || pos == s.size())) {
        continue;
      }
      out.push_back(s.substr(beg, pos - beg));
      beg = pos + static_cast<size_t>(mt.length(0));
    }
    out.push_back(s.substr(beg));
    return StringList(std::move(out));
  });
  m["regexSplit"] = split;
  m["mustRegexSplit"] = split;
  m["regexQuoteMeta"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    std::string out;
    for (char c : a[0].AsString()) {
      if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) {
        out.push_back('\\');
      }
      out.push_back(c);
    }
    return Value(std::move(out));
  });
}

}  // namespace

namespace {

// ---- JSON ----

void JsonString(std::string* out, std::string_view s, bool escape_html) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t pos = 0; pos < s.size();) {
    size_t width = 0;
    int32_t r = DecodeRune(s, pos, &width);
    if (r == 0xFFFD && width == 1) {
      out->append("\\ufffd");
    } else if (r == '"' || r == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(r));
    } else if (r == '\n') {
      out->append("\\n");
    } else if (r == '\r') {
      out->append("\\r");
    } else if (r == '\t') {
      out->append("\\t");
    } else if (r == '\b') {
      out->append("\\b");
    } else if (r == '\f') {
      out->append("\\f");
    } else if (r < 0x20 || (escape_html && (r == '<' || r == '>' || r == '&'))) {
      out->append("\\u00");
      out->push_back(kHex[r >> 4]);
      out->push_back(kHex[r & 15]);
    } else if (r == 0x2028 || r == 0x2029) {
      out->append(r == 0x2028 ? "\\u2028" : "\\u2029");
    } else {
      out->append(s.substr(pos, width));
    }
    pos += width;
  }
  out->push_back('"');
}

Result<void> JsonEncode(std::string* out, const Value& v, int indent, int depth, bool html) {
  if (depth > 1000 || out->size() > kMaxBuilt * 4) {
    return FuncError("json: unsupported value: encountered a cycle or too deep a value");
  }
  auto newline = [&](int level) {
    if (indent > 0) {
      out->push_back('\n');
      out->append(static_cast<size_t>(indent * level), ' ');
    }
  };
  switch (v.kind()) {
    case Value::Kind::kNil:
      out->append("null");
      return {};
    case Value::Kind::kBool:
      out->append(v.AsBool() ? "true" : "false");
      return {};
    case Value::Kind::kInt:
      out->append(std::to_string(v.AsInt()));
      return {};
    case Value::Kind::kFloat: {
      double f = v.AsFloat();
      if (!std::isfinite(f)) {
        return FuncError("json: unsupported value: " + FormatFloat(f, 'g', -1));
      }
      double a = std::fabs(f);
      bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
      std::string s = FormatFloat(f, exp ? 'e' : 'f', -1);
      size_t n = s.size();
      if (exp && n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
        s.erase(n - 2, 1);
      }
      out->append(s);
      return {};
    }
    case Value::Kind::kString:
      JsonString(out, v.AsString(), html);
      return {};
    case Value::Kind::kList: {
      const List& items = v.AsList();
      out->push_back('[');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
          out->push_back(',');
        }
        newline(depth + 1);
        Result<void> r = JsonEncode(out, items[i], indent, depth + 1, html);
        if (!r) {
          return r;
        }
      }
      if (!items.empty()) {
        newline(depth);
      }
      out->push_back(']');
      return {};
    }
    case Value::Kind::kMap:
    case Value::Kind::kObject: {
      std::vector<std::pair<std::string, const Value*>> members;
      if (v.kind() == Value::Kind::kMap) {
        for (const auto& [key, item] : v.AsMap().entries()) {
          if (!key.is_string() && key.kind() != Value::Kind::kInt) {
            return FuncError("json: unsupported type: " + v.TypeName());
          }
          members.emplace_back(ToGoString(key), &item);
        }
        std::sort(members.begin(), members.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
      } else {
        std::vector<const Object*> stack = {&v.AsObject()};
        std::function<void(const Object&)> collect = [&](const Object& o) {
          for (const Object::Field& f : o.fields()) {
            if (f.embedded && f.value.kind() == Value::Kind::kObject) {
              collect(f.value.AsObject());
            } else {
              members.emplace_back(f.name, &f.value);
            }
          }
        };
        collect(v.AsObject());
      }
      out->push_back('{');
      for (size_t i = 0; i < members.size(); ++i) {
        if (i > 0) {
          out->push_back(',');
        }
        newline(depth + 1);
        JsonString(out, members[i].first, html);
        out->append(indent > 0 ? ": " : ":");
        Result<void> r = JsonEncode(out, *members[i].second, indent, depth + 1, html);
        if (!r) {
          return r;
        }
      }
      if (!members.empty()) {
        newline(depth);
      }
      out->push_back('}');
      return {};
    }
    case Value::Kind::kFunction:
      return FuncError("json: unsupported type: " + v.TypeName());
  }
  return {};
}

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  Result<Value> ParseDocument() {
    Result<Value> v = ParseValue(0);
    if (!v) {
      return v;
    }
    SkipSpace();
    if (pos_ != s_.size()) {
      return Invalid("after top-level value");
    }
    return v;
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  Error Invalid(const std::string& context) {
    if (pos_ >= s_.size()) {
      return FuncError("unexpected end of JSON input");
    }
    return FuncError("invalid character " + QuoteRune(static_cast<unsigned char>(s_[pos_])) + " " +
                     context);
  }
  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }
  Result<Value> ParseValue(int depth) {
    if (depth > 1000) {
      return FuncError("exceeded max depth");
    }
    SkipSpace();
    if (pos_ >= s_.size()) {
      return FuncError("unexpected end of JSON input");
    }
    char c = s_[pos_];
    if (c == '{') {
      return ParseObject(depth);
    }
    if (c == '[') {
      return ParseArray(depth);
    }
    if (c == '"') {
      Result<std::string> s = ParseString();
      if (!s) {
        return s.error();
      }
      return Value(std::move(*s));
    }
    if (Literal("true")) {
      return Value(true);
    }
    if (Literal("false")) {
      return Value(false);
    }
    if (Literal("null")) {
      return Value();
    }
    if (c == '-' || IsDigit(c)) {
      size_t start = pos_;
      if (s_[pos_] == '-') {
        ++pos_;
      }
      while (pos_ < s_.size() && (IsDigit(s_[pos_]) || s_[pos_] == '.' || s_[pos_] == 'e' ||
                                  s_[pos_] == 'E' || s_[pos_] == '+' || s_[pos_] == '-')) {
        ++pos_;
      }
      std::string num(s_.substr(start, pos_ - start));
      char* end = nullptr;
      double d = std::strtod(num.c_str(), &end);
      if (end != num.c_str() + num.size()) {
        pos_ = start;
        return Invalid("looking for beginning of value");
      }
      return Value(d);
    }
    return Invalid("looking for beginning of value");
  }
  Result<std::string> ParseString() {
    ++pos_;  // opening quote
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_];
      if (static_cast<unsigned char>(c) < 0x20) {
        return Invalid("in string literal");
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      if (++pos_ >= s_.size()) {
        break;
      }
      char e = s_[pos_++];
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
        case 'u': {
          auto hex4 = [&](int32_t* r) {
            if (pos_ + 4 > s_.size()) {
              return false;
            }
            *r = 0;
            for (int k = 0; k < 4; ++k) {
              char h = s_[pos_++];
              int d = IsDigit(h)
                          ? h - '0'
                          : ((h | 0x20) >= 'a' && (h | 0x20) <= 'f' ? (h | 0x20) - 'a' + 10 : -1);
              if (d < 0) {
                return false;
              }
              *r = *r * 16 + d;
            }
            return true;
          };
          int32_t r = 0;
          if (!hex4(&r)) {
            return Invalid("in \\u hexadecimal character escape");
          }
          if (r >= 0xD800 && r < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            size_t save = pos_;
            pos_ += 2;
            int32_t lo = 0;
            if (hex4(&lo) && lo >= 0xDC00 && lo < 0xE000) {
              r = 0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          AppendRune(&out, r);
          break;
        }
        default:
          --pos_;
          return Invalid("in string escape code");
      }
    }
    if (pos_ >= s_.size()) {
      return FuncError("unexpected end of JSON input");
    }
    ++pos_;  // closing quote
    return out;
  }
  Result<Value> ParseArray(int depth) {
    ++pos_;
    List items;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Value(std::move(items));
    }
    while (true) {
      Result<Value> v = ParseValue(depth + 1);
      if (!v) {
        return v;
      }
      items.push_back(std::move(*v));
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Value(std::move(items));
      }
      return Invalid("after array element");
    }
  }
  Result<Value> ParseObject(int depth) {
    ++pos_;
    Map map;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Value(std::move(map));
    }
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') {
        return Invalid("looking for beginning of object key string");
      }
      Result<std::string> key = ParseString();
      if (!key) {
        return key.error();
      }
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') {
        return Invalid("after object key");
      }
      ++pos_;
      Result<Value> v = ParseValue(depth + 1);
      if (!v) {
        return v;
      }
      map.Set(Value(std::move(*key)), std::move(*v));
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Value(std::move(map));
      }
      return Invalid("after object key:value pair");
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

Result<Value> IntResult(int64_t v) { return Value(v); }

void AddStringFunctions(FuncMap& m) {
  m["upper"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(MapChars(a[0].AsString(), ToUpper));
  });
  m["lower"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(MapChars(a[0].AsString(), ToLower));
  });
  m["title"] = F({kStr}, std::nullopt,
                 [](Args& a) -> Result<Value> { return Value(Title(a[0].AsString())); });
  m["untitle"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(MapWords(a[0].AsString(), ToLower));
  });
  m["swapcase"] = F({kStr}, std::nullopt,
                    [](Args& a) -> Result<Value> { return Value(SwapCase(a[0].AsString())); });
  m["initials"] = F({kStr}, std::nullopt,
                    [](Args& a) -> Result<Value> { return Value(Initials(a[0].AsString())); });
  m["camelcase"] = F({kStr}, std::nullopt,
                     [](Args& a) -> Result<Value> { return Value(CamelCase(a[0].AsString())); });
  m["snakecase"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(DelimitedCase(a[0].AsString(), '_'));
  });
  m["kebabcase"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(DelimitedCase(a[0].AsString(), '-'));
  });
  m["trim"] = F({kStr}, std::nullopt,
                [](Args& a) -> Result<Value> { return Value(TrimSpaceGo(a[0].AsString())); });
  auto trim_all = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(TrimSet(a[1].AsString(), a[0].AsString(), true, true));
  });
  m["trimAll"] = trim_all;
  m["trimall"] = trim_all;
  m["trimPrefix"] = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    const std::string& s = a[1].AsString();
    const std::string& p = a[0].AsString();
    return Value(s.compare(0, p.size(), p) == 0 ? s.substr(p.size()) : s);
  });
  m["trimSuffix"] = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    const std::string& s = a[1].AsString();
    const std::string& x = a[0].AsString();
    bool has = s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
    return Value(has ? s.substr(0, s.size() - x.size()) : s);
  });
  m["trunc"] = F({kInt, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    int64_t c = a[0].AsInt();
    const std::string& s = a[1].AsString();
    int64_t len = static_cast<int64_t>(s.size());
    if (c < 0 && len + c > 0) {
      return Value(s.substr(static_cast<size_t>(len + c)));
    }
    if (c >= 0 && len > c) {
      return Value(s.substr(0, static_cast<size_t>(c)));
    }
    return Value(s);
  });
  m["abbrev"] = F({kInt, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    int64_t w = a[0].AsInt();
    const std::string& s = a[1].AsString();
    if (w < 4 || static_cast<int64_t>(s.size()) <= w) {
      return Value(s);
    }
    return Value(s.substr(0, static_cast<size_t>(w - 3)) + "...");
  });
  m["abbrevboth"] = F({kInt, kInt, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    int64_t left = a[0].AsInt();
    int64_t right = a[1].AsInt();
    std::string s = a[2].AsString();
    int64_t len = static_cast<int64_t>(s.size());
    if (right < 4 || len <= right || (left > 0 && right < 7)) {
      return Value(s);
    }
    if (left > len) {
      left = len;
    }
    if (len - left < right - 3) {
      left = len - (right - 3);
    }
    if (left <= 4) {
      return Value(s.substr(0, static_cast<size_t>(right - 3)) + "...");
    }
    if (left + right - 3 < len) {
      std::string rest = s.substr(static_cast<size_t>(left));
      std::string tail = right - 3 < static_cast<int64_t>(rest.size())
                             ? rest.substr(0, static_cast<size_t>(right - 6)) + "..."
                             : rest;
      return Value("..." + tail);
    }
    return Value("..." + s.substr(static_cast<size_t>(len - (right - 3))));
  });
  m["nospace"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    const std::string& s = a[0].AsString();
    std::string out;
    for (size_t pos = 0; pos < s.size();) {
      size_t width = 0;
      int32_t r = DecodeRune(s, pos, &width);
      if (!IsSpaceRune(r)) {
        out.append(s, pos, width);
      }
      pos += width;
    }
    return Value(std::move(out));
  });
  m["contains"] = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(a[1].AsString().find(a[0].AsString()) != std::string::npos);
  });
  m["hasPrefix"] = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(a[1].AsString().compare(0, a[0].AsString().size(), a[0].AsString()) == 0);
  });
  m["hasSuffix"] = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    const std::string& s = a[1].AsString();
    const std::string& x = a[0].AsString();
    return Value(s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0);
  });
  m["replace"] = F({kStr, kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    std::string out = ReplaceAll(a[2].AsString(), a[0].AsString(), a[1].AsString());
    if (out.size() > kMaxBuilt) {
      return TooLarge("replace");
    }
    return Value(std::move(out));
  });
  m["repeat"] = F({kInt, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    int64_t n = a[0].AsInt();
    const std::string& s = a[1].AsString();
    if (n < 0) {
      return FuncError("strings: negative Repeat count");
    }
    if (!s.empty() && static_cast<uint64_t>(n) > kMaxBuilt / s.size()) {
      return TooLarge("repeat");
    }
    std::string out;
    for (int64_t i = 0; i < n && !s.empty(); ++i) {
      out += s;
    }
    return Value(std::move(out));
  });
  m["quote"] = F({}, kAny, [](Args& a) -> Result<Value> {
    std::vector<std::string> out;
    for (const Value& v : a) {
      if (!v.is_nil()) {
        out.push_back(QuoteString(ToGoString(v)));
      }
    }
    std::string joined;
    for (size_t i = 0; i < out.size(); ++i) {
      joined += (i > 0 ? " " : "") + out[i];
    }
    return Value(std::move(joined));
  });
  m["squote"] = F({}, kAny, [](Args& a) -> Result<Value> {
    std::string joined;
    bool first = true;
    for (const Value& v : a) {
      if (!v.is_nil()) {
        joined += (first ? "'" : " '") + ToGoString(v) + "'";
        first = false;
      }
    }
    return Value(std::move(joined));
  });
  m["cat"] = F({}, kAny, [](Args& a) -> Result<Value> {
    List kept;
    for (const Value& v : a) {
      if (!v.is_nil()) {
        kept.push_back(v);
      }
    }
    return Value(Sprintln(kept).substr(0, Sprintln(kept).size() - 1));
  });
  auto indent = [](int64_t n, const std::string& s, bool leading_newline) -> Result<Value> {
    if (n < 0) {
      return FuncError("strings: negative Repeat count");
    }
    size_t lines = static_cast<size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
    if (static_cast<uint64_t>(n) > kMaxBuilt || lines * static_cast<size_t>(n) > kMaxBuilt) {
      return TooLarge("indent");
    }
    std::string pad(static_cast<size_t>(n), ' ');
    return Value((leading_newline ? "\n" : "") + pad + ReplaceAll(s, "\n", "\n" + pad));
  };
  m["indent"] = F({kInt, kStr}, std::nullopt,
                  [indent](Args& a) { return indent(a[0].AsInt(), a[1].AsString(), false); });
  m["nindent"] = F({kInt, kStr}, std::nullopt,
                   [indent](Args& a) { return indent(a[0].AsInt(), a[1].AsString(), true); });
  m["wrap"] = F({kInt, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(Wrap(a[1].AsString(), a[0].AsInt(), "\n"));
  });
  m["wrapWith"] = F({kInt, kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    if (a[1].AsString().size() > 1024) {
      return TooLarge("wrapWith");
    }
    return Value(Wrap(a[2].AsString(), a[0].AsInt(), a[1].AsString()));
  });
  m["substr"] = F({kInt, kInt, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    int64_t start = a[0].AsInt();
    int64_t end = a[1].AsInt();
    const std::string& s = a[2].AsString();
    int64_t len = static_cast<int64_t>(s.size());
    if (start < 0) {
      if (end < 0 || end > len) {
        return FuncError("runtime error: slice bounds out of range [:" + std::to_string(end) +
                         "] with length " + std::to_string(len));
      }
      return Value(s.substr(0, static_cast<size_t>(end)));
    }
    if (start > len) {
      return FuncError("runtime error: slice bounds out of range [" + std::to_string(start) + ":" +
                       std::to_string(len) + "]");
    }
    if (end < 0 || end > len) {
      return Value(s.substr(static_cast<size_t>(start)));
    }
    if (start > end) {
      return FuncError("runtime error: slice bounds out of range [" + std::to_string(start) + ":" +
                       std::to_string(end) + "]");
    }
    return Value(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start)));
  });
  m["plural"] = F({kStr, kStr, kInt}, std::nullopt,
                  [](Args& a) -> Result<Value> { return a[2].AsInt() == 1 ? a[0] : a[1]; });
  m["splitList"] = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return StringList(SplitGo(a[1].AsString(), a[0].AsString()));
  });
  m["split"] = F({kStr, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return SplitMap(SplitGo(a[1].AsString(), a[0].AsString()));
  });
  m["splitn"] = F({kStr, kInt, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return SplitMap(SplitGo(a[2].AsString(), a[0].AsString(), a[1].AsInt()));
  });
  m["join"] = F({kStr, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
    std::vector<std::string> parts = ToStringSlice(a[1]);
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) {
        out += a[0].AsString();
      }
      out += parts[i];
      if (out.size() > kMaxBuilt) {
        return TooLarge("join");
      }
    }
    return Value(std::move(out));
  });
  m["sortAlpha"] = F({kAny}, std::nullopt, [](Args& a) -> Result<Value> {
    std::vector<std::string> parts = ToStringSlice(a[0]);
    if (a[0].kind() == Value::Kind::kList) {
      std::sort(parts.begin(), parts.end());
    }
    return StringList(std::move(parts));
  });
  m["toString"] =
      F({kAny}, std::nullopt, [](Args& a) -> Result<Value> { return Value(ToGoString(a[0])); });
  m["toStrings"] = F({kAny}, std::nullopt,
                     [](Args& a) -> Result<Value> { return StringList(ToStringSlice(a[0])); });
  m["base"] = F({kStr}, std::nullopt,
                [](Args& a) -> Result<Value> { return Value(BasePath(a[0].AsString())); });
  m["dir"] = F({kStr}, std::nullopt,
               [](Args& a) -> Result<Value> { return Value(DirPath(a[0].AsString())); });
  m["clean"] = F({kStr}, std::nullopt,
                 [](Args& a) -> Result<Value> { return Value(CleanPath(a[0].AsString())); });
  m["ext"] = F({kStr}, std::nullopt,
               [](Args& a) -> Result<Value> { return Value(ExtPath(a[0].AsString())); });
  m["isAbs"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(!a[0].AsString().empty() && a[0].AsString()[0] == '/');
  });
  for (const char* alias : {"osBase", "osDir", "osClean", "osExt", "osIsAbs"}) {
    std::string plain(alias + 2);
    plain[0] = ToLower(plain[0]);
    m[alias] = m[plain];
  }
}

Result<Value> CheckedList(List items) {
  if (items.size() > kMaxBuilt) {
    return TooLarge("list");
  }
  return Value(std::move(items));
}

void AddListFunctions(FuncMap& m) {
  auto list = F({}, kAny, [](Args& a) -> Result<Value> { return NewList(a); });
  m["list"] = list;
  m["tuple"] = list;
  auto add = [&m](std::initializer_list<const char*> names, Function f) {
    for (const char* name : names) {
      m[name] = f;
    }
  };
  add({"first", "mustFirst"}, F({kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        if (a[0].is_nil()) {
          return Value();
        }
        Result<const List*> l = AsListArg(a[0], "find first");
        if (!l) {
          return l.error();
        }
        return (*l)->empty() ? Value() : (*l)->front();
      }));
  add({"last", "mustLast"}, F({kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        if (a[0].is_nil()) {
          return Value();
        }
        Result<const List*> l = AsListArg(a[0], "find last");
        if (!l) {
          return l.error();
        }
        return (*l)->empty() ? Value() : (*l)->back();
      }));
  add({"rest", "mustRest"}, F({kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        if (a[0].is_nil()) {
          return Value();
        }
        Result<const List*> l = AsListArg(a[0], "find rest");
        if (!l) {
          return l.error();
        }
        return (*l)->empty() ? Value() : NewList(List((*l)->begin() + 1, (*l)->end()));
      }));
  add({"initial", "mustInitial"}, F({kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        if (a[0].is_nil()) {
          return Value();
        }
        Result<const List*> l = AsListArg(a[0], "find initial");
        if (!l) {
          return l.error();
        }
        return (*l)->empty() ? Value() : NewList(List((*l)->begin(), (*l)->end() - 1));
      }));
  add({"append", "push", "mustAppend", "mustPush"},
      F({kAny, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        List out;
        if (!a[0].is_nil()) {
          Result<const List*> l = AsListArg(a[0], "push");
          if (!l) {
            return l.error();
          }
          out = **l;
        }
        out.push_back(a[1]);
        return CheckedList(std::move(out));
      }));
  add({"prepend", "mustPrepend"}, F({kAny, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        List out = {a[1]};
        if (!a[0].is_nil()) {
          Result<const List*> l = AsListArg(a[0], "prepend");
          if (!l) {
            return l.error();
          }
          out.insert(out.end(), (*l)->begin(), (*l)->end());
        }
        return CheckedList(std::move(out));
      }));
  m["concat"] = F({}, kAny, [](Args& a) -> Result<Value> {
    List out;
    for (const Value& v : a) {
      if (v.kind() != Value::Kind::kList) {
        return FuncError("Cannot concat type " + v.TypeName() + " as list");
      }
      out.insert(out.end(), v.AsList().begin(), v.AsList().end());
      if (out.size() > kMaxBuilt) {
        return TooLarge("concat");
      }
    }
    return NewList(std::move(out));
  });
  add({"reverse", "mustReverse"}, F({kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        Result<const List*> l = AsListArg(a[0], "find reverse");
        if (!l) {
          return l.error();
        }
        return NewList(List((*l)->rbegin(), (*l)->rend()));
      }));
  add({"uniq", "mustUniq"}, F({kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        Result<const List*> l = AsListArg(a[0], "find uniq");
        if (!l) {
          return l.error();
        }
        List out;
        for (const Value& v : **l) {
          if (std::none_of(out.begin(), out.end(),
                           [&](const Value& o) { return DeepEqual(o, v); })) {
            out.push_back(v);
          }
        }
        return NewList(std::move(out));
      }));
  add({"without", "mustWithout"}, F({kAny}, kAny, [](Args& a) -> Result<Value> {
        Result<const List*> l = AsListArg(a[0], "find without");
        if (!l) {
          return l.error();
        }
        List out;
        for (const Value& v : **l) {
          if (std::none_of(a.begin() + 1, a.end(),
                           [&](const Value& o) { return DeepEqual(o, v); })) {
            out.push_back(v);
          }
        }
        return NewList(std::move(out));
      }));
  add({"has", "mustHas"}, F({kAny, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        if (a[1].is_nil()) {
          return Value(false);
        }
        Result<const List*> l = AsListArg(a[1], "find has");
        if (!l) {
          return l.error();
        }
        return Value(std::any_of((*l)->begin(), (*l)->end(),
                                 [&](const Value& v) { return DeepEqual(v, a[0]); }));
      }));
  add({"compact", "mustCompact"}, F({kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        Result<const List*> l = AsListArg(a[0], "compact");
        if (!l) {
          return l.error();
        }
        List out;
        for (const Value& v : **l) {
          if (!IsEmpty(v)) {
            out.push_back(v);
          }
        }
        return NewList(std::move(out));
      }));
  add({"chunk", "mustChunk"}, F({kInt, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
        Result<const List*> l = AsListArg(a[1], "chunk");
        if (!l) {
          return l.error();
        }
        int64_t size = a[0].AsInt();
        if (size <= 0) {
          return FuncError("runtime error: integer divide by zero");
        }
        List out;
        for (size_t i = 0; i < (*l)->size(); i += static_cast<size_t>(size)) {
          size_t end = std::min((*l)->size(), i + static_cast<size_t>(size));
          out.push_back(NewList(List((*l)->begin() + static_cast<std::ptrdiff_t>(i),
                                     (*l)->begin() + static_cast<std::ptrdiff_t>(end))));
        }
        return NewList(std::move(out));
      }));
  auto until_step = [](int64_t start, int64_t stop, int64_t step) -> Result<Value> {
    List out;
    if (stop < start) {
      for (int64_t i = start; step < 0 && i > stop; i += step) {
        out.push_back(Value(i));
        if (out.size() > kMaxBuilt) {
          return TooLarge("untilStep");
        }
      }
    } else {
      for (int64_t i = start; step > 0 && i < stop; i += step) {
        out.push_back(Value(i));
        if (out.size() > kMaxBuilt) {
          return TooLarge("untilStep");
        }
      }
    }
    return Value(std::move(out), "[]int");
  };
  m["until"] = F({kInt}, std::nullopt, [until_step](Args& a) {
    return until_step(0, a[0].AsInt(), a[0].AsInt() < 0 ? -1 : 1);
  });
  m["untilStep"] = F({kInt, kInt, kInt}, std::nullopt, [until_step](Args& a) {
    return until_step(a[0].AsInt(), a[1].AsInt(), a[2].AsInt());
  });
  m["seq"] = F({}, kInt, [until_step](Args& a) -> Result<Value> {
    Result<Value> r = Value(List{});
    if (a.size() == 1) {
      int64_t inc = a[0].AsInt() < 1 ? -1 : 1;
      r = until_step(1, a[0].AsInt() + inc, inc);
    } else if (a.size() == 2) {
      int64_t step = a[1].AsInt() < a[0].AsInt() ? -1 : 1;
      r = until_step(a[0].AsInt(), a[1].AsInt() + step, step);
    } else if (a.size() == 3) {
      int64_t start = a[0].AsInt();
      int64_t end = a[2].AsInt();
      int64_t inc = 1;
      if (end < start) {
        inc = -1;
        if (a[1].AsInt() > 0) {
          return Value("");
        }
      }
      r = until_step(start, end + inc, a[1].AsInt());
    }
    if (!r) {
      return r;
    }
    std::string out;
    for (const Value& v : r->AsList()) {
      out += (out.empty() ? "" : " ") + std::to_string(v.AsInt());
    }
    return Value(std::move(out));
  });
}

void AddDictFunctions(FuncMap& m) {
  m["dict"] = F({}, kAny, [](Args& a) -> Result<Value> {
    Map d;
    for (size_t i = 0; i < a.size(); i += 2) {
      d.Set(Value(ToGoString(a[i])), i + 1 < a.size() ? a[i + 1] : Value(""));
    }
    return Value(std::move(d));
  });
  m["get"] = F({ParamType::kMap, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    if (a[0].is_nil()) {
      return Value("");
    }
    const Value* v = a[0].AsMap().Find(a[1]);
    return v != nullptr ? *v : Value("");
  });
  m["set"] = F({ParamType::kMap, kStr, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
    if (a[0].is_nil()) {
      return FuncError("assignment to entry in nil map");
    }
    a[0].MutableMap().Set(a[1], a[2]);
    return a[0];
  });
  m["unset"] = F({ParamType::kMap, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    if (!a[0].is_nil()) {
      a[0].MutableMap().Erase(a[1]);
    }
    return a[0];
  });
  m["hasKey"] = F({ParamType::kMap, kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(!a[0].is_nil() && a[0].AsMap().Find(a[1]) != nullptr);
  });
  m["keys"] = F({}, ParamType::kMap, [](Args& a) -> Result<Value> {
    std::vector<std::string> keys;
    for (const Value& d : a) {
      if (!d.is_nil()) {
        for (const auto& [k, v] : d.AsMap().entries()) {
          keys.push_back(k.AsString());
        }
      }
    }
    return StringList(std::move(keys));
  });
  m["values"] = F({ParamType::kMap}, std::nullopt, [](Args& a) -> Result<Value> {
    List out;
    if (!a[0].is_nil()) {
      for (const auto& [k, v] : a[0].AsMap().entries()) {
        out.push_back(v);
      }
    }
    return NewList(std::move(out));
  });
  auto pick_or_omit = [](Args& a, bool pick) -> Result<Value> {
    Map out;
    if (a[0].is_nil()) {
      return Value(std::move(out));
    }
    for (const auto& entry : a[0].AsMap().entries()) {
      const std::string& key = entry.first.AsString();
      bool named = std::any_of(a.begin() + 1, a.end(),
                               [&key](const Value& n) { return n.AsString() == key; });
      if (named == pick) {
        out.Set(entry.first, entry.second);
      }
    }
    return Value(std::move(out));
  };
  m["pick"] = F({ParamType::kMap}, kStr, [pick_or_omit](Args& a) { return pick_or_omit(a, true); });
  m["omit"] =
      F({ParamType::kMap}, kStr, [pick_or_omit](Args& a) { return pick_or_omit(a, false); });
  auto merge = [](Args& a, bool overwrite) -> Result<Value> {
    if (a[0].is_nil()) {
      return FuncError("dst must be a map");
    }
    for (size_t i = 1; i < a.size(); ++i) {
      if (!a[i].is_nil()) {
        MergeInto(a[0].MutableMap(), a[i].AsMap(), overwrite);
      }
    }
    return a[0];
  };
  for (const char* name : {"merge", "mustMerge"}) {
    m[name] = F({ParamType::kMap}, ParamType::kMap, [merge](Args& a) { return merge(a, false); });
  }
  for (const char* name : {"mergeOverwrite", "mustMergeOverwrite"}) {
    m[name] = F({ParamType::kMap}, ParamType::kMap, [merge](Args& a) { return merge(a, true); });
  }
  for (const char* name : {"deepCopy", "mustDeepCopy"}) {
    m[name] = F({kAny}, std::nullopt, [](Args& a) -> Result<Value> { return DeepCopy(a[0]); });
  }
  m["pluck"] = F({kStr}, ParamType::kMap, [](Args& a) -> Result<Value> {
    List out;
    for (size_t i = 1; i < a.size(); ++i) {
      if (!a[i].is_nil()) {
        if (const Value* v = a[i].AsMap().Find(a[0])) {
          out.push_back(*v);
        }
      }
    }
    return NewList(std::move(out));
  });
  m["dig"] = F({}, kAny, [](Args& a) -> Result<Value> {
    if (a.size() < 3) {
      return FuncError("dig needs at least three arguments");
    }
    if (a.back().kind() != Value::Kind::kMap) {
      return FuncError("last argument of dig must be a map");
    }
    Value current = a.back();
    for (size_t i = 0; i + 2 < a.size(); ++i) {
      if (current.kind() != Value::Kind::kMap) {
        return a[a.size() - 2];
      }
      const Value* next = current.AsMap().Find(Value(ToGoString(a[i])));
      if (next == nullptr) {
        return a[a.size() - 2];
      }
      current = *next;
    }
    return current;
  });
}

void AddLogicAndMathFunctions(FuncMap& m) {
  m["default"] = F({kAny}, kAny, [](Args& a) -> Result<Value> {
    return a.size() < 2 || IsEmpty(a[1]) ? a[0] : a[1];
  });
  m["empty"] = F({kAny}, std::nullopt, [](Args& a) -> Result<Value> { return IsEmpty(a[0]); });
  m["coalesce"] = F({}, kAny, [](Args& a) -> Result<Value> {
    for (const Value& v : a) {
      if (!IsEmpty(v)) {
        return v;
      }
    }
    return Value();
  });
  m["all"] = F({}, kAny, [](Args& a) -> Result<Value> {
    return Value(std::none_of(a.begin(), a.end(), IsEmpty));
  });
  m["any"] = F({}, kAny, [](Args& a) -> Result<Value> {
    return Value(a.empty() ? false : !std::all_of(a.begin(), a.end(), IsEmpty));
  });
  m["ternary"] = F({kAny, kAny, ParamType::kBool}, std::nullopt,
                   [](Args& a) -> Result<Value> { return a[2].AsBool() ? a[0] : a[1]; });
  m["fail"] =
      F({kStr}, std::nullopt, [](Args& a) -> Result<Value> { return FuncError(a[0].AsString()); });
  m["add"] = F({}, kAny, [](Args& a) -> Result<Value> {
    int64_t sum = 0;
    for (const Value& v : a) {
      sum = static_cast<int64_t>(static_cast<uint64_t>(sum) + static_cast<uint64_t>(ToInt64(v)));
    }
    return Value(sum);
  });
  m["add1"] = F({kAny}, std::nullopt, [](Args& a) { return IntResult(ToInt64(a[0]) + 1); });
  m["sub"] = F({kAny, kAny}, std::nullopt, [](Args& a) {
    return IntResult(static_cast<int64_t>(static_cast<uint64_t>(ToInt64(a[0])) -
                                          static_cast<uint64_t>(ToInt64(a[1]))));
  });
  m["mul"] = F({kAny}, kAny, [](Args& a) -> Result<Value> {
    uint64_t product = static_cast<uint64_t>(ToInt64(a[0]));
    for (size_t i = 1; i < a.size(); ++i) {
      product *= static_cast<uint64_t>(ToInt64(a[i]));
    }
    return Value(static_cast<int64_t>(product));
  });
  auto divmod = [](Args& a, bool mod) -> Result<Value> {
    int64_t x = ToInt64(a[0]);
    int64_t y = ToInt64(a[1]);
    if (y == 0) {
      return FuncError("runtime error: integer divide by zero");
    }
    if (y == -1) {
      return Value(mod ? int64_t{0} : static_cast<int64_t>(0 - static_cast<uint64_t>(x)));
    }
    return Value(mod ? x % y : x / y);
  };
  m["div"] = F({kAny, kAny}, std::nullopt, [divmod](Args& a) { return divmod(a, false); });
  m["mod"] = F({kAny, kAny}, std::nullopt, [divmod](Args& a) { return divmod(a, true); });
  auto extreme = [](Args& a, bool want_max) -> Result<Value> {
    int64_t best = ToInt64(a[0]);
    for (size_t i = 1; i < a.size(); ++i) {
      int64_t v = ToInt64(a[i]);
      best = want_max ? std::max(best, v) : std::min(best, v);
    }
    return Value(best);
  };
  m["max"] = F({kAny}, kAny, [extreme](Args& a) { return extreme(a, true); });
  m["biggest"] = m["max"];
  m["min"] = F({kAny}, kAny, [extreme](Args& a) { return extreme(a, false); });
  auto float_fold = [](Args& a, double init, double (*op)(double, double)) -> Result<Value> {
    double acc = init;
    for (size_t i = 0; i < a.size(); ++i) {
      acc = (i == 0 && std::isnan(init)) ? ToFloat64(a[i]) : op(acc, ToFloat64(a[i]));
    }
    return Value(DecimalRound(acc));
  };
  m["addf"] = F({}, kAny, [float_fold](Args& a) {
    return float_fold(a, 0, [](double x, double y) { return x + y; });
  });
  m["add1f"] = F({kAny}, std::nullopt,
                 [](Args& a) -> Result<Value> { return Value(DecimalRound(ToFloat64(a[0]) + 1)); });
  m["subf"] = F({kAny}, kAny, [float_fold](Args& a) {
    return float_fold(a, NAN, [](double x, double y) { return x - y; });
  });
  m["mulf"] = F({kAny}, kAny, [float_fold](Args& a) {
    return float_fold(a, NAN, [](double x, double y) { return x * y; });
  });
  m["divf"] = F({kAny}, kAny, [](Args& a) -> Result<Value> {
    double acc = ToFloat64(a[0]);
    for (size_t i = 1; i < a.size(); ++i) {
      double d = ToFloat64(a[i]);
      if (d == 0) {
        return FuncError("decimal division by 0");
      }
      acc /= d;
    }
    return Value(DecimalRound(acc));
  });
  m["maxf"] = F({kAny}, kAny, [float_fold](Args& a) {
    return float_fold(a, NAN, [](double x, double y) { return std::max(x, y); });
  });
  m["minf"] = F({kAny}, kAny, [float_fold](Args& a) {
    return float_fold(a, NAN, [](double x, double y) { return std::min(x, y); });
  });
  m["floor"] = F({kAny}, std::nullopt,
                 [](Args& a) -> Result<Value> { return Value(std::floor(ToFloat64(a[0]))); });
  m["ceil"] = F({kAny}, std::nullopt,
                [](Args& a) -> Result<Value> { return Value(std::ceil(ToFloat64(a[0]))); });
  m["round"] = F({kAny, kInt}, ParamType::kFloat, [](Args& a) -> Result<Value> {
    double round_on = a.size() > 2 ? a[2].AsFloat() : 0.5;
    double pow = std::pow(10.0, static_cast<double>(a[1].AsInt()));
    double digit = pow * ToFloat64(a[0]);
    double int_part = 0;
    double frac = std::modf(digit, &int_part);
    return Value((frac >= round_on ? std::ceil(digit) : std::floor(digit)) / pow);
  });
  m["int"] = F({kAny}, std::nullopt, [](Args& a) { return IntResult(ToInt64(a[0])); });
  m["int64"] = m["int"];
  m["float64"] =
      F({kAny}, std::nullopt, [](Args& a) -> Result<Value> { return Value(ToFloat64(a[0])); });
  m["atoi"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    const std::string& s = a[0].AsString();
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    bool ok = !s.empty() && end == s.c_str() + s.size() && errno == 0 &&
              (IsDigit(s[0]) || s[0] == '-' || s[0] == '+');
    return Value(ok ? static_cast<int64_t>(v) : int64_t{0});
  });
  m["toDecimal"] = F({kAny}, std::nullopt, [](Args& a) -> Result<Value> {
    std::string s = ToGoString(a[0]);
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 8);
    return Value(!s.empty() && end == s.c_str() + s.size() ? static_cast<int64_t>(v) : int64_t{0});
  });
}

void AddEncodingFunctions(FuncMap& m) {
  m["b64enc"] = F({kStr}, std::nullopt,
                  [](Args& a) -> Result<Value> { return Value(BaseEncode(a[0].AsString(), 6)); });
  m["b64dec"] = F({kStr}, std::nullopt,
                  [](Args& a) -> Result<Value> { return Value(BaseDecode(a[0].AsString(), 6)); });
  m["b32enc"] = F({kStr}, std::nullopt,
                  [](Args& a) -> Result<Value> { return Value(BaseEncode(a[0].AsString(), 5)); });
  m["b32dec"] = F({kStr}, std::nullopt,
                  [](Args& a) -> Result<Value> { return Value(BaseDecode(a[0].AsString(), 5)); });
  m["sha1sum"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(Digest(EVP_sha1(), a[0].AsString()));
  });
  m["sha256sum"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(Digest(EVP_sha256(), a[0].AsString()));
  });
  m["sha512sum"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(Digest(EVP_sha512(), a[0].AsString()));
  });
  m["adler32sum"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(std::to_string(Adler32(a[0].AsString())));
  });
  auto json = [](int indent, bool html, bool must) {
    return F({kAny}, std::nullopt, [indent, html, must](Args& a) -> Result<Value> {
      Result<std::string> s = ToJson(a[0], indent, html);
      if (!s) {
        return must ? Result<Value>(s.error()) : Result<Value>(Value(""));
      }
      return Value(std::move(*s));
    });
  };
  m["toJson"] = json(0, true, false);
  m["mustToJson"] = json(0, true, true);
  m["toPrettyJson"] = json(2, true, false);
  m["mustToPrettyJson"] = json(2, true, true);
  m["toRawJson"] = json(0, false, false);
  m["mustToRawJson"] = json(0, false, true);
  m["fromJson"] = F({kStr}, std::nullopt, [](Args& a) -> Result<Value> {
    Result<Value> v = FromJson(a[0].AsString());
    return v ? *v : Value();
  });
  m["mustFromJson"] =
      F({kStr}, std::nullopt, [](Args& a) -> Result<Value> { return FromJson(a[0].AsString()); });
}

void AddReflectionFunctions(FuncMap& m) {
  m["typeOf"] =
      F({kAny}, std::nullopt, [](Args& a) -> Result<Value> { return Value(a[0].TypeName()); });
  m["kindOf"] =
      F({kAny}, std::nullopt, [](Args& a) -> Result<Value> { return Value(a[0].KindName()); });
  m["typeIs"] = F({kStr, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(a[0].AsString() == a[1].TypeName());
  });
  m["typeIsLike"] = F({kStr, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
    std::string t = a[1].TypeName();
    return Value(a[0].AsString() == t || a[0].AsString() == "*" + t);
  });
  m["kindIs"] = F({kStr, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
    return Value(a[0].AsString() == a[1].KindName());
  });
  m["deepEqual"] = F({kAny, kAny}, std::nullopt,
                     [](Args& a) -> Result<Value> { return Value(DeepEqual(a[0], a[1])); });
}

FuncMap BuildSprig() {
  FuncMap m;
  AddStringFunctions(m);
  AddListFunctions(m);
  AddDictFunctions(m);
  AddLogicAndMathFunctions(m);
  AddEncodingFunctions(m);
  AddReflectionFunctions(m);
  AddRegexFunctions(m);
  return m;
}

}  // namespace

const FuncMap& SprigFunctions() {
  static const FuncMap* const kSprig = new FuncMap(BuildSprig());
  return *kSprig;
}

std::string ToGoString(const Value& value) {
  if (value.is_string()) {
    return value.AsString();
  }
  return FormatValue(value);
}

bool IsEmpty(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kNil:
      return true;
    case Value::Kind::kBool:
      return !value.AsBool();
    case Value::Kind::kInt:
      return value.AsInt() == 0;
    case Value::Kind::kFloat:
      return value.AsFloat() == 0;
    case Value::Kind::kString:
    case Value::Kind::kList:
    case Value::Kind::kMap:
      return value.Length() == 0;
    case Value::Kind::kObject:
    case Value::Kind::kFunction:
      return false;
  }
  return false;
}

Result<std::string> ToJson(const Value& value, int indent, bool escape_html) {
  std::string out;
  Result<void> r = JsonEncode(&out, value, indent, 0, escape_html);
  if (!r) {
    return r.error();
  }
  return out;
}

Result<Value> FromJson(std::string_view json) { return JsonParser(json).ParseDocument(); }

Result<std::string> RenderCommitMessage(std::string_view template_text, const Value& data) {
  if (template_text.empty()) {
    return std::string(kDefaultCommitMessage);
  }
  Result<Template> tmpl = Template::Parse("commit message", template_text, SprigFunctions());
  if (!tmpl) {
    return tmpl.error().Wrap("unable to create commit message template from spec");
  }
  Result<std::string> message = tmpl->Execute(data);
  if (!message) {
    return message.error().Wrap("failed to run template from spec");
  }
  return message;
}

}  // namespace imgauto::gotemplate
