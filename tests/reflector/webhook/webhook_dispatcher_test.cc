#include "reflector/webhook/webhook_dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "reflector/webhook/signature.h"

namespace imgauto::reflector::webhook {
namespace {

Receiver MakeReceiver(std::string ns, std::string name, ReceiverType type) {
  Receiver r;
  r.ns = std::move(ns);
  r.name = std::move(name);
  r.type = type;
  r.secret_name = "token";
  r.resources = {ResourceRef{"", "ImageRepository", "app", "", {}}};
  return r;
}

WebhookRequest Post(std::string body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  return WebhookRequest{"POST", std::move(headers), std::move(body)};
}

class WebhookDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Receiver github = MakeReceiver("apps", "gh", ReceiverType::kGitHub);
    github.events = {"ping", "registry_package"};
    Receiver suspended = MakeReceiver("apps", "paused", ReceiverType::kGeneric);
    suspended.suspend = true;
    dispatcher_.SetReceivers({{MakeReceiver("apps", "quay", ReceiverType::kQuay), "quay-token"},
                              {github, "gh-token"},
                              {suspended, "paused-token"},
                              {MakeReceiver("ops", "generic", ReceiverType::kGeneric), "g"}});
  }

  std::string PathOf(const std::string& key) {
    for (const auto& [k, path] : dispatcher_.Paths()) {
      if (k == key) return path;
    }
    ADD_FAILURE() << "no path for " << key;
    return "";
  }

  WebhookDispatcher dispatcher_;
};

TEST_F(WebhookDispatcherTest, PathsUseFluxScheme) {
  std::vector<std::pair<std::string, std::string>> paths = dispatcher_.Paths();
  ASSERT_EQ(paths.size(), 4u);
  EXPECT_EQ(paths[0].first, "apps/gh");  // sorted by key
  EXPECT_EQ(PathOf("apps/quay"),
            WebhookPath(MakeReceiver("apps", "quay", ReceiverType::kQuay), "quay-token"));
  ASSERT_NE(dispatcher_.Find("ops/generic"), nullptr);
  EXPECT_EQ(dispatcher_.Find("ops/generic")->token, "g");
  EXPECT_EQ(dispatcher_.Find("ops/none"), nullptr);
}

TEST_F(WebhookDispatcherTest, AcceptsValidPayload) {
  DispatchResult r = dispatcher_.Dispatch(
      PathOf("apps/quay"), Post(R"({"repository":"acme/app","docker_url":"quay.io/acme/app",)"
                                R"("updated_tags":["1.0"]})"));
  EXPECT_EQ(r.status, 200) << r.message;
  EXPECT_EQ(r.receiver, "apps/quay");
  ASSERT_EQ(r.parsed.events.size(), 1u);
  EXPECT_EQ(r.parsed.events[0].tag, "1.0");
}

TEST_F(WebhookDispatcherTest, UnknownPathIs404WithoutDetail) {
  const std::string known = PathOf("apps/quay");
  DispatchResult wrong_digest =
      dispatcher_.Dispatch(known.substr(0, known.size() - 1) + "0", Post("{}"));
  DispatchResult elsewhere = dispatcher_.Dispatch("/hook/", Post("{}"));
  EXPECT_EQ(wrong_digest.status, 404);
  EXPECT_EQ(wrong_digest.receiver, "");
  EXPECT_EQ(wrong_digest.message, elsewhere.message);
  EXPECT_EQ(wrong_digest.message.find("/hook/"), std::string::npos);
}

TEST_F(WebhookDispatcherTest, NonPostIs405) {
  WebhookRequest get = Post("");
  get.method = "GET";
  DispatchResult r = dispatcher_.Dispatch(PathOf("apps/quay"), get);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.receiver, "apps/quay");
}

TEST_F(WebhookDispatcherTest, SuspendedIs503) {
  DispatchResult r = dispatcher_.Dispatch(PathOf("apps/paused"), Post("{}"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.message, "receiver is suspended");
}

TEST_F(WebhookDispatcherTest, BadSignatureIs401) {
  const std::string body = "{}";
  DispatchResult r = dispatcher_.Dispatch(
      PathOf("apps/gh"),
      Post(body, {{"X-GitHub-Event", "ping"},
                  {"X-Hub-Signature-256", "sha256=" + HmacHex("sha256", "x", body)}}));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.message.find("gh-token"), std::string::npos);
}

TEST_F(WebhookDispatcherTest, MalformedPayloadIs400) {
  DispatchResult r = dispatcher_.Dispatch(PathOf("apps/quay"), Post("{\"repository\":"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.receiver, "apps/quay");
}

TEST_F(WebhookDispatcherTest, GitHubEventsFilterFollowsSpecEvents) {
  auto signed_post = [](std::string event, std::string body) {
    std::string signature = "sha256=" + HmacHex("sha256", "gh-token", body);
    return Post(std::move(body),
                {{"X-GitHub-Event", std::move(event)}, {"X-Hub-Signature-256", signature}});
  };
  DispatchResult ping = dispatcher_.Dispatch(PathOf("apps/gh"), signed_post("ping", "{}"));
  EXPECT_EQ(ping.status, 200) << ping.message;
  EXPECT_TRUE(ping.parsed.events.empty());
  EXPECT_FALSE(ping.parsed.all_resources);
  DispatchResult push = dispatcher_.Dispatch(PathOf("apps/gh"), signed_post("push", "{}"));
  EXPECT_EQ(push.status, 400);
  EXPECT_NE(push.message.find("spec.events"), std::string::npos) << push.message;
}

TEST_F(WebhookDispatcherTest, GitHubPingIsAcceptedEvenWhenSpecEventsOmitIt) {
  // GitHub sends a ping when the webhook is created; Flux answers it before the events filter.
  Receiver github = MakeReceiver("apps", "gh", ReceiverType::kGitHub);
  github.events = {"registry_package"};
  dispatcher_.SetReceivers({{github, "gh-token"}});
  const std::string body = "{}";
  DispatchResult ping = dispatcher_.Dispatch(
      PathOf("apps/gh"),
      Post(body, {{"X-GitHub-Event", "ping"},
                  {"X-Hub-Signature-256", "sha256=" + HmacHex("sha256", "gh-token", body)}}));
  EXPECT_EQ(ping.status, 200) << ping.message;
  EXPECT_TRUE(ping.parsed.events.empty());
}

TEST_F(WebhookDispatcherTest, GenericScansAll) {
  DispatchResult r = dispatcher_.Dispatch(PathOf("ops/generic"), Post(""));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.parsed.all_resources);
}

TEST_F(WebhookDispatcherTest, SetReceiversReplacesEverything) {
  const std::string old_path = PathOf("apps/quay");
  dispatcher_.SetReceivers({{MakeReceiver("apps", "quay", ReceiverType::kQuay), "rotated"}});
  EXPECT_EQ(dispatcher_.Paths().size(), 1u);
  EXPECT_EQ(dispatcher_.Dispatch(old_path, Post("{}")).status, 404);
  EXPECT_NE(PathOf("apps/quay"), old_path);
}

TEST_F(WebhookDispatcherTest, ConcurrentDispatchAndReplace) {
  const std::string path = PathOf("ops/generic");
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i) {
    workers.emplace_back([&] {
      while (!stop.load()) {
        const int status = dispatcher_.Dispatch(path, Post("")).status;
        if (status != 200 && status != 404) ++bad;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    dispatcher_.SetReceivers({{MakeReceiver("ops", "generic", ReceiverType::kGeneric), "g"}});
  }
  stop = true;
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(dispatcher_.Dispatch(path, Post("")).status, 200);
}

}  // namespace
}  // namespace imgauto::reflector::webhook
