// Workspace: the persistent, per-automation git cache (`<cache>/<ns>/<name>`, a non-bare clone).
// The first use initialises it; later runs fetch incrementally only the refs they need. Every
// checkout hard-resets the work tree and removes untracked files, so a cache left dirty by a failed
// run is harmless.
//
//   Result<std::unique_ptr<Workspace>> ws = Workspace::Open({.dir = d, .url = u, .credentials =
//   c}); Result<CheckoutResult> co = (*ws)->Checkout({.branch = "main"});
//   ... edit files under (*ws)->path() ...
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "automation/git/credentials.h"
#include "core/error.h"

struct git_repository;

namespace imgauto::automation::git {

// What to check out; Flux's precedence: commit > name > tag > semver > branch. `commit` together
// with `branch` fetches the branch and checks out the commit on it.
struct CheckoutRef {
  std::string branch{};
  std::string tag{};
  std::string semver{};
  std::string name{};  // a full ref name: refs/heads/x, refs/tags/y, or another ref
  std::string commit{};
};

struct CheckoutResult {
  std::string commit{};    // 40-hex hash of the checked-out commit
  std::string ref{};       // short ref name ("main", "v1.0.0"); empty for a bare commit
  bool on_branch = false;  // HEAD is the local branch `ref` (else detached)

  // Returns Flux's revision string: "<ref>@sha1:<hash>", or "sha1:<hash>" without a ref.
  std::string Revision() const;
};

struct WorkspaceOptions {
  std::filesystem::path dir{};  // the cache directory for one automation
  std::string url{};            // file path, file://, http(s)://, ssh://, user@host:path
  Credentials credentials{};
};

// Not thread-safe; one automation run uses it at a time. Holds the libgit2 repository open.
class Workspace {
 public:
  // Opens the cache in `dir`, or initialises an empty repository there with remote `origin`.
  // Points `origin` at `url` when it changed. Needs a live Library.
  static Result<std::unique_ptr<Workspace>> Open(WorkspaceOptions options);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // Fetches what `ref` needs and checks it out (hard reset + clean). A branch checkout leaves
  // HEAD on a local branch of that name. kNotFound ("… reference not found") when the branch,
  // tag, name or commit does not exist, or no tag satisfies the semver range; kInvalidSpec for
  // a malformed semver range or an empty ref; kNotFound for an empty remote repository.
  Result<CheckoutResult> Checkout(const CheckoutRef& ref);

  // Returns the remote's current commit for `ref`'s branch (or tag) without fetching, by listing
  // the remote refs. kNotFound when absent; kInvalidSpec for refs other than branch/tag.
  Result<std::string> RemoteHead(const CheckoutRef& ref);

  // Switches to `push_branch` per Flux §4.2: when the remote has it, a local branch at the
  // remote head is created and checked out (returns true); otherwise the branch is created at
  // the current HEAD commit (returns false).
  Result<bool> SwitchToBranch(const std::string& push_branch);

  // Fetches `branch` from the remote and hard-resets the local branch (and HEAD) to it. Used
  // after a rejected push. Returns the new head commit.
  Result<std::string> ResetToRemoteBranch(const std::string& branch);

  // Returns the commit hash HEAD points to.
  Result<std::string> HeadCommit() const;

  const std::filesystem::path& path() const { return dir_; }
  const std::string& url() const { return url_; }
  const Credentials& credentials() const { return credentials_; }
  // The libgit2 repository (only for automation/git internals).
  git_repository* repo() const { return repo_.get(); }

 private:
  struct RepoDeleter {
    void operator()(git_repository* repo) const;
  };
  Workspace(std::filesystem::path dir, std::string url, Credentials credentials,
            git_repository* repo);

  std::filesystem::path dir_{};
  std::string url_{};
  Credentials credentials_{};
  std::unique_ptr<git_repository, RepoDeleter> repo_;
};

}  // namespace imgauto::automation::git
