#include "reflector/policy/policy_factory.h"

#include <string>
#include <string_view>

#include "reflector/policy/alphabetical_policy.h"
#include "reflector/policy/numerical_policy.h"
#include "reflector/policy/semver_policy.h"

namespace imgauto::reflector::policy {
namespace {

constexpr std::string_view kPrefix = "invalid policy: ";

Result<TagPolicyPtr> Build(const api::ImagePolicyChoice& choice) {
  if (choice.semver) {
    return SemverPolicy::Create(choice.semver->range);
  }
  if (choice.alphabetical) {
    return AlphabeticalPolicy::Create(choice.alphabetical->order);
  }
  if (choice.numerical) {
    return NumericalPolicy::Create(choice.numerical->order);
  }
  return Error(ErrorKind::kInvalidSpec, "given ImagePolicyChoice object is invalid");
}

}  // namespace

Result<TagPolicyPtr> CreatePolicy(const api::ImagePolicyChoice& choice) {
  Result<TagPolicyPtr> policy = Build(choice);
  if (!policy) {
    // SemverPolicy::Create already speaks Flux's "invalid policy: " prefix; add it only once.
    const std::string& message = policy.error().message();
    return Error(ErrorKind::kInvalidSpec,
                 message.starts_with(kPrefix) ? message : std::string(kPrefix) + message);
  }
  return policy;
}

}  // namespace imgauto::reflector::policy
