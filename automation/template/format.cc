#include "automation/template/format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace imgauto::gotemplate {
namespace {

// Stops rendering pathological (self-referencing or huge) values; the executor's output limit
// turns the oversized result into an error.
constexpr size_t kMaxRenderBytes = 8u << 20;
constexpr int kMaxRenderDepth = 64;
constexpr int kMaxWidth = 1000000;  // Go's fmt rejects larger widths and precisions

struct Flags {
  bool plus = false;
  bool minus = false;
  bool sharp = false;
  bool space = false;
  bool zero = false;
  bool wid_present = false;
  bool prec_present = false;
  int wid = 0;
  int prec = 0;
};

class Printer {
 public:
  explicit Printer(std::string* out) : out_(out) {}

  void PrintArg(const Value& arg, char verb, Flags flags);
  void BadVerb(const Value& arg, char verb);

 private:
  void PrintValue(const Value& value, char verb, int depth);
  void Pad(std::string_view text);
  void FmtInteger(int64_t v, int base, char verb);
  void FmtFloat(double v, char verb);
  void FmtString(const std::string& s, char verb, const Value& arg);

  std::string* out_;
  Flags f_;
};

void Printer::Pad(std::string_view text) {
  if (!f_.wid_present || f_.wid == 0) {
    out_->append(text);
    return;
  }
  size_t width = RuneCount(text);
  if (width >= static_cast<size_t>(f_.wid)) {
    out_->append(text);
    return;
  }
  std::string padding(static_cast<size_t>(f_.wid) - width, f_.zero ? '0' : ' ');
  if (f_.minus) {
    out_->append(text);
    out_->append(std::string(padding.size(), ' '));
  } else {
    out_->append(padding);
    out_->append(text);
  }
}

void Printer::BadVerb(const Value& arg, char verb) {
  out_->append("%!");
  out_->push_back(verb);
  out_->push_back('(');
  if (arg.is_nil()) {
    out_->append("<nil>");
  } else {
    out_->append(arg.TypeName());
    out_->push_back('=');
    Printer inner(out_);
    inner.PrintArg(arg, 'v', Flags{});
  }
  out_->push_back(')');
}

void Printer::FmtInteger(int64_t v, int base, char verb) {
  bool negative = v < 0;
  uint64_t u = negative ? (~static_cast<uint64_t>(v) + 1) : static_cast<uint64_t>(v);
  if (verb == 'c') {
    std::string s;
    AppendRune(&s, static_cast<int32_t>(v));
    Pad(s);
    return;
  }
  if (verb == 'q') {
    Pad(QuoteRune(static_cast<int32_t>(v)));
    return;
  }
  if (verb == 'U') {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof(buf), u, 16);
    std::string hex(buf, res.ptr);
    for (char& c : hex) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    while (hex.size() < 4) {
      hex.insert(hex.begin(), '0');
    }
    Pad("U+" + hex);
    return;
  }
  int prec = -1;
  if (f_.prec_present) {
    prec = f_.prec;
    if (prec == 0 && u == 0) {
      bool old_zero = f_.zero;
      f_.zero = false;
      Pad("");
      f_.zero = old_zero;
      return;
    }
  } else if (f_.zero && f_.wid_present && !f_.minus) {
    prec = f_.wid;
    if (negative || f_.plus || f_.space) {
      --prec;  // the sign takes a column
    }
  }
  char buf[80];
  auto res = std::to_chars(buf, buf + sizeof(buf), u, base);
  std::string digits(buf, res.ptr);
  if (verb == 'X') {
    for (char& c : digits) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  while (prec > 0 && digits.size() < static_cast<size_t>(prec)) {
    digits.insert(digits.begin(), '0');
  }
  std::string prefix;
  if (f_.sharp) {
    if (base == 16) {
      prefix = verb == 'X' ? "0X" : "0x";
    } else if (base == 8 && digits[0] != '0') {
      prefix = "0";
    } else if (base == 2) {
      prefix = "0b";
    }
  }
  if (verb == 'O') {
    prefix = "0o";
  }
  std::string sign;
  if (negative) {
    sign = "-";
  } else if (f_.plus) {
    sign = "+";
  } else if (f_.space) {
    sign = " ";
  }
  bool old_zero = f_.zero;
  f_.zero = false;
  Pad(sign + prefix + digits);
  f_.zero = old_zero;
}

void Printer::FmtFloat(double v, char verb) {
  char fmt = verb == 'v' ? 'g' : static_cast<char>(std::tolower(static_cast<unsigned char>(verb)));
  int prec = (fmt == 'e' || fmt == 'f') ? 6 : -1;
  if (f_.prec_present) {
    prec = f_.prec;
  }
  std::string num = FormatFloat(v, fmt, prec);
  if (verb == 'E' || verb == 'G') {
    for (char& c : num) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  if (num[0] != '-' && num[0] != '+') {
    num.insert(num.begin(), '+');
  }
  if (f_.space && num[0] == '+' && !f_.plus) {
    num[0] = ' ';
  }
  if (num[1] == 'I' || num[1] == 'N' || num[1] == 'i' || num[1] == 'n') {
    bool old_zero = f_.zero;
    f_.zero = false;
    if ((num[1] == 'N' || num[1] == 'n') && !f_.space && !f_.plus) {
      num.erase(0, 1);
    }
    Pad(num);
    f_.zero = old_zero;
    return;
  }
  if (f_.plus || num[0] != '+') {
    if (f_.zero && f_.wid_present && f_.wid > static_cast<int>(num.size())) {
      out_->push_back(num[0]);
      out_->append(static_cast<size_t>(f_.wid) - num.size(), '0');
      out_->append(num, 1);
      return;
    }
    Pad(num);
    return;
  }
  Pad(std::string_view(num).substr(1));
}

void Printer::FmtString(const std::string& s, char verb, const Value& arg) {
  switch (verb) {
    case 'v':
    case 's': {
      if (f_.prec_present) {
        size_t pos = 0;
        for (int n = 0; n < f_.prec && pos < s.size(); ++n) {
          size_t width = 0;
          DecodeRune(s, pos, &width);
          pos += width;
        }
        Pad(std::string_view(s).substr(0, pos));
        return;
      }
      Pad(s);
      return;
    }
    case 'q':
      Pad(QuoteString(s));
      return;
    case 'x':
    case 'X': {
      const char* digits = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
      std::string hex;
      for (unsigned char c : s) {
        hex.push_back(digits[c >> 4]);
        hex.push_back(digits[c & 15]);
      }
      Pad(hex);
      return;
    }
    default:
      BadVerb(arg, verb);
  }
}

void Printer::PrintArg(const Value& arg, char verb, Flags flags) {
  f_ = flags;
  if (verb == 'T') {
    Pad(arg.TypeName());
    return;
  }
  if (arg.is_nil()) {
    if (verb == 'v') {
      Pad("<nil>");
    } else {
      BadVerb(arg, verb);
    }
    return;
  }
  PrintValue(arg, verb, 0);
}

void Printer::PrintValue(const Value& value, char verb, int depth) {
  if (out_->size() > kMaxRenderBytes || depth > kMaxRenderDepth) {
    return;
  }
  switch (value.kind()) {
    case Value::Kind::kNil:
      if (depth == 0) {
        out_->append("<invalid reflect.Value>");
      } else {
        Pad("<nil>");
      }
      return;
    case Value::Kind::kBool:
      if (verb == 't' || verb == 'v') {
        Pad(value.AsBool() ? "true" : "false");
      } else {
        BadVerb(value, verb);
      }
      return;
    case Value::Kind::kInt:
      switch (verb) {
        case 'v':
        case 'd':
          FmtInteger(value.AsInt(), 10, verb);
          return;
        case 'b':
          FmtInteger(value.AsInt(), 2, verb);
          return;
        case 'o':
        case 'O':
          FmtInteger(value.AsInt(), 8, verb);
          return;
        case 'x':
        case 'X':
          FmtInteger(value.AsInt(), 16, verb);
          return;
        case 'c':
        case 'q':
        case 'U':
          FmtInteger(value.AsInt(), 10, verb);
          return;
        default:
          BadVerb(value, verb);
          return;
      }
    case Value::Kind::kFloat:
      switch (verb) {
        case 'v':
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
          FmtFloat(value.AsFloat(), verb);
          return;
        default:
          BadVerb(value, verb);
          return;
      }
    case Value::Kind::kString:
      FmtString(value.AsString(), verb, value);
      return;
    case Value::Kind::kList: {
      out_->push_back('[');
      const List& items = value.AsList();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
          out_->push_back(' ');
        }
        PrintValue(items[i], verb, depth + 1);
      }
      out_->push_back(']');
      return;
    }
    case Value::Kind::kMap: {
      out_->append("map[");
      bool first = true;
      for (const auto& [key, item] : value.AsMap().entries()) {
        if (!first) {
          out_->push_back(' ');
        }
        first = false;
        PrintValue(key, verb, depth + 1);
        out_->push_back(':');
        PrintValue(item, verb, depth + 1);
      }
      out_->push_back(']');
      return;
    }
    case Value::Kind::kObject: {
      const Object& object = value.AsObject();
      if (object.string_form() &&
          (verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X')) {
        FmtString(*object.string_form(), verb, value);
        return;
      }
      out_->push_back('{');
      bool first = true;
      for (const Object::Field& field : object.fields()) {
        if (!first) {
          out_->push_back(' ');
        }
        first = false;
        if (f_.plus && verb == 'v') {
          out_->append(field.name);
          out_->push_back(':');
        }
        PrintValue(field.value, verb, depth + 1);
      }
      out_->push_back('}');
      return;
    }
    case Value::Kind::kFunction:
      Pad("0x1");
      return;
  }
}

// Parses a decimal number for widths and precisions; returns -1 when absent.
int ParseNum(std::string_view format, size_t* i) {
  if (*i >= format.size() || format[*i] < '0' || format[*i] > '9') {
    return -1;
  }
  int64_t n = 0;
  while (*i < format.size() && format[*i] >= '0' && format[*i] <= '9') {
    if (n <= kMaxWidth) {
      n = n * 10 + (format[*i] - '0');
    }
    ++*i;
  }
  return static_cast<int>(n);
}

// Shortest decimal digits and decimal-point position of a finite, non-negative double.
void ShortestDigits(double v, std::string* digits, int* dp) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = s.find('e');
  digits->clear();
  for (char c : s.substr(0, e)) {
    if (c != '.') {
      digits->push_back(c);
    }
  }
  while (digits->size() > 1 && digits->back() == '0') {
    digits->pop_back();
  }
  *dp = std::atoi(std::string(s.substr(e + 1)).c_str()) + 1;
  if (*digits == "0") {
    *dp = 1;
  }
}

std::string ExpSuffix(char e, int exp) {
  std::string out(1, e);
  out.push_back(exp < 0 ? '-' : '+');
  int a = std::abs(exp);
  if (a < 10) {
    out.push_back('0');
  }
  out.append(std::to_string(a));
  return out;
}

}  // namespace

std::string FormatFloat(double value, char fmt, int prec) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  std::string sign = std::signbit(value) ? "-" : "";
  double a = std::fabs(value);
  char buf[2048];
  if (prec >= 0) {
    std::chars_format cf = fmt == 'e'   ? std::chars_format::scientific
                           : fmt == 'f' ? std::chars_format::fixed
                                        : std::chars_format::general;
    int p = (fmt == 'g' && prec == 0) ? 1 : std::min(prec, 1000);
    auto res = std::to_chars(buf, buf + sizeof(buf), a, cf, p);
    if (res.ec != std::errc()) {
      return sign + "0";
    }
    return sign + std::string(buf, res.ptr);
  }
  std::string digits;
  int dp = 0;
  ShortestDigits(a, &digits, &dp);
  int exp = dp - 1;
  // strconv's %g with shortest digits switches to the exponent form at 1e-4 and 1e6 (eprec 6).
  bool use_e = fmt == 'e' || (fmt == 'g' && (exp < -4 || exp >= 6));
  std::string out = sign;
  if (use_e) {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.append(ExpSuffix('e', exp));
    return out;
  }
  if (dp <= 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-dp), '0');
    out.append(digits);
    return out;
  }
  if (static_cast<size_t>(dp) >= digits.size()) {
    out.append(digits);
    out.append(static_cast<size_t>(dp) - digits.size(), '0');
    return out;
  }
  out.append(digits, 0, static_cast<size_t>(dp));
  out.push_back('.');
  out.append(digits, static_cast<size_t>(dp));
  return out;
}

namespace {

bool IsPrintRune(int32_t r) {
  if (r < 0x80) {
    return r >= 0x20 && r < 0x7F;
  }
  if (r < 0xA1 || r == 0xAD || (r >= 0x200B && r <= 0x200F) || r == 0x2028 || r == 0x2029 ||
      (r >= 0x2060 && r <= 0x206F) || r == 0xFEFF || (r >= 0xE000 && r <= 0xF8FF) ||
      (r >= 0xFFF0 && r <= 0xFFFB) || r == 0xFFFE || r == 0xFFFF) {
    return false;
  }
  return true;
}

void AppendHex(std::string* out, uint32_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out->push_back(kHex[(v >> (4 * i)) & 15]);
  }
}

void AppendEscapedRune(std::string* out, int32_t r, char quote) {
  if (r == quote || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if (IsPrintRune(r)) {
    AppendRune(out, r);
    return;
  }
  switch (r) {
    case '\a':
      out->append("\\a");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\v':
      out->append("\\v");
      return;
    default:
      break;
  }
  if (r < ' ' || r == 0x7F) {
    out->append("\\x");
    AppendHex(out, static_cast<uint32_t>(r), 2);
  } else if (r < 0x10000) {
    out->append("\\u");
    AppendHex(out, static_cast<uint32_t>(r), 4);
  } else {
    out->append("\\U");
    AppendHex(out, static_cast<uint32_t>(r), 8);
  }
}

}  // namespace

std::string QuoteString(std::string_view text) {
  std::string out = "\"";
  for (size_t pos = 0; pos < text.size();) {
    size_t width = 0;
    int32_t r = DecodeRune(text, pos, &width);
    if (r == 0xFFFD && width == 1) {
      out.append("\\x");
      AppendHex(&out, static_cast<unsigned char>(text[pos]), 2);
    } else {
      AppendEscapedRune(&out, r, '"');
    }
    pos += width;
  }
  out.push_back('"');
  return out;
}

std::string QuoteRune(int32_t rune) {
  if (rune < 0 || rune > 0x10FFFF || (rune >= 0xD800 && rune <= 0xDFFF)) {
    rune = 0xFFFD;
  }
  std::string out = "'";
  AppendEscapedRune(&out, rune, '\'');
  out.push_back('\'');
  return out;
}

std::string FormatValue(const Value& value) {
  std::string out;
  Printer(&out).PrintArg(value, 'v', Flags{});
  return out;
}

std::string Sprint(const List& args) {
  std::string out;
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_string = args[i].is_string();
    if (i > 0 && !is_string && !prev_string) {
      out.push_back(' ');
    }
    Printer(&out).PrintArg(args[i], 'v', Flags{});
    prev_string = is_string;
  }
  return out;
}

std::string Sprintln(const List& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) {
      out.push_back(' ');
    }
    Printer(&out).PrintArg(args[i], 'v', Flags{});
  }
  out.push_back('\n');
  return out;
}

std::string Sprintf(std::string_view format, const List& args) {
  std::string out;
  size_t arg_num = 0;
  bool reordered = false;
  size_t i = 0;
  while (i < format.size()) {
    size_t start = i;
    while (i < format.size() && format[i] != '%') {
      ++i;
    }
    out.append(format.substr(start, i - start));
    if (i >= format.size()) {
      break;
    }
    ++i;  // skip '%'
    Flags flags;
    for (; i < format.size(); ++i) {
      char c = format[i];
      if (c == '#') {
        flags.sharp = true;
      } else if (c == '0') {
        flags.zero = !flags.minus;
      } else if (c == '+') {
        flags.plus = true;
      } else if (c == '-') {
        flags.minus = true;
        flags.zero = false;
      } else if (c == ' ') {
        flags.space = true;
      } else {
        break;
      }
    }
    bool good_arg_num = true;
    auto arg_index = [&]() {
      if (i < format.size() && format[i] == '[') {
        reordered = true;
        size_t close = format.find(']', i);
        size_t j = i + 1;
        int n = ParseNum(format, &j);
        if (close == std::string_view::npos || j != close || n < 1 ||
            static_cast<size_t>(n) > args.size()) {
          good_arg_num = false;
          i = close == std::string_view::npos ? format.size() : close + 1;
          return;
        }
        arg_num = static_cast<size_t>(n - 1);
        i = close + 1;
      }
    };
    arg_index();
    if (i < format.size() && format[i] == '*') {
      ++i;
      if (arg_num < args.size() && args[arg_num].kind() == Value::Kind::kInt &&
          std::llabs(args[arg_num].AsInt()) <= kMaxWidth) {
        int64_t w = args[arg_num].AsInt();
        flags.wid_present = true;
        flags.wid = static_cast<int>(w < 0 ? -w : w);
        if (w < 0) {
          flags.minus = true;
          flags.zero = false;
        }
      } else {
        out.append("%!(BADWIDTH)");
      }
      ++arg_num;
    } else {
      int w = ParseNum(format, &i);
      if (w >= 0) {
        flags.wid_present = true;
        flags.wid = w;
        if (w > kMaxWidth) {
          out.append("%!(BADWIDTH)");
          flags.wid_present = false;
        }
      }
    }
    if (i < format.size() && format[i] == '.') {
      ++i;
      arg_index();
      if (i < format.size() && format[i] == '*') {
        ++i;
        if (arg_num < args.size() && args[arg_num].kind() == Value::Kind::kInt &&
            args[arg_num].AsInt() >= 0 && args[arg_num].AsInt() <= kMaxWidth) {
          flags.prec_present = true;
          flags.prec = static_cast<int>(args[arg_num].AsInt());
        } else {
          out.append("%!(BADPREC)");
        }
        ++arg_num;
      } else {
        int p = ParseNum(format, &i);
        flags.prec_present = true;
        flags.prec = p < 0 ? 0 : p;
        if (p > kMaxWidth) {
          out.append("%!(BADPREC)");
          flags.prec_present = false;
        }
      }
    }
    arg_index();
    if (i >= format.size()) {
      out.append("%!(NOVERB)");
      break;
    }
    size_t verb_width = 0;
    int32_t verb_rune = DecodeRune(format, i, &verb_width);
    i += verb_width;
    char verb = verb_rune < 0x80 ? static_cast<char>(verb_rune) : '?';
    if (verb == '%') {
      out.push_back('%');
      continue;
    }
    if (!good_arg_num) {
      out.append("%!");
      AppendRune(&out, verb_rune);
      out.append("(BADINDEX)");
      continue;
    }
    if (arg_num >= args.size()) {
      out.append("%!");
      AppendRune(&out, verb_rune);
      out.append("(MISSING)");
      continue;
    }
    Printer printer(&out);
    if (verb_rune >= 0x80) {
      printer.BadVerb(args[arg_num], verb);
    } else {
      printer.PrintArg(args[arg_num], verb, flags);
    }
    ++arg_num;
  }
  if (!reordered && arg_num < args.size()) {
    out.append("%!(EXTRA ");
    for (size_t k = arg_num; k < args.size(); ++k) {
      if (k > arg_num) {
        out.append(", ");
      }
      if (args[k].is_nil()) {
        out.append("<nil>");
      } else {
        out.append(args[k].TypeName());
        out.push_back('=');
        Printer(&out).PrintArg(args[k], 'v', Flags{});
      }
    }
    out.push_back(')');
  }
  return out;
}

int32_t DecodeRune(std::string_view s, size_t pos, size_t* width) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[pos + k]); };
  *width = 1;
  if (pos >= s.size()) {
    return 0xFFFD;
  }
  unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    return b0;
  }
  size_t need = 0;
  int32_t r = 0;
  int32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    r = b0 & 0x1F;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    r = b0 & 0x0F;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    r = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0xFFFD;
  }
  if (pos + need >= s.size()) {
    return 0xFFFD;
  }
  for (size_t k = 1; k <= need; ++k) {
    unsigned char b = byte(k);
    if ((b & 0xC0) != 0x80) {
      return 0xFFFD;
    }
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    return 0xFFFD;
  }
  *width = need + 1;
  return r;
}

void AppendRune(std::string* out, int32_t r) {
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    r = 0xFFFD;
  }
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

size_t RuneCount(std::string_view text) {
  size_t n = 0;
  for (size_t pos = 0; pos < text.size(); ++n) {
    size_t width = 0;
    DecodeRune(text, pos, &width);
    pos += width;
  }
  return n;
}

}  // namespace imgauto::gotemplate
