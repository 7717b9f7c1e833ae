// `imgauto setters`: applies setter markers under a directory with given policy results, as the
// ImageUpdateAutomation does with its ImagePolicies (§3 of the Flux reference, minimal edit).
//
//   imgauto setters --path ./clusters/prod --policy flux-system:app=ghcr.io/acme/app:1.2.3
//       --policy flux-system:web=nginx:1.27@sha256:… [--namespace NS] [--dry-run] [--json]
//
// Only policies of --namespace (default flux-system) resolve, as in Flux. Prints the change set
// as a table (or, with --json, the change-set JSON that `imgauto template --changes` reads);
// --dry-run prints a unified diff instead of the table and writes nothing. Problem files and
// markers left alone are reported as warnings on stderr. Exit codes: 0 success (also when
// nothing changed), 1 runtime failure (missing path, I/O error), 2 usage or invalid input
// (bad flags, malformed --policy, invalid image reference; checked before any file is read).
#pragma once

#include <string>
#include <string_view>

#include "cmd/app.h"
#include "cmd/flags.h"
#include "core/error.h"
#include "setters/tree_updater.h"

namespace imgauto::cmd {

// The command's description for BuiltinCommands().
Command SettersCommand();

// The flags of `imgauto setters` (without the global ones).
FlagSet SettersFlags();

// Runs the command on parsed flags.
int RunSetters(const ParsedFlags& flags, CommandContext& ctx);

// Parses "NS:NAME=IMAGE[:TAG][@DIGEST]": the tag is a ':' suffix of the last path component,
// the digest follows '@'. The reference must satisfy ParseReference. Errors are kInvalidSpec
// (`invalid --policy "<value>": <why>`).
Result<setters::PolicyValue> ParsePolicyFlag(std::string_view value);

// Returns a unified diff of `old_text` → `new_text` ("--- a/<file>", "+++ b/<file>", hunks
// "@@ -l,n +l,n @@" with `context` lines of context; ",1" counts are omitted as GNU diff does;
// "\ No newline at end of file" where applicable). Empty when the texts are equal.
std::string UnifiedDiff(std::string_view file, std::string_view old_text, std::string_view new_text,
                        int context = 3);

}  // namespace imgauto::cmd
