// `imgauto template`: renders a commit message template offline, from a change set as
// `imgauto setters --json` printed it, with the data the ImageUpdateAutomation gives it
// (.AutomationObject, .Changed, .Updated, .Values; §3.6 of the Flux reference).
//
//   imgauto setters --path . --policy flux-system:app=ghcr.io/acme/app:1.2.3 --dry-run --json
//       > changes.json
//   imgauto template --template msg.tmpl --changes changes.json --values cluster=prod
//
// Prints the rendered message to stdout exactly (no newline added; an empty template gives
// "Update from image update automation"). Exit codes: 0 rendered, 1 the template failed to
// parse or execute (the error on stderr, e.g. Flux's RemovedTemplateField text for
// .Changed.ImageResult), 2 usage or invalid input (bad flags, unreadable files, malformed
// change-set JSON, a --values entry without '=', --automation not NS/NAME).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/app.h"
#include "cmd/flags.h"
#include "core/error.h"
#include "core/kube/object.h"

namespace imgauto::cmd {

// The command's description for BuiltinCommands().
Command TemplateCommand();

// The flags of `imgauto template` (without the global ones).
FlagSet TemplateFlags();

// Runs the command on parsed flags.
int RunTemplate(const ParsedFlags& flags, CommandContext& ctx);

// Parses repeated "key=value" entries (split at the first '='; later keys win). Errors are
// kInvalidSpec: `invalid --values "<entry>": expected KEY=VALUE`.
Result<std::map<std::string, std::string>> ParseTemplateValues(
    const std::vector<std::string>& entries);

// Parses "NS/NAME" (both non-empty, exactly one '/'); kInvalidSpec otherwise.
Result<kube::ObjectKey> ParseAutomationKey(std::string_view value);

}  // namespace imgauto::cmd
