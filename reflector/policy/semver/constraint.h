// Version ranges in the Masterminds/semver v3 (3.4+) constraint language, as Flux's semver policy
// parses them with `semver.NewConstraint`.
//
//   Result<Constraint> range = Constraint::Parse(">=1.2.0 <2.0.0 || 3.x-0");
//   if (range && range->Check(*Version::Parse("1.4.0"))) { ... }
//
// Grammar: OR groups separated by "||"; within a group, AND terms separated by whitespace or one
// comma; each term is an operator (none or "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>",
// "^") and a version `v?S(.S)?(.S)?(-PRE)?(+META)?` whose segments may be wildcards (x, X, *);
// partial versions act as wildcards; "A - B" hyphen ranges mean ">= A, <= B". The parser mirrors
// Masterminds' regular-expression pipeline quirk for quirk (e.g. "*.|" is "*").
//
// Prerelease rule: a version with a prerelease satisfies an AND group only when some term of that
// group has a prerelease itself; the comparison is then by precedence.
//
// A Constraint owns its data, is immutable after Parse, and is safe to share across threads.
// Check never allocates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "reflector/policy/semver/version.h"

namespace imgauto::reflector::policy::semver {

namespace internal {

// One parsed term of a constraint (Masterminds' `constraint`). Exposed only for constraint.cc.
enum class Op : std::uint8_t {
  kTildeOrEqual,  // "" and "="
  kNotEqual,      // "!="
  kGreater,       // ">"
  kLess,          // "<"
  kGreaterEqual,  // ">=" and "=>"
  kLessEqual,     // "<=" and "=<"
  kTilde,         // "~" and "~>"
  kCaret,         // "^"
};

struct Term {
  Op op = Op::kTildeOrEqual;
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::string prerelease;    // owned; a Version views into it only for the duration of a check
  bool dirty = false;        // some segment was a wildcard or missing
  bool minor_dirty = false;  // the minor segment was a wildcard or missing (major given)
  bool patch_dirty = false;  // the patch segment was a wildcard or missing (major.minor given)
};

struct Group {
  std::vector<Term> terms;           // never empty
  bool includes_prerelease = false;  // some term carries a prerelease
};

}  // namespace internal

class Constraint {
 public:
  // Parses a constraint. Errors are kInvalidSpec with Masterminds' messages:
  // "improper constraint: <or-group text>" for grammar errors (including the empty string,
  // "latest", "*-*", "1.0.0p"), and "constraint parser error" when a term's version does not
  // form a valid version ("1x", "x1", a segment above uint64, "1.0.0-01").
  static Result<Constraint> Parse(std::string_view text);

  // Returns whether `version` satisfies every term of at least one OR group.
  bool Check(const Version& version) const;

  // The text given to Parse.
  const std::string& text() const { return text_; }

 private:
  Constraint(std::string text, std::vector<internal::Group> groups)
      : text_(std::move(text)), groups_(std::move(groups)) {}

  std::string text_;
  std::vector<internal::Group> groups_;
};

}  // namespace imgauto::reflector::policy::semver
