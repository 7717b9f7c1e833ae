// GitRepository (source.toolkit.fluxcd.io v1 and v1beta2), reduced to what an image update
// automation reads from it: where to clone, which ref, which Secrets, the timeout. Plain data and
// the YAML decoder; no I/O. Other source-controller fields are ignored.
//
//   Result<GitRepository> repo = DecodeGitRepository(text);
//   if (!repo) return repo.error().Wrap("reading " + path);
//   Clone(repo->spec.url, repo->spec.ref.value_or(GitRepositoryRef{"master", "", "", "", ""}));
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "reflector/api/image_policy.h"

namespace imgauto::automation::api {

using reflector::api::ObjectMeta;

inline constexpr std::string_view kSourceGroup = "source.toolkit.fluxcd.io";
inline constexpr std::chrono::seconds kDefaultGitTimeout{60};

// source-controller's GitRepositoryRef; every field optional. The git client's precedence is
// commit > name > tag > semver > branch (§4.1 of the Flux reference).
struct GitRepositoryRef {
  std::string branch;
  std::string tag;
  std::string semver;
  std::string name;    // a full reference name: "refs/heads/main", "refs/tags/v1"
  std::string commit;  // SHA-1; with `branch` it clones the branch and checks out the commit

  bool operator==(const GitRepositoryRef&) const = default;
};

struct GitRepositorySpec {
  std::string url;                      // http://, https:// or ssh://
  std::optional<GitRepositoryRef> ref;  // unset: the automation falls back to branch "master"
  std::string secret_ref;               // auth Secret name in the GitRepository's namespace
  std::string proxy_secret_ref;         // Secret with address, username, password
  std::chrono::nanoseconds interval{0};
  std::chrono::nanoseconds timeout = kDefaultGitTimeout;  // each of clone and push
  std::string provider = "generic";                       // generic, azure, aws, github
};

struct GitRepository {
  ObjectMeta metadata;
  GitRepositorySpec spec;
};

// Decodes one GitRepository document (source.toolkit.fluxcd.io/v1 or /v1beta2). Errors are
// kInvalidSpec with the field path ("spec.timeout: invalid duration ..."). The URL is never
// echoed in a message: it may carry credentials.
Result<GitRepository> DecodeGitRepository(std::string_view yaml);

}  // namespace imgauto::automation::api
