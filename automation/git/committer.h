// Committer: stages every change in a Workspace's work tree and records one commit on HEAD's
// branch, with the automation trailer (`Image-Automation: <ns>/<name>`) by which the controller
// recognises its own commits, optionally signed (OpenPGP or SSH) through a Signer.
//
//   Committer committer(workspace, clock);
//   Result<CommitOutcome> c = committer.Commit({.message = msg, .automation = "flux-system/app",
//                                               .author = {"Flux", "flux@example.com"}});
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "automation/git/workspace.h"
#include "core/clock.h"
#include "core/error.h"

namespace imgauto::automation::git {

// Produces a detached, armoured signature over a commit's raw bytes (the `gpgsig` header value).
class Signer {
 public:
  virtual ~Signer() = default;
  virtual Result<std::string> Sign(std::string_view payload) const = 0;
};

using SignerPtr = std::unique_ptr<const Signer>;

struct Person {
  std::string name{};
  std::string email{};
};

struct CommitOptions {
  std::string message{};     // rendered commit message
  std::string automation{};  // "<ns>/<name>"; empty = no trailer
  Person author{};           // author = committer, time = clock.Now()
  const Signer* signer = nullptr;
};

struct CommitOutcome {
  bool committed = false;  // false: nothing to commit
  std::string commit{};    // 40-hex hash when committed
};

// The trailer key appended to every automation commit.
inline constexpr std::string_view kAutomationTrailer = "Image-Automation";

// Returns `message` with "<key>: <value>" appended as a git trailer: separated by a blank line
// unless the message already ends with a trailer block; not duplicated when present; the result
// ends with one newline.
std::string AppendTrailer(std::string_view message, std::string_view key, std::string_view value);

// Returns whether `message` carries the automation trailer (for `automation` when non-empty).
bool HasAutomationTrailer(std::string_view message, std::string_view automation = {});

// Not thread-safe; borrows the workspace and clock.
class Committer {
 public:
  Committer(Workspace& workspace, const Clock& clock) : workspace_(workspace), clock_(clock) {}

  // Stages all additions, modifications and deletions and commits them on HEAD. When nothing
  // changed, returns committed=false and creates nothing. kInvalidSpec for an empty author
  // name or email; signing errors are passed through.
  Result<CommitOutcome> Commit(const CommitOptions& options);

  // Returns whether the commit `hash` carries the automation trailer for `automation`.
  Result<bool> IsOwnCommit(std::string_view hash, std::string_view automation = {}) const;

 private:
  Workspace& workspace_;
  const Clock& clock_;
};

}  // namespace imgauto::automation::git
