#include "core/kube/conditions.h"

#include <algorithm>

namespace imgauto::kube {

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const Condition& c : conditions) {
    if (c.type == type) {
      return &c;
    }
  }
  return nullptr;
}

void SetCondition(std::vector<Condition>& conditions, Condition condition, std::string_view now) {
  for (Condition& existing : conditions) {
    if (existing.type == condition.type) {
      if (existing.status == condition.status && !existing.last_transition_time.empty()) {
        condition.last_transition_time = existing.last_transition_time;
      } else {
        condition.last_transition_time = std::string(now);
      }
      existing = std::move(condition);
      return;
    }
  }
  condition.last_transition_time = std::string(now);
  conditions.push_back(std::move(condition));
}

void RemoveCondition(std::vector<Condition>& conditions, std::string_view type) {
  conditions.erase(std::remove_if(conditions.begin(), conditions.end(),
                                  [&](const Condition& c) { return c.type == type; }),
                   conditions.end());
}

}  // namespace imgauto::kube
