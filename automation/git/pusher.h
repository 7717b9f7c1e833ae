// Pusher: pushes a Workspace's branch (and optionally one extra user refspec) to `origin`,
// checking the status the remote reported for every ref (libgit2 returns 0 even when the remote
// rejected a ref). With git push options it pushes through the git command-line client instead
// (cli_pusher.h), since libgit2 1.5 cannot send them. Plus the bounded
// fetch–re-apply–commit–push retry for non-fast-forward rejections, and Flux's push summary text.
//
//   Result<void> ok = Push(workspace, {.branch = "main"});
//   if (!ok && ok.error().kind() == ErrorKind::kConflict) { ... PushWithRetry ... }
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "automation/git/committer.h"
#include "automation/git/workspace.h"
#include "core/error.h"

namespace imgauto::automation::git {

struct PushRequest {
  std::string branch{};   // pushes refs/heads/<branch>:refs/heads/<branch>
  bool force = false;     // '+' on every refspec (Flux: switched push branches)
  std::string refspec{};  // optional extra user refspec, pushed second
  // git push options (`-o`), sent with every refspec. libgit2 1.5 cannot send them, so a
  // non-empty list makes Push use the git command-line client (PushWithGitCli).
  std::vector<std::string> options{};
};

// Pushes per `request`. Errors: kConflict when the remote (or libgit2's own check) rejects a ref
// as non-fast-forward ("fetch first", "non-fast-forward"); kUnauthorized for rejected
// credentials or host keys; kTransient with the remote's reason for other rejections or
// transport failures; with push options also the errors PushWithGitCli documents (kInvalidSpec
// for an encrypted SSH key or a remote that does not accept push options). The message names the
// ref and never contains credentials.
Result<void> Push(Workspace& workspace, const PushRequest& request);

// Re-applies the desired changes to the work tree after a reset; returns whether files changed.
using ReapplyFn = std::function<Result<bool>(Workspace&)>;

struct RetryOptions {
  int attempts = 3;                                // total pushes, at least 1
  std::chrono::milliseconds initial_backoff{750};  // doubled after each conflict
  std::chrono::milliseconds max_backoff{15000};
  // Waits between attempts; defaults to std::this_thread::sleep_for. Tests inject a no-op.
  std::function<void(std::chrono::milliseconds)> sleep{};
};

struct PushOutcome {
  std::string commit{};  // pushed commit; empty when the re-apply found nothing left to change
  int attempts = 0;      // pushes tried
};

// Pushes the already-created `commit`; on kConflict fetches the branch, hard-resets to the new
// remote head, calls `reapply`, commits again with `commit_options` and pushes again, waiting
// with exponential backoff, at most `retry.attempts` pushes. Other errors return at once. When
// `reapply` reports no change, stops with success and an empty commit.
Result<PushOutcome> PushWithRetry(Workspace& workspace, Committer& committer,
                                  const CommitOptions& commit_options, const std::string& commit,
                                  const PushRequest& request, const ReapplyFn& reapply,
                                  const RetryOptions& retry = {});

// Returns Flux's PushResult summary: "pushed commit '<rev[:7]>' to branch '<branch>'" plus
// " and refspecs 'a', 'b'" when given, plus "\n<message>" when the message is non-empty.
// kInvalidSpec "empty push commit revision" for an empty revision.
Result<std::string> PushSummary(std::string_view revision, std::string_view branch,
                                std::span<const std::string> refspecs, std::string_view message);

}  // namespace imgauto::automation::git
