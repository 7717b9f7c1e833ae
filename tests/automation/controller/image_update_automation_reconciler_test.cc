#include "automation/controller/image_update_automation_reconciler.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "automation/git/library.h"
#include "core/kube/conditions.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/git_servers.h"
#include "tests/support/temp_dir.h"

namespace imgauto::automation::controller {
namespace {

using testing::RevParse;

constexpr char kDeploy[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: test
spec:
  template:
    spec:
      containers:
      - name: hello
        image: helloworld:1.0.0 # {"$imagepolicy": "flux-system:policy"}
)";

class FakeObjects : public AutomationObjects {
 public:
  Result<std::vector<reflector::api::ImagePolicy>> ListImagePolicies(
      std::string_view ns) const override {
    std::vector<reflector::api::ImagePolicy> out;
    for (const auto& p : policies) {
      if (p.metadata.ns == ns) {
        out.push_back(p);
      }
    }
    return out;
  }
  Result<api::GitRepository> GetGitRepository(std::string_view ns,
                                              std::string_view name) const override {
    auto it = repos.find(std::string(ns) + "/" + std::string(name));
    if (it == repos.end()) {
      return Error(ErrorKind::kNotFound, "not found");
    }
    return it->second;
  }
  Result<api::Secret> GetSecret(std::string_view ns, std::string_view name) const override {
    auto it = secrets.find(std::string(ns) + "/" + std::string(name));
    if (it == secrets.end()) {
      return Error(ErrorKind::kNotFound, "not found");
    }
    return it->second;
  }

  std::vector<reflector::api::ImagePolicy> policies;
  std::map<std::string, api::GitRepository> repos;
  std::map<std::string, api::Secret> secrets;
};

reflector::api::ImagePolicy Policy(const std::string& ns, const std::string& name,
                                   const std::string& tag,
                                   std::vector<std::pair<std::string, std::string>> labels = {}) {
  reflector::api::ImagePolicy p;
  p.metadata.ns = ns;
  p.metadata.name = name;
  p.metadata.labels = std::move(labels);
  if (!tag.empty()) {
    p.status.latest_ref = reflector::api::ImageRef{"helloworld", tag, ""};
  }
  return p;
}

std::string AutomationYaml(const std::string& extra_spec = "", const std::string& git = R"(
  git:
    checkout:
      ref:
        branch: main
    commit:
      author:
        name: Flux B Ot
        email: fluxbot@example.com
)") {
  return R"(apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: update-test
  namespace: flux-system
  generation: 1
spec:
  interval: 5m
  sourceRef:
    kind: GitRepository
    name: repo
)" + git + extra_spec;
}

class AutomationReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::CreateBareRepo(bare_, {{"deploy.yaml", kDeploy}}));
    api::GitRepository repo;
    repo.metadata.ns = "flux-system";
    repo.metadata.name = "repo";
    repo.spec.url = bare_.string();
    objects_.repos["flux-system/repo"] = repo;
    objects_.policies = {Policy("flux-system", "policy", "v1.0.0")};
  }

  api::ImageUpdateAutomation Decode(const std::string& yaml) {
    Result<api::ImageUpdateAutomation> a = api::DecodeImageUpdateAutomation(yaml);
    EXPECT_TRUE(a) << a.error().message();
    return a ? *a : api::ImageUpdateAutomation{};
  }

  ImageUpdateAutomationReconciler Reconciler(bool no_cross_ns = false) {
    AutomationReconcilerOptions options;
    options.cache_root = dir_.Path("cache");
    options.no_cross_namespace_refs = no_cross_ns;
    options.push_retry.sleep = [](std::chrono::milliseconds) {};
    return ImageUpdateAutomationReconciler(options, clock_);
  }

  static const kube::Condition* Cond(const api::ImageUpdateAutomation& a, std::string_view type) {
    return kube::FindCondition(a.status.conditions, type);
  }

  git::Library library_;
  testing::TempDir dir_{"iua-reconciler"};
  std::filesystem::path bare_ = dir_.Path("remote.git");
  testing::FakeClock clock_;
  FakeObjects objects_;
};

TEST_F(AutomationReconcilerTest, PushesAndRecordsStatus) {
  api::ImageUpdateAutomation a = Decode(AutomationYaml());
  AutomationReconcileResult r = Reconciler().Reconcile(a, objects_);
  ASSERT_FALSE(r.failed) << r.event->message;
  std::string head = *RevParse(bare_, "main");
  EXPECT_EQ(a.status.last_push_commit, head);
  EXPECT_EQ(r.pushed_commit, head);
  // What the lead-time metrics need: which policies the commit carried, and when.
  EXPECT_EQ(r.changed_policies, std::vector<std::string>{"flux-system/policy"});
  EXPECT_EQ(r.committed_at, clock_.Now());
  EXPECT_EQ(r.pushed_at, clock_.Now());
  EXPECT_FALSE(r.push_failed);
  EXPECT_FALSE(a.status.last_push_time.empty());
  EXPECT_EQ(a.status.observed_source_revision, "main@sha1:" + head);
  ASSERT_EQ(a.status.observed_policies.size(), 1u);
  EXPECT_EQ(a.status.observed_policies.at("policy").tag, "v1.0.0");
  const kube::Condition* ready = Cond(a, kube::kReadyCondition);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "True");
  EXPECT_EQ(ready->reason, "Succeeded");
  EXPECT_EQ(ready->message, "repository up-to-date");
  EXPECT_EQ(a.status.observed_generation, 1);
  ASSERT_TRUE(r.requeue_after);
  EXPECT_EQ(*r.requeue_after, std::chrono::minutes(5));
  ASSERT_TRUE(r.event);
  EXPECT_EQ(r.event->type, "Normal");
  EXPECT_EQ(r.event->message, "pushed commit '" + head.substr(0, 7) +
                                  "' to branch 'main'\nUpdate from image update automation");

  // Ready → ready, nothing changed: a trace event and no clone.
  AutomationReconcileResult again = Reconciler().Reconcile(a, objects_);
  ASSERT_FALSE(again.failed);
  EXPECT_EQ(again.event->type, "Trace");
  EXPECT_EQ(again.event->message, "no change since last reconciliation");
  EXPECT_EQ(a.status.last_push_commit, head);
}

TEST_F(AutomationReconcilerTest, NoMarkerMeansReadyWithoutPush) {
  objects_.policies = {Policy("flux-system", "other", "v2")};
  api::ImageUpdateAutomation a = Decode(AutomationYaml());
  AutomationReconcileResult r = Reconciler().Reconcile(a, objects_);
  ASSERT_FALSE(r.failed);
  EXPECT_TRUE(a.status.last_push_commit.empty());
  EXPECT_TRUE(a.status.last_push_time.empty());
  EXPECT_FALSE(a.status.last_automation_run_time.empty());
  EXPECT_EQ(a.status.observed_source_revision, "main@sha1:" + *RevParse(bare_, "main"));
  EXPECT_EQ(a.status.observed_policies.size(), 1u);
  EXPECT_EQ(r.event->type, "Normal");
  EXPECT_EQ(r.event->message, "repository up-to-date");
}

TEST_F(AutomationReconcilerTest, MissingGitIsStalledInvalidSourceConfiguration) {
  api::ImageUpdateAutomation a = Decode(AutomationYaml("", ""));
  AutomationReconcileResult r = Reconciler().Reconcile(a, objects_);
  EXPECT_TRUE(r.failed);
  EXPECT_TRUE(r.stalled);
  EXPECT_EQ(Cond(a, kube::kStalledCondition)->reason, "InvalidSourceConfiguration");
  EXPECT_NE(Cond(a, kube::kReadyCondition)->message.find("invalid source configuration"),
            std::string::npos);
}

TEST_F(AutomationReconcilerTest, BadSelectorIsStalled) {
  api::ImageUpdateAutomation a = Decode(AutomationYaml(R"(  policySelector:
    matchExpressions:
    - {key: app, operator: Maybe, values: [x]}
)"));
  AutomationReconcileResult r = Reconciler().Reconcile(a, objects_);
  EXPECT_TRUE(r.stalled);
  EXPECT_EQ(Cond(a, kube::kReadyCondition)->reason, "InvalidPolicySelector");
  EXPECT_TRUE(
      Cond(a, kube::kReadyCondition)->message.starts_with("failed to parse policy selector: "));
}

TEST_F(AutomationReconcilerTest, MissingGitRepositoryIsRetriedSourceManagerFailed) {
  objects_.repos.clear();
  api::ImageUpdateAutomation a = Decode(AutomationYaml());
  AutomationReconcileResult r = Reconciler().Reconcile(a, objects_);
  EXPECT_TRUE(r.failed);
  EXPECT_FALSE(r.stalled);
  EXPECT_EQ(Cond(a, kube::kReadyCondition)->reason, "SourceManagerFailed");
  EXPECT_NE(Cond(a, kube::kReadyCondition)->message.find("not found"), std::string::npos);
  EXPECT_EQ(Cond(a, kube::kReconcilingCondition)->reason, "ProgressingWithRetry");
  EXPECT_EQ(r.event->type, "Warning");
}

TEST_F(AutomationReconcilerTest, BadBranchIsGitOperationFailed) {
  api::ImageUpdateAutomation a = Decode(AutomationYaml("", R"(
  git:
    checkout:
      ref:
        branch: bad-branch
    commit:
      author: {name: bot, email: bot@example.com}
)"));
  AutomationReconcileResult r = Reconciler().Reconcile(a, objects_);
  EXPECT_TRUE(r.failed);
  EXPECT_EQ(Cond(a, kube::kReadyCondition)->reason, "GitOperationFailed");
  EXPECT_NE(Cond(a, kube::kReadyCondition)->message.find("reference not found"),
            std::string::npos);
}

TEST_F(AutomationReconcilerTest, MissingSigningSecretIsSourceManagerFailed) {
  api::ImageUpdateAutomation a = Decode(AutomationYaml("", R"(
  git:
    checkout: {ref: {branch: main}}
    commit:
      author: {name: bot, email: bot@example.com}
      signingKey: {secretRef: {name: signing}}
)"));
  AutomationReconcileResult r = Reconciler().Reconcile(a, objects_);
  EXPECT_TRUE(r.failed);
  EXPECT_EQ(Cond(a, kube::kReadyCondition)->message,
            "failed configuring source manager: could not find signing key secret 'signing'");
  api::Secret secret;
  secret.data["wrong"] = "x";
  objects_.secrets["flux-system/signing"] = secret;
  r = Reconciler().Reconcile(a, objects_);
  EXPECT_EQ(Cond(a, kube::kReadyCondition)->message,
            "failed configuring source manager: signing key secret 'signing' does not contain a "
            "'git.asc' key");
}

TEST_F(AutomationReconcilerTest, CrossNamespaceSourceBlockedWhenConfigured) {
  objects_.repos["other/repo"] = objects_.repos["flux-system/repo"];
  api::ImageUpdateAutomation a = Decode(AutomationYaml());
  a.spec.source_ref.ns = "other";
  AutomationReconcileResult r = Reconciler(true).Reconcile(a, objects_);
  EXPECT_TRUE(r.stalled);
  EXPECT_EQ(Cond(a, kube::kReadyCondition)->reason, "AccessDenied");
  api::ImageUpdateAutomation allowed = Decode(AutomationYaml());
  allowed.spec.source_ref.ns = "other";
  EXPECT_FALSE(Reconciler(false).Reconcile(allowed, objects_).failed);
}

TEST_F(AutomationReconcilerTest, SuspendedDoesNothing) {
  api::ImageUpdateAutomation a = Decode(AutomationYaml("  suspend: true\n"));
  AutomationReconcileResult r = Reconciler().Reconcile(a, objects_);
  EXPECT_FALSE(r.requeue_after);
  EXPECT_TRUE(a.status.last_automation_run_time.empty());
  EXPECT_TRUE(a.status.conditions.empty());
}

TEST_F(AutomationReconcilerTest, ReconcileAnnotationIsRecorded) {
  api::ImageUpdateAutomation a = Decode(AutomationYaml());
  a.metadata.annotations.push_back({"reconcile.fluxcd.io/requestedAt", "now"});
  Reconciler().Reconcile(a, objects_);
  EXPECT_EQ(a.status.last_handled_reconcile_at, "now");
}

TEST_F(AutomationReconcilerTest, RecoveryAfterFailureEmitsNormalEvent) {
  std::map<std::string, api::GitRepository> repos = objects_.repos;
  objects_.repos.clear();
  api::ImageUpdateAutomation a = Decode(AutomationYaml());
  objects_.policies = {Policy("flux-system", "other", "v2")};
  EXPECT_TRUE(Reconciler().Reconcile(a, objects_).failed);
  objects_.repos = repos;
  AutomationReconcileResult r = Reconciler().Reconcile(a, objects_);
  ASSERT_FALSE(r.failed);
  EXPECT_EQ(r.event->type, "Normal");
  EXPECT_EQ(r.event->message, "repository up-to-date");
  EXPECT_EQ(Cond(a, kube::kReconcilingCondition), nullptr);
}

TEST(SelectPoliciesTest, NamespaceLatestRefAndSelector) {
  std::vector<reflector::api::ImagePolicy> all = {
      Policy("ns", "b", "1", {{"label", "one"}}), Policy("ns", "a", "1", {{"label", "two"}}),
      Policy("ns", "c", "", {{"label", "one"}})};
  std::vector<reflector::api::ImagePolicy> every = SelectPolicies(all, {});
  ASSERT_EQ(every.size(), 2u);
  EXPECT_EQ(every[0].metadata.name, "a");
  api::LabelSelector one;
  one.match_labels["label"] = "one";
  std::vector<reflector::api::ImagePolicy> picked = SelectPolicies(all, one);
  ASSERT_EQ(picked.size(), 1u);
  EXPECT_EQ(picked[0].metadata.name, "b");
  EXPECT_TRUE(SelectPolicies({}, {}).empty());
}

}  // namespace
}  // namespace imgauto::automation::controller
