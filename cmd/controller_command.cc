#include "cmd/controller_command.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "cmd/cluster/cluster_runner.h"
#include "core/kube/api_client.h"
#include "core/kube/kubeconfig.h"

namespace imgauto::cmd {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void HandleControllerStop(int /*signal*/) { g_stop.store(true); }

int RunController(ControllerKind kind, const ParsedFlags& flags, CommandContext& ctx) {
  if (!flags.positional().empty()) {
    return Fail(ctx.err, "unexpected argument " + flags.positional().front(), kExitUsage);
  }
  const char* runtime_ns = std::getenv("RUNTIME_NAMESPACE");
  Result<ControllerOptions> options =
      ReadControllerFlags(flags, kind, runtime_ns != nullptr ? runtime_ns : "");
  if (!options) {
    return Fail(ctx.err, options.error().message(), kExitUsage);
  }
  std::optional<std::filesystem::path> kubeconfig;
  if (!options->kubeconfig.empty()) kubeconfig = options->kubeconfig;
  Result<kube::ClusterConfig> config =
      kube::ResolveClusterConfig(kubeconfig, kube::ProcessEnvironment());
  if (!config) {
    return Fail(ctx.err, config.error().message(), kExitFailure);
  }
  // The runner exists only after the client: requests made before it are not counted.
  std::atomic<cluster::ClusterRunner*> metrics_sink{nullptr};
  kube::ApiClientOptions client_options;
  client_options.logger = &ctx.logger;
  client_options.on_response = [&metrics_sink](std::string_view method, std::string_view host,
                                               int code) {
    if (cluster::ClusterRunner* runner = metrics_sink.load()) {
      runner->RecordApiRequest(method, host, code);
    }
  };
  Result<kube::ApiClientPtr> client = kube::ApiClient::Create(*config, client_options);
  if (!client) {
    return Fail(ctx.err, client.error().message(), kExitFailure);
  }
  cluster::ControllerSet set{.reflector = kind != ControllerKind::kAutomation,
                             .automation = kind != ControllerKind::kReflector};
  cluster::ClusterRunner runner(**client, *options, set, ctx.logger, ctx.clock);
  metrics_sink = &runner;
  std::signal(SIGTERM, HandleControllerStop);
  std::signal(SIGINT, HandleControllerStop);
  ctx.logger.Info("starting controller", {{"controller", std::string(ControllerName(kind))},
                                          {"server", config->server}});
  Result<void> ran = runner.Run(g_stop);
  metrics_sink = nullptr;
  if (!ran) {
    return Fail(ctx.err, ran.error().message(), kExitFailure);
  }
  ctx.logger.Info("controller stopped", {{"controller", std::string(ControllerName(kind))}});
  return kExitOk;
}

Command Make(ControllerKind kind, std::string name, std::string summary) {
  return Command{
      name,
      "imgauto " + name + " [controller flags]",
      std::move(summary),
      "Runs in a Kubernetes cluster like Flux's controller of the same role: watches the\n"
      "image.toolkit.fluxcd.io objects (and GitRepositories, Secrets), reconciles them and writes\n"
      "their status. Accepts the flags of Flux's and KubeVela's Deployments. Outside a pod it\n"
      "uses --kubeconfig or $KUBECONFIG.",
      [kind] { return ControllerFlags(kind); },
      [kind](const ParsedFlags& flags, CommandContext& ctx) {
        return RunController(kind, flags, ctx);
      },
  };
}

}  // namespace

Command ReflectorCommand() {
  return Make(ControllerKind::kReflector, "reflector",
              "run the image-reflector-controller (ImageRepository, ImagePolicy) in a cluster");
}

Command AutomationCommand() {
  return Make(ControllerKind::kAutomation, "automation",
              "run the image-automation-controller (ImageUpdateAutomation) in a cluster");
}

Command ControllersCommand() {
  return Make(ControllerKind::kBoth, "controllers",
              "run both controllers in one process in a cluster");
}

}  // namespace imgauto::cmd
