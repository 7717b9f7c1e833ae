#include "automation/template/value.h"

#include <algorithm>
#include <cmath>

namespace imgauto::gotemplate {
namespace {

// Extracts the key type from "map[K]V", honouring nested brackets in K.
std::string MapKeyType(std::string_view type_name) {
  if (type_name.substr(0, 4) != "map[") {
    return "";
  }
  int depth = 0;
  for (size_t i = 4; i < type_name.size(); ++i) {
    if (type_name[i] == '[') {
      ++depth;
    } else if (type_name[i] == ']') {
      if (depth == 0) {
        return std::string(type_name.substr(4, i - 4));
      }
      --depth;
    }
  }
  return "";
}

int Sign(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

int CompareFloats(double a, double b) {
  // fmtsort: NaN sorts first, then ordinary order.
  if (std::isnan(a) || std::isnan(b)) {
    if (std::isnan(a) && std::isnan(b)) {
      return 0;
    }
    return std::isnan(a) ? -1 : 1;
  }
  return a < b ? -1 : (a > b ? 1 : 0);
}

}  // namespace

Value::Value(List items, std::string type_name)
    : data_(std::make_shared<ListData>(ListData{std::move(items), std::move(type_name)})) {}
Value::Value(Map map) : data_(std::make_shared<Map>(std::move(map))) {}
Value::Value(Object object) : data_(std::make_shared<Object>(std::move(object))) {}
Value::Value(Function function) : data_(std::make_shared<const Function>(std::move(function))) {}

bool Value::AsBool() const {
  IMGAUTO_CHECK(kind() == Kind::kBool, "Value::AsBool on another kind");
  return std::get<bool>(data_);
}

int64_t Value::AsInt() const {
  IMGAUTO_CHECK(kind() == Kind::kInt, "Value::AsInt on another kind");
  return std::get<int64_t>(data_);
}

double Value::AsFloat() const {
  IMGAUTO_CHECK(kind() == Kind::kFloat, "Value::AsFloat on another kind");
  return std::get<double>(data_);
}

const std::string& Value::AsString() const {
  IMGAUTO_CHECK(kind() == Kind::kString, "Value::AsString on another kind");
  return *std::get<std::shared_ptr<const std::string>>(data_);
}

const List& Value::AsList() const {
  IMGAUTO_CHECK(kind() == Kind::kList, "Value::AsList on another kind");
  return std::get<std::shared_ptr<ListData>>(data_)->items;
}

const Map& Value::AsMap() const { return MutableMap(); }

Map& Value::MutableMap() const {
  IMGAUTO_CHECK(kind() == Kind::kMap, "Value::AsMap on another kind");
  return *std::get<std::shared_ptr<Map>>(data_);
}

const Object& Value::AsObject() const {
  IMGAUTO_CHECK(kind() == Kind::kObject, "Value::AsObject on another kind");
  return *std::get<std::shared_ptr<Object>>(data_);
}

const Function& Value::AsFunction() const {
  IMGAUTO_CHECK(kind() == Kind::kFunction, "Value::AsFunction on another kind");
  return *std::get<std::shared_ptr<const Function>>(data_);
}

std::string Value::TypeName() const {
  switch (kind()) {
    case Kind::kNil:
      return "<nil>";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float64";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return std::get<std::shared_ptr<ListData>>(data_)->type_name;
    case Kind::kMap:
      return AsMap().type_name();
    case Kind::kObject:
      return AsObject().type_name();
    case Kind::kFunction:
      return "func(...interface {}) (interface {}, error)";
  }
  return "";
}

std::string Value::KindName() const {
  switch (kind()) {
    case Kind::kNil:
      return "invalid";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float64";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "slice";
    case Kind::kMap:
      return "map";
    case Kind::kObject:
      return "struct";
    case Kind::kFunction:
      return "func";
  }
  return "";
}

bool Value::Truth() const {
  switch (kind()) {
    case Kind::kNil:
      return false;
    case Kind::kBool:
      return AsBool();
    case Kind::kInt:
      return AsInt() != 0;
    case Kind::kFloat:
      return AsFloat() != 0;
    case Kind::kString:
    case Kind::kList:
    case Kind::kMap:
      return Length() > 0;
    case Kind::kObject:
    case Kind::kFunction:
      return true;
  }
  return false;
}

int64_t Value::Length() const {
  switch (kind()) {
    case Kind::kString:
      return static_cast<int64_t>(AsString().size());
    case Kind::kList:
      return static_cast<int64_t>(AsList().size());
    case Kind::kMap:
      return static_cast<int64_t>(AsMap().size());
    default:
      return -1;
  }
}

Value Value::MakeObject(std::string type_name, std::vector<std::pair<std::string, Value>> fields,
                        std::optional<std::string> string_form) {
  std::vector<Object::Field> out;
  out.reserve(fields.size());
  for (auto& [name, value] : fields) {
    out.push_back(Object::Field{std::move(name), std::move(value), false});
  }
  return Value(Object(std::move(type_name), std::move(out), std::move(string_form)));
}

int CompareValues(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) {
    return a.kind() < b.kind() ? -1 : 1;
  }
  switch (a.kind()) {
    case Value::Kind::kNil:
      return 0;
    case Value::Kind::kBool:
      return Sign(a.AsBool() ? 1 : 0, b.AsBool() ? 1 : 0);
    case Value::Kind::kInt:
      return Sign(a.AsInt(), b.AsInt());
    case Value::Kind::kFloat:
      return CompareFloats(a.AsFloat(), b.AsFloat());
    case Value::Kind::kString: {
      int c = a.AsString().compare(b.AsString());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Value::Kind::kObject: {
      const auto& fa = a.AsObject().fields();
      const auto& fb = b.AsObject().fields();
      for (size_t i = 0; i < fa.size() && i < fb.size(); ++i) {
        int c = CompareValues(fa[i].value, fb[i].value);
        if (c != 0) {
          return c;
        }
      }
      return Sign(static_cast<int64_t>(fa.size()), static_cast<int64_t>(fb.size()));
    }
    case Value::Kind::kList: {
      const List& la = a.AsList();
      const List& lb = b.AsList();
      for (size_t i = 0; i < la.size() && i < lb.size(); ++i) {
        int c = CompareValues(la[i], lb[i]);
        if (c != 0) {
          return c;
        }
      }
      return Sign(static_cast<int64_t>(la.size()), static_cast<int64_t>(lb.size()));
    }
    case Value::Kind::kMap:
    case Value::Kind::kFunction:
      return 0;
  }
  return 0;
}

namespace {

bool DeepEqualAt(const Value& a, const Value& b, int depth);

}  // namespace

bool DeepEqual(const Value& a, const Value& b) { return DeepEqualAt(a, b, 0); }

namespace {

bool DeepEqualAt(const Value& a, const Value& b, int depth) {
  if (a.kind() != b.kind() || depth > 100) {
    return false;
  }
  switch (a.kind()) {
    case Value::Kind::kList: {
      const List& la = a.AsList();
      const List& lb = b.AsList();
      if (la.size() != lb.size()) {
        return false;
      }
      for (size_t i = 0; i < la.size(); ++i) {
        if (!DeepEqualAt(la[i], lb[i], depth + 1)) {
          return false;
        }
      }
      return true;
    }
    case Value::Kind::kMap: {
      const auto& ea = a.AsMap().entries();
      const auto& eb = b.AsMap().entries();
      if (ea.size() != eb.size()) {
        return false;
      }
      for (size_t i = 0; i < ea.size(); ++i) {
        if (!DeepEqualAt(ea[i].first, eb[i].first, depth + 1) ||
            !DeepEqualAt(ea[i].second, eb[i].second, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    case Value::Kind::kObject: {
      const auto& fa = a.AsObject().fields();
      const auto& fb = b.AsObject().fields();
      if (a.AsObject().type_name() != b.AsObject().type_name() || fa.size() != fb.size()) {
        return false;
      }
      for (size_t i = 0; i < fa.size(); ++i) {
        if (!DeepEqualAt(fa[i].value, fb[i].value, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    case Value::Kind::kFunction:
      return &a.AsFunction() == &b.AsFunction();
    case Value::Kind::kFloat:
      return a.AsFloat() == b.AsFloat();
    default:
      return CompareValues(a, b) == 0;
  }
}

}  // namespace

Map::Map(std::string type_name, Value zero)
    : type_name_(std::move(type_name)), zero_(std::move(zero)) {
  string_keys_ = MapKeyType(type_name_) == "string";
}

Map::Map(std::string type_name, Value zero, bool string_keys)
    : type_name_(std::move(type_name)), zero_(std::move(zero)), string_keys_(string_keys) {}

void Map::Set(Value key, Value value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                             [](const std::pair<Value, Value>& e, const Value& k) {
                               return CompareValues(e.first, k) < 0;
                             });
  if (it != entries_.end() && CompareValues(it->first, key) == 0) {
    it->second = std::move(value);
    return;
  }
  entries_.insert(it, {std::move(key), std::move(value)});
}

const Value* Map::Find(const Value& key) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                             [](const std::pair<Value, Value>& e, const Value& k) {
                               return CompareValues(e.first, k) < 0;
                             });
  if (it != entries_.end() && CompareValues(it->first, key) == 0) {
    return &it->second;
  }
  return nullptr;
}

bool Map::Erase(const Value& key) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                             [](const std::pair<Value, Value>& e, const Value& k) {
                               return CompareValues(e.first, k) < 0;
                             });
  if (it != entries_.end() && CompareValues(it->first, key) == 0) {
    entries_.erase(it);
    return true;
  }
  return false;
}

Object::Object(std::string type_name, std::vector<Field> fields,
               std::optional<std::string> string_form)
    : type_name_(std::move(type_name)),
      fields_(std::move(fields)),
      string_form_(std::move(string_form)) {}

const Value* Object::FindField(std::string_view name) const {
  for (const Field& f : fields_) {
    if (f.name == name) {
      return &f.value;
    }
  }
  // Promoted fields: breadth by depth, first match in declaration order.
  for (const Field& f : fields_) {
    if (f.embedded && f.value.kind() == Value::Kind::kObject) {
      if (const Value* found = f.value.AsObject().FindField(name)) {
        return found;
      }
    }
  }
  return nullptr;
}

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kAny:
      return "interface {}";
    case ParamType::kString:
      return "string";
    case ParamType::kInt:
      return "int";
    case ParamType::kFloat:
      return "float64";
    case ParamType::kBool:
      return "bool";
    case ParamType::kList:
      return "[]interface {}";
    case ParamType::kMap:
      return "map[string]interface {}";
  }
  return "";
}

}  // namespace imgauto::gotemplate
