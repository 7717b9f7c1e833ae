#include <algorithm>
#include "cmd/app.h"

#include <istream>
#include <ostream>
#include <utility>

#include "cmd/policy_command.h"
#include "cmd/scan_command.h"
#include "cmd/setters_command.h"
#include "cmd/controller_command.h"
#include "cmd/run_command.h"
#include "cmd/status_command.h"
#include "cmd/template_command.h"
#include "core/redact.h"

namespace imgauto::cmd {
namespace {

constexpr std::string_view kGlobalValueFlags[] = {"--log-level", "--log-encoding"};

FlagSet GlobalFlags() {
  FlagSet flags("imgauto");
  AddGlobalFlags(flags);
  return flags;
}

const Command* FindCommand(const std::vector<Command>& commands, std::string_view name) {
  for (const Command& command : commands) {
    if (command.name == name) {
      return &command;
    }
  }
  return nullptr;
}

std::string MainUsage(const std::vector<Command>& commands) {
  std::string text =
      "imgauto: Flux image automation, from the command line.\n\n"
      "Usage:\n  imgauto [global flags] <command> [flags] [args]\n  imgauto help [command]\n\n"
      "Commands:\n";
  std::size_t width = 0;
  for (const Command& command : commands) {
    width = std::max(width, command.name.size());
  }
  for (const Command& command : commands) {
    text += "  " + command.name + std::string(width + 2 - command.name.size(), ' ') +
            command.summary + "\n";
  }
  text += "\nGlobal flags:\n" + GlobalFlags().Usage();
  text += "\nExit codes: 0 success, 1 operation failed, 2 usage error or invalid input.\n";
  return text;
}

std::string CommandUsage(const Command& command) {
  FlagSet own = command.flags();
  return "Usage:\n  " + command.synopsis + "\n\n" + command.description + "\n\nFlags:\n" +
         own.Usage() + "\nGlobal flags:\n" + GlobalFlags().Usage();
}

// Returns the index of the command word: the first argument that is neither a flag nor the
// value of a global value flag; args.size() when there is none.
std::size_t CommandIndex(std::span<const std::string> args) {
  std::size_t i = 0;
  while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') {
    if (args[i] == "--") {
      return i + 1;
    }
    bool takes_value = false;
    for (std::string_view flag : kGlobalValueFlags) {
      takes_value = takes_value || args[i] == flag;
    }
    i += takes_value ? 2 : 1;
  }
  return i;
}

Result<LogOptions> LogOptionsFrom(const ParsedFlags& flags) {
  LogOptions options;
  if (std::optional<std::string> level = flags.GetString("log-level")) {
    Result<LogLevel> parsed = ParseLogLevel(*level);
    if (!parsed) {
      return parsed.error().Wrap("flag --log-level");
    }
    options.level = *parsed;
  }
  if (std::optional<std::string> encoding = flags.GetString("log-encoding")) {
    Result<LogEncoding> parsed = ParseLogEncoding(*encoding);
    if (!parsed) {
      return parsed.error().Wrap("flag --log-encoding");
    }
    options.encoding = *parsed;
  }
  return options;
}

int RunHelp(const std::vector<Command>& commands, std::span<const std::string> topics,
            std::ostream& out, std::ostream& err) {
  if (topics.empty()) {
    out << MainUsage(commands);
    return kExitOk;
  }
  const Command* command = FindCommand(commands, topics.front());
  if (command == nullptr || topics.size() > 1) {
    return Fail(err, "unknown help topic \"" + topics.front() + "\"; run 'imgauto help'",
                kExitUsage);
  }
  out << CommandUsage(*command);
  return kExitOk;
}

}  // namespace

void AddGlobalFlags(FlagSet& flags) {
  flags.String("log-level", "LEVEL", "log verbosity: trace, debug, info or error", "info");
  flags.String("log-encoding", "ENC", "log format: json or console", "console");
  flags.Bool("help", "show help");
  flags.Bool("version", "print the version");
}

std::vector<Command> BuiltinCommands() {
  return {PolicyCommand(),     ScanCommand(),       DigestCommand(),
          SettersCommand(),    TemplateCommand(),   RunCommand(),
          StatusCommand(),     ReflectorCommand(),  AutomationCommand(),
          ControllersCommand()};
}

int Fail(std::ostream& err, std::string_view message, int code) {
  err << RedactSecrets(message) << "\n";
  return code;
}

int RunApp(std::span<const std::string> args, std::istream& in, std::ostream& out,
           std::ostream& err, const Clock* clock) {
  const std::vector<Command> commands = BuiltinCommands();
  const std::size_t index = CommandIndex(args);
  std::vector<std::string> rest(args.begin(), args.begin() + static_cast<long>(index));
  const Command* command = nullptr;
  if (index < args.size()) {
    const std::string& word = args[index];
    if (word == "help") {
      Result<ParsedFlags> global = GlobalFlags().Parse(rest);
      if (!global) {
        return Fail(err, global.error().message(), kExitUsage);
      }
      return RunHelp(commands, args.subspan(index + 1), out, err);
    }
    command = FindCommand(commands, word);
    if (command == nullptr) {
      return Fail(err, "unknown command \"" + word + "\"; run 'imgauto help'", kExitUsage);
    }
    rest.insert(rest.end(), args.begin() + static_cast<long>(index) + 1, args.end());
  }

  FlagSet flags = command != nullptr ? command->flags() : GlobalFlags();
  if (command != nullptr) {
    AddGlobalFlags(flags);
  }
  Result<ParsedFlags> parsed = flags.Parse(rest);
  if (!parsed) {
    return Fail(err, parsed.error().message() + "; run 'imgauto help" +
                         (command != nullptr ? " " + command->name : std::string()) + "'",
                kExitUsage);
  }
  if (parsed->GetBool("version")) {
    out << "imgauto " << kVersion << "\n";
    return kExitOk;
  }
  if (parsed->GetBool("help")) {
    out << (command != nullptr ? CommandUsage(*command) : MainUsage(commands));
    return kExitOk;
  }
  if (command == nullptr) {
    err << MainUsage(commands);
    return kExitUsage;
  }
  Result<LogOptions> log_options = LogOptionsFrom(*parsed);
  if (!log_options) {
    return Fail(err, log_options.error().message(), kExitUsage);
  }
  Logger logger(*log_options);
  SystemClock system_clock;
  CommandContext ctx{in, out, err, logger, clock != nullptr ? *clock : system_clock};
  return command->run(*parsed, ctx);
}

}  // namespace imgauto::cmd
