#include "reflector/policy/semver/constraint.h"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgauto::reflector::policy::semver {
namespace {

using internal::Group;
using internal::Op;
using internal::Term;

// Go RE2 `\s`.
constexpr bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

// Masterminds' segment class `[0-9|x|X|\*]`, which (by accident) includes '|'.
constexpr bool IsSegmentChar(char c) {
  return (c >= '0' && c <= '9') || c == 'x' || c == 'X' || c == '*' || c == '|';
}

constexpr bool IsIdentifierChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

bool IsX(std::string_view s) { return s == "x" || s == "X" || s == "*"; }

std::size_t SkipSpaces(std::string_view s, std::size_t pos) {
  while (pos < s.size() && IsSpace(s[pos])) {
    ++pos;
  }
  return pos;
}

// Captures of Masterminds' cvRegex: `v?(S+)(\.S+)?(\.S+)?(-(PRE))?(\+(META))?`.
struct CvMatch {
  std::size_t end = 0;
  std::string_view whole;       // m[2]
  std::string_view major;       // m[3]
  std::string_view minor;       // m[4], with its leading '.', or empty
  std::string_view patch;       // m[5], with its leading '.', or empty
  std::string_view prerelease;  // m[6], with its leading '-', or empty
};

// Where the maximal runs the version regex consumes greedily end, found by scanning.
// Each query costs the length of the run.
struct ScannedRuns {
  std::string_view s;

  // End of the run of segment characters starting at `pos` (`pos` if there is none).
  std::size_t SegmentEnd(std::size_t pos) const {
    while (pos < s.size() && IsSegmentChar(s[pos])) {
      ++pos;
    }
    return pos;
  }
  // End of `[id]+(\.[id]+)*` starting at `pos`, which must hold an identifier character.
  std::size_t IdentifiersEnd(std::size_t pos) const {
    while (true) {
      while (pos < s.size() && IsIdentifierChar(s[pos])) {
        ++pos;
      }
      if (pos + 1 >= s.size() || s[pos] != '.' || !IsIdentifierChar(s[pos + 1])) {
        return pos;
      }
      ++pos;
    }
  }
  std::size_t SpacesEnd(std::size_t pos) const { return SkipSpaces(s, pos); }
};

// The same answers as ScannedRuns in O(1) per query, from tables built right to left in one
// pass. Used where the matcher is retried at every offset of a text, which would otherwise be
// quadratic in the length of a hostile input.
class IndexedRuns {
 public:
  explicit IndexedRuns(std::string_view text)
      : s(text), segment_end_(text.size() + 1), identifiers_end_(text.size() + 1),
        spaces_end_(text.size() + 1) {
    const std::size_t n = s.size();
    segment_end_[n] = identifiers_end_[n] = spaces_end_[n] = n;
    for (std::size_t i = n; i-- > 0;) {
      segment_end_[i] = IsSegmentChar(s[i]) ? segment_end_[i + 1] : i;
      spaces_end_[i] = IsSpace(s[i]) ? spaces_end_[i + 1] : i;
      if (!IsIdentifierChar(s[i])) {
        identifiers_end_[i] = i;
      } else if (i + 1 < n && IsIdentifierChar(s[i + 1])) {
        identifiers_end_[i] = identifiers_end_[i + 1];
      } else if (i + 2 < n && s[i + 1] == '.' && IsIdentifierChar(s[i + 2])) {
        identifiers_end_[i] = identifiers_end_[i + 2];
      } else {
        identifiers_end_[i] = i + 1;
      }
    }
  }

  std::size_t SegmentEnd(std::size_t pos) const { return segment_end_[pos]; }
  std::size_t IdentifiersEnd(std::size_t pos) const { return identifiers_end_[pos]; }
  std::size_t SpacesEnd(std::size_t pos) const { return spaces_end_[pos]; }

  std::string_view s;

 private:
  std::vector<std::size_t> segment_end_;
  std::vector<std::size_t> identifiers_end_;
  std::vector<std::size_t> spaces_end_;
};

// Matches cvRegex at `pos`. Every piece is greedy and the pieces are delimited by characters the
// previous piece cannot contain, so the greedy match is the one Go's leftmost-first matcher
// reports, and no shorter match could let the surrounding patterns succeed where it fails.
template <typename Runs>
std::optional<CvMatch> MatchCvWith(const Runs& runs, std::size_t pos) {
  const std::string_view s = runs.s;
  const std::size_t n = s.size();
  std::size_t q = pos;
  if (q + 1 < n && s[q] == 'v' && IsSegmentChar(s[q + 1])) {
    ++q;
  }
  const std::size_t major_begin = q;
  q = runs.SegmentEnd(q);
  if (q == major_begin) {
    return std::nullopt;
  }
  CvMatch m;
  m.major = s.substr(major_begin, q - major_begin);
  auto segment = [&]() -> std::string_view {
    if (q + 1 >= n || s[q] != '.' || !IsSegmentChar(s[q + 1])) {
      return {};
    }
    const std::size_t begin = q;
    q = runs.SegmentEnd(q + 1);
    return s.substr(begin, q - begin);
  };
  auto identifiers = [&](char lead) -> std::string_view {
    if (q + 1 >= n || s[q] != lead || !IsIdentifierChar(s[q + 1])) {
      return {};
    }
    const std::size_t begin = q;
    q = runs.IdentifiersEnd(q + 1);
    return s.substr(begin, q - begin);
  };
  m.minor = segment();
  if (!m.minor.empty()) {
    m.patch = segment();
  }
  m.prerelease = identifiers('-');
  identifiers('+');
  m.end = q;
  m.whole = s.substr(pos, q - pos);
  return m;
}

std::optional<CvMatch> MatchCv(std::string_view s, std::size_t pos) {
  return MatchCvWith(ScannedRuns{s}, pos);
}

struct OpMatch {
  Op op;
  std::size_t length;
};

// The operator at `pos`: the longest of Masterminds' alternatives. A shorter one would leave an
// operator character where a version must start, so the regex can only succeed with this one.
OpMatch MatchOp(std::string_view s, std::size_t pos) {
  static constexpr std::array<std::pair<std::string_view, Op>, 11> kOps = {{
      {"!=", Op::kNotEqual},
      {">=", Op::kGreaterEqual},
      {"=>", Op::kGreaterEqual},
      {"<=", Op::kLessEqual},
      {"=<", Op::kLessEqual},
      {"~>", Op::kTilde},
      {">", Op::kGreater},
      {"<", Op::kLess},
      {"=", Op::kTildeOrEqual},
      {"~", Op::kTilde},
      {"^", Op::kCaret},
  }};
  const std::string_view rest = s.substr(pos);
  for (const auto& [text, op] : kOps) {
    if (rest.starts_with(text)) {
      return {op, text.size()};
    }
  }
  return {Op::kTildeOrEqual, 0};
}

// One match of constraintRangeRegex `\s*(CV)\s+-\s+(CV)\s*` starting exactly at `pos`.
struct RangeMatch {
  std::size_t end = 0;
  std::string_view low;
  std::string_view high;
};

// O(1) with the run tables, so trying every offset of the text stays linear.
std::optional<RangeMatch> MatchRangeAt(const IndexedRuns& runs, std::size_t pos) {
  const std::string_view s = runs.s;
  const std::optional<CvMatch> low = MatchCvWith(runs, runs.SpacesEnd(pos));
  if (!low) {
    return std::nullopt;
  }
  const std::size_t q = runs.SpacesEnd(low->end);
  if (q == low->end || q >= s.size() || s[q] != '-') {
    return std::nullopt;
  }
  const std::size_t high_begin = runs.SpacesEnd(q + 1);
  if (high_begin == q + 1) {
    return std::nullopt;
  }
  const std::optional<CvMatch> high = MatchCvWith(runs, high_begin);
  if (!high) {
    return std::nullopt;
  }
  return RangeMatch{runs.SpacesEnd(high->end), low->whole, high->whole};
}

// Masterminds rewriteRange: every hyphen range found in the original text (FindAll, leftmost
// first, non-overlapping) replaces the first occurrence of its matched text with ">= A, <= B ".
// Finding the ranges is linear; each replacement scans the output, as Go's strings.Replace does.
std::string RewriteRange(std::string_view text) {
  std::string out(text);
  if (text.find('-') == std::string_view::npos) {
    return out;  // every range has a hyphen; skip building the tables
  }
  const IndexedRuns runs(text);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::optional<RangeMatch> match;
    std::size_t start = pos;
    while (start < text.size() && !(match = MatchRangeAt(runs, start))) {
      ++start;
    }
    if (!match) {
      break;
    }
    const std::string_view matched = text.substr(start, match->end - start);
    std::string replacement = ">= ";
    replacement.append(match->low).append(", <= ").append(match->high).append(" ");
    if (const std::size_t at = out.find(matched); at != std::string::npos) {
      out.replace(at, matched.size(), replacement);
    }
    pos = match->end;
  }
  return out;
}

// Go strings.Split(s, "||").
std::vector<std::string_view> SplitOr(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t at = s.find("||", begin);
    if (at == std::string_view::npos) {
      parts.push_back(s.substr(begin));
      return parts;
    }
    parts.push_back(s.substr(begin, at - begin));
    begin = at + 2;
  }
}

struct RawTerm {
  Op op;
  CvMatch cv;
};

// validConstraintRegex `^(\s*(OPS)\s*(CV)\s*)((?:\s+|,\s*)(OPS)\s*(CV)\s*)*$` and, on success,
// the terms findConstraintRegex `(OPS)\s*(CV)` then finds (the same ones, in order).
bool SplitTerms(std::string_view group, std::vector<RawTerm>& terms) {
  std::size_t pos = SkipSpaces(group, 0);
  while (true) {
    const OpMatch op = MatchOp(group, pos);
    const std::optional<CvMatch> cv = MatchCv(group, SkipSpaces(group, pos + op.length));
    if (!cv) {
      return false;
    }
    terms.push_back(RawTerm{op.op, *cv});
    pos = SkipSpaces(group, cv->end);
    if (pos == group.size()) {
      return true;
    }
    if (group[pos] == ',') {
      pos = SkipSpaces(group, pos + 1);
    } else if (pos == cv->end) {
      return false;
    }
  }
}

// Masterminds parseConstraint: wildcards and missing segments make the term "dirty" and are
// replaced by 0; the result must parse with the coercing NewVersion.
Result<Term> BuildTerm(const RawTerm& raw) {
  Term term;
  term.op = raw.op;
  const CvMatch& cv = raw.cv;
  std::string version;
  if (IsX(cv.major)) {
    term.dirty = true;
    version.append("0.0.0").append(cv.prerelease);
  } else if (cv.minor.empty() || IsX(cv.minor.substr(1))) {
    term.dirty = term.minor_dirty = true;
    version.append(cv.major).append(".0.0").append(cv.prerelease);
  } else if (cv.patch.empty() || IsX(cv.patch.substr(1))) {
    term.dirty = term.patch_dirty = true;
    version.append(cv.major).append(cv.minor).append(".0").append(cv.prerelease);
  } else {
    version.assign(cv.whole);
  }
  const std::optional<Version> parsed = Version::ParseCoerced(version);
  if (!parsed) {
    return Error(ErrorKind::kInvalidSpec, "constraint parser error");
  }
  term.major = parsed->major();
  term.minor = parsed->minor();
  term.patch = parsed->patch();
  term.prerelease.assign(parsed->prerelease());
  return term;
}

// The per-operator checks of Masterminds (constraintTilde, constraintNotEqual, ...). The
// prerelease gate they all start with is applied once per group in Constraint::Check.
bool CheckTilde(const Term& t, const Version& v, const Version& con) {
  if (Compare(v, con) < 0) {
    return false;
  }
  if (t.major == 0 && t.minor == 0 && t.patch == 0 && !t.minor_dirty && !t.patch_dirty) {
    return true;  // ~0.0.0 and ~* accept everything above them
  }
  if (v.major() != t.major) {
    return false;
  }
  return v.minor() == t.minor || t.minor_dirty;
}

bool CheckNotEqual(const Term& t, const Version& v, const Version& con) {
  if (t.dirty) {
    if (t.major != v.major()) {
      return true;
    }
    if (t.minor != v.minor() && !t.minor_dirty) {
      return true;
    }
    if (t.minor_dirty) {
      return false;
    }
    if (t.patch != v.patch() && !t.patch_dirty) {
      return true;
    }
    if (t.patch_dirty) {
      if (!v.prerelease().empty() || !t.prerelease.empty()) {
        return ComparePrerelease(v.prerelease(), t.prerelease) != 0;
      }
      return false;
    }
  }
  return Compare(v, con) != 0;
}

bool CheckGreater(const Term& t, const Version& v, const Version& con) {
  if (t.dirty) {
    if (v.major() != t.major) {
      return v.major() > t.major;
    }
    if (t.minor_dirty) {
      return false;  // >1 needs 2.0.0 or more
    }
    if (t.patch_dirty) {
      return v.minor() > t.minor;  // >1.2 needs 1.3.0 or more
    }
  }
  return Compare(v, con) > 0;
}

bool CheckLessEqual(const Term& t, const Version& v, const Version& con) {
  if (!t.dirty) {
    return Compare(v, con) <= 0;
  }
  if (v.major() > t.major) {
    return false;
  }
  return !(v.major() == t.major && v.minor() > t.minor && !t.minor_dirty);
}

bool CheckCaret(const Term& t, const Version& v, const Version& con) {
  if (Compare(v, con) < 0) {
    return false;
  }
  if (t.major > 0 || t.minor_dirty) {
    return v.major() == t.major;
  }
  if (v.major() > 0) {
    return false;
  }
  if (t.minor > 0 || t.patch_dirty) {
    return v.minor() == t.minor;
  }
  if (v.minor() > 0) {
    return false;
  }
  return v.patch() == t.patch;
}

bool CheckTerm(const Term& t, const Version& v) {
  const Version con(t.major, t.minor, t.patch, t.prerelease);
  switch (t.op) {
    case Op::kTildeOrEqual:
      return t.dirty ? CheckTilde(t, v, con) : Compare(v, con) == 0;
    case Op::kNotEqual:
      return CheckNotEqual(t, v, con);
    case Op::kGreater:
      return CheckGreater(t, v, con);
    case Op::kLess:
      return Compare(v, con) < 0;
    case Op::kGreaterEqual:
      return Compare(v, con) >= 0;
    case Op::kLessEqual:
      return CheckLessEqual(t, v, con);
    case Op::kTilde:
      return CheckTilde(t, v, con);
    case Op::kCaret:
      return CheckCaret(t, v, con);
  }
  return false;
}

}  // namespace

Result<Constraint> Constraint::Parse(std::string_view text) {
  const std::string rewritten = RewriteRange(text);
  std::vector<Group> groups;
  std::vector<RawTerm> raw_terms;
  for (const std::string_view part : SplitOr(rewritten)) {
    raw_terms.clear();
    if (!SplitTerms(part, raw_terms)) {
      return Error(ErrorKind::kInvalidSpec, "improper constraint: " + std::string(part));
    }
    Group group;
    for (const RawTerm& raw : raw_terms) {
      Result<Term> term = BuildTerm(raw);
      if (!term) {
        return term.error();
      }
      group.includes_prerelease = group.includes_prerelease || !term->prerelease.empty();
      group.terms.push_back(std::move(*term));
    }
    groups.push_back(std::move(group));
  }
  return Constraint(std::string(text), std::move(groups));
}

bool Constraint::Check(const Version& version) const {
  const bool is_prerelease = !version.prerelease().empty();
  for (const Group& group : groups_) {
    if (is_prerelease && !group.includes_prerelease) {
      continue;  // every Masterminds check rejects a prerelease the group does not opt into
    }
    bool all = true;
    for (const Term& term : group.terms) {
      if (!CheckTerm(term, version)) {
        all = false;
        break;
      }
    }
    if (all) {
      return true;
    }
  }
  return false;
}

}  // namespace imgauto::reflector::policy::semver
