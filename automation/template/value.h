// The data model of the Go text/template engine: a dynamically typed Value that stands for the
// Go values commit templates see (nil, bool, int, float64, string, slices, maps, structs and
// functions). Lists, maps, objects and functions are shared by reference, like Go slices and maps.
//
//   Map values("map[string]string", Value(""));
//   values.Set("cluster", "prod");
//   Value data = Value::MakeObject("TemplateData", {{"Values", Value(std::move(values))}});
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.h"

namespace imgauto::gotemplate {

class Value;
class Map;
class Object;
struct Function;
using List = std::vector<Value>;

class Value {
 public:
  enum class Kind { kNil, kBool, kInt, kFloat, kString, kList, kMap, kObject, kFunction };

  Value() = default;
  Value(std::nullptr_t) {}                                         // NOLINT: implicit by design
  Value(bool b) : data_(b) {}                                      // NOLINT
  Value(int i) : data_(static_cast<int64_t>(i)) {}                 // NOLINT
  Value(long i) : data_(static_cast<int64_t>(i)) {}                // NOLINT
  Value(long long i) : data_(static_cast<int64_t>(i)) {}           // NOLINT
  Value(unsigned i) : data_(static_cast<int64_t>(i)) {}            // NOLINT
  Value(unsigned long i) : data_(static_cast<int64_t>(i)) {}       // NOLINT
  Value(unsigned long long i) : data_(static_cast<int64_t>(i)) {}  // NOLINT
  Value(double d) : data_(d) {}                                    // NOLINT
  Value(const char* s) : Value(std::string(s)) {}                  // NOLINT
  Value(std::string s)                                             // NOLINT
      : data_(std::make_shared<const std::string>(std::move(s))) {}
  Value(std::string_view s) : Value(std::string(s)) {}  // NOLINT
  // A slice; `type_name` is its Go type for %T and error messages.
  Value(List items, std::string type_name = "[]interface {}");  // NOLINT
  Value(Map map);                                               // NOLINT
  Value(Object object);                                         // NOLINT
  Value(Function function);                                     // NOLINT

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_nil() const { return kind() == Kind::kNil; }
  bool is_string() const { return kind() == Kind::kString; }

  // Accessors; calling one for the wrong kind is a broken invariant (IMGAUTO_CHECK).
  bool AsBool() const;
  int64_t AsInt() const;
  double AsFloat() const;
  const std::string& AsString() const;
  const List& AsList() const;
  const Map& AsMap() const;
  // Maps are Go reference types: Sprig's set/unset mutate them in place.
  Map& MutableMap() const;
  const Object& AsObject() const;
  const Function& AsFunction() const;

  // Go's type name: "string", "int", "float64", "[]interface {}", "update.Change", "<nil>".
  std::string TypeName() const;
  // Go's reflect kind name as Sprig's kindOf prints it: "string", "slice", "map", "struct"...
  std::string KindName() const;
  // Truth as `if` sees it: false, 0, nil and empty strings, lists and maps are false.
  bool Truth() const;
  // Length of strings (bytes), lists and maps; -1 for other kinds.
  int64_t Length() const;

  // Builds a Go struct value.
  static Value MakeObject(std::string type_name, std::vector<std::pair<std::string, Value>> fields,
                          std::optional<std::string> string_form = std::nullopt);

 private:
  struct ListData {
    List items;
    std::string type_name;
  };
  // Strings are immutable and shared, so copying a Value never copies text.
  std::variant<std::monostate, bool, int64_t, double, std::shared_ptr<const std::string>,
               std::shared_ptr<ListData>, std::shared_ptr<Map>, std::shared_ptr<Object>,
               std::shared_ptr<const Function>>
      data_;
};

// Total order used for map keys and sorted range, following Go's internal/fmtsort: numbers by
// value, strings byte-wise, false < true, structs field by field, different kinds by kind.
int CompareValues(const Value& a, const Value& b);
// Deep equality (reflect.DeepEqual-like; ints and floats never equal each other). Values nested
// deeper than 100 levels (only possible through cycles made with Sprig's set) compare unequal.
bool DeepEqual(const Value& a, const Value& b);

// A Go map. Entries stay sorted by key (CompareValues), so iteration is deterministic.
class Map {
 public:
  // `type_name` such as "map[string]string"; `zero` is the element type's zero value, which
  // `index` returns for a missing key (nil for interface elements).
  explicit Map(std::string type_name = "map[string]interface {}", Value zero = Value());
  // For named map types ("update.ObjectChanges"): says whether keys are strings.
  Map(std::string type_name, Value zero, bool string_keys);

  void Set(Value key, Value value);
  const Value* Find(const Value& key) const;
  bool Erase(const Value& key);
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  const std::string& type_name() const { return type_name_; }
  const Value& zero() const { return zero_; }
  // True when the key type is string, so `.key` field syntax can look entries up.
  bool string_keys() const { return string_keys_; }

 private:
  std::string type_name_;
  Value zero_;
  bool string_keys_;
  std::vector<std::pair<Value, Value>> entries_;
};

// A Go struct. Fields keep declaration order; an embedded field (`embedded`) promotes its own
// fields. `string_form` models a String() method: fmt prints it instead of the fields.
class Object {
 public:
  struct Field {
    std::string name;
    Value value;
    bool embedded = false;
  };

  Object(std::string type_name, std::vector<Field> fields,
         std::optional<std::string> string_form = std::nullopt);

  // Looks up a field by name, through embedded structs (shallowest match wins).
  const Value* FindField(std::string_view name) const;
  const std::string& type_name() const { return type_name_; }
  const std::vector<Field>& fields() const { return fields_; }
  const std::optional<std::string>& string_form() const { return string_form_; }

 private:
  std::string type_name_;
  std::vector<Field> fields_;
  std::optional<std::string> string_form_;
};

// Parameter types of template functions, checked and converted by the executor the way Go's
// reflection-based call does ("wrong type for value; expected string; got int").
enum class ParamType { kAny, kString, kInt, kFloat, kBool, kList, kMap };

// Go's name for a parameter type: "interface {}", "string", "int", "float64", "bool"...
std::string_view ParamTypeName(ParamType type);

struct Function {
  std::vector<ParamType> params;      // fixed parameters
  std::optional<ParamType> variadic;  // element type of a trailing ...T parameter
  std::function<Result<Value>(std::vector<Value>& args)> call;
  // Set only on the builtin and/or: the executor evaluates operands lazily, left to right.
  bool short_circuit = false;
};

using FuncMap = std::map<std::string, Function, std::less<>>;

}  // namespace imgauto::gotemplate
