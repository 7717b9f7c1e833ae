// TagPolicy picks the "latest" tag from candidates that already passed the TagFilter.
// Implementations are immutable after Create() and safe to share across threads.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"

namespace imgauto::reflector::policy {

class TagPolicy {
 public:
  virtual ~TagPolicy() = default;

  // Returns the chosen candidate (its text as given). Errors carry Flux's messages:
  // "version list argument cannot be empty" for no candidates, and the policy's own
  // selection errors ("unable to determine…", "failed to parse invalid numeric value…"), all
  // kNotFound: retried, never Stalled (a spec problem is reported by Create()).
  virtual Result<std::string> Latest(std::span<const std::string> tags) const = 0;

  // Same as Latest over views, for callers that already hold the text elsewhere (the filter's
  // extracted keys). Returns the index of the winner in `tags`.
  virtual Result<std::size_t> LatestIndex(std::span<const std::string_view> tags) const = 0;
};

using TagPolicyPtr = std::unique_ptr<const TagPolicy>;

}  // namespace imgauto::reflector::policy
