#include "cmd/template_command.h"

#include <ostream>
#include <sstream>
#include <utility>

#include "automation/commit_message.h"
#include "core/fs.h"

namespace imgauto::cmd {
namespace {

constexpr char kDefaultAutomation[] = "flux-system/flux-system";
constexpr std::size_t kMaxTemplateBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxChangesBytes = std::size_t{64} << 20;

// Reads `path`, or stdin for "-", up to `max_bytes`.
Result<std::string> ReadInput(const std::string& path, std::size_t max_bytes, std::istream& in) {
  if (path != "-") {
    return ReadFile(path, max_bytes);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > max_bytes) {
    return Error(ErrorKind::kInvalidSpec, "input exceeds " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

}  // namespace

Result<std::map<std::string, std::string>> ParseTemplateValues(
    const std::vector<std::string>& entries) {
  std::map<std::string, std::string> values;
  for (const std::string& entry : entries) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error(ErrorKind::kInvalidSpec,
                   "invalid --values \"" + entry + "\": expected KEY=VALUE");
    }
    values[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return values;
}

Result<kube::ObjectKey> ParseAutomationKey(std::string_view value) {
  const std::size_t slash = value.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == value.size() ||
      value.find('/', slash + 1) != std::string_view::npos) {
    return Error(ErrorKind::kInvalidSpec,
                 "invalid --automation \"" + std::string(value) + "\": expected NS/NAME");
  }
  return kube::ObjectKey{std::string(value.substr(0, slash)), std::string(value.substr(slash + 1))};
}

FlagSet TemplateFlags() {
  FlagSet flags("template");
  flags.String("template", "FILE", "commit message template (Go text/template with Sprig)");
  flags.String("changes", "FILE|-", "change set JSON as printed by 'imgauto setters --json'");
  flags.StringList("values", "KEY=VALUE", "an entry of .Values (repeatable)");
  flags.String("automation", "NS/NAME", "the automation object (.AutomationObject)",
               kDefaultAutomation);
  return flags;
}

Command TemplateCommand() {
  return Command{
      "template",
      "imgauto template --template FILE --changes FILE.json [--values KEY=VALUE]... "
      "[--automation NS/NAME]",
      "render a commit message template from a change set",
      "Renders the commit message template in FILE as an ImageUpdateAutomation would, with\n"
      ".Changed and .Updated built from the change set JSON that 'imgauto setters --json'\n"
      "prints (--changes - reads stdin), .Values from --values and .AutomationObject from\n"
      "--automation (default flux-system/flux-system). The message is printed exactly, with\n"
      "no newline added. Exit 1 when the template fails to parse or execute, 2 for invalid\n"
      "input.",
      TemplateFlags,
      RunTemplate,
  };
}

int RunTemplate(const ParsedFlags& flags, CommandContext& ctx) {
  if (!flags.positional().empty()) {
    return Fail(ctx.err, "unexpected argument " + flags.positional().front(), kExitUsage);
  }
  const std::optional<std::string> template_path = flags.GetString("template");
  if (!template_path || template_path->empty()) {
    return Fail(ctx.err, "flag --template is required", kExitUsage);
  }
  const std::optional<std::string> changes_path = flags.GetString("changes");
  if (!changes_path || changes_path->empty()) {
    return Fail(ctx.err, "flag --changes is required", kExitUsage);
  }
  if (*template_path == "-" && *changes_path == "-") {
    return Fail(ctx.err, "--template and --changes cannot both read stdin", kExitUsage);
  }
  Result<std::map<std::string, std::string>> values = ParseTemplateValues(flags.GetList("values"));
  if (!values) {
    return Fail(ctx.err, values.error().message(), kExitUsage);
  }
  Result<kube::ObjectKey> automation =
      ParseAutomationKey(flags.GetString("automation").value_or(kDefaultAutomation));
  if (!automation) {
    return Fail(ctx.err, automation.error().message(), kExitUsage);
  }
  Result<std::string> tmpl = ReadInput(*template_path, kMaxTemplateBytes, ctx.in);
  if (!tmpl) {
    return Fail(ctx.err, "reading template " + *template_path + ": " + tmpl.error().message(),
                kExitUsage);
  }
  Result<std::string> json = ReadInput(*changes_path, kMaxChangesBytes, ctx.in);
  if (!json) {
    return Fail(ctx.err, "reading changes " + *changes_path + ": " + json.error().message(),
                kExitUsage);
  }
  Result<automation::ChangeSetDocument> doc = automation::ChangeSetFromJson(*json);
  if (!doc) {
    return Fail(ctx.err, *changes_path + ": " + doc.error().message(), kExitUsage);
  }
  const gotemplate::Value data = automation::BuildTemplateData(*automation, doc->changes, *values);
  Result<std::string> message = automation::RenderMessage(*tmpl, data);
  if (!message) {
    return Fail(ctx.err, message.error().message(), kExitFailure);
  }
  ctx.out << *message;
  return kExitOk;
}

}  // namespace imgauto::cmd
