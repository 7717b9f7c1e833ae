// The semver image policy (Flux's `policy.semver.range`): picks the highest tag that parses as a
// version (fluxcd/pkg ParseVersion rules) and satisfies a Masterminds/semver v3 range.
//
//   Result<TagPolicyPtr> policy = SemverPolicy::Create(">=1.0.0 <2.0.0");
//   Result<std::string> latest = (*policy)->Latest(tags);  // e.g. "v1.4.2", text as given
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "reflector/policy/semver/constraint.h"
#include "reflector/policy/tag_policy.h"

namespace imgauto::reflector::policy {

class SemverPolicy final : public TagPolicy {
 public:
  // Compiles `range`. An invalid range is kInvalidSpec with the message
  // "invalid policy: invalid semver range '<range>': <Masterminds error>".
  static Result<TagPolicyPtr> Create(std::string_view range);

  // Walks the candidates in input order, silently skipping those that do not parse as a version,
  // and keeps the greatest one that satisfies the range; among equal versions ("1.0.0" and
  // "v1.0.0", or differing build metadata) the first one wins. Returns its original text.
  // Errors (kNotFound): "version list argument cannot be empty" for no candidates and
  // "unable to determine latest version from provided list" when none qualifies.
  // Allocates nothing per candidate; thread-safe.
  Result<std::string> Latest(std::span<const std::string> tags) const override;

  // Same as Latest; returns the index of the winner in `tags`.
  Result<std::size_t> LatestIndex(std::span<const std::string_view> tags) const override;

  const semver::Constraint& constraint() const { return constraint_; }

 private:
  explicit SemverPolicy(semver::Constraint constraint) : constraint_(std::move(constraint)) {}

  template <typename Text>
  Result<std::size_t> Select(std::span<const Text> tags) const;

  semver::Constraint constraint_;
};

}  // namespace imgauto::reflector::policy
