// Property test: random YAML (seeded) with random indentation, sequence style, comments, quoting,
// line endings, document separators and markers. After the setters run, every byte outside the
// marked scalars is unchanged, marked scalars hold their setter's value, and a second run is a
// no-op.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/fs.h"
#include "setters/marker.h"
#include "setters/scalar_locator.h"
#include "setters/tree_updater.h"
#include "tests/support/temp_dir.h"

namespace imgauto::setters {
namespace {

namespace fs = std::filesystem;

constexpr int kFiles = 120;

std::vector<PolicyValue> Policies() {
  return {{"ns", "web", "nginx", "1.27.1", ""},
          {"ns", "app", "ghcr.io/acme/app", "20240101",
           "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}};
}

// A marked scalar as generated: its range in the original text, decoded value and setter.
struct Span {
  std::size_t begin;
  std::size_t end;
  std::string value;
  std::string setter;
};

struct Generated {
  std::string text;
  std::vector<Span> marked;  // in document order
};

class YamlGenerator {
 public:
  explicit YamlGenerator(unsigned seed) : rng_(seed) {
    eol_ = Chance(4) ? "\r\n" : "\n";
    unit_ = Chance(3) ? 4 : 2;
    wide_ = Chance(2);
  }

  Generated Generate() {
    const int docs = Pick(3) + 1;
    if (Chance(2)) {
      Line(Chance(2) ? "---" : "--- # start");
    }
    for (int d = 0; d < docs; ++d) {
      if (d > 0) {
        if (Chance(3)) {
          Line("...");
        }
        Line("---");
      }
      if (Chance(2)) {
        Line("apiVersion: v1");
        Line("kind: Kind" + std::to_string(d));
      }
      Map(0, 0);
    }
    return {std::move(out_), std::move(marked_)};
  }

 private:
  bool Chance(int one_in) { return std::uniform_int_distribution<int>(0, one_in - 1)(rng_) == 0; }
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  void Line(const std::string& text) {
    out_ += text;
    out_ += eol_;
    last_was_comment_ = text.find_first_not_of(' ') != std::string::npos &&
                        text[text.find_first_not_of(' ')] == '#';
  }

  std::string Setter() {
    static const char* kSetters[] = {"ns:web",        "ns:web:tag", "ns:web:name", "ns:web:digest",
                                     "ns:app",        "ns:app:tag", "ns:app:name", "ns:app:digest",
                                     "ns:ghost:name", "other:web"};
    return kSetters[Pick(10)];
  }

  std::string Marker(const std::string& setter) {
    switch (Pick(3)) {
      case 0:
        return "# {\"$imagepolicy\": \"" + setter + "\"}";
      case 1:
        return "#{\"$imagepolicy\":\"" + setter + "\"}";
      default:
        return "## {\"$imagepolicy\" : \"" + setter + "\", \"note\": \"x\"}";
    }
  }

  // Returns {source text, decoded value} of a random scalar.
  std::pair<std::string, std::string> Scalar() {
    static const char* kPlain[] = {"nginx:1.25", "ghcr.io/acme/app:v1.2.3",
                                   "123",        "true",
                                   "v1",         "a b c",
                                   "x-y_z",      "sha256:abcd",
                                   "null",       "1.0",
                                   "caf\xC3\xA9"};
    static const char* kText[] = {"it's", "a: b", "#x", "q\"uote", "back\\slash", "", "1e3"};
    switch (Pick(4)) {
      case 0: {
        std::string v = kText[Pick(7)];
        std::string src = "'";
        for (char c : v) {
          src += c == '\'' ? "''" : std::string(1, c);
        }
        return {src + "'", v};
      }
      case 1: {
        std::string v = kText[Pick(7)];
        std::string src = "\"";
        for (char c : v) {
          src += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
        }
        return {src + "\"", v};
      }
      default: {
        std::string v = kPlain[Pick(11)];
        return {v, v};
      }
    }
  }

  // Writes `prefix` + a scalar (+ comments); `head_ok` says whether a head comment above this
  // line would attach to the scalar.
  void ScalarLine(const std::string& indent, const std::string& prefix, bool head_ok) {
    auto [src, value] = Scalar();
    const int mode = Pick(10);
    std::string setter;
    std::string line_comment;
    if (mode >= 6 && mode <= 7) {
      setter = Setter();
      line_comment = Marker(setter);
    } else if (mode >= 8 && head_ok) {
      if (last_was_comment_) {
        Line("");
      }
      const std::string head_setter = Setter();
      Line(indent + Marker(head_setter));
      if (mode == 8) {
        setter = head_setter;
      } else {
        line_comment = "# pinned";  // a non-marker line comment blocks the head marker
      }
    } else if (Chance(4)) {
      line_comment = "# note " + std::to_string(Pick(100));
    }
    out_ += indent + prefix;
    const std::size_t begin = out_.size();
    out_ += src;
    if (!setter.empty()) {
      marked_.push_back({begin, out_.size(), value, setter});
    }
    out_ += std::string(static_cast<std::size_t>(Pick(3) + 1), ' ');
    out_ += line_comment;
    out_ += eol_;
    last_was_comment_ = false;
  }

  void Map(int depth, int indent_cols) {
    const std::string indent(static_cast<std::size_t>(indent_cols), ' ');
    const int entries = Pick(4) + 1;
    for (int i = 0; i < entries; ++i) {
      if (Chance(5)) {
        Line(indent + "# comment " + std::to_string(Pick(100)));
      }
      if (Chance(8)) {
        Line("");
      }
      const std::string key = "k" + std::to_string(depth) + "_" + std::to_string(i);
      const int kind = depth >= 3 ? 0 : Pick(4);
      if (kind <= 1) {
        ScalarLine(indent, key + ": ", true);
      } else if (kind == 2) {
        Line(indent + key + ":" + (Chance(3) ? "  # nested" : ""));
        Map(depth + 1, indent_cols + unit_);
      } else {
        Line(indent + key + ":");
        Sequence(depth + 1, wide_ ? indent_cols + 2 : indent_cols);
      }
    }
  }

  void Sequence(int depth, int indent_cols) {
    const std::string indent(static_cast<std::size_t>(indent_cols), ' ');
    const int items = Pick(3) + 1;
    for (int i = 0; i < items; ++i) {
      if (depth < 3 && Chance(4)) {
        // A mapping item: the first key shares the dash line (no head marker there).
        ScalarLine(indent, "- first: ", false);
        ScalarLine(indent + "  ", "second: ", true);
      } else {
        ScalarLine(indent, "- ", true);
      }
    }
  }

  std::mt19937 rng_;
  std::string eol_;
  int unit_ = 2;
  bool wide_ = false;
  bool last_was_comment_ = false;
  std::string out_;
  std::vector<Span> marked_;
};

std::string Masked(const std::string& text,
                   const std::vector<std::pair<std::size_t, std::size_t>>& ranges) {
  std::string out;
  std::size_t copied = 0;
  for (const auto& [begin, end] : ranges) {
    out.append(text, copied, begin - copied);
    out += '\x01';  // one placeholder per masked range keeps the structure comparable
    copied = end;
  }
  out.append(text, copied, std::string::npos);
  return out;
}

// Checks one file: unmarked bytes identical, marked values as the setters say.
void CheckFile(const Generated& generated, const std::string& updated, const SetterValues& setters,
               unsigned seed) {
  SCOPED_TRACE("seed " + std::to_string(seed) + "\n" + generated.text);
  Result<std::vector<LocatedDocument>> docs = LocateScalars(updated);
  ASSERT_TRUE(docs.has_value()) << docs.error().message() << "\n" << updated;
  std::vector<LocatedScalar> marked;
  for (const LocatedDocument& doc : *docs) {
    for (const LocatedScalar& s : doc.scalars) {
      if (SelectMarker(s.line_comment, s.head_comment)) {
        marked.push_back(s);
      }
    }
  }
  ASSERT_EQ(marked.size(), generated.marked.size()) << updated;
  std::vector<std::pair<std::size_t, std::size_t>> before;
  std::vector<std::pair<std::size_t, std::size_t>> after;
  for (std::size_t i = 0; i < marked.size(); ++i) {
    const Span& span = generated.marked[i];
    before.emplace_back(span.begin, span.end);
    after.emplace_back(marked[i].begin, marked[i].end);
    const auto it = setters.find(span.setter);
    EXPECT_EQ(marked[i].value, it == setters.end() ? span.value : it->second) << span.setter;
  }
  EXPECT_EQ(Masked(updated, after), Masked(generated.text, before));
}

TEST(SettersPropertyTest, UnmarkedBytesNeverChangeAndSecondRunIsNoOp) {
  testing::TempDir dir("setters-property");
  std::vector<Generated> files;
  for (int i = 0; i < kFiles; ++i) {
    files.push_back(YamlGenerator(static_cast<unsigned>(1000 + i)).Generate());
    dir.Write("f" + std::to_string(i) + ".yaml",
              files.back().text + "# \"$imagepolicy\" token for screening\n");
    ASSERT_TRUE(LocateScalars(files.back().text).has_value())
        << "generator produced invalid YAML for seed " << 1000 + i << "\n"
        << files.back().text;
  }
  UpdateOptions options;
  options.namespace_filter = "ns";
  Result<UpdateResult> first = UpdateTree(dir.path(), "", Policies(), options);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_TRUE(first->problems.empty());
  EXPECT_FALSE(first->changes.empty());
  const SetterValues setters = BuildSetterValues(Policies(), std::string("ns"));
  for (int i = 0; i < kFiles; ++i) {
    Result<std::string> text = ReadFile(dir.Path("f" + std::to_string(i) + ".yaml"));
    ASSERT_TRUE(text.has_value());
    std::string updated = *text;
    updated.erase(updated.rfind("# \"$imagepolicy\""));
    CheckFile(files[static_cast<std::size_t>(i)], updated, setters, 1000u + i);
  }
  Result<UpdateResult> second = UpdateTree(dir.path(), "", Policies(), options);
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->changes.empty());
  EXPECT_TRUE(second->rewrites.empty());
}

TEST(SettersPropertyTest, TextUpdateMatchesChangeCount) {
  const SetterValues setters = BuildSetterValues(Policies(), std::string("ns"));
  for (unsigned seed = 5000; seed < 5300; ++seed) {
    const Generated generated = YamlGenerator(seed).Generate();
    Result<TextUpdate> update = UpdateText(generated.text, setters);
    ASSERT_TRUE(update.has_value()) << update.error().message() << "\n" << generated.text;
    std::size_t expected = 0;
    for (const Span& span : generated.marked) {
      const auto it = setters.find(span.setter);
      expected += (it != setters.end() && it->second != span.value) ? 1 : 0;
    }
    EXPECT_EQ(update->changes.size(), expected) << "seed " << seed << "\n" << generated.text;
    CheckFile(generated, update->text, setters, seed);
  }
}

}  // namespace
}  // namespace imgauto::setters
