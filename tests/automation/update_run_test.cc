#include "automation/update_run.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "automation/git/library.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/git_servers.h"
#include "tests/support/temp_dir.h"

namespace imgauto::automation {
namespace {

using testing::PushFiles;
using testing::RevParse;
using testing::RunGit;

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

setters::PolicyValue Policy(const std::string& tag) {
  return {.ns = "flux-system", .name = "policy", .image = "helloworld", .tag = tag, .digest = ""};
}

class UpdateRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::CreateBareRepo(bare_, {{"deploy.yaml", kDeploy}, {"README", "hi\n"}}));
  }

  UpdateRunRequest Request(const std::string& tag) {
    UpdateRunRequest r;
    r.automation = {"flux-system", "update-test"};
    r.source.url = bare_.string();
    r.source.ref.branch = "main";
    r.author = {.name = "Flux B Ot", .email = "fluxbot@example.com"};
    r.policies = {Policy(tag)};
    r.cache_dir = dir_.Path("cache");
    r.retry.sleep = [](std::chrono::milliseconds) {};
    return r;
  }

  // Runs and carries the observations forward like the reconciler's status would.
  Result<UpdateRunOutcome> Run(UpdateRunRequest request) {
    request.previous_policies = observed_policies_;
    request.previous_source_revision = observed_revision_;
    Result<UpdateRunOutcome> out = RunUpdate(request, clock_);
    if (out) {
      observed_policies_ = out->observed_policies;
      observed_revision_ = out->observed_source_revision;
    }
    return out;
  }

  std::string Show(const std::string& rev, const std::string& path) {
    Result<std::string> text = RunGit(bare_, {"show", rev + ":" + path});
    return text ? *text : "<" + text.error().message() + ">";
  }

  std::string Message(const std::string& rev) {
    Result<std::string> text = RunGit(bare_, {"log", "-1", "--format=%B", rev});
    return text ? *text : "";
  }

  git::Library library_;
  testing::TempDir dir_{"update-run"};
  std::filesystem::path bare_ = dir_.Path("remote.git");
  testing::FakeClock clock_;
  ObservedPolicies observed_policies_;
  std::string observed_revision_;
};

TEST_F(UpdateRunTest, PushesUpdateToCheckoutBranch) {
  std::string base = *RevParse(bare_, "main");
  Result<UpdateRunOutcome> out = Run(Request("v1.0.0"));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->kind, UpdateRunOutcome::Kind::kPushed);
  EXPECT_TRUE(out->sync_needed);
  std::string head = *RevParse(bare_, "main");
  EXPECT_EQ(out->pushed_commit, head);
  EXPECT_EQ(*RevParse(bare_, "main~1"), base);
  EXPECT_EQ(out->observed_source_revision, "main@sha1:" + head);
  EXPECT_EQ(out->push_summary, "pushed commit '" + head.substr(0, 7) +
                                   "' to branch 'main'\nUpdate from image update automation");
  EXPECT_NE(Show("main", "deploy.yaml").find("image: helloworld:v1.0.0 # {\"$imagepolicy\""),
            std::string::npos);
  EXPECT_EQ(Message("main"),
            "Update from image update automation\n\nImage-Automation: flux-system/update-test");
  Result<std::string> author = RunGit(bare_, {"log", "-1", "--format=%an <%ae>", "main"});
  EXPECT_EQ(*author, "Flux B Ot <fluxbot@example.com>");
  ASSERT_EQ(out->observed_policies.size(), 1u);
  EXPECT_EQ(out->observed_policies.at("policy"), (ObservedPolicy{"helloworld", "v1.0.0", ""}));
}

TEST_F(UpdateRunTest, SecondRunShortCircuitsWithoutCommit) {
  ASSERT_TRUE(Run(Request("v1.0.0")));
  std::string head = *RevParse(bare_, "main");
  Result<UpdateRunOutcome> again = Run(Request("v1.0.0"));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->kind, UpdateRunOutcome::Kind::kUnchanged);
  EXPECT_FALSE(again->sync_needed);
  EXPECT_EQ(again->observed_source_revision, "main@sha1:" + head);
  EXPECT_EQ(*RevParse(bare_, "main"), head);
}

TEST_F(UpdateRunTest, HumanCommitMeansCloneButNoNewCommit) {
  ASSERT_TRUE(Run(Request("v1.0.0")));
  Result<std::string> human = PushFiles(bare_, "main", {{"README", "edited\n"}}, "docs");
  ASSERT_TRUE(human) << human.error().message();
  Result<UpdateRunOutcome> out = Run(Request("v1.0.0"));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->kind, UpdateRunOutcome::Kind::kNoChanges);
  EXPECT_EQ(out->observed_source_revision, "main@sha1:" + *human);
  EXPECT_EQ(*RevParse(bare_, "main"), *human);
  // And now the remote matches what was observed: short-circuit again.
  Result<UpdateRunOutcome> third = Run(Request("v1.0.0"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->kind, UpdateRunOutcome::Kind::kUnchanged);
}

TEST_F(UpdateRunTest, PolicyChangeForcesSyncAndPushes) {
  ASSERT_TRUE(Run(Request("v1.0.0")));
  Result<UpdateRunOutcome> out = Run(Request("v1.1.0"));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(out->sync_needed);
  EXPECT_EQ(out->kind, UpdateRunOutcome::Kind::kPushed);
  EXPECT_NE(Show("main", "deploy.yaml").find("helloworld:v1.1.0"), std::string::npos);
  ASSERT_EQ(out->changes.Changes().size(), 1u);
  EXPECT_EQ(out->changes.Changes()[0].old_value, "helloworld:v1.0.0");
  EXPECT_EQ(out->changes.Changes()[0].new_value, "helloworld:v1.1.0");
}

TEST_F(UpdateRunTest, LatestEqualToCurrentMakesNoCommit) {
  std::string base = *RevParse(bare_, "main");
  Result<UpdateRunOutcome> out = Run(Request("1.0.0"));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->kind, UpdateRunOutcome::Kind::kNoChanges);
  EXPECT_TRUE(out->pushed_commit.empty());
  EXPECT_TRUE(out->push_summary.empty());
  EXPECT_EQ(out->observed_source_revision, "main@sha1:" + base);
  EXPECT_EQ(*RevParse(bare_, "main"), base);
}

TEST_F(UpdateRunTest, TemplateRendersControllerVector) {
  UpdateRunRequest r = Request("v1.0.0");
  r.message_template = R"(Commit summary

Automation: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind | lower }} {{ $resource.Name | lower }}
{{ end -}}

Images:
{{ range .Changed.Changes -}}
- {{ .NewValue }} ({{ .Setter }})
{{ end -}}
)";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  const std::string expected =
      "Commit summary\n\nAutomation: flux-system/update-test\n\nFiles:\n- deploy.yaml\nObjects:\n"
      "- deployment test\nImages:\n- helloworld:v1.0.0 (flux-system:policy)\n";
  EXPECT_EQ(out->commit_message, expected);
  EXPECT_EQ(Message("main"), expected + "\nImage-Automation: flux-system/update-test");
}

TEST_F(UpdateRunTest, PushToNewBranchCreatesItFromCheckout) {
  std::string base = *RevParse(bare_, "main");
  UpdateRunRequest r = Request("v1.0.0");
  r.push_branch = "main2";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->kind, UpdateRunOutcome::Kind::kPushed);
  EXPECT_EQ(*RevParse(bare_, "main2"), out->pushed_commit);
  EXPECT_EQ(*RevParse(bare_, "main2~1"), base);
  EXPECT_EQ(*RevParse(bare_, "main"), base);
  // §4.5: a switched push records the checkout side.
  EXPECT_EQ(out->observed_source_revision, "main@sha1:" + base);
}

TEST_F(UpdateRunTest, PushWithRefspecUpdatesBothRefs) {
  UpdateRunRequest r = Request("v1.0.0");
  r.push_branch = "main";
  r.push_refspec = "refs/heads/main:refs/heads/smth/else";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*RevParse(bare_, "main"), out->pushed_commit);
  EXPECT_EQ(*RevParse(bare_, "smth/else"), out->pushed_commit);
  EXPECT_NE(out->push_summary.find(
                "to branch 'main' and refspecs 'refs/heads/main:refs/heads/smth/else'\n"),
            std::string::npos);
}

TEST_F(UpdateRunTest, SwitchedBranchWithRefspec) {
  UpdateRunRequest r = Request("v1.0.0");
  r.push_branch = "auto";
  r.push_refspec = "refs/heads/auto:refs/heads/smth/else";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*RevParse(bare_, "auto"), out->pushed_commit);
  EXPECT_EQ(*RevParse(bare_, "smth/else"), out->pushed_commit);
}

TEST_F(UpdateRunTest, CheckoutTagAndPushBranch) {
  Result<std::string> tagged = PushFiles(bare_, "main", {{"README", "v1\n"}}, "release", "v1.0.0");
  ASSERT_TRUE(tagged);
  ASSERT_TRUE(PushFiles(bare_, "main", {{"README", "later\n"}}, "later"));
  UpdateRunRequest r = Request("v1.0.0");
  r.checkout = git::CheckoutRef{.tag = "v1.0.0"};
  r.push_branch = "main2";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*RevParse(bare_, "main2~1"), *tagged);
  EXPECT_EQ(out->observed_source_revision, "v1.0.0@sha1:" + *tagged);
}

TEST_F(UpdateRunTest, TagCheckoutWithoutPushBranchIsSourceManagerError) {
  UpdateRunRequest r = Request("v1.0.0");
  r.checkout = git::CheckoutRef{.tag = "v1.0.0"};
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_FALSE(out);
  EXPECT_EQ(FailureReason(out.error()), kSourceManagerFailed);
  EXPECT_EQ(out.error().message(),
            "failed configuring source manager: push spec not provided, and cannot be inferred "
            "from .spec.git.checkout.ref or GitRepository .spec.ref");
}

TEST_F(UpdateRunTest, CheckoutByNameLandsOnBranch) {
  UpdateRunRequest r = Request("v1.0.0");
  r.checkout = git::CheckoutRef{.name = "refs/heads/main"};
  r.push_branch = "main";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*RevParse(bare_, "main"), out->pushed_commit);
}

TEST_F(UpdateRunTest, MissingBranchIsGitOperationFailed) {
  UpdateRunRequest r = Request("v1.0.0");
  r.checkout = git::CheckoutRef{.branch = "non-existing"};
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_FALSE(out);
  EXPECT_EQ(FailureReason(out.error()), kGitOperationFailed);
  EXPECT_TRUE(out.error().message().starts_with("failed to checkout source: "));
  EXPECT_NE(out.error().message().find("reference not found"), std::string::npos);
}

TEST_F(UpdateRunTest, DefaultsToMasterWithoutAnyRef) {
  UpdateRunRequest r = Request("v1.0.0");
  r.source.ref = {};
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_FALSE(out);  // the test remote only has main
  EXPECT_NE(out.error().message().find("master"), std::string::npos);
}

TEST_F(UpdateRunTest, PushBranchLifecycleKeepsHistory) {
  UpdateRunRequest r = Request("v1.2.0");
  r.push_branch = "pr-12345";
  r.message_template = "bump {{ range .Changed.Changes }}{{ .NewValue }}{{ end }}";
  Result<UpdateRunOutcome> first = Run(r);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(Message("pr-12345").substr(0, 23), "bump helloworld:v1.2.0\n");

  r.policies = {Policy("v1.3.0")};
  Result<UpdateRunOutcome> second = Run(r);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->kind, UpdateRunOutcome::Kind::kPushed);
  EXPECT_EQ(*RevParse(bare_, "pr-12345~1"), first->pushed_commit);  // not squashed

  // The push branch gets merged into main, and main is pushed to the push branch ref.
  std::string merged = *RevParse(bare_, "pr-12345");
  ASSERT_TRUE(RunGit(bare_, {"update-ref", "refs/heads/main", merged}));
  r.policies = {Policy("v1.3.1")};
  Result<UpdateRunOutcome> third = Run(r);
  ASSERT_TRUE(third) << third.error().message();
  EXPECT_EQ(third->kind, UpdateRunOutcome::Kind::kPushed);
  EXPECT_EQ(*RevParse(bare_, "pr-12345~1"), merged);
  EXPECT_NE(Show("pr-12345", "deploy.yaml").find("helloworld:v1.3.1"), std::string::npos);
}

// A signer runs between commit and push, which is exactly when a concurrent human push lands.
class PushingSigner : public git::Signer {
 public:
  explicit PushingSigner(std::filesystem::path bare) : bare_(std::move(bare)) {}
  Result<std::string> Sign(std::string_view) const override {
    if (!pushed_) {
      pushed_ = true;
      Result<std::string> human = PushFiles(bare_, "main", {{"README", "race\n"}}, "human");
      if (!human) {
        return human.error();
      }
      human_commit = *human;
    }
    return std::string("-----BEGIN SSH SIGNATURE-----\nZmFrZQ==\n-----END SSH SIGNATURE-----");
  }
  mutable std::string human_commit;

 private:
  std::filesystem::path bare_;
  mutable bool pushed_ = false;
};

TEST_F(UpdateRunTest, ConcurrentHumanPushIsRetriedOnNewHead) {
  PushingSigner signer(bare_);
  UpdateRunRequest r = Request("v1.0.0");
  r.signer = &signer;
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->kind, UpdateRunOutcome::Kind::kPushed);
  EXPECT_EQ(out->push_attempts, 2);
  ASSERT_FALSE(signer.human_commit.empty());
  EXPECT_EQ(*RevParse(bare_, "main~1"), signer.human_commit);  // rebased onto the human commit
  EXPECT_EQ(Show("main", "README"), "race");
  EXPECT_NE(Show("main", "deploy.yaml").find("helloworld:v1.0.0"), std::string::npos);
}

TEST_F(UpdateRunTest, RemovedTemplateFieldStallsAndPushesNothing) {
  std::string base = *RevParse(bare_, "main");
  UpdateRunRequest r = Request("v1.0.0");
  r.message_template = "{{ range $f, $_ := .Changed.ImageResult.Files }}{{ $f }}{{ end }}";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_FALSE(out);
  EXPECT_EQ(FailureReason(out.error()), kRemovedTemplateField);
  EXPECT_NE(out.error().message().find("template uses removed '.Changed.ImageResult' field"),
            std::string::npos);
  EXPECT_EQ(*RevParse(bare_, "main"), base);
}

TEST_F(UpdateRunTest, BrokenTemplateIsGitOperationFailedAndPushesNothing) {
  std::string base = *RevParse(bare_, "main");
  UpdateRunRequest r = Request("v1.0.0");
  r.message_template = "{{ if }}";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_FALSE(out);
  EXPECT_EQ(FailureReason(out.error()), kGitOperationFailed);
  EXPECT_TRUE(out.error().message().starts_with("failed to update source: "));
  EXPECT_EQ(*RevParse(bare_, "main"), base);
  // The dirty cache does not leak into the next (fixed) run.
  r.message_template = "";
  Result<UpdateRunOutcome> fixed = Run(r);
  ASSERT_TRUE(fixed) << fixed.error().message();
  EXPECT_EQ(fixed->kind, UpdateRunOutcome::Kind::kPushed);
}

TEST_F(UpdateRunTest, InvalidPolicyReferenceIsUpdateFailed) {
  std::string base = *RevParse(bare_, "main");
  UpdateRunRequest r = Request("not a tag!");
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_FALSE(out);
  EXPECT_EQ(FailureReason(out.error()), kUpdateFailed);
  EXPECT_TRUE(out.error().message().starts_with("failed to apply policies: "));
  EXPECT_EQ(*RevParse(bare_, "main"), base);
}

TEST_F(UpdateRunTest, PushOptionsReachTheRemote) {
  // The remote records the push options its pre-receive hook receives.
  ASSERT_TRUE(RunGit(bare_, {"config", "receive.advertisePushOptions", "true"}));
  const std::filesystem::path seen = dir_.Path("push-options.txt");
  const std::filesystem::path hook = bare_ / "hooks" / "pre-receive";
  std::filesystem::create_directories(hook.parent_path());
  std::ofstream(hook) << "#!/bin/sh\ni=0\nwhile [ \"$i\" -lt \"${GIT_PUSH_OPTION_COUNT:-0}\" ]; do\n"
                         "  eval \"echo \\$GIT_PUSH_OPTION_$i\" >> '" << seen.string() << "'\n"
                         "  i=$((i+1))\ndone\n";
  std::filesystem::permissions(hook, std::filesystem::perms::owner_all);
  UpdateRunRequest r = Request("v1.0.0");
  r.push_options = {"ci.skip", "merge_request.create"};
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->kind, UpdateRunOutcome::Kind::kPushed);
  EXPECT_EQ(*RevParse(bare_, "main"), out->pushed_commit);
  std::ifstream in(seen);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "ci.skip\nmerge_request.create\n");
}

TEST_F(UpdateRunTest, PoliciesOfOtherNamespacesDoNotResolve) {
  UpdateRunRequest r = Request("v1.0.0");
  r.automation.ns = "other";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->kind, UpdateRunOutcome::Kind::kNoChanges);
}

TEST_F(UpdateRunTest, UpdatePathLimitsTheWalk) {
  ASSERT_TRUE(PushFiles(bare_, "main", {{"apps/deploy.yaml", kDeploy}}, "apps"));
  UpdateRunRequest r = Request("v1.0.0");
  r.update_path = "./apps";
  Result<UpdateRunOutcome> out = Run(r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->changes.Files(), std::vector<std::string>{"deploy.yaml"});
  EXPECT_NE(Show("main", "apps/deploy.yaml").find("helloworld:v1.0.0"), std::string::npos);
  EXPECT_NE(Show("main", "deploy.yaml").find("helloworld:1.0.0 #"), std::string::npos);
}

TEST(PushTargetTest, FollowsFluxRules) {
  Result<PushTarget> same = ResolvePushTarget({.branch = "main"}, "");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->branch, "main");
  EXPECT_FALSE(same->switched);
  Result<PushTarget> named = ResolvePushTarget({.branch = "main"}, "main");
  EXPECT_FALSE(named->switched);
  Result<PushTarget> other = ResolvePushTarget({.branch = "main"}, "auto");
  EXPECT_TRUE(other->switched);
  // A tag checkout always switches, even to a branch with the same name.
  Result<PushTarget> tag = ResolvePushTarget({.tag = "main"}, "main");
  EXPECT_TRUE(tag->switched);
  EXPECT_FALSE(ResolvePushTarget({.semver = ">=1.0.0"}, ""));
}

TEST(EffectiveCheckoutRefTest, PrefersSpecThenSourceThenMaster) {
  EXPECT_EQ(EffectiveCheckoutRef(git::CheckoutRef{.branch = "a"}, {.branch = "b"}).branch, "a");
  EXPECT_EQ(EffectiveCheckoutRef(std::nullopt, {.branch = "b"}).branch, "b");
  EXPECT_EQ(EffectiveCheckoutRef(git::CheckoutRef{}, {}).branch, "master");
  EXPECT_EQ(EffectiveCheckoutRef(std::nullopt, {.tag = "v1"}).tag, "v1");
}

}  // namespace
}  // namespace imgauto::automation
