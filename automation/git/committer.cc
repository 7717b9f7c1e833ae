#include "automation/git/committer.h"

#include <chrono>
#include <vector>

#include "automation/git/git_call.h"
#include "automation/git/git_ptr.h"

namespace imgauto::automation::git {
namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return lines;
}

// A trailer line: "Token: value" where the token is letters, digits and '-'.
bool IsTrailerLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 >= line.size() ||
      line[colon + 1] != ' ') {
    return false;
  }
  for (char c : line.substr(0, colon)) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string_view TrimTrailingSpace(std::string_view s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Returns the lines of the last paragraph (after the last blank line) of `text`.
std::vector<std::string_view> LastParagraph(std::string_view text) {
  std::vector<std::string_view> lines = Lines(text);
  std::vector<std::string_view> para;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (TrimTrailingSpace(*it).empty()) {
      break;
    }
    para.insert(para.begin(), *it);
  }
  return para;
}

}  // namespace

std::string AppendTrailer(std::string_view message, std::string_view key, std::string_view value) {
  std::string trailer = std::string(key) + ": " + std::string(value);
  std::string_view body = TrimTrailingSpace(message);
  if (body.empty()) {
    return trailer + "\n";
  }
  std::vector<std::string_view> para = LastParagraph(body);
  bool is_block = !para.empty() && para.size() < Lines(body).size();
  for (std::string_view line : para) {
    if (!IsTrailerLine(line)) {
      is_block = false;
    }
    if (line == trailer) {
      return std::string(body) + "\n";
    }
  }
  return std::string(body) + (is_block ? "\n" : "\n\n") + trailer + "\n";
}

bool HasAutomationTrailer(std::string_view message, std::string_view automation) {
  std::string prefix = std::string(kAutomationTrailer) + ":";
  for (std::string_view line : LastParagraph(TrimTrailingSpace(message))) {
    if (line.rfind(prefix, 0) != 0) {
      continue;
    }
    std::string_view value = line.substr(prefix.size());
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    if (automation.empty() || TrimTrailingSpace(value) == automation) {
      return true;
    }
  }
  return false;
}

Result<CommitOutcome> Committer::Commit(const CommitOptions& options) {
  if (options.author.name.empty() || options.author.email.empty()) {
    return Error(ErrorKind::kInvalidSpec, "commit author name and email must be set");
  }
  git_repository* repo = workspace_.repo();
  git_index* index_raw = nullptr;
  if (Result<void> ok = GitCall(git_repository_index(&index_raw, repo), "opening index"); !ok) {
    return ok.error();
  }
  IndexPtr index(index_raw);
  // Stage every change: additions and modifications, then deletions.
  if (Result<void> ok =
          GitCall(git_index_add_all(index.get(), nullptr, GIT_INDEX_ADD_DEFAULT, nullptr, nullptr),
                  "staging changes");
      !ok) {
    return ok.error();
  }
  if (Result<void> ok = GitCall(git_index_update_all(index.get(), nullptr, nullptr, nullptr),
                                "staging deletions");
      !ok) {
    return ok.error();
  }
  git_oid tree_oid{};
  if (Result<void> ok = GitCall(git_index_write_tree(&tree_oid, index.get()), "writing tree");
      !ok) {
    return ok.error();
  }
  if (Result<void> ok = GitCall(git_index_write(index.get()), "writing index"); !ok) {
    return ok.error();
  }
  git_object* head_raw = nullptr;
  if (Result<void> ok =
          GitCall(git_revparse_single(&head_raw, repo, "HEAD^{commit}"), "reading HEAD");
      !ok) {
    return ok.error();
  }
  CommitPtr parent(reinterpret_cast<git_commit*>(head_raw));
  if (git_oid_equal(&tree_oid, git_commit_tree_id(parent.get())) != 0) {
    return CommitOutcome{};
  }
  git_tree* tree_raw = nullptr;
  if (Result<void> ok = GitCall(git_tree_lookup(&tree_raw, repo, &tree_oid), "reading tree"); !ok) {
    return ok.error();
  }
  TreePtr tree(tree_raw);
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch());
  git_signature* sig_raw = nullptr;
  if (Result<void> ok = GitCall(
          git_signature_new(&sig_raw, options.author.name.c_str(), options.author.email.c_str(),
                            static_cast<git_time_t>(seconds.count()), 0),
          "creating signature");
      !ok) {
    return ok.error();
  }
  SignaturePtr sig(sig_raw);
  std::string message =
      options.automation.empty()
          ? std::string(options.message)
          : AppendTrailer(options.message, kAutomationTrailer, options.automation);
  const git_commit* parents[] = {parent.get()};
  git_oid commit_oid{};
  if (options.signer == nullptr) {
    if (Result<void> ok =
            GitCall(git_commit_create(&commit_oid, repo, nullptr, sig.get(), sig.get(), nullptr,
                                      message.c_str(), tree.get(), 1, parents),
                    "creating commit");
        !ok) {
      return ok.error();
    }
  } else {
    GitBuf buffer;
    if (Result<void> ok =
            GitCall(git_commit_create_buffer(buffer.get(), repo, sig.get(), sig.get(), nullptr,
                                             message.c_str(), tree.get(), 1, parents),
                    "creating commit buffer");
        !ok) {
      return ok.error();
    }
    std::string payload(buffer.data(), buffer.size());
    Result<std::string> signature = options.signer->Sign(payload);
    if (!signature) {
      return signature.error().Wrap("signing commit");
    }
    if (Result<void> ok =
            GitCall(git_commit_create_with_signature(&commit_oid, repo, payload.c_str(),
                                                     signature->c_str(), "gpgsig"),
                    "creating signed commit");
        !ok) {
      return ok.error();
    }
  }
  // Move HEAD (its branch, or HEAD itself when detached) to the new commit.
  git_reference* head_ref_raw = nullptr;
  int rc = git_repository_head(&head_ref_raw, repo);
  ReferencePtr head_ref(head_ref_raw);
  if (rc == 0 && git_reference_is_branch(head_ref.get()) != 0) {
    git_reference* moved = nullptr;
    rc = git_reference_set_target(&moved, head_ref.get(), &commit_oid, "imgauto: commit");
    ReferencePtr moved_ptr(moved);
  } else if (rc == 0) {
    rc = git_repository_set_head_detached(repo, &commit_oid);
  }
  if (Result<void> ok = GitCall(rc, "updating HEAD"); !ok) {
    return ok.error();
  }
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof(hex), &commit_oid);
  return CommitOutcome{true, hex};
}

Result<bool> Committer::IsOwnCommit(std::string_view hash, std::string_view automation) const {
  git_object* raw = nullptr;
  std::string spec = std::string(hash) + "^{commit}";
  if (Result<void> ok =
          GitCall(git_revparse_single(&raw, workspace_.repo(), spec.c_str()), "looking up commit");
      !ok) {
    return ok.error();
  }
  CommitPtr commit(reinterpret_cast<git_commit*>(raw));
  const char* message = git_commit_message(commit.get());
  return HasAutomationTrailer(message != nullptr ? message : "", automation);
}

}  // namespace imgauto::automation::git
