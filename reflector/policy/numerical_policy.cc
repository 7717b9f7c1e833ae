#include "reflector/policy/numerical_policy.h"

#include <memory>
#include <optional>

#include "core/strings.h"
#include "reflector/policy/go_float.h"

namespace imgauto::reflector::policy {
namespace {

// Runs Flux's selection walk; `tags` must not be empty.
template <typename Str>
Result<std::size_t> WalkIndex(std::span<const Str> tags, NumericalPolicy::Order order) {
  const bool ascending = order == NumericalPolicy::Order::kAscending;
  std::size_t best = 0;
  double best_value = 0;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const std::string_view text = tags[i];
    const std::optional<double> value = ParseGoFloat(text);
    if (!value) {
      // A selection failure, not a spec error: Flux retries it (Ready=False, reason Failure),
      // and a new scan or exclusion list can clear it.
      return Error(ErrorKind::kNotFound,
                   "failed to parse invalid numeric value '" + std::string(text) + "'");
    }
    // Comparisons with NaN are false, so a NaN never counts as "strictly worse".
    if (i != 0 && (ascending ? *value < best_value : *value > best_value)) {
      continue;
    }
    best = i;
    best_value = *value;
  }
  return best;
}

}  // namespace

Result<TagPolicyPtr> NumericalPolicy::Create(std::string_view order) {
  const std::string upper = AsciiUpper(order);
  if (upper.empty() || upper == "ASC") {
    return TagPolicyPtr(new NumericalPolicy(Order::kAscending));
  }
  if (upper == "DESC") {
    return TagPolicyPtr(new NumericalPolicy(Order::kDescending));
  }
  return Error(ErrorKind::kInvalidSpec,
               "invalid order argument provided: '" + upper + "', must be one of: ASC, DESC");
}

Result<std::string> NumericalPolicy::Latest(std::span<const std::string> tags) const {
  if (tags.empty()) {
    return Error(ErrorKind::kNotFound, "version list argument cannot be empty");
  }
  Result<std::size_t> index = WalkIndex(tags, order_);
  if (!index) {
    return index.error();
  }
  return tags[*index];
}

Result<std::size_t> NumericalPolicy::LatestIndex(std::span<const std::string_view> tags) const {
  if (tags.empty()) {
    return Error(ErrorKind::kNotFound, "version list argument cannot be empty");
  }
  return WalkIndex(tags, order_);
}

}  // namespace imgauto::reflector::policy
