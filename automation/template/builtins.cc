#include "automation/template/builtins.h"

#include "automation/template/format.h"

namespace imgauto::gotemplate {
namespace {

using Args = std::vector<Value>;

Error FuncError(std::string message) { return Error(ErrorKind::kInvalidSpec, std::move(message)); }

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString, kOther };

BasicKind KindOf(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNil:
      return BasicKind::kInvalid;
    case Value::Kind::kBool:
      return BasicKind::kBool;
    case Value::Kind::kInt:
      return BasicKind::kInt;
    case Value::Kind::kFloat:
      return BasicKind::kFloat;
    case Value::Kind::kString:
      return BasicKind::kString;
    default:
      return BasicKind::kOther;
  }
}

// Go's evalArgs for html/js/urlquery: a lone string as is, otherwise fmt.Sprint.
std::string EvalArgs(const Args& args) {
  if (args.size() == 1 && args[0].is_string()) {
    return args[0].AsString();
  }
  return Sprint(args);
}

Result<int64_t> IndexArg(const Value& index, int64_t cap) {
  if (index.is_nil()) {
    return FuncError("cannot index slice/array with nil");
  }
  if (index.kind() != Value::Kind::kInt) {
    return FuncError("cannot index slice/array with type " + index.TypeName());
  }
  int64_t x = index.AsInt();
  if (x < 0 || x > cap) {
    return FuncError("index out of range: " + std::to_string(x));
  }
  return x;
}

Result<Value> IndexBuiltin(Args& args) {
  Value item = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    const Value& index = args[i];
    switch (item.kind()) {
      case Value::Kind::kNil:
        return FuncError("index of untyped nil");
      case Value::Kind::kList:
      case Value::Kind::kString: {
        int64_t len = item.Length();
        Result<int64_t> x = IndexArg(index, len);
        if (!x) {
          return x.error();
        }
        if (*x == len) {
          return FuncError("index out of range: " + std::to_string(*x));
        }
        if (item.is_string()) {
          item = Value(static_cast<int64_t>(
              static_cast<unsigned char>(item.AsString()[static_cast<size_t>(*x)])));
        } else {
          item = item.AsList()[static_cast<size_t>(*x)];
        }
        break;
      }
      case Value::Kind::kMap: {
        const Map& map = item.AsMap();
        if (map.string_keys() && !index.is_string()) {
          if (index.is_nil()) {
            return FuncError("value is nil; should be of type string");
          }
          return FuncError("value has type " + index.TypeName() + "; should be string");
        }
        const Value* found = map.Find(index);
        item = found != nullptr ? *found : map.zero();
        break;
      }
      default:
        return FuncError("can't index item of type " + item.TypeName());
    }
  }
  return item;
}

Result<Value> SliceBuiltin(Args& args) {
  const Value& item = args[0];
  if (item.is_nil()) {
    return FuncError("slice of untyped nil");
  }
  if (args.size() > 4) {
    return FuncError("too many slice indexes: " + std::to_string(args.size() - 1));
  }
  if (item.kind() != Value::Kind::kList && !item.is_string()) {
    return FuncError("can't slice item of type " + item.TypeName());
  }
  if (item.is_string() && args.size() == 4) {
    return FuncError("cannot 3-index slice a string");
  }
  int64_t cap = item.Length();
  int64_t idx[3] = {0, cap, cap};
  for (size_t i = 1; i < args.size(); ++i) {
    Result<int64_t> x = IndexArg(args[i], cap);
    if (!x) {
      return x.error();
    }
    idx[i - 1] = *x;
  }
  if (idx[0] > idx[1]) {
    return FuncError("invalid slice index: " + std::to_string(idx[0]) + " > " +
                     std::to_string(idx[1]));
  }
  if (args.size() == 4 && idx[1] > idx[2]) {
    return FuncError("invalid slice index: " + std::to_string(idx[1]) + " > " +
                     std::to_string(idx[2]));
  }
  if (item.is_string()) {
    return Value(
        item.AsString().substr(static_cast<size_t>(idx[0]), static_cast<size_t>(idx[1] - idx[0])));
  }
  const List& list = item.AsList();
  return Value(List(list.begin() + idx[0], list.begin() + idx[1]), item.TypeName());
}

Result<Value> LenBuiltin(Args& args) {
  const Value& item = args[0];
  if (item.is_nil()) {
    return FuncError("len of untyped nil");
  }
  int64_t n = item.Length();
  if (n < 0) {
    return FuncError("len of type " + item.TypeName());
  }
  return Value(n);
}

Result<Value> CallBuiltin(Args& args) {
  const Value& fn = args[0];
  if (fn.is_nil()) {
    return FuncError("call of nil");
  }
  if (fn.kind() != Value::Kind::kFunction) {
    return FuncError("non-function of type " + fn.TypeName());
  }
  const Function& f = fn.AsFunction();
  Args call_args(args.begin() + 1, args.end());
  size_t n = call_args.size();
  if (f.variadic ? n < f.params.size() : n != f.params.size()) {
    return FuncError("wrong number of args: got " + std::to_string(n) + " want " +
                     (f.variadic ? "at least " : "") + std::to_string(f.params.size()));
  }
  for (size_t i = 0; i < n; ++i) {
    ParamType type = i < f.params.size() ? f.params[i] : *f.variadic;
    const Value& v = call_args[i];
    bool ok = type == ParamType::kAny || (type == ParamType::kString && v.is_string()) ||
              (type == ParamType::kInt && v.kind() == Value::Kind::kInt) ||
              (type == ParamType::kFloat && v.kind() == Value::Kind::kFloat) ||
              (type == ParamType::kBool && v.kind() == Value::Kind::kBool) ||
              (type == ParamType::kList && (v.kind() == Value::Kind::kList || v.is_nil())) ||
              (type == ParamType::kMap && (v.kind() == Value::Kind::kMap || v.is_nil()));
    if (!ok) {
      return FuncError("arg " + std::to_string(i) + ": value has type " + v.TypeName() +
                       "; should be " + std::string(ParamTypeName(type)));
    }
  }
  return f.call(call_args);
}

Result<Value> Compare(Args& args, bool (*decide)(bool less, bool equal)) {
  Result<bool> less = GoLess(args[0], args[1]);
  if (!less) {
    return less.error();
  }
  Result<bool> equal = *less ? Result<bool>(false) : GoEqual(args[0], args[1]);
  if (!equal) {
    return equal.error();
  }
  return Value(decide(*less, *equal));
}

Function Make(std::vector<ParamType> params, std::optional<ParamType> variadic,
              std::function<Result<Value>(Args&)> call) {
  Function f;
  f.params = std::move(params);
  f.variadic = variadic;
  f.call = std::move(call);
  return f;
}

FuncMap BuildBuiltins() {
  constexpr ParamType kAny = ParamType::kAny;
  FuncMap m;
  Function and_fn = Make({kAny}, kAny, [](Args& a) -> Result<Value> {
    for (const Value& v : a) {
      if (!v.Truth()) {
        return v;
      }
    }
    return a.back();
  });
  and_fn.short_circuit = true;
  m["and"] = and_fn;
  Function or_fn = Make({kAny}, kAny, [](Args& a) -> Result<Value> {
    for (const Value& v : a) {
      if (v.Truth()) {
        return v;
      }
    }
    return a.back();
  });
  or_fn.short_circuit = true;
  m["or"] = or_fn;
  m["not"] = Make({kAny}, std::nullopt, [](Args& a) -> Result<Value> { return !a[0].Truth(); });
  m["eq"] = Make({kAny}, kAny, [](Args& a) -> Result<Value> {
    if (a.size() < 2) {
      return FuncError("missing argument for comparison");
    }
    for (size_t i = 1; i < a.size(); ++i) {
      Result<bool> eq = GoEqual(a[0], a[i]);
      if (!eq) {
        return eq.error();
      }
      if (*eq) {
        return Value(true);
      }
    }
    return Value(false);
  });
  m["ne"] = Make({kAny, kAny}, std::nullopt, [](Args& a) -> Result<Value> {
    Result<bool> eq = GoEqual(a[0], a[1]);
    if (!eq) {
      return eq.error();
    }
    return Value(!*eq);
  });
  m["lt"] = Make({kAny, kAny}, std::nullopt,
                 [](Args& a) { return Compare(a, [](bool l, bool) { return l; }); });
  m["le"] = Make({kAny, kAny}, std::nullopt,
                 [](Args& a) { return Compare(a, [](bool l, bool e) { return l || e; }); });
  m["gt"] = Make({kAny, kAny}, std::nullopt,
                 [](Args& a) { return Compare(a, [](bool l, bool e) { return !l && !e; }); });
  m["ge"] = Make({kAny, kAny}, std::nullopt,
                 [](Args& a) { return Compare(a, [](bool l, bool) { return !l; }); });
  m["len"] = Make({kAny}, std::nullopt, LenBuiltin);
  m["index"] = Make({kAny}, kAny, IndexBuiltin);
  m["slice"] = Make({kAny}, kAny, SliceBuiltin);
  m["call"] = Make({kAny}, kAny, CallBuiltin);
  m["print"] = Make({}, kAny, [](Args& a) -> Result<Value> { return Value(Sprint(a)); });
  m["println"] = Make({}, kAny, [](Args& a) -> Result<Value> { return Value(Sprintln(a)); });
  m["printf"] = Make({ParamType::kString}, kAny, [](Args& a) -> Result<Value> {
    List rest(a.begin() + 1, a.end());
    return Value(Sprintf(a[0].AsString(), rest));
  });
  m["html"] =
      Make({}, kAny, [](Args& a) -> Result<Value> { return Value(HtmlEscape(EvalArgs(a))); });
  m["js"] = Make({}, kAny, [](Args& a) -> Result<Value> { return Value(JsEscape(EvalArgs(a))); });
  m["urlquery"] =
      Make({}, kAny, [](Args& a) -> Result<Value> { return Value(QueryEscape(EvalArgs(a))); });
  return m;
}

}  // namespace

const FuncMap& Builtins() {
  static const FuncMap* const kBuiltins = new FuncMap(BuildBuiltins());
  return *kBuiltins;
}

Result<bool> GoEqual(const Value& a, const Value& b) {
  BasicKind k1 = KindOf(a);
  BasicKind k2 = KindOf(b);
  if (k1 != k2) {
    if (k1 != BasicKind::kInvalid && k2 != BasicKind::kInvalid) {
      return FuncError("incompatible types for comparison");
    }
    return false;
  }
  switch (k1) {
    case BasicKind::kInvalid:
      return true;
    case BasicKind::kBool:
      return a.AsBool() == b.AsBool();
    case BasicKind::kInt:
      return a.AsInt() == b.AsInt();
    case BasicKind::kFloat:
      return a.AsFloat() == b.AsFloat();
    case BasicKind::kString:
      return a.AsString() == b.AsString();
    case BasicKind::kOther:
      break;
  }
  if (a.TypeName() != b.TypeName()) {
    return FuncError("non-comparable types " + FormatValue(a) + ": " + a.TypeName() + ", " +
                     b.TypeName() + ": " + FormatValue(b));
  }
  if (a.kind() != Value::Kind::kObject) {
    return FuncError("non-comparable type " + FormatValue(a) + ": " + a.TypeName());
  }
  return DeepEqual(a, b);
}

Result<bool> GoLess(const Value& a, const Value& b) {
  BasicKind k1 = KindOf(a);
  BasicKind k2 = KindOf(b);
  if (k1 == BasicKind::kInvalid || k1 == BasicKind::kOther || k2 == BasicKind::kInvalid ||
      k2 == BasicKind::kOther) {
    return FuncError("invalid type for comparison");
  }
  if (k1 != k2) {
    return FuncError("incompatible types for comparison");
  }
  switch (k1) {
    case BasicKind::kInt:
      return a.AsInt() < b.AsInt();
    case BasicKind::kFloat:
      return a.AsFloat() < b.AsFloat();
    case BasicKind::kString:
      return a.AsString() < b.AsString();
    default:
      return FuncError("invalid type for comparison");
  }
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string JsEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t pos = 0; pos < text.size();) {
    size_t width = 0;
    int32_t r = DecodeRune(text, pos, &width);
    switch (r) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '<':
        out += "\\u003C";
        break;
      case '>':
        out += "\\u003E";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '=':
        out += "\\u003D";
        break;
      default:
        if (r < ' ' || r == 0x7F || (r >= 0x80 && r < 0xA0)) {
          out += "\\u";
          for (int shift = 12; shift >= 0; shift -= 4) {
            out.push_back(kHex[(r >> shift) & 15]);
          }
        } else {
          out.append(text.substr(pos, width));
        }
    }
    pos += width;
  }
  return out;
}

std::string QueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace imgauto::gotemplate
