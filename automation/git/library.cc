#include "automation/git/library.h"

#include <git2.h>

namespace imgauto::automation::git {

Library::Library() {
  git_libgit2_init();
  // The cache directory is ours; do not refuse it because of a different owner (CI runs as root
  // over volumes owned by someone else).
  git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
}

Library::~Library() { git_libgit2_shutdown(); }

bool Library::HasSsh() { return (git_libgit2_features() & GIT_FEATURE_SSH) != 0; }

bool Library::HasHttps() { return (git_libgit2_features() & GIT_FEATURE_HTTPS) != 0; }

}  // namespace imgauto::automation::git
