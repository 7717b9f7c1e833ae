// Owning handles for libgit2 objects. Only files under automation/git/ include this header (and
// through it <git2.h>); libgit2 types never appear in other modules.
//
//   RepositoryPtr repo = MakeGitPtr<RepositoryPtr>(raw);  // or RepositoryPtr(raw)
#pragma once

#include <git2.h>

#include <memory>

namespace imgauto::automation::git {

// Deleter calling a libgit2 free function; a null pointer is never passed to it.
template <typename T, void (*FreeFn)(T*)>
struct GitFree {
  void operator()(T* p) const {
    if (p != nullptr) {
      FreeFn(p);
    }
  }
};

using RepositoryPtr = std::unique_ptr<git_repository, GitFree<git_repository, git_repository_free>>;
using RemotePtr = std::unique_ptr<git_remote, GitFree<git_remote, git_remote_free>>;
using IndexPtr = std::unique_ptr<git_index, GitFree<git_index, git_index_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitFree<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitFree<git_tree, git_tree_free>>;
using ObjectPtr = std::unique_ptr<git_object, GitFree<git_object, git_object_free>>;
using ReferencePtr = std::unique_ptr<git_reference, GitFree<git_reference, git_reference_free>>;
using SignaturePtr = std::unique_ptr<git_signature, GitFree<git_signature, git_signature_free>>;
using StatusListPtr =
    std::unique_ptr<git_status_list, GitFree<git_status_list, git_status_list_free>>;
using ConfigPtr = std::unique_ptr<git_config, GitFree<git_config, git_config_free>>;

// Owns the contents of a git_buf (the struct itself lives on the stack).
class GitBuf {
 public:
  GitBuf() = default;
  ~GitBuf() { git_buf_dispose(&buf_); }
  GitBuf(const GitBuf&) = delete;
  GitBuf& operator=(const GitBuf&) = delete;

  git_buf* get() { return &buf_; }
  const char* data() const { return buf_.ptr != nullptr ? buf_.ptr : ""; }
  size_t size() const { return buf_.size; }

 private:
  git_buf buf_ = GIT_BUF_INIT;
};

}  // namespace imgauto::automation::git
