#include "automation/git/pusher.h"

#include <algorithm>
#include <thread>

#include "automation/git/cli_pusher.h"
#include "automation/git/credentials.h"
#include "automation/git/git_call.h"
#include "automation/git/git_ptr.h"
#include "core/redact.h"

namespace imgauto::automation::git {
namespace {

int OnPushUpdateReference(const char* refname, const char* status, void* payload) {
  auto* session = static_cast<RemoteSession*>(payload);
  session->push_statuses.emplace_back(refname != nullptr ? refname : "",
                                      status != nullptr ? status : "");
  return 0;
}

bool IsNonFastForward(std::string_view reason) {
  return reason.find("fetch first") != std::string_view::npos ||
         reason.find("non-fast-forward") != std::string_view::npos ||
         reason.find("non-fastforward") != std::string_view::npos ||
         reason.find("stale info") != std::string_view::npos;
}

// Pushes one refspec over `conn` and checks the per-ref status the remote reported.
Result<void> PushOne(RemoteConnection& conn, const std::string& refspec) {
  if (Result<void> ok = conn.Prepare(); !ok) {
    return ok;
  }
  RemoteSession& session = conn.session();
  session.push_statuses.clear();
  git_push_options opts = GIT_PUSH_OPTIONS_INIT;
  InstallCallbacks(session, opts.callbacks);
  opts.callbacks.push_update_reference = &OnPushUpdateReference;
  FillCustomHeaders(session, opts.custom_headers);
  std::string spec = refspec;
  char* spec_ptr = spec.data();
  git_strarray specs{&spec_ptr, 1};
  std::string where = "failed to push to remote '" + RedactSecrets(session.url) + "'";
  if (Result<void> ok = GitCall(git_remote_push(conn.remote(), &specs, &opts), where); !ok) {
    return ok;
  }
  for (const auto& [ref, reason] : session.push_statuses) {
    if (reason.empty()) {
      continue;
    }
    std::string message = where + ": remote rejected " + ref + " (" + RedactSecrets(reason) + ")";
    return Error(IsNonFastForward(reason) ? ErrorKind::kConflict : ErrorKind::kTransient,
                 std::move(message));
  }
  return {};
}

}  // namespace

Result<void> Push(Workspace& workspace, const PushRequest& request) {
  if (request.branch.empty()) {
    return Error(ErrorKind::kInvalidSpec, "push branch is empty");
  }
  std::string prefix = request.force ? "+" : "";
  std::string ref = "refs/heads/" + request.branch;
  std::vector<std::string> refspecs = {prefix + ref + ":" + ref};
  if (!request.refspec.empty()) {
    std::string spec = request.refspec;
    if (request.force && spec.front() != '+') {
      spec = "+" + spec;
    }
    refspecs.push_back(std::move(spec));
  }
  if (!request.options.empty()) {
    // libgit2 1.5 cannot send push options: the git command-line client pushes instead.
    return PushWithGitCli(workspace, refspecs, request.options);
  }
  RemoteConnection conn(workspace.repo(), workspace.url(), workspace.credentials());
  if (Result<void> ok = PushOne(conn, refspecs[0]); !ok) {
    return ok;
  }
  if (refspecs.size() > 1) {
    // A fresh connection: libgit2 keeps one push per connection.
    RemoteConnection second(workspace.repo(), workspace.url(), workspace.credentials());
    if (Result<void> ok = PushOne(second, refspecs[1]); !ok) {
      return ok;
    }
  }
  return {};
}

Result<PushOutcome> PushWithRetry(Workspace& workspace, Committer& committer,
                                  const CommitOptions& commit_options, const std::string& commit,
                                  const PushRequest& request, const ReapplyFn& reapply,
                                  const RetryOptions& retry) {
  PushOutcome outcome{commit, 0};
  std::chrono::milliseconds backoff = retry.initial_backoff;
  int attempts = std::max(1, retry.attempts);
  for (;;) {
    ++outcome.attempts;
    Result<void> pushed = Push(workspace, request);
    if (pushed) {
      return outcome;
    }
    if (pushed.error().kind() != ErrorKind::kConflict || outcome.attempts >= attempts) {
      return pushed.error();
    }
    if (retry.sleep) {
      retry.sleep(backoff);
    } else {
      std::this_thread::sleep_for(backoff);
    }
    backoff = std::min(backoff * 2, retry.max_backoff);
    // Start again from what the remote has now and recompute the change on top of it.
    if (Result<std::string> head = workspace.ResetToRemoteBranch(request.branch); !head) {
      return head.error().Wrap("refreshing after rejected push");
    }
    Result<bool> changed = reapply(workspace);
    if (!changed) {
      return changed.error().Wrap("re-applying updates after rejected push");
    }
    if (!*changed) {
      outcome.commit.clear();
      return outcome;
    }
    Result<CommitOutcome> committed = committer.Commit(commit_options);
    if (!committed) {
      return committed.error();
    }
    if (!committed->committed) {
      outcome.commit.clear();
      return outcome;
    }
    outcome.commit = committed->commit;
  }
}

Result<std::string> PushSummary(std::string_view revision, std::string_view branch,
                                std::span<const std::string> refspecs, std::string_view message) {
  if (revision.empty()) {
    return Error(ErrorKind::kInvalidSpec, "empty push commit revision");
  }
  std::string text = "pushed commit '" + std::string(revision.substr(0, 7)) + "' to branch '" +
                     std::string(branch) + "'";
  if (!refspecs.empty()) {
    text += " and refspecs ";
    for (size_t i = 0; i < refspecs.size(); ++i) {
      text += (i == 0 ? "'" : ", '") + refspecs[i] + "'";
    }
  }
  if (!message.empty()) {
    text += "\n";
    text += message;
  }
  return text;
}

}  // namespace imgauto::automation::git
