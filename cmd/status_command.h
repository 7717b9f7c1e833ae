// `imgauto status`: prints what the standalone controller (`imgauto run`) last wrote under
// <state-dir>/status/<kind>/<ns>/<name>.yaml, the way `flux get images all` prints a cluster's
// objects: one table per kind (ImageRepository, ImagePolicy, ImageUpdateAutomation).
//
//   imgauto status --state-dir /var/lib/imgauto
//   imgauto status --kind imagepolicy --json
//
// Columns: NAME, LAST SCAN, TAGS, READY, MESSAGE (repositories); NAME, IMAGE, TAG, READY, MESSAGE
// (policies); NAME, LAST RUN, READY, MESSAGE (automations). NAME is <kind>/<namespace>/<name>, as
// in the `imgauto run --once` summary. A status file that cannot be read or parsed is listed with
// READY "Unknown" and an "unreadable status file" message, never a crash. --json prints {"items":
// [<the status objects>], "unreadable": [{"file", "error"}]}. Exit codes: 0 printed (also when
// there are no objects), 2 the state directory does not exist or a flag is wrong.
#pragma once

#include <string>

#include "cmd/app.h"
#include "cmd/flags.h"
#include "core/error.h"

namespace imgauto::cmd {

// The command's description for BuiltinCommands().
Command StatusCommand();

// The flags of `imgauto status` (without the global ones).
FlagSet StatusFlags();

// Runs the command on parsed flags.
int RunStatus(const ParsedFlags& flags, CommandContext& ctx);

// Returns the status directory name of a --kind value: "imagerepository", "imagepolicy" or
// "imageupdateautomation" for the kind (any case), its plural, or Flux's `get images` words
// (repository, policy, update). kInvalidSpec for anything else.
Result<std::string> ParseStatusKind(std::string_view value);

}  // namespace imgauto::cmd
