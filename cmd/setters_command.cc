#include "cmd/setters_command.h"

#include <algorithm>
#include <ostream>
#include <utility>
#include <vector>

#include "automation/commit_message.h"
#include "reflector/registry/reference.h"

namespace imgauto::cmd {
namespace {

constexpr char kDefaultNamespace[] = "flux-system";
// Above this many inserted plus deleted lines the diff stops searching for a shortest script
// and replaces the differing middle wholesale (still a correct diff, just not minimal).
constexpr int kMaxEditDistance = 4096;

Error PolicyError(std::string_view value, std::string_view why) {
  return Error(ErrorKind::kInvalidSpec,
               "invalid --policy \"" + std::string(value) + "\": " + std::string(why));
}

// ---- Line diff (Myers' O(ND) algorithm over lines, then unified hunks) ----

enum class OpKind { kEqual, kDelete, kInsert };

struct Op {
  OpKind kind;
  std::size_t a;  // line index in the old text (for inserts: old lines consumed so far)
  std::size_t b;  // line index in the new text (for deletes: new lines consumed so far)
};

// Splits into lines, each keeping its '\n' (the last one may lack it).
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

// Appends the edit script turning a[a0, a1) into b[b0, b1) (no common prefix/suffix needed).
void MiddleScript(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                  std::size_t a0, std::size_t a1, std::size_t b0, std::size_t b1,
                  std::vector<Op>& out) {
  const int n = static_cast<int>(a1 - a0);
  const int m = static_cast<int>(b1 - b0);
  const int max = std::min(n + m, kMaxEditDistance);
  // trace[d] holds V (indexed k + d + 1) as it was before round d.
  std::vector<std::vector<int>> trace;
  std::vector<int> v(2 * static_cast<std::size_t>(max) + 3, 0);
  const int offset = max + 1;
  bool found = n == 0 && m == 0;
  for (int d = 0; d <= max && !found; ++d) {
    trace.emplace_back(v.begin() + (offset - d - 1), v.begin() + (offset + d + 2));
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                  ? v[offset + k + 1]
                  : v[offset + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && a[a0 + x] == b[b0 + y]) {
        ++x;
        ++y;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) {  // too different: delete everything, insert everything
    for (std::size_t i = a0; i < a1; ++i) {
      out.push_back({OpKind::kDelete, i, b0});
    }
    for (std::size_t j = b0; j < b1; ++j) {
      out.push_back({OpKind::kInsert, a1, j});
    }
    return;
  }
  std::vector<Op> reversed;
  int x = n;
  int y = m;
  for (int d = static_cast<int>(trace.size()) - 1; d >= 0; --d) {
    const std::vector<int>& vd = trace[static_cast<std::size_t>(d)];
    auto at = [&](int k) { return vd[static_cast<std::size_t>(k + d + 1)]; };
    const int k = x - y;
    const int prev_k = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1;
    const int prev_x = d == 0 ? 0 : at(prev_k);
    const int prev_y = d == 0 ? 0 : prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      --x;
      --y;
      reversed.push_back({OpKind::kEqual, a0 + x, b0 + y});
    }
    if (d > 0) {
      if (x == prev_x) {
        reversed.push_back({OpKind::kInsert, a0 + x, b0 + prev_y});
      } else {
        reversed.push_back({OpKind::kDelete, a0 + prev_x, b0 + y});
      }
    }
    x = prev_x;
    y = prev_y;
  }
  out.insert(out.end(), reversed.rbegin(), reversed.rend());
}

std::vector<Op> EditScript(const std::vector<std::string_view>& a,
                           const std::vector<std::string_view>& b) {
  std::size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) {
    ++prefix;
  }
  std::size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  std::vector<Op> ops;
  for (std::size_t i = 0; i < prefix; ++i) {
    ops.push_back({OpKind::kEqual, i, i});
  }
  MiddleScript(a, b, prefix, a.size() - suffix, prefix, b.size() - suffix, ops);
  for (std::size_t i = suffix; i > 0; --i) {
    ops.push_back({OpKind::kEqual, a.size() - i, b.size() - i});
  }
  return ops;
}

std::string HunkRange(std::size_t before, std::size_t count) {
  const std::size_t start = count == 0 ? before : before + 1;
  return count == 1 ? std::to_string(start) : std::to_string(start) + "," + std::to_string(count);
}

void AppendLine(std::string& out, char prefix, std::string_view line) {
  out += prefix;
  if (!line.empty() && line.back() == '\n') {
    out.append(line);
  } else {
    out.append(line);
    out += "\n\\ No newline at end of file\n";
  }
}

// ---- Output ----

std::string ObjectLabel(const setters::ObjectId& id) {
  std::string label = id.kind.empty() ? "-" : id.kind;
  if (!id.name.empty()) {
    label += "/" + (id.ns.empty() ? id.name : id.ns + "/" + id.name);
  }
  return label;
}

void PrintTable(const setters::ChangeSet& changes, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {{"FILE", "OBJECT", "SETTER", "OLD", "NEW"}};
  for (const auto& [file, objects] : changes.FileChanges()) {
    for (const auto& [id, object_changes] : objects) {
      for (const setters::Change& change : object_changes) {
        rows.push_back({file, ObjectLabel(id), change.setter, change.old_value, change.new_value});
      }
    }
  }
  if (rows.size() == 1) {
    out << "no changes\n";
    return;
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
    }
    out << line << "\n";
  }
  out << (rows.size() - 1) << " change(s) in " << changes.FileChanges().size() << " file(s)\n";
}

}  // namespace

Result<setters::PolicyValue> ParsePolicyFlag(std::string_view value) {
  const std::size_t eq = value.find('=');
  if (eq == std::string_view::npos) {
    return PolicyError(value, "expected NS:NAME=IMAGE[:TAG][@DIGEST]");
  }
  const std::string_view key = value.substr(0, eq);
  const std::size_t colon = key.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == key.size() ||
      key.find(':', colon + 1) != std::string_view::npos) {
    return PolicyError(value, "policy must be NS:NAME");
  }
  setters::PolicyValue policy;
  policy.ns = std::string(key.substr(0, colon));
  policy.name = std::string(key.substr(colon + 1));
  const std::string_view ref = value.substr(eq + 1);
  if (ref.empty()) {
    return PolicyError(value, "empty image reference");
  }
  Result<reflector::registry::ImageReference> parsed = reflector::registry::ParseReference(ref);
  if (!parsed) {
    return PolicyError(value, parsed.error().message());
  }
  std::string_view rest = ref;
  if (const std::size_t at = rest.find('@'); at != std::string_view::npos) {
    policy.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  const std::size_t slash = rest.rfind('/');
  const std::size_t tag_colon = rest.rfind(':');
  if (tag_colon != std::string_view::npos &&
      (slash == std::string_view::npos || tag_colon > slash)) {
    policy.tag = std::string(rest.substr(tag_colon + 1));
    rest = rest.substr(0, tag_colon);
  }
  policy.image = std::string(rest);
  return policy;
}

std::string UnifiedDiff(std::string_view file, std::string_view old_text, std::string_view new_text,
                        int context) {
  if (old_text == new_text) {
    return "";
  }
  const std::vector<std::string_view> a = SplitLines(old_text);
  const std::vector<std::string_view> b = SplitLines(new_text);
  const std::vector<Op> ops = EditScript(a, b);
  const std::size_t ctx = static_cast<std::size_t>(std::max(context, 0));

  std::vector<std::size_t> changed;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != OpKind::kEqual) {
      changed.push_back(i);
    }
  }
  std::string out = "--- a/" + std::string(file) + "\n+++ b/" + std::string(file) + "\n";
  std::size_t g = 0;
  while (g < changed.size()) {
    std::size_t last = g;
    while (last + 1 < changed.size() && changed[last + 1] - changed[last] - 1 <= 2 * ctx) {
      ++last;
    }
    const std::size_t begin = changed[g] >= ctx ? changed[g] - ctx : 0;
    const std::size_t end = std::min(ops.size(), changed[last] + ctx + 1);
    std::size_t a_count = 0;
    std::size_t b_count = 0;
    for (std::size_t i = begin; i < end; ++i) {
      a_count += ops[i].kind != OpKind::kInsert ? 1 : 0;
      b_count += ops[i].kind != OpKind::kDelete ? 1 : 0;
    }
    out += "@@ -" + HunkRange(ops[begin].a, a_count) + " +" + HunkRange(ops[begin].b, b_count) +
           " @@\n";
    for (std::size_t i = begin; i < end; ++i) {
      const Op& op = ops[i];
      if (op.kind == OpKind::kEqual) {
        AppendLine(out, ' ', a[op.a]);
      } else if (op.kind == OpKind::kDelete) {
        AppendLine(out, '-', a[op.a]);
      } else {
        AppendLine(out, '+', b[op.b]);
      }
    }
    g = last + 1;
  }
  return out;
}

FlagSet SettersFlags() {
  FlagSet flags("setters");
  flags.String("path", "DIR", "directory to update (files are reported relative to it)");
  flags.StringList("policy", "NS:NAME=IMAGE[:TAG][@DIGEST]",
                   "latest reference of an ImagePolicy (repeatable)");
  flags.String("namespace", "NS", "only policies of this namespace resolve", kDefaultNamespace);
  flags.Bool("dry-run", "print a unified diff and write nothing");
  flags.Bool("json", "print the change set as JSON (the input of 'imgauto template')");
  return flags;
}

Command SettersCommand() {
  return Command{
      "setters",
      "imgauto setters --path DIR --policy NS:NAME=IMAGE[:TAG][@DIGEST]... [--namespace NS] "
      "[--dry-run] [--json]",
      "apply $imagepolicy setter markers like an ImageUpdateAutomation",
      "Rewrites the scalars marked {\"$imagepolicy\": \"NS:NAME[:tag|:name|:digest]\"} in the\n"
      ".yaml/.yml/Kustomization files under DIR with the given policy results; only the\n"
      "replaced values change. Only policies of --namespace (default flux-system) resolve.\n"
      "Prints the changes as a table, or as JSON with --json; --dry-run prints a unified diff\n"
      "instead and writes nothing. Skipped files are reported on stderr. Exit 1 when DIR is\n"
      "missing or a file cannot be written, 2 for an invalid --policy.",
      SettersFlags,
      RunSetters,
  };
}

int RunSetters(const ParsedFlags& flags, CommandContext& ctx) {
  if (!flags.positional().empty()) {
    return Fail(ctx.err, "unexpected argument " + flags.positional().front(), kExitUsage);
  }
  const std::optional<std::string> path = flags.GetString("path");
  if (!path || path->empty()) {
    return Fail(ctx.err, "flag --path is required", kExitUsage);
  }
  std::vector<setters::PolicyValue> policies;
  for (const std::string& value : flags.GetList("policy")) {
    Result<setters::PolicyValue> policy = ParsePolicyFlag(value);
    if (!policy) {
      return Fail(ctx.err, policy.error().message(), kExitUsage);
    }
    policies.push_back(std::move(*policy));
  }
  const std::string ns = flags.GetString("namespace").value_or(kDefaultNamespace);
  if (ns.empty()) {
    return Fail(ctx.err, "flag --namespace must not be empty", kExitUsage);
  }

  setters::UpdateOptions options;
  options.namespace_filter = ns;
  options.dry_run = flags.GetBool("dry-run");
  options.validate_reference = [](std::string_view ref) -> Result<void> {
    Result<reflector::registry::ImageReference> parsed = reflector::registry::ParseReference(ref);
    if (!parsed) {
      return parsed.error();
    }
    return {};
  };
  ctx.logger.Debug(
      "running setters",
      {{"path", *path}, {"policies", std::to_string(policies.size())}, {"namespace", ns}});
  Result<setters::UpdateResult> result = setters::UpdateTree(*path, ".", policies, options);
  if (!result) {
    return Fail(ctx.err, *path + ": " + result.error().message(),
                result.error().kind() == ErrorKind::kInvalidSpec ? kExitUsage : kExitFailure);
  }
  for (const setters::FileIssue& problem : result->problems) {
    ctx.err << "warning: skipped " << problem.file << ": " << problem.reason << "\n";
  }
  for (const setters::FileIssue& warning : result->warnings) {
    ctx.err << "warning: " << warning.file << ": " << warning.reason << "\n";
  }
  if (flags.GetBool("json")) {
    ctx.out << automation::ChangeSetToJson(result->changes, result->problems) << "\n";
  } else if (options.dry_run) {
    for (const setters::FileRewrite& rewrite : result->rewrites) {
      ctx.out << UnifiedDiff(rewrite.file, rewrite.old_text, rewrite.new_text);
    }
  } else {
    PrintTable(result->changes, ctx.out);
  }
  return kExitOk;
}

}  // namespace imgauto::cmd
