// A small command-line flag parser for the imgauto CLI.
//
//   FlagSet flags("scan");
//   flags.String("timeout", "DUR", "deadline for the whole scan", "1m");
//   flags.StringList("exclude", "RE", "drop tags matching RE (repeatable)");
//   flags.Bool("json", "print JSON");
//   Result<ParsedFlags> parsed = flags.Parse(args);  // args after the command name
//
// Syntax: "--name value" and "--name=value" for value flags; "--name", "--name=true" and
// "--name=false" for booleans (a boolean never consumes the next argument); repeated value flags
// keep every value in order (StringList) or the last one (String); "--" ends flag parsing;
// "-" alone is a positional argument (stdin). "-h" is an alias of "--help" when a "help"
// boolean is registered. Anything else starting with "-" that is not a registered flag is an
// error. Errors are kInvalidSpec with a one-line message ("unknown flag --x",
// "flag --tags needs a value", "flag --json takes no value other than true or false").
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace imgauto::cmd {

enum class FlagKind { kBool, kString, kStringList };

struct FlagSpec {
  std::string name;  // without the leading "--"
  FlagKind kind = FlagKind::kBool;
  std::string value_name;  // shown in help: --tags FILE
  std::string help;
  std::string default_text;  // shown in help when not empty
};

class ParsedFlags {
 public:
  // True when the flag appeared at least once.
  bool Has(std::string_view name) const;
  // The boolean value (false when absent).
  bool GetBool(std::string_view name) const;
  // The last value given, or nullopt.
  std::optional<std::string> GetString(std::string_view name) const;
  // Every value given, in order.
  std::vector<std::string> GetList(std::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend class FlagSet;
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positional_;
};

class FlagSet {
 public:
  explicit FlagSet(std::string command) : command_(std::move(command)) {}

  // Registering a name twice is a programming error (IMGAUTO_CHECK).
  FlagSet& Bool(std::string name, std::string help);
  FlagSet& String(std::string name, std::string value_name, std::string help,
                  std::string default_text = "");
  FlagSet& StringList(std::string name, std::string value_name, std::string help);

  Result<ParsedFlags> Parse(std::span<const std::string> args) const;

  // One line per flag, aligned: "  --tags FILE      tags to choose from (default: stdin)".
  std::string Usage() const;

  const std::string& command() const { return command_; }
  const std::vector<FlagSpec>& flags() const { return specs_; }

 private:
  FlagSet& Add(FlagSpec spec);
  const FlagSpec* Find(std::string_view name) const;

  std::string command_;
  std::vector<FlagSpec> specs_;
};

}  // namespace imgauto::cmd
