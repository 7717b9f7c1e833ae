// The setters engine (§3 of the Flux reference, minimal-edit variant): finds files under a
// checkout that carry `$imagepolicy` markers and replaces each marked scalar with the latest
// reference of the policy it names, leaving every other byte of the file untouched.
//
//   std::vector<PolicyValue> policies = {{"flux-system", "app", "ghcr.io/acme/app", "1.2.0", ""}};
//   UpdateOptions options;
//   options.namespace_filter = "flux-system";
//   Result<UpdateResult> result = UpdateTree(checkout, "./clusters/prod", policies, options);
//   if (result && !result->changes.empty()) { /* commit */ }
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "setters/change_set.h"

namespace imgauto::setters {

// The latest reference of one ImagePolicy (status.latestRef).
struct PolicyValue {
  std::string ns;
  std::string name;
  std::string image;   // latestRef.name, e.g. "ghcr.io/acme/app"
  std::string tag;     // latestRef.tag
  std::string digest;  // latestRef.digest, "" when not reflected
};

// Setter name ("ns:name", "ns:name:tag", ...) → the value it writes.
using SetterValues = std::map<std::string, std::string, std::less<>>;

// Returns the four setters of every policy (§3.1) whose namespace equals `namespace_filter`
// (all policies when unset): `ns:name` → image:tag[@digest], `:tag`, `:name`, and `:digest`
// → the digest or "".
SetterValues BuildSetterValues(std::span<const PolicyValue> policies,
                               const std::optional<std::string>& namespace_filter);

// The outcome of rewriting one file's text.
struct TextUpdate {
  std::string text;                                  // the new text (the input when unchanged)
  std::vector<std::pair<ObjectId, Change>> changes;  // in document walk order
  std::vector<std::string> warnings;                 // marked scalars left alone, with why
};

// Applies `setters` to the markers in `text`. Only changed scalars are edited; a plain value
// that would read as a non-string in YAML 1.1 is written double-quoted. Markers naming unknown
// setters are ignored. An error (kInvalidSpec) means the text is a problem file (malformed YAML,
// a non-mapping document root, invalid UTF-8, ...) and must be left untouched. Pure.
Result<TextUpdate> UpdateText(std::string_view text, const SetterValues& setters);

struct FileIssue {
  std::string file;  // relative to the walk root, '/'-separated
  std::string reason;
  bool operator==(const FileIssue&) const = default;
};

struct FileRewrite {
  std::string file;  // relative to the walk root, '/'-separated
  std::string old_text;
  std::string new_text;
};

struct UpdateOptions {
  // Only policies of this namespace resolve (Flux loads the automation's namespace only).
  std::optional<std::string> namespace_filter;
  // Compute everything, write nothing; FileRewrite carries the would-be contents.
  bool dry_run = false;
  // Candidate files larger than this are skipped as problem files.
  std::size_t max_file_bytes = std::size_t{16} << 20;
  // Extra validation of every policy's full reference (e.g. the registry reference parser);
  // an error aborts the run before any file is read. Basic checks always run.
  std::function<Result<void>(std::string_view reference)> validate_reference;
};

struct UpdateResult {
  ChangeSet changes;
  std::vector<FileIssue> problems;    // skipped files, sorted by file
  std::vector<FileIssue> warnings;    // edited or unedited files with markers left alone
  std::vector<FileRewrite> rewrites;  // changed files, sorted by file
  std::size_t candidate_files = 0;    // .yaml/.yml/Kustomization files seen
  std::size_t parsed_files = 0;       // candidates containing the marker token
};

// Runs the setters over `update_path` (joined under `checkout_root` without escaping it: ".."
// clamps at the root, and a symlink leading outside the checkout is kInvalidSpec) and writes
// every changed file atomically unless `options.dry_run`. Discovery follows §3.3: `.yaml`/`.yml`
// extensions and `Kustomization` basenames, token screening before parsing, symlinked
// directories not descended, symlinked files read and written through (when their target is in
// the checkout). Errors: kNotFound when the path does not exist; kInvalidSpec for an invalid
// policy reference (`encountered invalid image ref "<ref>": ...`), checked before any file is
// touched; kTransient for I/O failures. Deterministic: files are processed in sorted order.
Result<UpdateResult> UpdateTree(const std::filesystem::path& checkout_root,
                                std::string_view update_path, std::span<const PolicyValue> policies,
                                const UpdateOptions& options);

}  // namespace imgauto::setters
