// The imgauto command line: global flags, command dispatch, help and exit codes.
//
//   imgauto [global flags] <command> [flags] [args]
//   imgauto help [command]
//
// Exit codes (a stable contract): 0 success, 1 the operation failed (registry error, no tag
// selected), 2 usage error or invalid input (unknown flag or command, malformed policy,
// invalid image). Results go to stdout; diagnostics and logs to stderr, never credentials.
#pragma once

#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/flags.h"
#include "core/clock.h"
#include "core/log.h"

namespace imgauto::cmd {

inline constexpr std::string_view kVersion = "0.1.0";

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Everything a command touches outside its arguments; tests pass string streams and fakes.
struct CommandContext {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  const Logger& logger;
  const Clock& clock;
};

// One sub-command: its flags and how to run it once they parsed.
struct Command {
  std::string name;
  std::string synopsis;     // "imgauto policy --policy FILE [--tags FILE|-]"
  std::string summary;      // one line for the command list
  std::string description;  // paragraph(s) for `imgauto help <name>`
  std::function<FlagSet()> flags;
  std::function<int(const ParsedFlags&, CommandContext&)> run;
};

// Registers --log-level, --log-encoding, --help and --version on `flags`.
void AddGlobalFlags(FlagSet& flags);

// Returns the built-in commands (policy, scan, digest, setters, template).
std::vector<Command> BuiltinCommands();

// Runs the CLI on `args` (argv without argv[0]) and returns the exit code. `clock` defaults to
// the system clock.
int RunApp(std::span<const std::string> args, std::istream& in, std::ostream& out,
           std::ostream& err, const Clock* clock = nullptr);

// Prints "<message>\n" to `err` with secrets redacted (RedactSecrets) and returns `code`.
int Fail(std::ostream& err, std::string_view message, int code);

}  // namespace imgauto::cmd
