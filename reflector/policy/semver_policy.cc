#include "reflector/policy/semver_policy.h"

#include <memory>
#include <optional>

#include "reflector/policy/semver/version.h"

namespace imgauto::reflector::policy {

Result<TagPolicyPtr> SemverPolicy::Create(std::string_view range) {
  Result<semver::Constraint> constraint = semver::Constraint::Parse(range);
  if (!constraint) {
    // Flux: NewSemVer returns the Masterminds error unwrapped; the reconciler adds the prefix.
    return Error(ErrorKind::kInvalidSpec, "invalid policy: " + constraint.error().message());
  }
  return TagPolicyPtr(new SemverPolicy(std::move(*constraint)));
}

template <typename Text>
Result<std::size_t> SemverPolicy::Select(std::span<const Text> tags) const {
  if (tags.empty()) {
    return Error(ErrorKind::kNotFound, "version list argument cannot be empty");
  }
  std::optional<semver::Version> best;
  std::size_t best_index = 0;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const std::optional<semver::Version> version =
        semver::Version::Parse(std::string_view(tags[i]));
    if (!version) {
      continue;
    }
    // Strictly greater: the first of equal versions stays. Ordering first is cheaper than the
    // range check and gives the same answer.
    if (best && semver::Compare(*version, *best) <= 0) {
      continue;
    }
    if (!constraint_.Check(*version)) {
      continue;
    }
    best = version;
    best_index = i;
  }
  if (!best) {
    return Error(ErrorKind::kNotFound, "unable to determine latest version from provided list");
  }
  return best_index;
}

Result<std::string> SemverPolicy::Latest(std::span<const std::string> tags) const {
  Result<std::size_t> index = Select(tags);
  if (!index) {
    return index.error();
  }
  return tags[*index];
}

Result<std::size_t> SemverPolicy::LatestIndex(std::span<const std::string_view> tags) const {
  return Select(tags);
}

}  // namespace imgauto::reflector::policy
