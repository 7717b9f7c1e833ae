#include "core/events/notification_forwarder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_http_client.h"

namespace imgauto::events {
namespace {

constexpr char kAddr[] = "http://notification-controller.flux-system.svc.cluster.local./";

EventRecord Sample(std::string type) {
  EventRecord e;
  e.object = {"image.toolkit.fluxcd.io/v1", "ImagePolicy", "apps", "podinfo", "uid-1", "42"};
  e.type = std::move(type);
  e.reason = "Succeeded";
  e.message = "Latest image tag for ghcr.io/stefanprodan/podinfo resolved to 6.7.1";
  e.annotations = {{"event.toolkit.fluxcd.io/env", "prod"}, {"unrelated", "x"}};
  return e;
}

class NotificationForwarderTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  testing::FakeHttpClient http_;
  NotificationForwarder forwarder_{
      http_, {.address = kAddr, .controller = "image-reflector-controller", .instance = ""},
      clock_};
};

TEST_F(NotificationForwarderTest, PostsFluxPayload) {
  http_.Enqueue("POST", kAddr, http::Response{.status = 202, .reason = "Accepted"});
  ASSERT_TRUE(forwarder_.Forward(Sample("Normal")));
  ASSERT_EQ(http_.requests().size(), 1u);
  const http::Request r = http_.requests()[0];
  EXPECT_EQ(r.method, "POST");
  nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["severity"], "info");
  EXPECT_EQ(body["reason"], "Succeeded");
  EXPECT_EQ(body["involvedObject"]["kind"], "ImagePolicy");
  EXPECT_EQ(body["involvedObject"]["namespace"], "apps");
  EXPECT_EQ(body["involvedObject"]["apiVersion"], "image.toolkit.fluxcd.io/v1");
  EXPECT_EQ(body["metadata"], nlohmann::json({{"env", "prod"}}));
  EXPECT_EQ(body["reportingController"], "image-reflector-controller");
  EXPECT_EQ(body["reportingInstance"], "image-reflector-controller");
  EXPECT_EQ(body["timestamp"], "2024-05-01T10:00:00Z");
}

TEST_F(NotificationForwarderTest, WarningIsErrorSeverityAndTraceIsNotSent) {
  http_.Enqueue("POST", kAddr, http::Response{.status = 202, .reason = "Accepted"});
  ASSERT_TRUE(forwarder_.Forward(Sample("Trace")));
  EXPECT_TRUE(http_.requests().empty());
  ASSERT_TRUE(forwarder_.Forward(Sample("Warning")));
  ASSERT_EQ(http_.requests().size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(http_.requests()[0].body)["severity"], "error");
}

TEST_F(NotificationForwarderTest, DuplicateIsFineOtherStatusesAreErrors) {
  http_.Enqueue("POST", kAddr, http::Response{.status = 429, .reason = "Too Many Requests"});
  EXPECT_TRUE(forwarder_.Forward(Sample("Normal")));
  http_.Enqueue("POST", kAddr, http::Response{.status = 500, .reason = "Internal Server Error"});
  Result<void> failed = forwarder_.Forward(Sample("Normal"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(failed.error().message().find("500"), std::string::npos);
}

TEST(EventPayloadTest, ExplicitMetadataWinsAndEmptyIsOmitted) {
  EventRecord e = Sample("Normal");
  e.metadata["env"] = "override";
  nlohmann::json body = nlohmann::json::parse(EventPayload(e, {.address = kAddr,
                                                                .controller = "c",
                                                                .instance = "pod-1"},
                                                           "t"));
  EXPECT_EQ(body["metadata"]["env"], "override");
  EXPECT_EQ(body["reportingInstance"], "pod-1");
  e.annotations.clear();
  e.metadata.clear();
  body = nlohmann::json::parse(EventPayload(e, {.address = kAddr, .controller = "c"}, "t"));
  EXPECT_FALSE(body.contains("metadata"));
}

}  // namespace
}  // namespace imgauto::events
