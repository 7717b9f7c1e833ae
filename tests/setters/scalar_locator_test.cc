#include "setters/scalar_locator.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace imgauto::setters {
namespace {

std::vector<LocatedDocument> Locate(std::string_view text) {
  Result<std::vector<LocatedDocument>> docs = LocateScalars(text);
  EXPECT_TRUE(docs.has_value()) << (docs ? "" : docs.error().message());
  return docs ? *docs : std::vector<LocatedDocument>{};
}

// Returns the first value scalar whose decoded value is `value`.
LocatedScalar Find(const std::vector<LocatedDocument>& docs, std::string_view value) {
  for (const LocatedDocument& doc : docs) {
    for (const LocatedScalar& scalar : doc.scalars) {
      if (scalar.value == value) {
        return scalar;
      }
    }
  }
  ADD_FAILURE() << "no scalar " << value;
  return {};
}

std::string_view Slice(std::string_view text, const LocatedScalar& s) {
  return text.substr(s.begin, s.end - s.begin);
}

TEST(ScalarLocatorTest, FindsPlainValueRangeAndLineComment) {
  const std::string text = "image: nginx:1.25   # {\"$imagepolicy\": \"ns:web\"}\n";
  const LocatedScalar s = Find(Locate(text), "nginx:1.25");
  EXPECT_TRUE(s.exact);
  EXPECT_EQ(s.style, ScalarStyle::kPlain);
  EXPECT_EQ(Slice(text, s), "nginx:1.25");
  EXPECT_EQ(s.line_comment, "# {\"$imagepolicy\": \"ns:web\"}");
}

TEST(ScalarLocatorTest, SkipsMappingKeys) {
  const std::vector<LocatedDocument> docs = Locate("a: b\nc: d\n");
  ASSERT_EQ(docs.size(), 1u);
  ASSERT_EQ(docs[0].scalars.size(), 2u);
  EXPECT_EQ(docs[0].scalars[0].value, "b");
  EXPECT_EQ(docs[0].scalars[1].value, "d");
}

TEST(ScalarLocatorTest, IncludesQuotesInRange) {
  const std::string text = "a: 'it''s' # c\nb: \"x\\\"y\" # d\n";
  const std::vector<LocatedDocument> docs = Locate(text);
  const LocatedScalar single = Find(docs, "it's");
  EXPECT_TRUE(single.exact);
  EXPECT_EQ(single.style, ScalarStyle::kSingleQuoted);
  EXPECT_EQ(Slice(text, single), "'it''s'");
  EXPECT_EQ(single.line_comment, "# c");
  const LocatedScalar dbl = Find(docs, "x\"y");
  EXPECT_TRUE(dbl.exact);
  EXPECT_EQ(dbl.style, ScalarStyle::kDoubleQuoted);
  EXPECT_EQ(Slice(text, dbl), "\"x\\\"y\"");
  EXPECT_EQ(dbl.line_comment, "# d");
}

TEST(ScalarLocatorTest, HeadCommentAboveKey) {
  const std::string text = "a: 1\n  # not me\n\n# {\"$imagepolicy\": \"ns:p\"}\nimage: x\n";
  const LocatedScalar s = Find(Locate(text), "x");
  EXPECT_EQ(s.line_comment, "");
  EXPECT_EQ(s.head_comment, "# {\"$imagepolicy\": \"ns:p\"}");
}

TEST(ScalarLocatorTest, HeadCommentJoinsContiguousLines) {
  const LocatedScalar s = Find(Locate("# one\n  # two\nimage: x\n"), "x");
  EXPECT_EQ(s.head_comment, "# one\n# two");
}

TEST(ScalarLocatorTest, HeadCommentAboveSequenceItem) {
  const std::string text = "list:\n  # {\"$imagepolicy\": \"ns:p\"}\n  - nginx:1\n  - other\n";
  const std::vector<LocatedDocument> docs = Locate(text);
  EXPECT_EQ(Find(docs, "nginx:1").head_comment, "# {\"$imagepolicy\": \"ns:p\"}");
  EXPECT_EQ(Find(docs, "other").head_comment, "");
}

TEST(ScalarLocatorTest, CommentAboveSequenceItemMappingIsNotTheValues) {
  const std::string text = "list:\n# {\"$imagepolicy\": \"ns:p\"}\n- image: x\n";
  EXPECT_EQ(Find(Locate(text), "x").head_comment, "");
}

TEST(ScalarLocatorTest, BlockScalarContentIsNotAHeadComment) {
  const std::string text = "script: |\n  # {\"$imagepolicy\": \"ns:p\"}\nimage: x\n";
  const std::vector<LocatedDocument> docs = Locate(text);
  EXPECT_EQ(Find(docs, "x").head_comment, "");
}

TEST(ScalarLocatorTest, CommentAfterBlockScalarAtLowerIndentCounts) {
  const std::string text = "script: |\n  echo\n# {\"$imagepolicy\": \"ns:p\"}\nimage: x\n";
  EXPECT_EQ(Find(Locate(text), "x").head_comment, "# {\"$imagepolicy\": \"ns:p\"}");
}

TEST(ScalarLocatorTest, BlockScalarIsNotExact) {
  const LocatedScalar s = Find(Locate("a: |\n  x\n"), "x\n");
  EXPECT_FALSE(s.exact);
  EXPECT_EQ(s.style, ScalarStyle::kLiteral);
}

TEST(ScalarLocatorTest, MultiLinePlainIsNotExact) {
  const LocatedScalar s = Find(Locate("a: one\n  two\n"), "one two");
  EXPECT_FALSE(s.exact);
}

TEST(ScalarLocatorTest, AnchoredValueRangeSkipsAnchor) {
  const std::string text = "a: &img nginx:1 # c\nb: *img\n";
  const std::vector<LocatedDocument> docs = Locate(text);
  ASSERT_EQ(docs[0].scalars.size(), 1u);  // the alias is not visited
  const LocatedScalar s = docs[0].scalars[0];
  EXPECT_TRUE(s.exact);
  EXPECT_EQ(Slice(text, s), "nginx:1");
  EXPECT_EQ(s.line_comment, "# c");
}

TEST(ScalarLocatorTest, TaggedValueRangeSkipsTag) {
  const std::string text = "a: !!str 123 # c\n";
  const LocatedScalar s = Find(Locate(text), "123");
  EXPECT_TRUE(s.exact);
  EXPECT_EQ(Slice(text, s), "123");
}

TEST(ScalarLocatorTest, FlowMappingValues) {
  const std::string text = "img: {repository: nginx, tag: \"1.25\"}\n";
  const std::vector<LocatedDocument> docs = Locate(text);
  const LocatedScalar repo = Find(docs, "nginx");
  EXPECT_TRUE(repo.exact);
  EXPECT_TRUE(repo.in_flow);
  EXPECT_EQ(Slice(text, repo), "nginx");
  EXPECT_EQ(Slice(text, Find(docs, "1.25")), "\"1.25\"");
}

TEST(ScalarLocatorTest, CrlfOffsetsAndComments) {
  const std::string text = "a: b\r\n# {\"$imagepolicy\": \"ns:p\"}\r\nimage: x # c\r\n";
  const LocatedScalar s = Find(Locate(text), "x");
  EXPECT_TRUE(s.exact);
  EXPECT_EQ(Slice(text, s), "x");
  EXPECT_EQ(s.line_comment, "# c");
  EXPECT_EQ(s.head_comment, "# {\"$imagepolicy\": \"ns:p\"}");
}

TEST(ScalarLocatorTest, ByteOrderMarkShiftsOffsets) {
  const std::string text = "\xEF\xBB\xBFimage: x # c\n";
  const LocatedScalar s = Find(Locate(text), "x");
  EXPECT_TRUE(s.exact);
  EXPECT_EQ(Slice(text, s), "x");
}

TEST(ScalarLocatorTest, MultibyteCharactersKeepByteOffsets) {
  const std::string text = "note: caf\xC3\xA9\nimage: x # c\n";
  EXPECT_EQ(Slice(text, Find(Locate(text), "x")), "x");
}

TEST(ScalarLocatorTest, NullWordIsAPlainTarget) {
  const std::string text = "digest: ~ # c\nother:\n  x: y\n";
  const LocatedScalar s = Find(Locate(text), "~");
  EXPECT_TRUE(s.exact);
  EXPECT_EQ(s.line_comment, "# c");
}

TEST(ScalarLocatorTest, EmptyValueIsNotATarget) {
  const std::vector<LocatedDocument> docs = Locate("digest: # c\nnext: ~\n");
  ASSERT_EQ(docs[0].scalars.size(), 1u);
  EXPECT_EQ(docs[0].scalars[0].value, "~");
}

// Found by fuzzing: an empty tagged value must not claim the next line's bytes.
TEST(ScalarLocatorTest, TaggedEmptyValueIsNotExact) {
  const std::vector<LocatedDocument> docs = Locate("a:\n  b: !t\n: c\n");
  ASSERT_EQ(docs.size(), 1u);
  ASSERT_FALSE(docs[0].scalars.empty());
  EXPECT_EQ(docs[0].scalars[0].value, "");
  EXPECT_FALSE(docs[0].scalars[0].exact);
}

TEST(ScalarLocatorTest, ReadsObjectIdentity) {
  const std::vector<LocatedDocument> docs = Locate(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: prod\n"
      "spec:\n  metadata:\n    name: nested\n");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].object, (ObjectId{"apps/v1", "Deployment", "app", "prod"}));
}

TEST(ScalarLocatorTest, SplitsDocumentsAndDropsEmptyOnes) {
  const std::vector<LocatedDocument> docs =
      Locate("---\nkind: A\n...\n--- # c\n# only a comment\n---\nkind: B\n");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].object.kind, "A");
  EXPECT_EQ(docs[1].object.kind, "B");
}

TEST(ScalarLocatorTest, WalkOrderIsDocumentOrder) {
  const std::vector<LocatedDocument> docs = Locate("a: 1\nb:\n  - 2\n  - c: 3\nd: 4\n");
  std::vector<std::string> values;
  for (const LocatedScalar& s : docs[0].scalars) {
    values.push_back(s.value);
  }
  EXPECT_EQ(values, (std::vector<std::string>{"1", "2", "3", "4"}));
}

struct ProblemCase {
  std::string label;
  std::string text;
};

class ScalarLocatorProblemTest : public ::testing::TestWithParam<ProblemCase> {};

TEST_P(ScalarLocatorProblemTest, IsAProblemFile) {
  const Result<std::vector<LocatedDocument>> docs = LocateScalars(GetParam().text);
  ASSERT_FALSE(docs.has_value());
  EXPECT_EQ(docs.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_FALSE(docs.error().message().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Problems, ScalarLocatorProblemTest,
    ::testing::Values(
        ProblemCase{"TopLevelList", "- a: 1\n- b: 2\n"}, ProblemCase{"ScalarRoot", "just text\n"},
        ProblemCase{"SecondDocumentList", "a: 1\n---\n- x\n"},
        ProblemCase{"Malformed", "a: [1, 2\nb: c\n"},
        ProblemCase{"BadIndentation", "a:\n  b: 1\n c: 2\n"},
        ProblemCase{"DuplicateKey", "a: 1\na: 2\n"},
        ProblemCase{"BadSeparator", "a: 1\n--- text\nb: 2\n"},
        ProblemCase{"InvalidUtf8", "a: \xFF\n"},
        ProblemCase{"ControlCharacter", std::string("a: b\x01\n")},
        ProblemCase{"NulByte", std::string("a: b\0c\n", 7)},
        // yaml-cpp 0.7 otherwise reports empty documents forever on a stray flow indicator.
        ProblemCase{"StrayFlowIndicatorDoesNotHang", ",\n...\n"},
        ProblemCase{"StrayFlowIndicatorAfterDocument", "a: 1\n...\n, c\n"}),
    [](const ::testing::TestParamInfo<ProblemCase>& info) { return info.param.label; });

}  // namespace
}  // namespace imgauto::setters
