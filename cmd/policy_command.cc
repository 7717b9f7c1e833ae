#include "cmd/policy_command.h"

#include <array>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>

#include "core/fs.h"
#include "core/strings.h"
#include "reflector/api/image_policy.h"
#include "reflector/policy/selector.h"

namespace imgauto::cmd {
namespace {

constexpr std::size_t kMaxPolicyBytes = std::size_t{4} << 20;
constexpr std::size_t kTagChunkBytes = std::size_t{64} << 10;

}  // namespace

Result<std::vector<std::string>> ReadTagLines(std::istream& in, std::size_t max_bytes) {
  std::vector<std::string> tags;
  auto add_line = [&tags](std::string_view line) {
    const std::string_view tag = TrimSpace(line);
    if (!tag.empty()) {
      tags.emplace_back(tag);
    }
  };
  // Bounded chunks: never more than max_bytes + 1 bytes are read, newlines or not.
  std::array<char, kTagChunkBytes> chunk{};
  std::string partial;  // the current line's bytes from earlier chunks
  std::size_t total = 0;
  while (true) {
    const std::size_t left = max_bytes - total;  // total <= max_bytes here
    const std::size_t want = left < chunk.size() ? left + 1 : chunk.size();
    in.read(chunk.data(), static_cast<std::streamsize>(want));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) {
      break;
    }
    total += got;
    if (total > max_bytes) {
      return Error(ErrorKind::kInvalidSpec,
                   "tag list exceeds " + std::to_string(max_bytes) + " bytes");
    }
    std::string_view data(chunk.data(), got);
    for (std::size_t newline = data.find('\n'); newline != std::string_view::npos;
         newline = data.find('\n')) {
      if (partial.empty()) {
        add_line(data.substr(0, newline));
      } else {
        partial.append(data.substr(0, newline));
        add_line(partial);
        partial.clear();
      }
      data.remove_prefix(newline + 1);
    }
    partial.append(data);
  }
  if (in.bad()) {
    return Error(ErrorKind::kTransient, "reading tags failed");
  }
  add_line(partial);
  return tags;
}

FlagSet PolicyFlags() {
  FlagSet flags("policy");
  flags.String("policy", "FILE", "ImagePolicy YAML (image.toolkit.fluxcd.io/v1 or v1beta2)");
  flags.String("tags", "FILE|-", "tags to choose from, one per line", "stdin");
  return flags;
}

Command PolicyCommand() {
  return Command{
      "policy",
      "imgauto policy --policy FILE [--tags FILE|-]",
      "select the latest tag with an ImagePolicy",
      "Evaluates the ImagePolicy in FILE (filterTags, then semver, alphabetical or numerical)\n"
      "against the tags read from --tags (default: stdin), one per line, in the order given,\n"
      "and prints the selected tag. Exit 1 when no tag can be selected, 2 when the policy is\n"
      "invalid.",
      PolicyFlags,
      RunPolicy,
  };
}

int RunPolicy(const ParsedFlags& flags, CommandContext& ctx) {
  if (!flags.positional().empty()) {
    return Fail(ctx.err, "unexpected argument " + flags.positional().front(), kExitUsage);
  }
  std::optional<std::string> policy_path = flags.GetString("policy");
  if (!policy_path.has_value() || policy_path->empty()) {
    return Fail(ctx.err, "flag --policy is required", kExitUsage);
  }
  Result<std::string> text = ReadFile(*policy_path, kMaxPolicyBytes);
  if (!text) {
    return Fail(ctx.err, "reading policy: " + text.error().message(),
                kExitUsage);
  }
  Result<reflector::api::ImagePolicy> policy = reflector::api::DecodeImagePolicy(*text);
  if (!policy) {
    return Fail(ctx.err, *policy_path + ": " + policy.error().message(), kExitUsage);
  }
  Result<reflector::policy::TagSelector> selector =
      reflector::policy::TagSelector::Create(policy->spec.policy, policy->spec.filter_tags);
  if (!selector) {
    return Fail(ctx.err, selector.error().message(), kExitUsage);
  }

  const std::string tags_path = flags.GetString("tags").value_or("-");
  Result<std::vector<std::string>> tags = Error(ErrorKind::kInternal, "unset");
  if (tags_path == "-") {
    tags = ReadTagLines(ctx.in);
  } else {
    std::ifstream file(tags_path);
    if (!file) {
      return Fail(ctx.err, "reading tags " + tags_path + ": cannot open file", kExitUsage);
    }
    tags = ReadTagLines(file);
  }
  if (!tags) {
    return Fail(ctx.err, "reading tags " + tags_path + ": " + tags.error().message(), kExitUsage);
  }
  ctx.logger.Debug("evaluating policy", {{"policy", *policy_path},
                                         {"tags", std::to_string(tags->size())}});
  Result<std::string> selected = selector->Select(*tags);
  if (!selected) {
    return Fail(ctx.err, selected.error().message(), kExitFailure);
  }
  ctx.out << *selected << "\n";
  return kExitOk;
}

}  // namespace imgauto::cmd
