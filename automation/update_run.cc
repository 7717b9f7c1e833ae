#include "automation/update_run.h"

#include <memory>
#include <utility>

#include "automation/commit_message.h"

namespace imgauto::automation {
namespace {

bool IsEmptyRef(const git::CheckoutRef& ref) {
  return ref.branch.empty() && ref.tag.empty() && ref.semver.empty() && ref.name.empty() &&
         ref.commit.empty();
}

// Only plain branch (or tag) checkouts can be compared with the remote without cloning (§4.3).
bool CanShortCircuit(const git::CheckoutRef& ref) {
  return ref.commit.empty() && ref.name.empty() && ref.semver.empty() &&
         (!ref.branch.empty() || !ref.tag.empty());
}

Error Prefixed(std::string_view prefix, const Error& error) {
  return Error(error.kind(), std::string(prefix) + error.message());
}

}  // namespace

ObservedPolicies ObservePolicies(const std::vector<setters::PolicyValue>& policies) {
  ObservedPolicies observed;
  for (const setters::PolicyValue& p : policies) {
    observed[p.name] = ObservedPolicy{p.image, p.tag, p.digest};
  }
  return observed;
}

git::CheckoutRef EffectiveCheckoutRef(const std::optional<git::CheckoutRef>& checkout,
                                      const git::CheckoutRef& source_ref) {
  if (checkout && !IsEmptyRef(*checkout)) {
    return *checkout;
  }
  if (!IsEmptyRef(source_ref)) {
    return source_ref;
  }
  return git::CheckoutRef{.branch = "master"};
}

Result<PushTarget> ResolvePushTarget(const git::CheckoutRef& checkout,
                                     std::string_view push_branch) {
  if (!push_branch.empty()) {
    return PushTarget{std::string(push_branch), push_branch != checkout.branch};
  }
  if (checkout.branch.empty()) {
    return Error(ErrorKind::kInvalidSpec,
                 "push spec not provided, and cannot be inferred from .spec.git.checkout.ref or "
                 "GitRepository .spec.ref");
  }
  return PushTarget{checkout.branch, false};
}

std::string_view FailureReason(const Error& error) {
  const std::string& m = error.message();
  if (IsRemovedTemplateField(error)) {
    return kRemovedTemplateField;
  }
  if (m.starts_with(kSourceManagerPrefix)) {
    return kSourceManagerFailed;
  }
  if (m.starts_with(kApplyPrefix)) {
    return kUpdateFailed;
  }
  return kGitOperationFailed;
}

Result<UpdateRunOutcome> RunUpdate(const UpdateRunRequest& request, const Clock& clock) {
  UpdateRunOutcome out;
  out.observed_policies = ObservePolicies(request.policies);
  out.observed_source_revision = request.previous_source_revision;

  const git::CheckoutRef ref = EffectiveCheckoutRef(request.checkout, request.source.ref);
  Result<PushTarget> target = ResolvePushTarget(ref, request.push_branch);
  if (!target) {
    return Prefixed(kSourceManagerPrefix, target.error());
  }
  out.push_branch = target->branch;
  out.sync_needed = out.observed_policies != request.previous_policies || target->switched ||
                    !request.push_refspec.empty();

  Result<std::unique_ptr<git::Workspace>> opened = git::Workspace::Open(
      {.dir = request.cache_dir, .url = request.source.url, .credentials = request.source.credentials});
  if (!opened) {
    return Prefixed(kCheckoutPrefix, opened.error());
  }
  git::Workspace& ws = **opened;

  // §4.3: nothing to do when the remote head is the one we last observed and no policy moved.
  if (!out.sync_needed && !request.previous_source_revision.empty() && CanShortCircuit(ref)) {
    Result<std::string> head = ws.RemoteHead(ref);
    if (!head) {
      return Prefixed(kCheckoutPrefix, head.error());
    }
    const std::string& short_ref = ref.branch.empty() ? ref.tag : ref.branch;
    if (short_ref + "@sha1:" + *head == request.previous_source_revision) {
      out.kind = UpdateRunOutcome::Kind::kUnchanged;
      return out;
    }
  }

  Result<git::CheckoutResult> checked_out = ws.Checkout(ref);
  if (!checked_out) {
    return Prefixed(kCheckoutPrefix, checked_out.error());
  }
  if (target->switched) {
    if (Result<bool> switched = ws.SwitchToBranch(target->branch); !switched) {
      return Prefixed(kCheckoutPrefix, switched.error());
    }
  }

  setters::UpdateOptions options;
  options.namespace_filter = request.automation.ns;
  auto apply = [&](git::Workspace& w) -> Result<setters::UpdateResult> {
    return setters::UpdateTree(w.path(), request.update_path, request.policies, options);
  };
  Result<setters::UpdateResult> applied = apply(ws);
  if (!applied) {
    return Prefixed(kApplyPrefix, applied.error());
  }
  out.changes = applied->changes;
  out.problems = applied->problems;
  out.warnings = applied->warnings;
  // The checkout side is what we observed, whether or not anything gets pushed (§4.5).
  out.observed_source_revision = checked_out->Revision();
  if (applied->changes.empty()) {
    out.kind = UpdateRunOutcome::Kind::kNoChanges;
    return out;
  }

  gotemplate::Value data = BuildTemplateData(request.automation, applied->changes,
                                             request.message_values, request.policies);
  Result<std::string> message = RenderMessage(request.message_template, data);
  if (!message) {
    if (IsRemovedTemplateField(message.error())) {
      return message.error();
    }
    return Prefixed(kUpdateSourcePrefix, message.error());
  }
  out.commit_message = *message;

  git::Committer committer(ws, clock);
  git::CommitOptions commit_options{.message = *message,
                                    .automation = request.automation.String(),
                                    .author = request.author,
                                    .signer = request.signer};
  Result<git::CommitOutcome> committed = committer.Commit(commit_options);
  if (!committed) {
    return Prefixed(kUpdateSourcePrefix, committed.error());
  }
  if (!committed->committed) {
    // The setters rewrote bytes git considers identical (e.g. a symlinked file outside the
    // update path already holding the value): nothing to push.
    out.kind = UpdateRunOutcome::Kind::kNoChanges;
    return out;
  }
  out.committed_at = clock.Now();

  git::PushRequest push{.branch = target->branch,
                        .force = target->switched && request.force_push_branch,
                        .refspec = request.push_refspec,
                        .options = request.push_options};
  // After a rejection the same setters run again on the new remote head; the change set of the
  // last attempt is what was pushed.
  git::ReapplyFn reapply = [&](git::Workspace& w) -> Result<bool> {
    Result<setters::UpdateResult> again = apply(w);
    if (!again) {
      return again.error();
    }
    out.changes = again->changes;
    out.problems = again->problems;
    out.warnings = again->warnings;
    if (again->changes.empty()) {
      return false;
    }
    // The message describes what this attempt changes. PushWithRetry commits with
    // `commit_options`, which it sees by reference, so the new message is used.
    Result<std::string> text = RenderMessage(
        request.message_template, BuildTemplateData(request.automation, again->changes,
                                                    request.message_values, request.policies));
    if (!text) {
      return text.error();
    }
    out.commit_message = *text;
    commit_options.message = *text;
    return true;
  };
  Result<git::PushOutcome> pushed = git::PushWithRetry(ws, committer, commit_options,
                                                       committed->commit, push, reapply,
                                                       request.retry);
  if (!pushed) {
    return Prefixed(kUpdateSourcePrefix, pushed.error().Wrap("failed to push to remote"));
  }
  out.push_attempts = pushed->attempts;
  if (pushed->commit.empty()) {
    // Someone else pushed the same update meanwhile.
    out.kind = UpdateRunOutcome::Kind::kNoChanges;
    out.changes = {};
    if (!target->switched) {
      if (Result<std::string> head = ws.HeadCommit(); head) {
        out.observed_source_revision = target->branch + "@sha1:" + *head;
      }
    }
    return out;
  }
  out.kind = UpdateRunOutcome::Kind::kPushed;
  out.pushed_commit = pushed->commit;
  out.pushed_at = clock.Now();
  std::vector<std::string> refspecs;
  if (!request.push_refspec.empty()) {
    refspecs.push_back(request.push_refspec);
  }
  Result<std::string> summary =
      git::PushSummary(out.pushed_commit, target->branch, refspecs, out.commit_message);
  out.push_summary = summary ? *summary : std::string();
  if (!target->switched) {
    out.observed_source_revision = target->branch + "@sha1:" + out.pushed_commit;
  }
  return out;
}

}  // namespace imgauto::automation
