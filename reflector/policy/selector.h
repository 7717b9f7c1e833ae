// TagSelector: the tag-selection pipeline of an ImagePolicy (filterTags, then the policy),
// compiled once per policy generation and reused for every reconcile.
//
//   Result<TagSelector> selector = TagSelector::Create(spec.policy, spec.filter_tags);
//   Result<std::string> tag = selector->Select(store_tags);  // the original tag text
#pragma once

#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "core/error.h"
#include "reflector/api/image_policy.h"
#include "reflector/policy/tag_filter.h"
#include "reflector/policy/tag_policy.h"

namespace imgauto::reflector::policy {

class TagSelector {
 public:
  // Builds the policy (CreatePolicy: kInvalidSpec "invalid policy: …") and then the filter
  // (kInvalidSpec "failed to filter tags: invalid regular expression pattern '<p>': …").
  // `filter` unset means no filtering; a set filter with an empty pattern matches every tag.
  static Result<TagSelector> Create(const api::ImagePolicyChoice& policy,
                                    const std::optional<api::TagFilterSpec>& filter);

  TagSelector(TagSelector&&) noexcept;
  TagSelector& operator=(TagSelector&&) noexcept;
  ~TagSelector();

  // Returns the chosen tag as it appears in `tags`. Without a filter the policy runs on `tags`
  // directly; with one it runs on the extracted keys (see TagFilter::Apply for collisions and
  // order) and the winner is mapped back to its original tag. Errors are the policy's: no
  // candidate at all (including no tag matching the filter) is kNotFound "version list argument
  // cannot be empty". Thread-safe: the policy and filter are immutable; the filter's scratch
  // buffers are reused under a mutex (a concurrent call that finds them busy uses its own).
  Result<std::string> Select(std::span<const std::string> tags) const;

 private:
  TagSelector(TagPolicyPtr policy, std::optional<TagFilter> filter);

  TagPolicyPtr policy_;
  std::optional<TagFilter> filter_;
  // Filter output buffers kept between calls so repeated selection over a large repository
  // neither allocates nor faults in fresh pages. Their capacity follows the largest tag list
  // seen, which is about the size of the list itself; contents are meaningless between calls.
  mutable std::mutex scratch_mutex_;
  mutable FilteredTags scratch_;
};

}  // namespace imgauto::reflector::policy
