#include "cmd/run_command.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>

#include "cmd/standalone/standalone_runner.h"

namespace imgauto::cmd {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void HandleStopSignal(int /*signal*/) { g_stop.store(true); }

std::string DefaultStateDir() {
  // systemd's StateDirectory= sets STATE_DIRECTORY.
  if (const char* dir = std::getenv("STATE_DIRECTORY"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return "imgauto-state";
}

}  // namespace

FlagSet RunFlags() {
  FlagSet flags("run");
  flags.String("manifests", "DIR", "directory of object manifests (YAML, recursive)");
  flags.String("state-dir", "DIR", "where status, tag stores and git caches are kept",
               "$STATE_DIRECTORY or ./imgauto-state");
  flags.Bool("once", "reconcile everything once, print a summary, exit 1 unless all are Ready");
  flags.String("default-namespace", "NS", "namespace of objects that name none", "flux-system");
  flags.Bool("no-cross-namespace-refs", "forbid references to objects in other namespaces");
  flags.String("metrics-addr", "ADDR", "/metrics listen address (empty: none)", ":8080");
  flags.String("webhook-addr", "ADDR",
               "registry webhook receivers listen address, used when the directory has a "
               "Receiver (empty: none)",
               ":9292");
  flags.String("health-addr", "ADDR", "/healthz and /readyz listen address (empty: none)",
               ":9440");
  flags.String("concurrent", "N", "automations reconciled in parallel", "2");
  return flags;
}

Command RunCommand() {
  return Command{
      "run",
      "imgauto run --manifests DIR [--state-dir DIR] [--once] [--default-namespace NS]",
      "run the controllers standalone, from a directory of manifests",
      "Reads ImageRepository, ImagePolicy, ImageUpdateAutomation (any served version),\n"
      "GitRepository and Secret objects from DIR and reconciles them like the in-cluster\n"
      "controllers: scans registries, selects tags, commits and pushes updates. Status is\n"
      "written to <state-dir>/status/<kind>/<ns>/<name>.yaml after every reconcile; the\n"
      "directory is watched for changes. With --once every object is reconciled once in\n"
      "dependency order, a summary is printed, and the exit code is 1 unless all are Ready.",
      RunFlags,
      RunStandalone,
  };
}

int RunStandalone(const ParsedFlags& flags, CommandContext& ctx) {
  if (!flags.positional().empty()) {
    return Fail(ctx.err, "unexpected argument " + flags.positional().front(), kExitUsage);
  }
  std::optional<std::string> manifests = flags.GetString("manifests");
  if (!manifests || manifests->empty()) {
    return Fail(ctx.err, "flag --manifests is required", kExitUsage);
  }
  standalone::RunnerOptions options;
  options.manifests_dir = *manifests;
  options.state_dir = flags.GetString("state-dir").value_or(DefaultStateDir());
  options.default_namespace = flags.GetString("default-namespace").value_or("flux-system");
  options.no_cross_namespace_refs = flags.GetBool("no-cross-namespace-refs");
  options.health_addr = flags.GetString("health-addr").value_or(":9440");
  options.metrics_addr = flags.GetString("metrics-addr").value_or(":8080");
  options.webhook_addr = flags.GetString("webhook-addr").value_or(":9292");
  if (std::optional<std::string> concurrent = flags.GetString("concurrent")) {
    char* end = nullptr;
    long n = std::strtol(concurrent->c_str(), &end, 10);
    if (end == concurrent->c_str() || *end != '\0' || n <= 0 || n > 64) {
      return Fail(ctx.err, "flag --concurrent: must be an integer from 1 to 64", kExitUsage);
    }
    options.concurrent = static_cast<int>(n);
  }
  standalone::StandaloneRunner runner(options, ctx.logger, ctx.clock);
  if (flags.GetBool("once")) {
    Result<standalone::PassSummary> summary = runner.RunOnce();
    if (!summary) {
      return Fail(ctx.err, summary.error().message(),
                  summary.error().kind() == ErrorKind::kNotFound ? kExitUsage : kExitFailure);
    }
    standalone::PrintSummary(*summary, ctx.out);
    return summary->AllReady() ? kExitOk : kExitFailure;
  }
  std::signal(SIGTERM, HandleStopSignal);
  std::signal(SIGINT, HandleStopSignal);
  ctx.logger.Info("standalone controller starting",
                  {{"manifests", options.manifests_dir.string()},
                   {"stateDir", options.state_dir.string()}});
  Result<void> ran = runner.Run(g_stop);
  if (!ran) {
    return Fail(ctx.err, ran.error().message(),
                ran.error().kind() == ErrorKind::kNotFound ? kExitUsage : kExitFailure);
  }
  ctx.logger.Info("standalone controller stopped");
  return kExitOk;
}

}  // namespace imgauto::cmd
