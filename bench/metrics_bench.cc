// One /metrics scrape of a controller with 1,000 objects (issue 5 target: < 20 ms per scrape):
// 334 ImageRepositories, 333 ImagePolicies and 333 ImageUpdateAutomations spread over 34
// namespaces, each reconciled twice (Ready False then True, so time to restore is observed), every
// policy with its evaluation and current tag, every automation with runs; one work queue that has
// handled all 1,000 keys for the three controllers; 20 registries with several status codes,
// detection and lead time histograms, 10 webhook receivers, leader election and API requests.
// Serialize() (text 0.0.4) and SerializeOpenMetrics() are timed, process_* included.
//
//   metrics_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/runtime/reconcile_metrics.h"
#include "core/runtime/work_queue.h"
#include "metrics/prometheus_metrics.h"

namespace imgauto::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kRepositories = 334;
constexpr int kPolicies = 333;
constexpr int kAutomations = 333;
constexpr int kNamespaces = 34;

runtime::ReconcileRecord Record(const std::string& kind, int i, bool ready) {
  runtime::ReconcileRecord r;
  r.kind = kind;
  r.ns = "team-" + std::to_string(i % kNamespaces);
  r.name = "app-" + std::to_string(i);
  r.duration = milliseconds(5 + i % 400);
  r.result = ready ? runtime::ReconcileResult::kSuccess : runtime::ReconcileResult::kError;
  r.conditions = {{"Ready", ready ? "True" : "False", ready ? "Succeeded" : "AuthenticationFailed",
                   "message", 1, "2024-05-01T10:00:00Z"},
                  {"Reconciling", "False", "", "", 1, "2024-05-01T10:00:00Z"}};
  r.failure_reason = ready ? "" : "AuthenticationFailed";
  return r;
}

std::string ControllerOf(const std::string& key) {
  switch (key.empty() ? ' ' : key[0]) {
    case 'R': return "imagerepository";
    case 'P': return "imagepolicy";
    default: return "imageupdateautomation";
  }
}

// Records everything a busy cluster-mode controller with 1,000 objects would have.
void Populate(metrics::PrometheusMetrics& m) {
  runtime::WorkQueue queue({.metrics = m.work_queue_metrics(), .name_of = ControllerOf});
  const struct {
    const char* kind;
    const char* prefix;
    int count;
  } kinds[] = {{"ImageRepository", "R|", kRepositories},
               {"ImagePolicy", "P|", kPolicies},
               {"ImageUpdateAutomation", "A|", kAutomations}};
  for (const auto& k : kinds) {
    for (int i = 0; i < k.count; ++i) {
      m.RecordReconcile(Record(k.kind, i, false));
      m.RecordReconcile(Record(k.kind, i, true));
      const std::string key = k.prefix + std::string("team/app-") + std::to_string(i);
      queue.Add(key);
    }
  }
  while (std::optional<std::string> key = queue.TryGet()) {
    queue.Done(*key);
    queue.AddAfter(*key, std::chrono::minutes(5));
  }
  for (int i = 0; i < kPolicies; ++i) {
    const std::string ns = "team-" + std::to_string(i % kNamespaces);
    const std::string name = "app-" + std::to_string(i);
    m.RecordPolicyEvaluation(ns, name, true, "ghcr.io/acme/app-" + std::to_string(i), "1.2.3");
  }
  for (int i = 0; i < kAutomations; ++i) {
    const std::string ns = "team-" + std::to_string(i % kNamespaces);
    const std::string name = "app-" + std::to_string(i);
    m.RecordAutomationRun(ns, name, "pushed");
    m.RecordAutomationRun(ns, name, "unchanged");
  }
  std::vector<runtime::WebhookReceiverInfo> receivers;
  for (int i = 0; i < 20; ++i) {
    const std::string registry = "registry-" + std::to_string(i) + ".example.com";
    for (int code : {200, 401, 404, 429, 0}) {
      m.RecordRegistryRequest(registry, code);
    }
    if (i < 10) {
      receivers.push_back({"team-" + std::to_string(i) + "/hook", std::chrono::minutes(10)});
    }
  }
  m.SetWebhookReceivers(receivers);
  for (const runtime::WebhookReceiverInfo& r : receivers) {
    m.RecordWebhookRequest(r.receiver, 200);
    m.RecordWebhookEvent(r.receiver, 1, 3);
  }
  for (const char* source : {"webhook", "poll"}) {
    m.RecordDetection(source, seconds(42));
    m.RecordLeadTime(source, seconds(42), seconds(3), seconds(2));
  }
  m.RecordGitPush(true);
  m.SetLeader("imgauto-leader-election", true);
  for (const char* method : {"GET", "PATCH", "PUT", "POST"}) {
    m.RecordApiRequest(method, "10.96.0.1:443", 200);
  }
}

metrics::PrometheusMetrics& Metrics() {
  static metrics::PrometheusMetrics* const m = [] {
    auto* metrics = new metrics::PrometheusMetrics({.version = "bench"});
    Populate(*metrics);
    return metrics;
  }();
  return *m;
}

void BM_SerializeText1000Objects(benchmark::State& state) {
  const metrics::PrometheusMetrics& m = Metrics();
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = m.Serialize();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

void BM_SerializeOpenMetrics1000Objects(benchmark::State& state) {
  const metrics::PrometheusMetrics& m = Metrics();
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = m.SerializeOpenMetrics();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

BENCHMARK(BM_SerializeText1000Objects)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SerializeOpenMetrics1000Objects)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace imgauto::bench

BENCHMARK_MAIN();
