// RFC 7386 JSON merge patches computed from two documents, for status writes: fields present in
// `before` but absent from `after` become null (so the API server removes them, which a plain
// "send the new status" patch would not do), objects are diffed recursively, everything else
// (arrays, scalars) is replaced when different.
//
//   nlohmann::json patch = CreateMergePatch(old_status, new_status);
//   if (!patch.empty()) client.MergePatchStatus(resource, ns, name, {{"status", patch}});
#pragma once

#include <nlohmann/json.hpp>

namespace imgauto::cmd::cluster {

// Returns the patch turning `before` into `after` (an empty object when they are equal). When
// either is not an object, the patch is `after` itself.
nlohmann::json CreateMergePatch(const nlohmann::json& before, const nlohmann::json& after);

// Applies `patch` to `target` per RFC 7386 (used by tests and the fake API server's users).
nlohmann::json ApplyMergePatch(nlohmann::json target, const nlohmann::json& patch);

}  // namespace imgauto::cmd::cluster
