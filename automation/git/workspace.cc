#include "automation/git/workspace.h"

#include <algorithm>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "automation/git/git_call.h"
#include "automation/git/git_ptr.h"
#include "core/redact.h"
#include "reflector/policy/semver/constraint.h"
#include "reflector/policy/semver/version.h"

namespace imgauto::automation::git {
namespace {

namespace semver = reflector::policy::semver;

constexpr std::string_view kHeads = "refs/heads/";
constexpr std::string_view kTags = "refs/tags/";

bool StartsWith(std::string_view s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

std::string OidHex(const git_oid& oid) {
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof(hex), &oid);
  return hex;
}

Error RefNotFound(std::string_view url, std::string_view ref) {
  return Error(ErrorKind::kNotFound, "unable to clone '" + RedactSecrets(url) +
                                         "': couldn't find remote ref '" + std::string(ref) +
                                         "': reference not found");
}

// Returns the commit a fully-qualified local ref peels to.
Result<git_oid> PeelToCommit(git_repository* repo, const std::string& spec) {
  git_object* raw = nullptr;
  int rc = git_revparse_single(&raw, repo, (spec + "^{commit}").c_str());
  ObjectPtr obj(raw);
  if (rc < 0) {
    return GitError(rc, "resolving " + spec);
  }
  return *git_object_id(obj.get());
}

Result<int64_t> CommitTime(git_repository* repo, const git_oid& oid) {
  git_commit* raw = nullptr;
  int rc = git_commit_lookup(&raw, repo, &oid);
  CommitPtr commit(raw);
  if (rc < 0) {
    return GitError(rc, "looking up commit");
  }
  return static_cast<int64_t>(git_commit_time(commit.get()));
}

Result<std::pair<std::string, git_oid>> PickSemverTag(git_repository* repo,
                                                      const std::string& range) {
  Result<semver::Constraint> constraint = semver::Constraint::Parse(range);
  if (!constraint) {
    return constraint.error().Wrap("semver parse error");
  }
  git_strarray tags{};
  if (Result<void> ok = GitCall(git_tag_list(&tags, repo), "listing tags"); !ok) {
    return ok.error();
  }
  std::vector<std::string> names(tags.strings, tags.strings + tags.count);
  git_strarray_dispose(&tags);
  std::optional<semver::Version> best_version;
  std::string best_name;
  git_oid best_oid{};
  int64_t best_time = 0;
  for (const std::string& name : names) {
    std::optional<semver::Version> v = semver::Version::Parse(name);
    if (!v || !constraint->Check(*v)) {
      continue;
    }
    Result<git_oid> oid = PeelToCommit(repo, std::string(kTags) + name);
    if (!oid) {
      continue;  // tags of trees or blobs are not checkout candidates
    }
    Result<int64_t> when = CommitTime(repo, *oid);
    if (!when) {
      return when.error();
    }
    int cmp = best_version ? semver::Compare(*v, *best_version) : 1;
    if (cmp > 0 || (cmp == 0 && *when > best_time)) {
      best_version = v;
      best_name = name;
      best_oid = *oid;
      best_time = *when;
    }
  }
  if (!best_version) {
    return Error(ErrorKind::kNotFound, "no match found for semver: " + range);
  }
  return std::make_pair(best_name, best_oid);
}

Result<void> ResetTo(git_repository* repo, const git_oid& target, const std::string& branch) {
  git_object* raw = nullptr;
  int rc = git_object_lookup(&raw, repo, &target, GIT_OBJECT_COMMIT);
  ObjectPtr commit(raw);
  if (Result<void> ok = GitCall(rc, "looking up commit " + OidHex(target)); !ok) {
    return ok;
  }
  if (!branch.empty()) {
    std::string name = std::string(kHeads) + branch;
    git_reference* ref_raw = nullptr;
    rc = git_reference_create(&ref_raw, repo, name.c_str(), &target, 1, "imgauto: checkout");
    ReferencePtr created(ref_raw);
    if (Result<void> ok = GitCall(rc, "creating branch " + branch); !ok) {
      return ok;
    }
    if (Result<void> ok = GitCall(git_repository_set_head(repo, name.c_str()), "setting HEAD");
        !ok) {
      return ok;
    }
  } else if (Result<void> ok =
                 GitCall(git_repository_set_head_detached(repo, &target), "detaching HEAD");
             !ok) {
    return ok;
  }
  // Hard reset also cleans anything a failed earlier run left behind.
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy =
      GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED | GIT_CHECKOUT_REMOVE_IGNORED;
  if (Result<void> ok =
          GitCall(git_reset(repo, commit.get(), GIT_RESET_HARD, &opts), "resetting work tree");
      !ok) {
    return ok;
  }
  // git_reset leaves untracked files alone; a forced checkout of HEAD removes them.
  return GitCall(git_checkout_head(repo, &opts), "cleaning work tree");
}

}  // namespace

std::string CheckoutResult::Revision() const {
  if (ref.empty()) {
    return "sha1:" + commit;
  }
  return ref + "@sha1:" + commit;
}

void Workspace::RepoDeleter::operator()(git_repository* repo) const { git_repository_free(repo); }

Workspace::Workspace(std::filesystem::path dir, std::string url, Credentials credentials,
                     git_repository* repo)
    : dir_(std::move(dir)),
      url_(std::move(url)),
      credentials_(std::move(credentials)),
      repo_(repo) {}

Workspace::~Workspace() = default;

Result<std::unique_ptr<Workspace>> Workspace::Open(WorkspaceOptions options) {
  if (options.url.empty()) {
    return Error(ErrorKind::kInvalidSpec, "git repository url is empty");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return Error(ErrorKind::kInternal,
                 "creating cache directory " + options.dir.string() + ": " + ec.message());
  }
  // A crash during an earlier run can leave a stale index lock behind.
  std::filesystem::remove(options.dir / ".git" / "index.lock", ec);
  git_repository* raw = nullptr;
  RepositoryPtr repo;
  if (std::filesystem::exists(options.dir / ".git")) {
    int rc = git_repository_open(&raw, options.dir.c_str());
    repo.reset(raw);
    if (Result<void> ok = GitCall(rc, "opening cache " + options.dir.string()); !ok) {
      return ok.error();
    }
  } else {
    int rc = git_repository_init(&raw, options.dir.c_str(), 0);
    repo.reset(raw);
    if (Result<void> ok = GitCall(rc, "initialising cache " + options.dir.string()); !ok) {
      return ok.error();
    }
  }
  git_remote* remote_raw = nullptr;
  int rc = git_remote_lookup(&remote_raw, repo.get(), "origin");
  RemotePtr remote(remote_raw);
  if (rc == GIT_ENOTFOUND) {
    rc = git_remote_create(&remote_raw, repo.get(), "origin", options.url.c_str());
    remote.reset(remote_raw);
    if (Result<void> ok = GitCall(rc, "creating remote"); !ok) {
      return ok.error();
    }
  } else if (rc < 0) {
    return GitError(rc, "looking up remote");
  } else if (options.url != git_remote_url(remote.get())) {
    if (Result<void> ok = GitCall(git_remote_set_url(repo.get(), "origin", options.url.c_str()),
                                  "updating remote url");
        !ok) {
      return ok.error();
    }
  }
  return std::unique_ptr<Workspace>(new Workspace(std::move(options.dir), std::move(options.url),
                                                  std::move(options.credentials), repo.release()));
}

Result<CheckoutResult> Workspace::Checkout(const CheckoutRef& ref) {
  RemoteConnection conn(repo(), url_, credentials_);
  Result<std::vector<RemoteRef>> listed = conn.List();
  if (!listed) {
    return listed.error();
  }
  if (listed->empty()) {
    return Error(ErrorKind::kNotFound,
                 "unable to clone '" + RedactSecrets(url_) + "': remote repository is empty");
  }
  auto has = [&listed](std::string_view name) {
    return std::any_of(listed->begin(), listed->end(),
                       [name](const RemoteRef& r) { return r.name == name; });
  };
  std::vector<std::string> specs;
  std::string branch;   // local branch to leave HEAD on
  std::string resolve;  // local ref to resolve (when no commit given)
  std::string short_ref;
  const std::string all_heads = "+refs/heads/*:refs/remotes/origin/*";
  const std::string all_tags = "+refs/tags/*:refs/tags/*";
  if (!ref.commit.empty() || !ref.name.empty()) {
    std::string name = ref.name;
    if (name.empty() && !ref.branch.empty()) {
      name = std::string(kHeads) + ref.branch;
    }
    if (!name.empty() && !has(name)) {
      return RefNotFound(url_, name);
    }
    if (StartsWith(name, kHeads)) {
      branch = name.substr(kHeads.size());
      specs.push_back("+" + name + ":refs/remotes/origin/" + branch);
      resolve = "refs/remotes/origin/" + branch;
      short_ref = branch;
    } else if (StartsWith(name, kTags)) {
      specs.push_back("+" + name + ":" + name);
      resolve = name;
      short_ref = name.substr(kTags.size());
    } else if (!name.empty()) {
      specs.push_back("+" + name + ":" + name);
      resolve = name;
      short_ref = name;
    } else {
      specs = {all_heads, all_tags};
    }
  } else if (!ref.tag.empty()) {
    std::string name = std::string(kTags) + ref.tag;
    if (!has(name)) {
      return RefNotFound(url_, name);
    }
    specs.push_back("+" + name + ":" + name);
    resolve = name;
    short_ref = ref.tag;
  } else if (!ref.semver.empty()) {
    specs.push_back(all_tags);
  } else if (!ref.branch.empty()) {
    std::string name = std::string(kHeads) + ref.branch;
    if (!has(name)) {
      return RefNotFound(url_, name);
    }
    branch = ref.branch;
    specs.push_back("+" + name + ":refs/remotes/origin/" + branch);
    resolve = "refs/remotes/origin/" + branch;
    short_ref = branch;
  } else {
    return Error(ErrorKind::kInvalidSpec, "checkout reference is empty");
  }
  if (Result<void> ok = conn.Download(specs); !ok) {
    return ok.error();
  }

  git_oid target{};
  if (!ref.commit.empty()) {
    git_object* raw = nullptr;
    int rc = git_revparse_single(&raw, repo(), (ref.commit + "^{commit}").c_str());
    ObjectPtr obj(raw);
    if (rc < 0) {
      git_error_clear();
      return Error(ErrorKind::kNotFound, "unable to clone '" + RedactSecrets(url_) + "': commit '" +
                                             ref.commit + "' not found: reference not found");
    }
    target = *git_object_id(obj.get());
    if (ref.name.empty() && ref.branch.empty()) {
      short_ref.clear();
    }
    if (!StartsWith(ref.name, kHeads)) {
      branch.clear();
    }
  } else if (!ref.semver.empty() && ref.tag.empty() && ref.name.empty()) {
    Result<std::pair<std::string, git_oid>> picked = PickSemverTag(repo(), ref.semver);
    if (!picked) {
      return picked.error();
    }
    short_ref = picked->first;
    target = picked->second;
  } else {
    Result<git_oid> oid = PeelToCommit(repo(), resolve);
    if (!oid) {
      return oid.error();
    }
    target = *oid;
  }
  if (Result<void> ok = ResetTo(repo(), target, branch); !ok) {
    return ok.error();
  }
  return CheckoutResult{OidHex(target), short_ref, !branch.empty()};
}

Result<std::string> Workspace::RemoteHead(const CheckoutRef& ref) {
  std::string name;
  if (!ref.branch.empty() && ref.commit.empty() && ref.name.empty() && ref.tag.empty() &&
      ref.semver.empty()) {
    name = std::string(kHeads) + ref.branch;
  } else if (!ref.tag.empty() && ref.commit.empty() && ref.name.empty()) {
    name = std::string(kTags) + ref.tag;
  } else {
    return Error(ErrorKind::kInvalidSpec, "remote head is only known for branch or tag refs");
  }
  RemoteConnection conn(repo(), url_, credentials_);
  Result<std::vector<RemoteRef>> listed = conn.List();
  if (!listed) {
    return listed.error();
  }
  std::string found;
  for (const RemoteRef& r : *listed) {
    if (r.name == name + "^{}") {
      return r.oid;  // peeled annotated tag wins
    }
    if (r.name == name) {
      found = r.oid;
    }
  }
  if (found.empty()) {
    return RefNotFound(url_, name);
  }
  return found;
}

Result<bool> Workspace::SwitchToBranch(const std::string& push_branch) {
  std::string name = std::string(kHeads) + push_branch;
  RemoteConnection conn(repo(), url_, credentials_);
  Result<std::vector<RemoteRef>> listed = conn.List();
  if (!listed) {
    return listed.error();
  }
  bool remote_has = std::any_of(listed->begin(), listed->end(),
                                [&name](const RemoteRef& r) { return r.name == name; });
  git_oid target{};
  if (remote_has) {
    std::string tracking = "refs/remotes/origin/" + push_branch;
    if (Result<void> ok = conn.Download({"+" + name + ":" + tracking}); !ok) {
      return ok.error();
    }
    Result<git_oid> oid = PeelToCommit(repo(), tracking);
    if (!oid) {
      return oid.error();
    }
    target = *oid;
  } else {
    Result<git_oid> oid = PeelToCommit(repo(), "HEAD");
    if (!oid) {
      return oid.error();
    }
    target = *oid;
  }
  if (Result<void> ok = ResetTo(repo(), target, push_branch); !ok) {
    return ok.error();
  }
  return remote_has;
}

Result<std::string> Workspace::ResetToRemoteBranch(const std::string& branch) {
  std::string name = std::string(kHeads) + branch;
  std::string tracking = "refs/remotes/origin/" + branch;
  RemoteConnection conn(repo(), url_, credentials_);
  if (Result<void> ok = conn.Download({"+" + name + ":" + tracking}); !ok) {
    return ok.error();
  }
  Result<git_oid> oid = PeelToCommit(repo(), tracking);
  if (!oid) {
    return oid.error();
  }
  if (Result<void> ok = ResetTo(repo(), *oid, branch); !ok) {
    return ok.error();
  }
  return OidHex(*oid);
}

Result<std::string> Workspace::HeadCommit() const {
  Result<git_oid> oid = PeelToCommit(repo(), "HEAD");
  if (!oid) {
    return oid.error();
  }
  return OidHex(*oid);
}

}  // namespace imgauto::automation::git
