#include "reflector/policy/selector.h"

#include <utility>

#include "reflector/policy/policy_factory.h"

namespace imgauto::reflector::policy {

TagSelector::TagSelector(TagPolicyPtr policy, std::optional<TagFilter> filter)
    : policy_(std::move(policy)), filter_(std::move(filter)) {}

// The mutex is not movable: a moved-to selector gets a fresh one (moving a selector while another
// thread uses it is a caller bug in any case).
TagSelector::TagSelector(TagSelector&& other) noexcept
    : policy_(std::move(other.policy_)),
      filter_(std::move(other.filter_)),
      scratch_(std::move(other.scratch_)) {}

TagSelector& TagSelector::operator=(TagSelector&& other) noexcept {
  policy_ = std::move(other.policy_);
  filter_ = std::move(other.filter_);
  scratch_ = std::move(other.scratch_);
  return *this;
}

TagSelector::~TagSelector() = default;

Result<TagSelector> TagSelector::Create(const api::ImagePolicyChoice& policy,
                                        const std::optional<api::TagFilterSpec>& filter) {
  // Flux builds the policer first, so a bad policy is reported before a bad pattern.
  Result<TagPolicyPtr> built = CreatePolicy(policy);
  if (!built) {
    return built.error();
  }
  std::optional<TagFilter> compiled;
  if (filter) {
    Result<TagFilter> created = TagFilter::Create(filter->pattern, filter->extract);
    if (!created) {
      return created.error().Wrap("failed to filter tags");
    }
    compiled.emplace(std::move(*created));
  }
  return TagSelector(std::move(*built), std::move(compiled));
}

Result<std::string> TagSelector::Select(std::span<const std::string> tags) const {
  if (!filter_) {
    return policy_->Latest(tags);
  }
  std::unique_lock<std::mutex> lock(scratch_mutex_, std::try_to_lock);
  FilteredTags private_scratch;
  FilteredTags& kept = lock.owns_lock() ? scratch_ : private_scratch;
  filter_->ApplyInto(tags, kept);
  Result<std::size_t> winner = policy_->LatestIndex(kept.keys());
  if (!winner) {
    return winner.error();
  }
  return tags[kept.original_index()[*winner]];
}

}  // namespace imgauto::reflector::policy
