#include "setters/marker.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace imgauto::setters {
namespace {

struct MarkerCase {
  std::string label;
  std::string comment;
  std::optional<std::string> setter;
};

class MarkerVectorTest : public ::testing::TestWithParam<MarkerCase> {};

TEST_P(MarkerVectorTest, ParsesCommentLikeFlux) {
  EXPECT_EQ(ParseMarker(GetParam().comment), GetParam().setter) << GetParam().comment;
}

INSTANTIATE_TEST_SUITE_P(
    Reference, MarkerVectorTest,
    ::testing::Values(
        MarkerCase{"NoSpace", R"(#{"$imagepolicy":"ns:p"})", "ns:p"},
        MarkerCase{"SpacedColon", R"(# {"$imagepolicy" : "ns:p"})", "ns:p"},
        MarkerCase{"DoubleHash", R"(## {"$imagepolicy": "ns:p"})", "ns:p"},
        MarkerCase{"ExtraStringKey", R"(# {"$imagepolicy": "ns:p", "x": "y"})", "ns:p"},
        MarkerCase{"TagSetter", R"(# {"$imagepolicy": "ns:p:tag"})", "ns:p:tag"},
        MarkerCase{"NameSetter", R"(# {"$imagepolicy": "ns:p:name"})", "ns:p:name"},
        MarkerCase{"DigestSetter", R"(# {"$imagepolicy": "ns:p:digest"})", "ns:p:digest"},
        MarkerCase{"TrailingTextBreaksIt", R"(# {"$imagepolicy": "ns:p"} keep me)", std::nullopt},
        MarkerCase{"SingleQuotedIsNotJson", R"(# {'$imagepolicy': 'ns:p'})", std::nullopt},
        MarkerCase{"NumberValueDisqualifies", R"(# {"$imagepolicy": "ns:p", "n": 1})",
                   std::nullopt},
        MarkerCase{"BoolValueDisqualifies", R"(# {"$imagepolicy": true})", std::nullopt},
        MarkerCase{"ObjectValueDisqualifies", R"(# {"$imagepolicy": "ns:p", "o": {}})",
                   std::nullopt},
        MarkerCase{"NullValueReadsEmptyLikeGo", R"(# {"$imagepolicy": "ns:p", "x": null})", "ns:p"},
        MarkerCase{"EmptyValue", R"(# {"$imagepolicy": ""})", std::nullopt},
        MarkerCase{"OtherKeyOnly", R"(# {"image": "ns:p"})", std::nullopt},
        MarkerCase{"TrailingComma", R"(# {"$imagepolicy": "ns:p",})", std::nullopt},
        MarkerCase{"EscapedKey", R"(# {"\u0024imagepolicy": "ns:p"})", "ns:p"},
        MarkerCase{"LegacyRef", R"(# {"$ref": "#/definitions/io.k8s.cli.setters.ns:p"})", "ns:p"},
        MarkerCase{"LegacyRefWithoutPrefix", R"(# {"$ref": "#/definitions/other.ns:p"})",
                   std::nullopt},
        MarkerCase{"ShortHandWinsOverRef",
                   R"(# {"$imagepolicy": "ns:a", "$ref": "#/definitions/io.k8s.cli.setters.ns:b"})",
                   "ns:a"},
        MarkerCase{"PlainText", "# just a comment", std::nullopt},
        MarkerCase{"OnlyHashes", "###", std::nullopt},
        MarkerCase{"MultiLineHeadComment", "# a\n# {\"$imagepolicy\": \"ns:p\"}", std::nullopt},
        MarkerCase{"TrailingWhitespace", "# {\"$imagepolicy\": \"ns:p\"}  \t", "ns:p"},
        MarkerCase{"RepeatedKeyKeepsLast", R"(# {"$imagepolicy": "ns:a", "$imagepolicy": "ns:b"})",
                   "ns:b"}),
    [](const ::testing::TestParamInfo<MarkerCase>& info) { return info.param.label; });

TEST(ParseStringObjectTest, DecodesEscapes) {
  const auto object = ParseStringObject(R"({"k": "a\"b\\c\/d\n\u00e9\ud83d\ude00"})");
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(object->at("k"), "a\"b\\c/d\n\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(ParseStringObjectTest, AcceptsEmptyObject) {
  const auto object = ParseStringObject(" {} ");
  ASSERT_TRUE(object.has_value());
  EXPECT_TRUE(object->empty());
}

TEST(ParseStringObjectTest, RejectsRawControlCharacterInString) {
  EXPECT_FALSE(ParseStringObject("{\"k\": \"a\tb\"}").has_value());
}

TEST(ParseStringObjectTest, RejectsUnknownEscape) {
  EXPECT_FALSE(ParseStringObject(R"({"k": "\q"})").has_value());
}

TEST(ParseStringObjectTest, RejectsUnterminatedInput) {
  EXPECT_FALSE(ParseStringObject(R"({"k": "v")").has_value());
  EXPECT_FALSE(ParseStringObject(R"({"k": )").has_value());
  EXPECT_FALSE(ParseStringObject(R"({"k)").has_value());
}

TEST(ParseStringObjectTest, RejectsNonObjectTopLevel) {
  EXPECT_FALSE(ParseStringObject(R"(["a"])").has_value());
  EXPECT_FALSE(ParseStringObject(R"("a")").has_value());
}

TEST(SelectMarkerTest, PrefersLineComment) {
  EXPECT_EQ(SelectMarker(R"(# {"$imagepolicy": "ns:line"})", R"(# {"$imagepolicy": "ns:head"})"),
            "ns:line");
}

TEST(SelectMarkerTest, NonMarkerLineCommentStopsSearch) {
  EXPECT_EQ(SelectMarker("# pinned on purpose", R"(# {"$imagepolicy": "ns:head"})"), std::nullopt);
}

TEST(SelectMarkerTest, FallsBackToHeadComment) {
  EXPECT_EQ(SelectMarker("", R"(# {"$imagepolicy": "ns:head"})"), "ns:head");
}

}  // namespace
}  // namespace imgauto::setters
