// Pushes with the git command-line client, for the one thing libgit2 1.5 cannot do: send git push
// options (`spec.git.push.options`, such as GitLab's `merge_request.create` or `ci.skip`; libgit2
// gained them in 1.8). Runs `git push --porcelain --push-option=<o>... -- origin <refspec>` in the
// workspace, one refspec per invocation, without a shell. The workspace's credentials reach git
// through the child's environment and files in a private temporary directory, never through argv:
// HTTPS basic auth through a GIT_ASKPASS script, a bearer token as `http.extraHeader` in
// GIT_CONFIG_* variables, an SSH deploy key and known_hosts through GIT_SSH_COMMAND. The system
// and user git configuration are not read.
//
//   Result<void> ok = PushWithGitCli(workspace, {"refs/heads/main:refs/heads/main"},
//                                    {"merge_request.create", "ci.skip"});
//   if (!ok && ok.error().kind() == ErrorKind::kConflict) { ... fetch, re-apply, retry ... }
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "automation/git/workspace.h"
#include "core/error.h"

namespace imgauto::automation::git {

struct CliPushOptions {
  std::string git = "git";                   // the git program: a name looked up in PATH, or a path
  std::chrono::milliseconds timeout{60000};  // for all invocations together; the child is killed
};

// Pushes each of `refspecs` to `origin` in order, each with every push option in `options`, and
// stops at the first failure. Errors: kConflict when the remote rejects a ref as non-fast-forward
// ("fetch first", "non-fast-forward", "stale info"); kUnauthorized when git reports failed
// authentication, denied permission or a failed host key verification, or when an SSH remote has
// no `identity` or no `known_hosts`; kTransient with the remote's reason for other rejections
// (hooks), for transport failures and when the deadline expires; kInvalidSpec for a push option
// with a line break, an encrypted SSH key (not supported here) or a remote that does not accept
// push options; kInternal when git cannot be run. Messages name the remote (redacted) and the ref
// and never contain the password, token or key. Thread-safe: nothing is shared between calls.
Result<void> PushWithGitCli(const Workspace& workspace, const std::vector<std::string>& refspecs,
                            const std::vector<std::string>& options,
                            const CliPushOptions& cli = {});

}  // namespace imgauto::automation::git
