// Process-wide libgit2 initialisation. `cmd` owns exactly one Library for the life of the
// process (tests create one per binary or per test); every other git call happens inside it.
#pragma once

namespace imgauto::automation::git {

// RAII guard for git_libgit2_init/git_libgit2_shutdown. Nesting is allowed (libgit2 counts).
class Library {
 public:
  Library();
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  // Returns whether this libgit2 build has the SSH transport (GIT_FEATURE_SSH).
  static bool HasSsh();
  // Returns whether this libgit2 build has the HTTPS transport (GIT_FEATURE_HTTPS).
  static bool HasHttps();
};

}  // namespace imgauto::automation::git
