#include "reflector/webhook/repository_matcher.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace imgauto::reflector::webhook {
namespace {

using Keys = std::vector<std::pair<std::string, std::string>>;

PushEvent Event(std::string registry, std::string repository, std::string tag = "1.0") {
  PushEvent e;
  e.registry = std::move(registry);
  e.repository = std::move(repository);
  e.tag = std::move(tag);
  return e;
}

struct MatchCase {
  std::string name;
  std::string image;
  PushEvent event;
  bool matches;
};

void PrintTo(const MatchCase& c, std::ostream* os) { *os << c.name; }

class ImageMatchesEventTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(ImageMatchesEventTest, Matches) {
  EXPECT_EQ(ImageMatchesEvent(GetParam().image, GetParam().event), GetParam().matches);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ImageMatchesEventTest,
    ::testing::Values(
        MatchCase{"SameHostAndPath", "ghcr.io/acme/app", Event("ghcr.io", "acme/app"), true},
        MatchCase{"OtherPath", "ghcr.io/acme/app", Event("ghcr.io", "acme/other"), false},
        MatchCase{"OtherHost", "ghcr.io/acme/app", Event("quay.io", "acme/app"), false},
        MatchCase{"HostCaseInsensitive", "ghcr.io/acme/app", Event("GHCR.io", "Acme/App"), true},
        MatchCase{"DockerHubOfficialShortImage", "nginx", Event("docker.io", "library/nginx"),
                  true},
        MatchCase{"DockerHubOfficialShortEvent", "docker.io/library/nginx",
                  Event("registry-1.docker.io", "nginx"), true},
        MatchCase{"DockerHubIndexAlias", "index.docker.io/stefan/podinfo",
                  Event("docker.io", "stefan/podinfo"), true},
        MatchCase{"DockerHubUserImage", "stefan/podinfo", Event("docker.io", "stefan/podinfo"),
                  true},
        MatchCase{"DockerHubNotLibraryForUser", "stefan/nginx", Event("docker.io", "nginx"), false},
        MatchCase{"LoopbackAliasSamePort", "127.0.0.1:5000/app", Event("localhost:5000", "app"),
                  true},
        MatchCase{"LoopbackIpv6Alias", "[::1]:5000/team/app", Event("localhost:5000", "team/app"),
                  true},
        MatchCase{"LoopbackOtherPort", "127.0.0.1:5001/app", Event("localhost:5000", "app"), false},
        MatchCase{"LoopbackNoPortVsPort", "localhost/app", Event("127.0.0.1:5000", "app"), false},
        MatchCase{"NotLoopbackAlias", "10.0.0.1:5000/app", Event("localhost:5000", "app"), false},
        MatchCase{"EmptyRegistryMatchesAnyHost", "registry.example.com/team/app",
                  Event("", "team/app"), true},
        MatchCase{"EmptyRegistryDockerHubLibrary", "nginx", Event("", "nginx"), true},
        MatchCase{"EmptyRegistryOtherPath", "registry.example.com/team/app", Event("", "team/x"),
                  false},
        MatchCase{"InvalidImage", "https://ghcr.io/acme/app", Event("ghcr.io", "acme/app"), false},
        MatchCase{"EmptyEventRepository", "ghcr.io/acme/app", Event("ghcr.io", ""), false}),
    [](const auto& info) { return info.param.name; });

Receiver MakeReceiver(std::vector<ResourceRef> resources) {
  Receiver r;
  r.ns = "apps";
  r.name = "hooks";
  r.resources = std::move(resources);
  return r;
}

ResourceRef Named(std::string name, std::string ns = "") {
  return ResourceRef{"", "ImageRepository", std::move(name), std::move(ns), {}};
}

ResourceRef Labelled(std::map<std::string, std::string> labels, std::string ns = "") {
  return ResourceRef{"", "ImageRepository", "*", std::move(ns), std::move(labels)};
}

const std::vector<RepositoryInfo> kRepositories = {
    {"apps", "podinfo", "ghcr.io/stefanprodan/podinfo", {{"team", "a"}}},
    {"apps", "nginx", "nginx", {{"team", "a"}, {"scan", "webhook"}}},
    {"apps", "local", "127.0.0.1:5000/demo/app", {}},
    {"other", "podinfo", "ghcr.io/stefanprodan/podinfo", {{"team", "a"}}},
    {"other", "nginx", "docker.io/library/nginx", {{"scan", "webhook"}}},
};

ParsedWebhook Events(std::vector<PushEvent> events) {
  ParsedWebhook parsed;
  parsed.events = std::move(events);
  return parsed;
}

TEST(SelectRepositoriesTest, NamedResourceInReceiverNamespace) {
  Receiver receiver = MakeReceiver({Named("podinfo")});
  EXPECT_EQ(SelectRepositories(receiver, Events({Event("ghcr.io", "stefanprodan/podinfo")}),
                               kRepositories),
            (Keys{{"apps", "podinfo"}}));
}

TEST(SelectRepositoriesTest, ExplicitNamespace) {
  Receiver receiver = MakeReceiver({Named("podinfo", "other")});
  EXPECT_EQ(SelectRepositories(receiver, Events({Event("ghcr.io", "stefanprodan/podinfo")}),
                               kRepositories),
            (Keys{{"other", "podinfo"}}));
}

TEST(SelectRepositoriesTest, EventForAnotherImageScansNothing) {
  Receiver receiver = MakeReceiver({Named("podinfo"), Named("nginx")});
  EXPECT_EQ(
      SelectRepositories(receiver, Events({Event("docker.io", "library/nginx")}), kRepositories),
      (Keys{{"apps", "nginx"}}));
  EXPECT_TRUE(
      SelectRepositories(receiver, Events({Event("quay.io", "x/y")}), kRepositories).empty());
}

TEST(SelectRepositoriesTest, WildcardSelectsByLabels) {
  Receiver receiver = MakeReceiver({Labelled({{"scan", "webhook"}})});
  ParsedWebhook all;
  all.all_resources = true;
  EXPECT_EQ(SelectRepositories(receiver, all, kRepositories), (Keys{{"apps", "nginx"}}));
  Receiver everywhere =
      MakeReceiver({Labelled({{"scan", "webhook"}}), Labelled({{"scan", "webhook"}}, "other")});
  EXPECT_EQ(SelectRepositories(everywhere, Events({Event("docker.io", "nginx")}), kRepositories),
            (Keys{{"apps", "nginx"}, {"other", "nginx"}}));
}

TEST(SelectRepositoriesTest, WildcardNeedsEveryLabel) {
  Receiver receiver = MakeReceiver({Labelled({{"team", "a"}, {"scan", "webhook"}})});
  ParsedWebhook all;
  all.all_resources = true;
  EXPECT_EQ(SelectRepositories(receiver, all, kRepositories), (Keys{{"apps", "nginx"}}));
}

TEST(SelectRepositoriesTest, AllResourcesScansEveryCandidate) {
  Receiver receiver = MakeReceiver({Named("podinfo"), Named("local"), Named("missing")});
  ParsedWebhook all;
  all.all_resources = true;
  EXPECT_EQ(SelectRepositories(receiver, all, kRepositories),
            (Keys{{"apps", "podinfo"}, {"apps", "local"}}));
}

TEST(SelectRepositoriesTest, LoopbackEventMatchesLocalRegistry) {
  Receiver receiver = MakeReceiver({Named("local"), Named("podinfo")});
  EXPECT_EQ(
      SelectRepositories(receiver, Events({Event("localhost:5000", "demo/app")}), kRepositories),
      (Keys{{"apps", "local"}}));
}

TEST(SelectRepositoriesTest, NoEventsAndNotAllMeansNothing) {
  Receiver receiver = MakeReceiver({Named("podinfo")});
  EXPECT_TRUE(SelectRepositories(receiver, ParsedWebhook{}, kRepositories).empty());
}

TEST(SelectRepositoriesTest, DuplicateResourcesYieldOneKey) {
  Receiver receiver = MakeReceiver({Named("nginx"), Labelled({{"scan", "webhook"}})});
  EXPECT_EQ(SelectRepositories(receiver, Events({Event("docker.io", "nginx"), Event("", "nginx")}),
                               kRepositories),
            (Keys{{"apps", "nginx"}}));
}

}  // namespace
}  // namespace imgauto::reflector::webhook
