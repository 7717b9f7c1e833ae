// UpdateRun: the git half of an ImageUpdateAutomation reconcile (§4 of the Flux reference):
// decide whether a sync is needed, skip the clone when the remote head and the observed policies
// are unchanged (§4.3), check out into the per-automation cache, switch to the push branch (§4.2),
// apply the setters, render the commit message, commit with the automation trailer and push,
// re-applying on top of the new remote head after a non-fast-forward rejection.
//
// The reconciler (conditions, events, status writes) wraps this; FailureReason() maps an error to
// the Flux condition reason of §1.5.
//
//   UpdateRunRequest request{.automation = {"flux-system", "apps"}, .source = source,
//                            .cache_dir = cache / "flux-system" / "apps", ...};
//   Result<UpdateRunOutcome> out = RunUpdate(request, clock);
//   if (!out) SetReady(false, FailureReason(out.error()), out.error().message());
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "automation/git/committer.h"
#include "automation/git/credentials.h"
#include "automation/git/pusher.h"
#include "automation/git/workspace.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/kube/object.h"
#include "setters/tree_updater.h"

namespace imgauto::automation {

// Flux reasons for ImageUpdateAutomation failures (§1.5).
inline constexpr std::string_view kGitOperationFailed = "GitOperationFailed";
inline constexpr std::string_view kSourceManagerFailed = "SourceManagerFailed";
inline constexpr std::string_view kUpdateFailed = "UpdateFailed";
inline constexpr std::string_view kRemovedTemplateField = "RemovedTemplateField";

// The message prefixes Flux puts in front of each failing stage.
inline constexpr std::string_view kSourceManagerPrefix = "failed configuring source manager: ";
inline constexpr std::string_view kCheckoutPrefix = "failed to checkout source: ";
inline constexpr std::string_view kApplyPrefix = "failed to apply policies: ";
inline constexpr std::string_view kUpdateSourcePrefix = "failed to update source: ";

// One entry of status.observedPolicies: the latest reference a policy had when last used.
struct ObservedPolicy {
  std::string name;  // image name
  std::string tag;
  std::string digest;
  bool operator==(const ObservedPolicy&) const = default;
};

// Policy name → reference, for the automation's namespace.
using ObservedPolicies = std::map<std::string, ObservedPolicy>;

// Builds the observed set from the policies the run uses (name → latest reference).
ObservedPolicies ObservePolicies(const std::vector<setters::PolicyValue>& policies);

// The resolved GitRepository: where to clone from and how.
struct SourceConfig {
  std::string url;
  git::Credentials credentials;
  git::CheckoutRef ref;  // GitRepository spec.ref; may be empty
};

struct UpdateRunRequest {
  kube::ObjectKey automation;
  SourceConfig source;
  // spec.git.checkout.ref; when unset the source's ref is used, and when that is empty too,
  // branch "master".
  std::optional<git::CheckoutRef> checkout;
  std::string push_branch;               // spec.git.push.branch
  std::string push_refspec;              // spec.git.push.refspec
  std::vector<std::string> push_options;  // spec.git.push.options
  std::string update_path = "./";        // spec.update.path
  std::string message_template;          // spec.git.commit.messageTemplate
  std::map<std::string, std::string> message_values;  // spec.git.commit.messageTemplateValues
  git::Person author;
  const git::Signer* signer = nullptr;
  // Latest references of the selected policies (already filtered to the automation namespace
  // and selector); only those with a latest reference.
  std::vector<setters::PolicyValue> policies;
  // From the previous status.
  ObservedPolicies previous_policies;
  std::string previous_source_revision;  // status.observedSourceRevision
  // The persistent clone for this automation.
  std::filesystem::path cache_dir;
  git::RetryOptions retry{};
  // Force-push switched push branches (Flux gate GitForcePushBranch, default on).
  bool force_push_branch = true;
};

struct UpdateRunOutcome {
  enum class Kind {
    kUnchanged,  // remote head and policies as last observed: no clone at all
    kNoChanges,  // cloned and applied, nothing to commit
    kPushed,     // a commit was pushed
  };
  Kind kind = Kind::kUnchanged;
  bool sync_needed = false;             // policies changed, branch switch or refspec
  std::string observed_source_revision;  // per §4.5
  ObservedPolicies observed_policies;
  std::string push_branch;
  std::string pushed_commit;  // 40-hex when kPushed
  std::string commit_message;
  std::string push_summary;  // Flux's PushResult summary when kPushed
  int push_attempts = 0;
  // When the (first) commit was made and when the push succeeded, by the run's clock; set when
  // kPushed (lead-time metrics).
  std::chrono::system_clock::time_point committed_at{};
  std::chrono::system_clock::time_point pushed_at{};
  setters::ChangeSet changes;
  std::vector<setters::FileIssue> problems;
  std::vector<setters::FileIssue> warnings;
};

// Runs one update. Errors carry Flux's stage prefix (kSourceManagerPrefix, kCheckoutPrefix,
// kApplyPrefix, kUpdateSourcePrefix); a template using a removed field keeps
// RenderMessage's message. Nothing is written to the remote unless a commit is pushed; a
// failed run leaves the cache dirty, and the next checkout resets it.
Result<UpdateRunOutcome> RunUpdate(const UpdateRunRequest& request, const Clock& clock);

// Returns the Flux condition reason for an error RunUpdate returned.
std::string_view FailureReason(const Error& error);

// The checkout ref a run uses: spec.git.checkout.ref, else the GitRepository's ref, else branch
// "master" (an all-empty ref counts as unset).
git::CheckoutRef EffectiveCheckoutRef(const std::optional<git::CheckoutRef>& checkout,
                                      const git::CheckoutRef& source_ref);

// Flux's push-target rule (§4.2) over the effective checkout ref: the branch to push to and
// whether it differs from the checkout's `branch` field (a tag, semver, name or commit checkout
// always switches). kInvalidSpec "push spec not provided, and cannot be inferred from ..." when
// neither the push spec nor the checkout ref names a branch.
struct PushTarget {
  std::string branch;
  bool switched = false;
};
Result<PushTarget> ResolvePushTarget(const git::CheckoutRef& checkout, std::string_view push_branch);

}  // namespace imgauto::automation
