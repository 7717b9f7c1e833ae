#include "cmd/cluster/merge_patch.h"

namespace imgauto::cmd::cluster {

nlohmann::json CreateMergePatch(const nlohmann::json& before, const nlohmann::json& after) {
  if (!before.is_object() || !after.is_object()) {
    return after;
  }
  nlohmann::json patch = nlohmann::json::object();
  for (auto it = before.begin(); it != before.end(); ++it) {
    if (!after.contains(it.key())) {
      patch[it.key()] = nullptr;
    }
  }
  for (auto it = after.begin(); it != after.end(); ++it) {
    auto old = before.find(it.key());
    if (old == before.end()) {
      patch[it.key()] = it.value();
    } else if (*old != it.value()) {
      if (old->is_object() && it.value().is_object()) {
        patch[it.key()] = CreateMergePatch(*old, it.value());
      } else {
        patch[it.key()] = it.value();
      }
    }
  }
  return patch;
}

nlohmann::json ApplyMergePatch(nlohmann::json target, const nlohmann::json& patch) {
  if (!patch.is_object()) {
    return patch;
  }
  if (!target.is_object()) {
    target = nlohmann::json::object();
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      target.erase(it.key());
    } else {
      target[it.key()] = ApplyMergePatch(target.contains(it.key()) ? target[it.key()]
                                                                   : nlohmann::json(),
                                         it.value());
    }
  }
  return target;
}

}  // namespace imgauto::cmd::cluster
