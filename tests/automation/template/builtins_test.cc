// Go's predefined template functions: comparison rules, index/slice/len, escaping, call.
#include "automation/template/builtins.h"

#include <gtest/gtest.h>

#include <string>

#include "automation/template/exec.h"

namespace imgauto::gotemplate {
namespace {

Value Data() {
  Map m;
  m.Set("List", List{10, 20, 30});
  m.Set("Str", "hello");
  Map strs("map[string]string", Value(""));
  strs.Set("k", "v");
  m.Set("Strs", Value(std::move(strs)));
  m.Set("Obj", Value::MakeObject("T", {{"A", 1}}));
  m.Set("Obj2", Value::MakeObject("T", {{"A", 1}}));
  Function add;
  add.params = {ParamType::kInt, ParamType::kInt};
  add.call = [](std::vector<Value>& a) -> Result<Value> {
    return Value(a[0].AsInt() + a[1].AsInt());
  };
  m.Set("Add", Value(std::move(add)));
  Function fails;
  fails.call = [](std::vector<Value>&) -> Result<Value> {
    return Error(ErrorKind::kInvalidSpec, "boom");
  };
  m.Set("Fails", Value(std::move(fails)));
  return Value(std::move(m));
}

struct BuiltinCase {
  const char* name;
  const char* text;
  const char* want;  // output, or the error message after "error calling ...: " when `error`
  bool error = false;
};

class BuiltinTableTest : public ::testing::TestWithParam<BuiltinCase> {};

TEST_P(BuiltinTableTest, BehavesLikeGo) {
  Result<Template> t = Template::Parse("t", GetParam().text, {});
  ASSERT_TRUE(t.has_value()) << t.error().message();
  Result<std::string> got = t->Execute(Data());
  if (GetParam().error) {
    ASSERT_FALSE(got.has_value()) << *got;
    std::string message = got.error().message();
    EXPECT_EQ(message.substr(message.find(">: ") + 3), GetParam().want);
  } else {
    ASSERT_TRUE(got.has_value()) << got.error().message();
    EXPECT_EQ(*got, GetParam().want);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Go, BuiltinTableTest,
    ::testing::Values(
        BuiltinCase{"EqInts", "{{eq 1 1}} {{eq 1 2}}", "true false"},
        BuiltinCase{"EqMultiple", "{{eq .Str \"a\" \"hello\"}}", "true"},
        BuiltinCase{"EqStructs", "{{eq .Obj .Obj2}}", "true"},
        BuiltinCase{"EqNil", "{{eq .Missing .Missing}} {{eq .Missing 1}}", "true false"},
        BuiltinCase{"EqIncompatible", "{{eq 1 \"a\"}}",
                    "error calling eq: incompatible types for comparison", true},
        BuiltinCase{"EqIntFloatIncompatible", "{{eq 1 1.5}}",
                    "error calling eq: incompatible types for comparison", true},
        BuiltinCase{"EqNonComparable", "{{eq .List .List}}",
                    "error calling eq: non-comparable type [10 20 30]: []interface {}", true},
        BuiltinCase{"EqMissingArgument", "{{eq 1}}",
                    "error calling eq: missing argument for comparison", true},
        BuiltinCase{"Ne", "{{ne 1 2}} {{ne \"a\" \"a\"}}", "true false"},
        BuiltinCase{"Lt", "{{lt 1 2}} {{lt \"b\" \"a\"}} {{lt 1.5 2.5}}", "true false true"},
        BuiltinCase{"Le", "{{le 2 2}} {{le 3 2}}", "true false"},
        BuiltinCase{"Gt", "{{gt 3 2}} {{gt 2 2}}", "true false"},
        BuiltinCase{"Ge", "{{ge 2 2}} {{ge 1 2}}", "true false"},
        BuiltinCase{"LtBadType", "{{lt .List 1}}", "error calling lt: invalid type for comparison",
                    true},
        BuiltinCase{"LtBool", "{{lt true false}}", "error calling lt: invalid type for comparison",
                    true},
        BuiltinCase{"Len", "{{len .List}} {{len .Str}} {{len .Strs}}", "3 5 1"},
        BuiltinCase{"LenOfInt", "{{len 3}}", "error calling len: len of type int", true},
        BuiltinCase{"IndexList", "{{index .List 1}}", "20"},
        BuiltinCase{"IndexString", "{{index .Str 1}}", "101"},
        BuiltinCase{"IndexNoIndexes", "{{index .Str}}", "hello"},
        BuiltinCase{"IndexOutOfRange", "{{index .List 3}}",
                    "error calling index: index out of range: 3", true},
        BuiltinCase{"IndexNegative", "{{index .List -1}}",
                    "error calling index: index out of range: -1", true},
        BuiltinCase{"IndexWrongType", "{{index .List \"a\"}}",
                    "error calling index: cannot index slice/array with type string", true},
        BuiltinCase{"IndexNil", "{{index .Missing 1}}", "error calling index: index of untyped nil",
                    true},
        BuiltinCase{"IndexMapKeyType", "{{index .Strs 1}}",
                    "error calling index: value has type int; should be string", true},
        BuiltinCase{"IndexNonIndexable", "{{index 3 1}}",
                    "error calling index: can't index item of type int", true},
        BuiltinCase{"SliceString", "{{slice .Str 1 3}}", "el"},
        BuiltinCase{"SliceList", "{{slice .List 1}}", "[20 30]"},
        BuiltinCase{"SliceThreeIndexes", "{{slice .List 0 1 2}}", "[10]"},
        BuiltinCase{"SliceStringThreeIndexes", "{{slice .Str 0 1 2}}",
                    "error calling slice: cannot 3-index slice a string", true},
        BuiltinCase{"SliceInverted", "{{slice .List 2 1}}",
                    "error calling slice: invalid slice index: 2 > 1", true},
        BuiltinCase{"SliceOutOfRange", "{{slice .List 0 4}}",
                    "error calling slice: index out of range: 4", true},
        BuiltinCase{"Html", "{{html \"<a href='x'>&\\\"\"}}",
                    "&lt;a href=&#39;x&#39;&gt;&amp;&#34;"},
        BuiltinCase{"HtmlSprintsArgs", "{{html 1 2}}", "1 2"},
        BuiltinCase{"Js", "{{js \"a'b\\\"<=>&\\n\"}}",
                    "a\\'b\\\"\\u003C\\u003D\\u003E\\u0026\\u000A"},
        BuiltinCase{"Urlquery", "{{urlquery \"a b&c=d/é\"}}", "a+b%26c%3Dd%2F%C3%A9"},
        BuiltinCase{"Call", "{{call .Add 1 2}}", "3"},
        BuiltinCase{"CallError", "{{call .Fails}}", "error calling call: boom", true},
        BuiltinCase{"CallNonFunction", "{{call .Str}}",
                    "error calling call: non-function of type string", true},
        BuiltinCase{"CallWrongArity", "{{call .Add 1}}",
                    "error calling call: wrong number of args: got 1 want 2", true},
        BuiltinCase{"CallWrongType", "{{call .Add 1 \"x\"}}",
                    "error calling call: arg 1: value has type string; should be int", true},
        BuiltinCase{"NotReturnsBool", "{{not \"\"}} {{not .List}}", "true false"},
        BuiltinCase{"AndAllTrue", "{{and 1 \"a\" .List}}", "[10 20 30]"},
        BuiltinCase{"OrAllFalse", "{{or 0 \"\" .Missing}}", "<no value>"},
        BuiltinCase{"AndWithPipelineFinal", "{{1 | and 2}}", "1"},
        BuiltinCase{"PrintfVerbs", "{{printf \"%s=%d\" \"a\" 1}}", "a=1"}),
    [](const ::testing::TestParamInfo<BuiltinCase>& info) { return std::string(info.param.name); });

TEST(BuiltinsTest, GoEqualComparesBasicKinds) {
  EXPECT_TRUE(*GoEqual(Value(3), Value(3)));
  EXPECT_FALSE(*GoEqual(Value("a"), Value("b")));
  EXPECT_FALSE(GoEqual(Value(true), Value(1)).has_value());
}

TEST(BuiltinsTest, GoLessOrdersStringsByteWise) {
  EXPECT_TRUE(*GoLess(Value("B"), Value("a")));
  EXPECT_FALSE(GoLess(Value(), Value(1)).has_value());
}

TEST(BuiltinsTest, EscapersMatchGo) {
  EXPECT_EQ(HtmlEscape("<&>"), "&lt;&amp;&gt;");
  EXPECT_EQ(JsEscape("\\"), "\\\\");
  EXPECT_EQ(QueryEscape("~-_. "), "~-_.+");
}

TEST(BuiltinsTest, TableHasEveryGoBuiltin) {
  for (const char* name :
       {"and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "slice", "print",
        "printf", "println", "html", "js", "urlquery", "call"}) {
    EXPECT_EQ(Builtins().count(name), 1u) << name;
  }
}

}  // namespace
}  // namespace imgauto::gotemplate
