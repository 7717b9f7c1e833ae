// CreatePolicy: the one place that turns an ImagePolicy `spec.policy` union into a TagPolicy.
//
//   Result<TagPolicyPtr> policy = CreatePolicy(spec.policy);
//   if (!policy) MarkStalled(policy.error());  // "invalid policy: …"
#pragma once

#include "core/error.h"
#include "reflector/api/image_policy.h"
#include "reflector/policy/tag_policy.h"

namespace imgauto::reflector::policy {

// Builds the policy Flux would: semver if set, else alphabetical, else numerical (extra members
// are ignored, as upstream). Every error is kInvalidSpec with Flux's "invalid policy: " prefix:
// "invalid policy: given ImagePolicyChoice object is invalid" when nothing is set, otherwise
// "invalid policy: <the policy's own Create error>". The result is immutable and thread-safe.
Result<TagPolicyPtr> CreatePolicy(const api::ImagePolicyChoice& choice);

}  // namespace imgauto::reflector::policy
