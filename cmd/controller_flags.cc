#include "cmd/controller_flags.h"

#include <charconv>
#include <cstdlib>
#include <vector>

#include "core/duration.h"
#include "core/sha256.h"
#include "core/strings.h"

namespace imgauto::cmd {
namespace {

Error FlagError(std::string_view flag, std::string_view message) {
  return Error(ErrorKind::kInvalidSpec, "flag --" + std::string(flag) + ": " + std::string(message));
}

// Boolean flags whose default is true: absent → true, "--x" → true, "--x=false" → false.
bool BoolDefaultTrue(const ParsedFlags& flags, std::string_view name) {
  std::optional<std::string> value = flags.GetString(name);
  return !value || *value != "false";
}

Result<std::chrono::nanoseconds> Duration(const ParsedFlags& flags, std::string_view name,
                                          std::chrono::nanoseconds fallback) {
  std::optional<std::string> value = flags.GetString(name);
  if (!value) {
    return fallback;
  }
  Result<std::chrono::nanoseconds> parsed = ParseGoDuration(*value);
  if (!parsed) {
    return FlagError(name, parsed.error().message());
  }
  if (parsed->count() < 0) {
    return FlagError(name, "must not be negative");
  }
  return *parsed;
}

Result<int> PositiveInt(const ParsedFlags& flags, std::string_view name, int fallback) {
  std::optional<std::string> value = flags.GetString(name);
  if (!value) {
    return fallback;
  }
  int out = 0;
  auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), out);
  if (ec != std::errc() || ptr != value->data() + value->size() || out <= 0) {
    return FlagError(name, "must be a positive integer");
  }
  return out;
}

}  // namespace

std::string_view ControllerName(ControllerKind kind) {
  switch (kind) {
    case ControllerKind::kReflector:
      return "image-reflector-controller";
    case ControllerKind::kAutomation:
      return "image-automation-controller";
    case ControllerKind::kBoth:
      break;
  }
  return "imgauto-controllers";
}

Result<std::map<std::string, bool>> ParseFeatureGates(std::string_view text, ControllerKind kind) {
  std::map<std::string, bool> gates = {{"CacheSecretsAndConfigMaps", false},
                                       {"ObjectLevelWorkloadIdentity", false}};
  if (kind != ControllerKind::kAutomation) {
    gates["FluxStorage"] = false;
  }
  if (kind != ControllerKind::kReflector) {
    gates["GitForcePushBranch"] = true;
    gates["GitShallowClone"] = true;
    gates["GitAllBranchReferences"] = true;
    gates["GitSparseCheckout"] = false;
  }
  for (const std::string& part : Split(text, ",")) {
    std::string_view entry = TrimSpace(part);
    if (entry.empty()) {
      continue;
    }
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) {
      return FlagError("feature-gates", "missing bool value for \"" + std::string(entry) + "\"");
    }
    std::string name(TrimSpace(entry.substr(0, eq)));
    std::string value(TrimSpace(entry.substr(eq + 1)));
    auto it = gates.find(name);
    if (it == gates.end()) {
      return FlagError("feature-gates", "unknown feature gate \"" + name + "\"");
    }
    if (value == "true") {
      it->second = true;
    } else if (value == "false") {
      it->second = false;
    } else {
      return FlagError("feature-gates", "invalid value \"" + value + "\" for \"" + name +
                                            "\": expected true or false");
    }
  }
  return gates;
}

FlagSet ControllerFlags(ControllerKind kind) {
  FlagSet flags(std::string(kind == ControllerKind::kReflector    ? "reflector"
                            : kind == ControllerKind::kAutomation ? "automation"
                                                                  : "controllers"));
  flags.String("metrics-addr", "ADDR", "address the metric endpoint binds to", ":8080");
  flags.String("health-addr", "ADDR", "address the health endpoint binds to", ":9440");
  flags.String("events-addr", "URL", "notification-controller address for events");
  flags.String("concurrent", "N", "number of concurrent reconciles", "4");
  flags.String("min-retry-delay", "DUR", "first backoff after a failed reconcile", "750ms");
  flags.String("max-retry-delay", "DUR", "longest backoff after failed reconciles", "15m");
  flags.Bool("no-cross-namespace-refs", "forbid references to objects in other namespaces");
  flags.Bool("watch-all-namespaces", "watch every namespace (default true; false: RUNTIME_NAMESPACE)");
  flags.String("watch-label-selector", "SELECTOR", "only reconcile objects matching (sharding)");
  flags.Bool("enable-leader-election", "elect a leader with a coordination.k8s.io Lease");
  flags.String("leader-election-lease-duration", "DUR", "lease duration", "35s");
  flags.String("leader-election-renew-deadline", "DUR", "renew deadline", "30s");
  flags.String("leader-election-retry-period", "DUR", "retry period", "5s");
  flags.Bool("leader-election-release-on-cancel", "release the lease on shutdown (default true)");
  flags.String("feature-gates", "A=true,B=false", "feature gates");
  flags.String("default-service-account", "NAME", "service account for provider authentication");
  flags.String("token-cache-max-size", "N", "maximum cached provider tokens", "100");
  flags.String("token-cache-max-duration", "DUR", "maximum provider token lifetime", "1h");
  flags.String("kubeconfig", "FILE", "kubeconfig (else $KUBECONFIG, else in-cluster)");
  flags.String("kube-api-qps", "N", "API server request rate", "50");
  flags.String("kube-api-burst", "N", "API server request burst", "300");
  if (kind != ControllerKind::kAutomation) {
    flags.String("storage-path", "DIR", "where tag stores are kept", "/data");
    flags.String("requeue-dependency", "DUR", "requeue delay for policies without tags", "30s");
    flags.String("webhook-addr", "ADDR", "registry webhook receivers listen address", ":9292");
    flags.String("webhook-config", "FILE",
                 "Receiver documents (notification.toolkit.fluxcd.io) for registry webhooks");
    flags.String("gc-interval", "DUR", "tag store garbage collection interval", "10m");
    flags.String("storage-value-log-file-size", "SIZE", "accepted for compatibility", "256Mi");
    flags.String("storage-compression-threshold", "SIZE", "gzip tag files from this size", "64Ki");
  }
  if (kind != ControllerKind::kReflector) {
    flags.String("ssh-kex-algos", "LIST", "accepted for compatibility");
    flags.String("ssh-hostkey-algos", "LIST", "accepted for compatibility");
  }
  return flags;
}

Result<ControllerOptions> ReadControllerFlags(const ParsedFlags& flags, ControllerKind kind,
                                              std::string_view runtime_namespace) {
  ControllerOptions o;
  o.kind = kind;
  o.metrics_addr = flags.GetString("metrics-addr").value_or(o.metrics_addr);
  o.health_addr = flags.GetString("health-addr").value_or(o.health_addr);
  o.events_addr = flags.GetString("events-addr").value_or("");
  if (kind != ControllerKind::kAutomation) {
    o.webhook_addr = flags.GetString("webhook-addr").value_or(o.webhook_addr);
    o.webhook_config = flags.GetString("webhook-config").value_or("");
  }
  Result<int> concurrent = PositiveInt(flags, "concurrent", o.concurrent);
  if (!concurrent) return concurrent.error();
  o.concurrent = *concurrent;
  Result<std::chrono::nanoseconds> min_delay =
      Duration(flags, "min-retry-delay", o.min_retry_delay);
  if (!min_delay) return min_delay.error();
  o.min_retry_delay = *min_delay;
  Result<std::chrono::nanoseconds> max_delay =
      Duration(flags, "max-retry-delay", o.max_retry_delay);
  if (!max_delay) return max_delay.error();
  o.max_retry_delay = *max_delay;
  if (o.max_retry_delay < o.min_retry_delay) {
    return FlagError("max-retry-delay", "must not be shorter than --min-retry-delay");
  }
  o.no_cross_namespace_refs = flags.GetBool("no-cross-namespace-refs");
  o.watch_all_namespaces = BoolDefaultTrue(flags, "watch-all-namespaces");
  if (!o.watch_all_namespaces) {
    if (runtime_namespace.empty()) {
      return FlagError("watch-all-namespaces",
                       "false needs the RUNTIME_NAMESPACE environment variable");
    }
    o.watch_namespace = std::string(runtime_namespace);
  }
  o.watch_label_selector = flags.GetString("watch-label-selector").value_or("");

  LeaderElectionOptions& le = o.leader_election;
  le.enabled = flags.GetBool("enable-leader-election");
  for (auto [name, target] :
       {std::pair{"leader-election-lease-duration", &le.lease_duration},
        std::pair{"leader-election-renew-deadline", &le.renew_deadline},
        std::pair{"leader-election-retry-period", &le.retry_period}}) {
    Result<std::chrono::nanoseconds> d = Duration(flags, name, *target);
    if (!d) return d.error();
    if (d->count() == 0) return FlagError(name, "must be positive");
    *target = *d;
  }
  if (le.renew_deadline >= le.lease_duration) {
    return FlagError("leader-election-renew-deadline", "must be shorter than the lease duration");
  }
  le.release_on_cancel = BoolDefaultTrue(flags, "leader-election-release-on-cancel");
  if (!runtime_namespace.empty()) le.ns = std::string(runtime_namespace);
  le.id = std::string(ControllerName(kind)) + "-leader-election";
  if (!o.watch_label_selector.empty()) {
    // Shards elect separately: a stable suffix from the selector.
    le.id += "-" + Sha256Hex(o.watch_label_selector).substr(0, 8);
  }

  Result<std::map<std::string, bool>> gates =
      ParseFeatureGates(flags.GetString("feature-gates").value_or(""), kind);
  if (!gates) return gates.error();
  o.feature_gates = std::move(*gates);
  o.default_service_account = flags.GetString("default-service-account").value_or("");
  Result<int> cache_size = PositiveInt(flags, "token-cache-max-size", o.token_cache_max_size);
  if (!cache_size) return cache_size.error();
  o.token_cache_max_size = *cache_size;
  Result<std::chrono::nanoseconds> cache_duration =
      Duration(flags, "token-cache-max-duration", o.token_cache_max_duration);
  if (!cache_duration) return cache_duration.error();
  o.token_cache_max_duration = *cache_duration;
  o.kubeconfig = flags.GetString("kubeconfig").value_or("");
  if (std::optional<std::string> qps = flags.GetString("kube-api-qps")) {
    char* end = nullptr;
    o.kube_api_qps = std::strtod(qps->c_str(), &end);
    if (end == qps->c_str() || *end != '\0' || o.kube_api_qps <= 0) {
      return FlagError("kube-api-qps", "must be a positive number");
    }
  }
  Result<int> burst = PositiveInt(flags, "kube-api-burst", o.kube_api_burst);
  if (!burst) return burst.error();
  o.kube_api_burst = *burst;

  if (kind != ControllerKind::kAutomation) {
    o.storage_path = flags.GetString("storage-path").value_or(o.storage_path);
    if (o.storage_path.empty()) return FlagError("storage-path", "must not be empty");
    Result<std::chrono::nanoseconds> requeue =
        Duration(flags, "requeue-dependency", o.requeue_dependency);
    if (!requeue) return requeue.error();
    o.requeue_dependency = *requeue;
    Result<std::chrono::nanoseconds> gc = Duration(flags, "gc-interval", o.gc_interval);
    if (!gc) return gc.error();
    o.gc_interval = *gc;
    o.storage_value_log_file_size =
        flags.GetString("storage-value-log-file-size").value_or(o.storage_value_log_file_size);
    o.storage_compression_threshold =
        flags.GetString("storage-compression-threshold").value_or(o.storage_compression_threshold);
  }
  if (kind != ControllerKind::kReflector) {
    o.ssh_kex_algos = flags.GetString("ssh-kex-algos").value_or("");
    o.ssh_hostkey_algos = flags.GetString("ssh-hostkey-algos").value_or("");
  }
  return o;
}

}  // namespace imgauto::cmd
