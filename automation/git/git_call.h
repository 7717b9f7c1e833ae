// Turns libgit2 return codes into Result<void>, classifying them into ErrorKinds. Messages carry
// libgit2's last error text with URL userinfo and credential-looking fields redacted.
//
//   if (Result<void> ok = GitCall(git_remote_fetch(...), "fetching origin"); !ok) return ok;
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace imgauto::automation::git {

// Returns success for rc >= 0. Otherwise an Error "<what>: <libgit2 message>" whose kind is
// kNotFound for GIT_ENOTFOUND, kUnauthorized for GIT_EAUTH and certificate failures
// (GIT_ECERTIFICATE), kConflict for GIT_ENONFASTFORWARD, kTransient for everything else. The
// libgit2 error state is cleared afterwards.
Result<void> GitCall(int rc, std::string_view what);

// Same classification, returning the Error directly (rc must be negative).
Error GitError(int rc, std::string_view what);

// Returns libgit2's last error message (redacted), or "unknown error" when there is none.
std::string LastGitErrorMessage();

}  // namespace imgauto::automation::git
