#include "cmd/controller_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace imgauto::cmd {
namespace {

Result<ControllerOptions> Read(ControllerKind kind, std::vector<std::string> args,
                               std::string_view runtime_ns = "flux-system") {
  Result<ParsedFlags> parsed = ControllerFlags(kind).Parse(args);
  if (!parsed) {
    return parsed.error();
  }
  return ReadControllerFlags(*parsed, kind, runtime_ns);
}

TEST(ControllerFlagsTest, DefaultsMatchFlux) {
  Result<ControllerOptions> o = Read(ControllerKind::kReflector, {});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->metrics_addr, ":8080");
  EXPECT_EQ(o->health_addr, ":9440");
  EXPECT_EQ(o->concurrent, 4);
  EXPECT_EQ(o->min_retry_delay, std::chrono::milliseconds(750));
  EXPECT_EQ(o->max_retry_delay, std::chrono::minutes(15));
  EXPECT_TRUE(o->watch_all_namespaces);
  EXPECT_FALSE(o->leader_election.enabled);
  EXPECT_EQ(o->leader_election.lease_duration, std::chrono::seconds(35));
  EXPECT_EQ(o->leader_election.id, "image-reflector-controller-leader-election");
  EXPECT_EQ(o->storage_path, "/data");
  EXPECT_EQ(o->requeue_dependency, std::chrono::seconds(30));
  EXPECT_FALSE(o->feature_gates.at("ObjectLevelWorkloadIdentity"));
  Result<ControllerOptions> a = Read(ControllerKind::kAutomation, {});
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->feature_gates.at("GitForcePushBranch"));
  EXPECT_FALSE(a->feature_gates.at("GitSparseCheckout"));
}

// The args of Flux's release manifests and of KubeVela's fluxcd addon.
TEST(ControllerFlagsTest, AcceptsFluxAndKubeVelaDeploymentArgs) {
  Result<ControllerOptions> flux = Read(
      ControllerKind::kReflector,
      {"--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
       "--watch-all-namespaces=true", "--log-level=info", "--log-encoding=json",
       "--enable-leader-election", "--storage-path=/data", "--concurrent=10",
       "--requeue-dependency=5s", "--feature-gates=ObjectLevelWorkloadIdentity=true"}
      // --log-level/--log-encoding are global flags; strip them as app.cc does.
  );
  EXPECT_FALSE(flux);  // global flags are not part of the controller set
  flux = Read(ControllerKind::kReflector,
              {"--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
               "--watch-all-namespaces=true", "--enable-leader-election",
               "--storage-path=/data", "--concurrent=10", "--requeue-dependency=5s",
               "--feature-gates=ObjectLevelWorkloadIdentity=true"});
  ASSERT_TRUE(flux) << flux.error().message();
  EXPECT_EQ(flux->concurrent, 10);
  EXPECT_TRUE(flux->leader_election.enabled);
  EXPECT_TRUE(flux->feature_gates.at("ObjectLevelWorkloadIdentity"));
  EXPECT_EQ(flux->requeue_dependency, std::chrono::seconds(5));

  Result<ControllerOptions> vela =
      Read(ControllerKind::kAutomation, {"--watch-all-namespaces"});  // bare, as the addon passes
  ASSERT_TRUE(vela) << vela.error().message();
  EXPECT_TRUE(vela->watch_all_namespaces);
}

TEST(ControllerFlagsTest, SingleNamespaceNeedsRuntimeNamespace) {
  Result<ControllerOptions> o =
      Read(ControllerKind::kAutomation, {"--watch-all-namespaces=false"}, "apps");
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->watch_all_namespaces);
  EXPECT_EQ(o->watch_namespace, "apps");
  Result<ControllerOptions> missing =
      Read(ControllerKind::kAutomation, {"--watch-all-namespaces=false"}, "");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("RUNTIME_NAMESPACE"), std::string::npos);
}

TEST(ControllerFlagsTest, ShardsGetTheirOwnLeaderElectionId) {
  Result<ControllerOptions> a =
      Read(ControllerKind::kReflector, {"--watch-label-selector=sharding.fluxcd.io/key=shard1"});
  Result<ControllerOptions> b =
      Read(ControllerKind::kReflector, {"--watch-label-selector=sharding.fluxcd.io/key=shard2"});
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->leader_election.id, b->leader_election.id);
  EXPECT_TRUE(a->leader_election.id.starts_with("image-reflector-controller-leader-election-"));
}

struct BadFlag {
  ControllerKind kind;
  std::vector<std::string> args;
  std::string message;
};

class ControllerFlagErrorTest : public ::testing::TestWithParam<BadFlag> {};

TEST_P(ControllerFlagErrorTest, IsClear) {
  Result<ControllerOptions> o = Read(GetParam().kind, GetParam().args);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_NE(o.error().message().find(GetParam().message), std::string::npos)
      << o.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ControllerFlagErrorTest,
    ::testing::Values(
        BadFlag{ControllerKind::kReflector, {"--concurrent=0"}, "--concurrent: must be a positive"},
        BadFlag{ControllerKind::kReflector, {"--concurrent=four"}, "--concurrent"},
        BadFlag{ControllerKind::kReflector, {"--min-retry-delay=soon"}, "--min-retry-delay"},
        BadFlag{ControllerKind::kReflector,
                {"--min-retry-delay=1m", "--max-retry-delay=1s"},
                "must not be shorter"},
        BadFlag{ControllerKind::kReflector, {"--feature-gates=Nope=true"}, "unknown feature gate"},
        BadFlag{ControllerKind::kReflector,
                {"--feature-gates=GitForcePushBranch=true"},
                "unknown feature gate"},  // an automation gate on the reflector
        BadFlag{ControllerKind::kAutomation,
                {"--feature-gates=GitShallowClone=maybe"},
                "expected true or false"},
        BadFlag{ControllerKind::kAutomation, {"--storage-path=/data"}, "unknown flag"},
        BadFlag{ControllerKind::kReflector,
                {"--leader-election-renew-deadline=40s"},
                "shorter than the lease duration"}));

}  // namespace
}  // namespace imgauto::cmd
