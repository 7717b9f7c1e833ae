// The flags of the in-cluster controllers (`imgauto reflector`, `imgauto automation`): every
// flag Flux's image-reflector-controller and image-automation-controller accept (§4.7 of the Flux
// reference, fluxcd/pkg runtime options) and every flag KubeVela's fluxcd addon passes, so their
// Deployment manifests run unchanged. Parsing is separate from running so that it is testable.
//
//   FlagSet flags = ControllerFlags(ControllerKind::kReflector);
//   Result<ParsedFlags> parsed = flags.Parse(args);
//   Result<ControllerOptions> options = ReadControllerFlags(*parsed, kind, getenv("RUNTIME_NAMESPACE"));
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "cmd/flags.h"
#include "core/error.h"

namespace imgauto::cmd {

// kBoth: `imgauto controllers`, both controllers in one process (the union of the flags).
enum class ControllerKind { kReflector, kAutomation, kBoth };

// "image-reflector-controller" / "image-automation-controller" / "imgauto-controllers".
std::string_view ControllerName(ControllerKind kind);

struct LeaderElectionOptions {
  bool enabled = false;
  std::chrono::nanoseconds lease_duration = std::chrono::seconds(35);
  std::chrono::nanoseconds renew_deadline = std::chrono::seconds(30);
  std::chrono::nanoseconds retry_period = std::chrono::seconds(5);
  bool release_on_cancel = true;
  // Namespace of the Lease: $RUNTIME_NAMESPACE, else flux-system.
  std::string ns = "flux-system";
  // "<controller>-leader-election", with a suffix derived from --watch-label-selector so that
  // shards elect separately.
  std::string id;
};

struct ControllerOptions {
  ControllerKind kind = ControllerKind::kReflector;
  std::string metrics_addr = ":8080";
  std::string health_addr = ":9440";
  std::string events_addr;
  // Registry webhook receivers (reflector only): Receiver documents in --webhook-config (a
  // mounted ConfigMap; tokens from the Secrets they name), served on --webhook-addr.
  std::string webhook_addr = ":9292";
  std::string webhook_config;
  int concurrent = 4;
  std::chrono::nanoseconds min_retry_delay = std::chrono::milliseconds(750);
  std::chrono::nanoseconds max_retry_delay = std::chrono::minutes(15);
  bool no_cross_namespace_refs = false;
  bool watch_all_namespaces = true;
  std::string watch_namespace;       // RUNTIME_NAMESPACE when !watch_all_namespaces
  std::string watch_label_selector;  // sharding
  LeaderElectionOptions leader_election;
  std::map<std::string, bool> feature_gates;  // every known gate, defaults applied
  std::string default_service_account;
  int token_cache_max_size = 100;
  std::chrono::nanoseconds token_cache_max_duration = std::chrono::hours(1);
  std::string kubeconfig;  // --kubeconfig, else KUBECONFIG, else in-cluster
  double kube_api_qps = 50;
  int kube_api_burst = 300;
  // Reflector only.
  std::string storage_path = "/data";
  std::chrono::nanoseconds requeue_dependency = std::chrono::seconds(30);
  std::chrono::nanoseconds gc_interval = std::chrono::minutes(10);
  std::string storage_value_log_file_size = "256Mi";  // accepted for compatibility; unused
  std::string storage_compression_threshold = "64Ki";
  // Automation only (accepted; libgit2's SSH transport negotiates its own algorithms).
  std::string ssh_kex_algos;
  std::string ssh_hostkey_algos;
};

// The flag set for `kind` (without the global --log-level / --log-encoding).
FlagSet ControllerFlags(ControllerKind kind);

// Reads and validates parsed flags. `runtime_namespace` is $RUNTIME_NAMESPACE (may be empty;
// required when --watch-all-namespaces=false). Errors are kInvalidSpec naming the flag:
// "flag --concurrent: must be a positive integer", "flag --feature-gates: unknown feature gate
// \"Foo\"", "flag --min-retry-delay: invalid duration ...".
Result<ControllerOptions> ReadControllerFlags(const ParsedFlags& flags, ControllerKind kind,
                                              std::string_view runtime_namespace);

// Parses "A=true,B=false" against the known gates of `kind` (defaults from §4.7 of the Flux
// reference); unknown names and non-boolean values are errors.
Result<std::map<std::string, bool>> ParseFeatureGates(std::string_view text, ControllerKind kind);

}  // namespace imgauto::cmd
