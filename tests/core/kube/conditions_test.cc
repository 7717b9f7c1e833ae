#include "core/kube/conditions.h"

#include <gtest/gtest.h>

namespace imgauto::kube {
namespace {

Condition Ready(std::string status, std::string reason) {
  Condition c;
  c.type = "Ready";
  c.status = std::move(status);
  c.reason = std::move(reason);
  return c;
}

TEST(SetConditionTest, AddsMissingConditionWithTransitionTime) {
  std::vector<Condition> conditions;
  SetCondition(conditions, Ready("True", "Succeeded"), "t1");
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].last_transition_time, "t1");
}

TEST(SetConditionTest, KeepsTransitionTimeWhenStatusUnchanged) {
  std::vector<Condition> conditions;
  SetCondition(conditions, Ready("True", "Succeeded"), "t1");
  SetCondition(conditions, Ready("True", "Succeeded"), "t2");
  EXPECT_EQ(conditions[0].last_transition_time, "t1");
}

TEST(SetConditionTest, UpdatesTransitionTimeWhenStatusChanges) {
  std::vector<Condition> conditions;
  SetCondition(conditions, Ready("True", "Succeeded"), "t1");
  SetCondition(conditions, Ready("False", "Failed"), "t2");
  EXPECT_EQ(conditions[0].last_transition_time, "t2");
  EXPECT_EQ(conditions[0].reason, "Failed");
}

TEST(RemoveConditionTest, RemovesOnlyTheGivenType) {
  std::vector<Condition> conditions;
  SetCondition(conditions, Ready("True", "Succeeded"), "t1");
  Condition stalled;
  stalled.type = "Stalled";
  stalled.status = "True";
  SetCondition(conditions, stalled, "t1");
  RemoveCondition(conditions, "Stalled");
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_NE(FindCondition(conditions, "Ready"), nullptr);
  EXPECT_EQ(FindCondition(conditions, "Stalled"), nullptr);
}

}  // namespace
}  // namespace imgauto::kube
