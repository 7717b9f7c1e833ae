// A Kubernetes metav1.LabelSelector (ImageUpdateAutomation spec.policySelector): the data, the
// checks the controller applies before using it (LabelSelectorAsSelector), and matching.
//
//   if (Result<void> ok = ValidateLabelSelector(spec.policy_selector); !ok) {
//     Stall("InvalidPolicySelector", "failed to parse policy selector: " + ok.error().message());
//   }
//   bool selected = spec.policy_selector.Matches(policy.metadata.labels);
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace imgauto::automation::api {

// One matchExpressions entry. `op` is kept as written (In, NotIn, Exists, DoesNotExist) so that
// a bad operator reaches ValidateLabelSelector instead of failing the whole decode: Flux's API
// server accepts it and the controller stalls the object.
struct LabelSelectorRequirement {
  std::string key;
  std::string op;
  std::vector<std::string> values;
  bool operator==(const LabelSelectorRequirement&) const = default;
};

// An empty selector (the default, and what an absent policySelector means) selects everything.
struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;

  // Returns true when every matchLabels entry and every expression holds for `labels`. An
  // expression with an unknown operator never holds; validate first.
  bool Matches(const std::vector<std::pair<std::string, std::string>>& labels) const;

  bool operator==(const LabelSelector&) const = default;
};

// Checks a selector as Kubernetes does when converting it: known operators, values present for
// In/NotIn and absent for Exists/DoesNotExist, label keys as qualified names ("prefix/name"),
// label values (at most 63 characters, alphanumeric at both ends, '-', '_', '.' inside).
// kInvalidSpec naming the entry: `matchExpressions[0]: "Maybe" is not a valid label selector
// operator`.
Result<void> ValidateLabelSelector(const LabelSelector& selector);

}  // namespace imgauto::automation::api
