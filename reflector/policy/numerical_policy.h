// NumericalPolicy: Flux's `numerical` image policy. Every candidate is parsed with Go's
// strconv.ParseFloat (see go_float.h); `asc` (the default) picks the largest value, `desc` the
// smallest, using Flux's exact selection walk so ties and NaN behave as upstream.
//
//   auto policy = NumericalPolicy::Create("asc");
//   (*policy)->Latest(std::vector<std::string>{"1", "10", "9"});  // "10"
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "reflector/policy/tag_policy.h"

namespace imgauto::reflector::policy {

class NumericalPolicy final : public TagPolicy {
 public:
  enum class Order { kAscending, kDescending };

  // Accepts "", "asc" or "desc" in any letter case ("" means asc). Anything else is
  // kInvalidSpec "invalid order argument provided: '<ORDER>', must be one of: ASC, DESC".
  static Result<TagPolicyPtr> Create(std::string_view order);

  // Walks the tags in input order: the first is the provisional winner and each next one
  // replaces it unless strictly worse (asc: value < best; desc: value > best). So among equal
  // values the last in input order wins, and a NaN wins when it follows the winner and loses
  // to whatever follows it. Errors: empty input is kNotFound "version list argument cannot be
  // empty"; any value Go cannot parse fails the whole call with kInvalidSpec "failed to parse
  // invalid numeric value '<value>'" naming the first such value in input order. Thread-safe.
  Result<std::string> Latest(std::span<const std::string> tags) const override;
  // Same walk over views; returns the winner's index.
  Result<std::size_t> LatestIndex(std::span<const std::string_view> tags) const override;

  Order order() const { return order_; }

 private:
  explicit NumericalPolicy(Order order) : order_(order) {}

  Order order_;
};

}  // namespace imgauto::reflector::policy
