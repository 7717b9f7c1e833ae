// `imgauto policy`: evaluates an ImagePolicy document (v1 or v1beta2) against a list of tags,
// exactly as the ImagePolicy reconciler does (filterTags, then the policy), without a cluster.
//
//   imgauto policy --policy policy.yaml --tags tags.txt
//   crane ls ghcr.io/org/app | imgauto policy --policy policy.yaml
//
// Tags are read one per line (a trailing "\r" and surrounding blanks are trimmed, empty lines
// skipped) and fed in the order given; the controller feeds them in descending byte order,
// which only matters for ties. Prints the selected original tag. Exit codes: 0 selected,
// 1 selection failed (Flux's message on stderr, e.g. "version list argument cannot be
// empty"), 2 invalid input (unreadable or malformed policy file, invalid policy or regex,
// unreadable tags file, bad flags).
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "cmd/app.h"
#include "cmd/flags.h"
#include "core/error.h"

namespace imgauto::cmd {

// The command's description for BuiltinCommands().
Command PolicyCommand();

// The flags of `imgauto policy` (without the global ones).
FlagSet PolicyFlags();

// Runs the command on parsed flags.
int RunPolicy(const ParsedFlags& flags, CommandContext& ctx);

// Reads tags one per line as described above; fails (kInvalidSpec) past `max_bytes`.
Result<std::vector<std::string>> ReadTagLines(std::istream& in,
                                              std::size_t max_bytes = std::size_t{64} << 20);

}  // namespace imgauto::cmd
