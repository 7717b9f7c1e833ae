#include "automation/git/git_call.h"

#include <git2.h>

#include "core/redact.h"

namespace imgauto::automation::git {

std::string LastGitErrorMessage() {
  const git_error* last = git_error_last();
  if (last == nullptr || last->message == nullptr || last->message[0] == '\0') {
    return "unknown error";
  }
  return RedactSecrets(last->message);
}

Error GitError(int rc, std::string_view what) {
  std::string detail = LastGitErrorMessage();
  git_error_clear();
  ErrorKind kind = ErrorKind::kTransient;
  switch (rc) {
    case GIT_ENOTFOUND:
      kind = ErrorKind::kNotFound;
      break;
    case GIT_EAUTH:
    case GIT_ECERTIFICATE:
      kind = ErrorKind::kUnauthorized;
      break;
    case GIT_ENONFASTFORWARD:
      kind = ErrorKind::kConflict;
      break;
    default:
      break;
  }
  std::string message(what);
  message += ": ";
  message += detail;
  return Error(kind, std::move(message));
}

Result<void> GitCall(int rc, std::string_view what) {
  if (rc >= 0) {
    return {};
  }
  return GitError(rc, what);
}

}  // namespace imgauto::automation::git
