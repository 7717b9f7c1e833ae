#include "cmd/flags.h"

#include <algorithm>

#include "core/check.h"

namespace imgauto::cmd {
namespace {

Error UsageError(std::string message) { return Error(ErrorKind::kInvalidSpec, std::move(message)); }

}  // namespace

bool ParsedFlags::Has(std::string_view name) const { return values_.find(name) != values_.end(); }

bool ParsedFlags::GetBool(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && !it->second.empty() && it->second.back() == "true";
}

std::optional<std::string> ParsedFlags::GetString(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second.back();
}

std::vector<std::string> ParsedFlags::GetList(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

FlagSet& FlagSet::Add(FlagSpec spec) {
  IMGAUTO_CHECK(Find(spec.name) == nullptr, "flag registered twice");
  specs_.push_back(std::move(spec));
  return *this;
}

FlagSet& FlagSet::Bool(std::string name, std::string help) {
  return Add(FlagSpec{std::move(name), FlagKind::kBool, "", std::move(help), ""});
}

FlagSet& FlagSet::String(std::string name, std::string value_name, std::string help,
                         std::string default_text) {
  return Add(FlagSpec{std::move(name), FlagKind::kString, std::move(value_name), std::move(help),
                      std::move(default_text)});
}

FlagSet& FlagSet::StringList(std::string name, std::string value_name, std::string help) {
  return Add(
      FlagSpec{std::move(name), FlagKind::kStringList, std::move(value_name), std::move(help), ""});
}

const FlagSpec* FlagSet::Find(std::string_view name) const {
  for (const FlagSpec& spec : specs_) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

Result<ParsedFlags> FlagSet::Parse(std::span<const std::string> args) const {
  ParsedFlags parsed;
  bool flags_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg == "-" || arg.empty() || arg[0] != '-') {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string_view body = arg;
    if (body == "-h" && Find("help") != nullptr) {
      body = "--help";
    }
    if (body.substr(0, 2) != "--" || body.size() == 2) {
      return UsageError("unknown flag " + arg);
    }
    body.remove_prefix(2);
    std::optional<std::string> inline_value;
    if (std::size_t eq = body.find('='); eq != std::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const FlagSpec* spec = Find(body);
    if (spec == nullptr) {
      return UsageError("unknown flag --" + std::string(body));
    }
    std::vector<std::string>& slot = parsed.values_[spec->name];
    if (spec->kind == FlagKind::kBool) {
      std::string value = inline_value.value_or("true");
      if (value != "true" && value != "false") {
        return UsageError("flag --" + spec->name + " takes no value other than true or false");
      }
      slot.push_back(value);
      continue;
    }
    if (!inline_value.has_value()) {
      if (i + 1 >= args.size()) {
        return UsageError("flag --" + spec->name + " needs a value");
      }
      inline_value = args[++i];
    }
    if (spec->kind == FlagKind::kString) {
      slot.assign(1, *inline_value);
    } else {
      slot.push_back(*inline_value);
    }
  }
  return parsed;
}

std::string FlagSet::Usage() const {
  std::vector<std::string> left;
  std::size_t width = 0;
  for (const FlagSpec& spec : specs_) {
    std::string text = "  --" + spec.name;
    if (spec.kind != FlagKind::kBool) {
      text += " " + spec.value_name;
    }
    width = std::max(width, text.size());
    left.push_back(std::move(text));
  }
  std::string out;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    out += left[i] + std::string(width - left[i].size() + 3, ' ') + specs_[i].help;
    if (!specs_[i].default_text.empty()) {
      out += " (default: " + specs_[i].default_text + ")";
    }
    out += "\n";
  }
  return out;
}

}  // namespace imgauto::cmd
