// Sprig v3 hermetic text functions, checked against Sprig's documented results.
#include "automation/template/sprig.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "automation/template/exec.h"

namespace imgauto::gotemplate {
namespace {

Value Data() {
  Map values("map[string]string", Value(""));
  values.Set("cluster", "prod");
  Map m;
  m.Set("Values", Value(std::move(values)));
  m.Set("Words", List{"b", "a", "c"});
  m.Set("Nums", List{1, 2, 2, 3});
  return Value(std::move(m));
}

struct SprigCase {
  const char* name;
  const char* text;
  const char* want;
  bool error = false;  // `want` is then a substring of the error message
};

class SprigTableTest : public ::testing::TestWithParam<SprigCase> {};

TEST_P(SprigTableTest, MatchesSprig) {
  Result<Template> t = Template::Parse("t", GetParam().text, SprigFunctions());
  ASSERT_TRUE(t.has_value()) << t.error().message();
  Result<std::string> got = t->Execute(Data());
  if (GetParam().error) {
    ASSERT_FALSE(got.has_value()) << *got;
    EXPECT_NE(got.error().message().find(GetParam().want), std::string::npos)
        << got.error().message();
  } else {
    ASSERT_TRUE(got.has_value()) << got.error().message();
    EXPECT_EQ(*got, GetParam().want);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Strings, SprigTableTest,
    ::testing::Values(
        SprigCase{"Upper", "{{upper \"hello\"}}", "HELLO"},
        SprigCase{"Lower", "{{lower \"HeLLo\"}}", "hello"},
        SprigCase{"Title", "{{title \"hello world-wide\"}}", "Hello World-Wide"},
        SprigCase{"Untitle", "{{untitle \"Hello World\"}}", "hello world"},
        SprigCase{"Trim", "{{trim \"  x y \\n\"}}", "x y"},
        SprigCase{"TrimAll", "{{trimAll \"$\" \"$5.00$\"}}", "5.00"},
        SprigCase{"TrimPrefixSuffix", "{{trimPrefix \"-\" \"-x-\"}}{{trimSuffix \"-\" \"-y-\"}}",
                  "x--y"},
        SprigCase{"Trunc",
                  "{{trunc 5 \"hello world\"}}|{{trunc -5 \"hello world\"}}|{{trunc 50 \"hi\"}}",
                  "hello|world|hi"},
        SprigCase{"Abbrev", "{{abbrev 5 \"hello world\"}}", "he..."},
        SprigCase{"Abbrevboth", "{{abbrevboth 5 10 \"1234 5678 9123\"}}", "...5678..."},
        SprigCase{"Nospace", "{{nospace \"hello w o r l d\"}}", "helloworld"},
        SprigCase{"Contains",
                  "{{contains \"cat\" \"catch\"}} {{hasPrefix \"ca\" \"cat\"}} {{hasSuffix \"at\" "
                  "\"cat\"}}",
                  "true true true"},
        SprigCase{"Replace", "{{\"I Am Henry VIII\" | replace \" \" \"-\"}}", "I-Am-Henry-VIII"},
        SprigCase{"Repeat", "{{repeat 3 \"ab\"}}", "ababab"},
        SprigCase{"RepeatTooLarge", "{{repeat 100000000 \"ab\"}}", "result exceeds", true},
        SprigCase{"Quote", "{{quote \"a\" 1 .Missing}} {{squote \"b\"}}", "\"a\" \"1\" 'b'"},
        SprigCase{"Cat", "{{cat \"hello\" \"beautiful\" .Missing \"world\" 3}}",
                  "hello beautiful world 3"},
        SprigCase{"Indent", "{{indent 2 \"a\\nb\"}}", "  a\n  b"},
        SprigCase{"Nindent", "{{nindent 2 \"a\"}}", "\n  a"},
        SprigCase{"Wrap", "{{wrap 5 \"Hello World Foo\"}}", "Hello\nWorld\nFoo"},
        SprigCase{"WrapWith", "{{wrapWith 5 \"\\t\" \"Hello World\"}}", "Hello\tWorld"},
        SprigCase{"Substr", "{{substr 0 5 \"hello world\"}}|{{substr 6 -1 \"hello world\"}}",
                  "hello|world"},
        SprigCase{"SplitList", "{{splitList \"$\" \"foo$bar$baz\"}}", "[foo bar baz]"},
        SprigCase{"Split", "{{$a := split \"$\" \"foo$bar\"}}{{$a._0}} {{$a._1}}", "foo bar"},
        SprigCase{"Splitn", "{{$a := splitn \"$\" 2 \"foo$bar$baz\"}}{{$a._1}}", "bar$baz"},
        SprigCase{"Join", "{{join \"-\" .Words}} {{join \",\" (list 1 .Missing 2)}}", "b-a-c 1,2"},
        SprigCase{"SortAlpha", "{{sortAlpha .Words}}", "[a b c]"},
        SprigCase{"ToString",
                  "{{toString 1.5 | printf \"%q\"}} {{toStrings (list 1 2) | printf \"%q\"}}",
                  "\"1.5\" [\"1\" \"2\"]"},
        SprigCase{"Snakecase",
                  "{{snakecase \"FirstName\"}} {{snakecase \"HTTPServer\"}} {{snakecase "
                  "\"http2xx\"}} {{snakecase \"Bld4Floor3rd\"}}",
                  "first_name http_server http_2xx bld4_floor_3rd"},
        SprigCase{"Kebabcase", "{{kebabcase \"FirstName\"}}", "first-name"},
        SprigCase{"Camelcase", "{{camelcase \"http_server\"}} {{camelcase \"_a__b\"}}",
                  "HttpServer _A_B"},
        SprigCase{"Swapcase", "{{swapcase \"This Is A.Test\"}}", "tHIS iS a.tEST"},
        SprigCase{"Initials", "{{initials \"First Try\"}}", "FT"},
        SprigCase{"Plural", "{{plural \"one\" \"many\" 1}} {{plural \"one\" \"many\" 2}}",
                  "one many"},
        SprigCase{
            "Paths",
            "{{base \"a/b.yaml\"}} {{dir \"a/b/c\"}} {{ext \"x.tar.gz\"}} {{clean \"a//b/../c\"}}",
            "b.yaml a/b .gz a/c"},
        SprigCase{"MissingIsInvalidForString", "{{upper .Values.nope}}",
                  "invalid value; expected string", true},
        SprigCase{"WrongTypeForString", "{{upper 3}}", "expected string; found 3", true}),
    [](const ::testing::TestParamInfo<SprigCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Logic, SprigTableTest,
    ::testing::Values(
        SprigCase{
            "Default",
            "{{default \"foo\" .Missing}} {{default \"foo\" \"bar\"}} {{\"\" | default \"x\"}}",
            "foo bar x"},
        SprigCase{"Empty", "{{empty 0}} {{empty \"a\"}} {{empty .Missing}} {{empty (list)}}",
                  "true false true true"},
        SprigCase{"Coalesce", "{{coalesce 0 \"\" \"x\" \"y\"}}", "x"},
        SprigCase{"AllAny", "{{all 1 \"a\"}} {{all 1 0}} {{any 0 \"\"}} {{any 0 1}}",
                  "true false false true"},
        SprigCase{"Ternary", "{{ternary \"yes\" \"no\" true}} {{false | ternary \"yes\" \"no\"}}",
                  "yes no"},
        SprigCase{"Fail", "{{fail \"boom\"}}", "error calling fail: boom", true}),
    [](const ::testing::TestParamInfo<SprigCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Lists, SprigTableTest,
    ::testing::Values(
        SprigCase{"List", "{{list 1 \"a\" 2.5}}", "[1 a 2.5]"},
        SprigCase{"FirstLastRestInitial",
                  "{{first .Nums}} {{last .Nums}} {{rest .Nums}} {{initial .Nums}}",
                  "1 3 [2 2 3] [1 2 2]"},
        SprigCase{"AppendPrepend", "{{append .Nums 4}} {{prepend .Nums 0}}",
                  "[1 2 2 3 4] [0 1 2 2 3]"},
        SprigCase{"Concat", "{{concat .Nums (list 9)}}", "[1 2 2 3 9]"},
        SprigCase{"Reverse", "{{reverse .Words}}", "[c a b]"},
        SprigCase{"Uniq", "{{uniq .Nums}}", "[1 2 3]"},
        SprigCase{"Without", "{{without .Nums 2}}", "[1 3]"},
        SprigCase{"Has", "{{has 3 .Nums}} {{has 5 .Nums}}", "true false"},
        SprigCase{"Compact", "{{compact (list 1 0 \"\" \"a\")}}", "[1 a]"},
        SprigCase{"Chunk", "{{chunk 2 .Nums}}", "[[1 2] [2 3]]"},
        SprigCase{"Until", "{{until 3}} {{untilStep 0 10 4}} {{seq 3}} {{seq 5 -2 1}}",
                  "[0 1 2] [0 4 8] 1 2 3 5 3 1"},
        SprigCase{"FirstOfString", "{{first \"abc\"}}", "Cannot find first on type string", true},
        SprigCase{"GoSliceWins", "{{slice .Nums 1 3}}", "[2 2]"}),
    [](const ::testing::TestParamInfo<SprigCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Dicts, SprigTableTest,
    ::testing::Values(
        SprigCase{"Dict", "{{dict \"b\" 2 \"a\" 1 \"odd\"}}", "map[a:1 b:2 odd:]"},
        SprigCase{"Get", "{{get (dict \"a\" 1) \"a\"}}|{{get (dict) \"x\"}}|", "1||"},
        SprigCase{"SetMutates", "{{$d := dict}}{{$_ := set $d \"k\" \"v\"}}{{$d.k}}", "v"},
        SprigCase{"Unset", "{{$d := dict \"a\" 1 \"b\" 2}}{{unset $d \"a\"}}", "map[b:2]"},
        SprigCase{"HasKey", "{{hasKey .Values \"cluster\"}} {{hasKey .Values \"x\"}}",
                  "true false"},
        SprigCase{"KeysSorted", "{{keys (dict \"b\" 1 \"a\" 2)}} {{values (dict \"b\" 1 \"a\" 2)}}",
                  "[a b] [2 1]"},
        SprigCase{"PickOmit",
                  "{{pick (dict \"a\" 1 \"b\" 2) \"a\"}} {{omit (dict \"a\" 1 \"b\" 2) \"a\"}}",
                  "map[a:1] map[b:2]"},
        SprigCase{"Merge", "{{merge (dict \"a\" 1 \"c\" \"\") (dict \"a\" 2 \"b\" 3 \"c\" 4)}}",
                  "map[a:1 b:3 c:4]"},
        SprigCase{"MergeOverwrite", "{{mergeOverwrite (dict \"a\" 1) (dict \"a\" 2)}}", "map[a:2]"},
        SprigCase{"Pluck", "{{pluck \"a\" (dict \"a\" 1) (dict \"b\" 2) (dict \"a\" 3)}}", "[1 3]"},
        SprigCase{"Dig",
                  "{{dig \"a\" \"b\" \"def\" (dict \"a\" (dict \"b\" \"found\"))}} {{dig \"x\" "
                  "\"def\" (dict)}}",
                  "found def"}),
    [](const ::testing::TestParamInfo<SprigCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Math, SprigTableTest,
    ::testing::Values(
        SprigCase{"IntegerMath",
                  "{{add 1 2 3}} {{add1 4}} {{sub 5 7}} {{mul 2 3 4}} {{div 7 2}} {{mod 7 3}}",
                  "6 5 -2 24 3 1"},
        SprigCase{"StringsAreCast", "{{add \"3\" 4}} {{add \"0x10\" 0}} {{int \"12.0\"}}",
                  "7 16 12"},
        SprigCase{"MaxMin", "{{max 1 5 3}} {{min 4 2 8}} {{biggest 1 9}}", "5 2 9"},
        SprigCase{"DivideByZero", "{{div 1 0}}", "integer divide by zero", true},
        SprigCase{"FloatMath", "{{addf 0.1 0.2}} {{mulf 1.5 2}} {{divf 1 4}} {{subf 1 0.25}}",
                  "0.3 3 0.25 0.75"},
        SprigCase{"Rounding", "{{floor 1.7}} {{ceil 1.2}} {{round 3.14159 2}}", "1 2 3.14"},
        SprigCase{"Conversions",
                  "{{int64 \"42\"}} {{float64 \"1.5\"}} {{atoi \"12\"}} {{atoi \"x\"}} {{toDecimal "
                  "\"0777\"}}",
                  "42 1.5 12 0 511"}),
    [](const ::testing::TestParamInfo<SprigCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Encoding, SprigTableTest,
    ::testing::Values(
        SprigCase{"Base64", "{{b64enc \"hello\"}} {{b64dec \"aGVsbG8=\"}}", "aGVsbG8= hello"},
        SprigCase{"Base64Invalid", "{{b64dec \"!!\"}}", "illegal base64 data at input byte 0"},
        SprigCase{"Base32", "{{b32enc \"hello\"}} {{b32dec \"NBSWY3DP\"}}", "NBSWY3DP hello"},
        SprigCase{"Sha256", "{{sha256sum \"hello\"}}",
                  "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
        SprigCase{"Sha1", "{{sha1sum \"hello\"}}", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"},
        SprigCase{"Adler32", "{{adler32sum \"hello\"}}", "103547413"},
        SprigCase{"ToJson",
                  "{{toJson (dict \"b\" (list 1 2.5 true) \"a\" \"<x>\" \"n\" .Missing)}}",
                  "{\"a\":\"\\u003cx\\u003e\",\"b\":[1,2.5,true],\"n\":null}"},
        SprigCase{"ToRawJson", "{{toRawJson (dict \"a\" \"<x>\")}}", "{\"a\":\"<x>\"}"},
        SprigCase{"ToPrettyJson", "{{toPrettyJson (dict \"a\" (list 1) \"b\" (dict))}}",
                  "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}"},
        SprigCase{"FromJson",
                  "{{$v := fromJson \"{\\\"a\\\": [1, \\\"x\\\", null], \\\"b\\\": {\\\"c\\\": "
                  "true}}\"}}{{$v.a}} {{$v.b.c}}",
                  "[1 x <nil>] true"},
        SprigCase{"FromJsonInvalid", "{{fromJson \"{\"}}", "<no value>"},
        SprigCase{"MustFromJsonInvalid", "{{mustFromJson \"[1,\"}}", "unexpected end of JSON input",
                  true},
        SprigCase{"Reflection",
                  "{{typeOf 1}} {{kindOf (list)}} {{kindIs \"map\" (dict)}} {{typeIs \"string\" "
                  "\"a\"}} {{deepEqual (list 1) (list 1)}}",
                  "int slice true true true"}),
    [](const ::testing::TestParamInfo<SprigCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Regex, SprigTableTest,
    ::testing::Values(
        SprigCase{"Match",
                  "{{regexMatch \"^[a-z]+[0-9]$\" \"abc1\"}} {{regexMatch \"^x\" \"abc\"}}",
                  "true false"},
        SprigCase{"Find",
                  "{{regexFind \"[a-c]+\" \"xxabcxx\"}}|{{regexFindAll \"[0-9]\" \"a1b2c3\" 2}}",
                  "abc|[1 2]"},
        SprigCase{"ReplaceAll", "{{regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\"}}",
                  "-W-xxW-"},
        SprigCase{"ReplaceAllLiteral",
                  "{{regexReplaceAllLiteral \"a(x*)b\" \"-ab-axxb-\" \"${1}\"}}", "-${1}-${1}-"},
        SprigCase{"Split", "{{regexSplit \"z+\" \"pizza\" -1}}", "[pi a]"},
        SprigCase{"QuoteMeta", "{{regexQuoteMeta \"1.5+\"}}", "1\\.5\\+"},
        SprigCase{"BadPattern", "{{regexReplaceAll \"(\" \"x\" \"y\"}}", "regexp: Compile", true}),
    [](const ::testing::TestParamInfo<SprigCase>& info) { return std::string(info.param.name); });

TEST(SprigTest, ExcludesNonHermeticFunctions) {
  for (const char* name :
       {"now", "date", "randAlpha", "uuidv4", "env", "expandenv", "getHostByName", "shuffle"}) {
    EXPECT_EQ(SprigFunctions().count(name), 0u) << name;
  }
  EXPECT_EQ(SprigFunctions().count("slice"), 0u);
}

TEST(SprigTest, ToGoStringUsesStringForm) {
  EXPECT_EQ(ToGoString(Value::MakeObject("T", {{"A", 1}}, std::string("ns/name"))), "ns/name");
  EXPECT_EQ(ToGoString(Value(List{1, "a"})), "[1 a]");
}

TEST(SprigTest, JsonRoundTrip) {
  Result<Value> v = FromJson("{\"k\": [1.5, \"s\\u00e9\\n\"], \"z\": false}");
  ASSERT_TRUE(v.has_value()) << v.error().message();
  EXPECT_EQ(*ToJson(*v), "{\"k\":[1.5,\"s\xc3\xa9\\n\"],\"z\":false}");
  EXPECT_EQ(*ToJson(Value(1e21)), "1e+21");
  EXPECT_EQ(*ToJson(Value(0.0000001)), "1e-7");
  EXPECT_FALSE(ToJson(Value(NAN)).has_value());
}

TEST(SprigTest, RenderCommitMessageUsesDefaultForEmptyTemplate) {
  EXPECT_EQ(*RenderCommitMessage("", Value()), std::string(kDefaultCommitMessage));
  EXPECT_EQ(*RenderCommitMessage("x {{ upper \"y\" }}", Value()), "x Y");
}

}  // namespace
}  // namespace imgauto::gotemplate
