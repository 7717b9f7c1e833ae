// The event a reconcile records (Flux reference §6, §7.6 item 54: notify).
#include "reflector/controller/notify.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace imgauto::reflector::controller {
namespace {

using Conditions = std::vector<kube::Condition>;

Conditions Ready(std::string status, std::string reason, std::string message) {
  kube::Condition c;
  c.type = "Ready";
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  return {c};
}

constexpr std::string_view kNext = "successful scan, next scan in 5m0s";

TEST(ComposeEventTest, FirstSuccessIsNormal) {
  EXPECT_EQ(ComposeEvent({}, Ready("True", "Succeeded", "found 4 tags"), kNext),
            (Event{EventType::kNormal, "Succeeded", "found 4 tags"}));
}

TEST(ComposeEventTest, SameReadyMessageIsTrace) {
  EXPECT_EQ(ComposeEvent(Ready("True", "Succeeded", "found 4 tags"),
                         Ready("True", "Succeeded", "found 4 tags"), kNext),
            (Event{EventType::kTrace, "Succeeded", std::string(kNext)}));
}

TEST(ComposeEventTest, ChangedReadyMessageIsNormal) {
  EXPECT_EQ(ComposeEvent(Ready("True", "Succeeded", "found 4 tags"),
                         Ready("True", "Succeeded", "found 5 tags"), kNext),
            (Event{EventType::kNormal, "Succeeded", "found 5 tags"}));
}

TEST(ComposeEventTest, ReadyToFailedIsWarning) {
  EXPECT_EQ(ComposeEvent(Ready("True", "Succeeded", "found 4 tags"),
                         Ready("False", "Failed", "scan failed: timeout"), kNext),
            (Event{EventType::kWarning, "Failed", "scan failed: timeout"}));
}

TEST(ComposeEventTest, StillFailingIsWarning) {
  EXPECT_EQ(ComposeEvent(Ready("False", "Failed", "x"), Ready("False", "Failed", "x"), kNext),
            (Event{EventType::kWarning, "Failed", "x"}));
}

TEST(ComposeEventTest, RecoveryIsNormal) {
  EXPECT_EQ(ComposeEvent(Ready("False", "Failed", "x"), Ready("True", "Succeeded", "ok"), kNext),
            (Event{EventType::kNormal, "Succeeded", "ok"}));
}

TEST(ComposeEventTest, EventTypeNames) {
  EXPECT_EQ(EventTypeName(EventType::kNormal), "Normal");
  EXPECT_EQ(EventTypeName(EventType::kWarning), "Warning");
  EXPECT_EQ(EventTypeName(EventType::kTrace), "Trace");
}

}  // namespace
}  // namespace imgauto::reflector::controller
