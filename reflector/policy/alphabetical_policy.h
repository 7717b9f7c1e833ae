// AlphabeticalPolicy: Flux's `alphabetical` image policy. Candidates are ordered byte-wise (Go's
// string `<`: uppercase before lowercase, '-' before digits, multi-byte UTF-8 after ASCII);
// `asc` (the default) picks the greatest, `desc` the smallest.
//
//   auto policy = AlphabeticalPolicy::Create("desc");
//   (*policy)->Latest(tags);  // the byte-wise smallest tag
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "reflector/policy/tag_policy.h"

namespace imgauto::reflector::policy {

class AlphabeticalPolicy final : public TagPolicy {
 public:
  enum class Order { kAscending, kDescending };

  // Accepts "", "asc" or "desc" in any letter case ("" means asc). Anything else is
  // kInvalidSpec "invalid order argument provided: '<ORDER>', must be one of: ASC, DESC"
  // (the order upper-cased, as Flux shows it).
  static Result<TagPolicyPtr> Create(std::string_view order);

  // Returns the greatest (asc) or smallest (desc) tag. Equal strings are indistinguishable, so
  // the first of them is returned (Flux sorts unstably; any choice gives the same text).
  // Empty input is kNotFound "version list argument cannot be empty". Thread-safe.
  Result<std::string> Latest(std::span<const std::string> tags) const override;
  // Same selection; returns the index of the first winner.
  Result<std::size_t> LatestIndex(std::span<const std::string_view> tags) const override;

  Order order() const { return order_; }

 private:
  explicit AlphabeticalPolicy(Order order) : order_(order) {}

  Order order_;
};

}  // namespace imgauto::reflector::policy
