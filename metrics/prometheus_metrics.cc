#include "metrics/prometheus_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "core/kube/conditions.h"
#include "core/strings.h"

namespace imgauto::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Flux's prometheus.ExponentialBucketsRange(0.01, 1800, 10), as Go computes and prints them.
const std::vector<double>& FluxBuckets() {
  static const std::vector<double> buckets = {
      0.01,           0.038363583488692544, 0.1471764538093883, 0.5646216173286169,
      2.166090855590701, 8.309900738254731, 31.879757075478317, 122.30217221643493,
      469.19495946736544, 1799.9999999999986};
  return buckets;
}

// controller-runtime's reconcile_time_seconds buckets.
const std::vector<double>& ControllerRuntimeBuckets() {
  static const std::vector<double> buckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
      0.7,   0.8,  0.9,   1.0,  1.25, 1.5, 1.75, 2.0, 2.5, 3.0,  3.5, 4.0,  4.5, 5.0,
      6.0,   7.0,  8.0,   9.0,  10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0};
  return buckets;
}

const char* ResultName(runtime::ReconcileResult r) {
  switch (r) {
    case runtime::ReconcileResult::kSuccess: return "success";
    case runtime::ReconcileResult::kError: return "error";
    case runtime::ReconcileResult::kRequeue: return "requeue";
    case runtime::ReconcileResult::kRequeueAfter: return "requeue_after";
  }
  return "success";
}

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

// process_* from /proc/self, computed at scrape time.
class ProcessCollector final : public prometheus::Collectable {
 public:
  ProcessCollector() {
    std::ifstream stat("/proc/self/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), {});
    start_time_ = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
    // Prefer the kernel's start time (field 22, clock ticks after boot) when readable.
    std::vector<std::string> fields = Fields(content);
    std::ifstream uptime("/proc/uptime");
    double up = 0;
    if (fields.size() > 21 && (uptime >> up)) {
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double started_after_boot = std::stod(fields[21]) / ticks;
      start_time_ = start_time_ - up + started_after_boot;
    }
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    std::ifstream stat("/proc/self/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), {});
    std::vector<std::string> fields = Fields(content);
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    auto family = [&](const char* name, const char* help, prometheus::MetricType type,
                      double value) {
      prometheus::MetricFamily f;
      f.name = name;
      f.help = help;
      f.type = type;
      prometheus::ClientMetric m;
      if (type == prometheus::MetricType::Counter) {
        m.counter.value = value;
      } else {
        m.gauge.value = value;
      }
      f.metric.push_back(m);
      out.push_back(std::move(f));
    };
    if (fields.size() > 23) {
      family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
             prometheus::MetricType::Counter,
             (std::stod(fields[13]) + std::stod(fields[14])) / ticks);
      family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
             prometheus::MetricType::Gauge, std::stod(fields[22]));
      family("process_resident_memory_bytes", "Resident memory size in bytes.",
             prometheus::MetricType::Gauge, std::stod(fields[23]) * page);
    }
    family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
           prometheus::MetricType::Gauge, start_time_);
    std::error_code ec;
    double fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++fds;
    }
    family("process_open_fds", "Number of open file descriptors.", prometheus::MetricType::Gauge,
           fds);
    long max_fds = sysconf(_SC_OPEN_MAX);
    family("process_max_fds", "Maximum number of open file descriptors.",
           prometheus::MetricType::Gauge, static_cast<double>(max_fds));
    return out;
  }

 private:
  // /proc/self/stat fields, with the command name (field 2, may contain spaces) kept whole.
  static std::vector<std::string> Fields(const std::string& content) {
    std::vector<std::string> fields;
    size_t close = content.rfind(')');
    if (close == std::string::npos) return fields;
    fields.push_back(content.substr(0, content.find(' ')));
    fields.push_back(content.substr(content.find('('), close - content.find('(') + 1));
    std::istringstream rest(content.substr(close + 1));
    std::string f;
    while (rest >> f) fields.push_back(f);
    return fields;
  }

  double start_time_ = 0;
};

// Go's strconv.FormatFloat(v, 'g', -1, 64), which client_golang uses for values and `le`
// labels: the shortest representation that round-trips, exponent form below 1e-4 and from 1e21.
std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string shortest(buf, end);
  // to_chars chooses fixed or scientific by length; Go decides by the exponent.
  const double magnitude = std::fabs(v);
  const bool go_scientific = magnitude != 0 && (magnitude < 1e-4 || magnitude >= 1e21);
  const bool is_scientific = shortest.find('e') != std::string::npos;
  if (go_scientific == is_scientific) {
    if (is_scientific) {
      // Go writes at least two exponent digits: 1e-08.
      size_t e = shortest.find('e');
      std::string mantissa = shortest.substr(0, e);
      char sign = shortest[e + 1] == '-' ? '-' : '+';
      std::string digits = shortest.substr(e + ((shortest[e + 1] == '-' || shortest[e + 1] == '+') ? 2 : 1));
      if (digits.size() < 2) digits = "0" + digits;
      return mantissa + "e" + sign + digits;
    }
    return shortest;
  }
  auto [end2, ec2] = std::to_chars(buf, buf + sizeof buf, v,
                                   go_scientific ? std::chars_format::scientific
                                                 : std::chars_format::fixed);
  std::string forced(buf, end2);
  if (go_scientific) {
    size_t e = forced.find('e');
    std::string mantissa = forced.substr(0, e);
    char sign = forced[e + 1] == '-' ? '-' : '+';
    std::string digits = forced.substr(e + 2);
    if (digits.size() < 2) digits = "0" + digits;
    return mantissa + "e" + sign + digits;
  }
  return forced;
}

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string Labels(const std::vector<prometheus::ClientMetric::Label>& labels,
                   const std::string& extra_name = "", const std::string& extra_value = "") {
  std::vector<prometheus::ClientMetric::Label> all = labels;
  std::sort(all.begin(), all.end());
  if (!extra_name.empty()) all.push_back({extra_name, extra_value});
  if (all.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < all.size(); ++i) {
    out += (i ? "," : "") + all[i].name + "=\"" + EscapeLabel(all[i].value) + "\"";
  }
  return out + "}";
}

// The Prometheus text format 0.0.4, with Go's number formatting (exact `le` strings).
std::string TextFormat(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  for (const prometheus::MetricFamily& f : families) {
    if (f.metric.empty()) continue;  // like client_golang: a vector without children is absent
    const char* type = "untyped";
    switch (f.type) {
      case prometheus::MetricType::Counter: type = "counter"; break;
      case prometheus::MetricType::Gauge: type = "gauge"; break;
      case prometheus::MetricType::Histogram: type = "histogram"; break;
      case prometheus::MetricType::Summary: type = "summary"; break;
      default: break;
    }
    std::string help;
    for (char c : f.help) {
      if (c == '\\') help += "\\\\";
      else if (c == '\n') help += "\\n";
      else help += c;
    }
    out += "# HELP " + f.name + " " + help + "\n# TYPE " + f.name + " " + type + "\n";
    for (const prometheus::ClientMetric& m : f.metric) {
      switch (f.type) {
        case prometheus::MetricType::Counter:
          out += f.name + Labels(m.label) + " " + FormatFloat(m.counter.value) + "\n";
          break;
        case prometheus::MetricType::Gauge:
          out += f.name + Labels(m.label) + " " + FormatFloat(m.gauge.value) + "\n";
          break;
        case prometheus::MetricType::Histogram:
          for (const auto& b : m.histogram.bucket) {
            out += f.name + "_bucket" + Labels(m.label, "le", FormatFloat(b.upper_bound)) + " " +
                   std::to_string(b.cumulative_count) + "\n";
          }
          out += f.name + "_sum" + Labels(m.label) + " " + FormatFloat(m.histogram.sample_sum) +
                 "\n";
          out += f.name + "_count" + Labels(m.label) + " " +
                 std::to_string(m.histogram.sample_count) + "\n";
          break;
        default:
          out += f.name + Labels(m.label) + " " + FormatFloat(m.untyped.value) + "\n";
          break;
      }
    }
  }
  return out;
}

}  // namespace

struct PrometheusMetrics::State {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  ProcessCollector process;
  bool process_metrics = true;

  Family<Histogram>* duration = nullptr;
  Family<Histogram>* legacy_duration = nullptr;
  Family<Gauge>* condition = nullptr;
  Family<Gauge>* suspend = nullptr;
  Family<Gauge>* last_duration = nullptr;
  Family<Counter>* success = nullptr;
  Family<Counter>* policy_evaluations = nullptr;
  Family<Counter>* automation_runs = nullptr;
  Family<Counter>* reconcile_total = nullptr;
  Family<Counter>* reconcile_errors = nullptr;
  Family<Histogram>* reconcile_time = nullptr;
  Family<Gauge>* policy_info = nullptr;
  Family<Counter>* failures = nullptr;

  std::mutex mu;
  std::set<std::string> controllers;  // whose reconcile_total results are initialised
  // Per object: the series to drop when it is deleted.
  struct ObjectSeries {
    std::vector<std::pair<Family<Histogram>*, Histogram*>> histograms;
    std::vector<std::pair<Family<Gauge>*, Gauge*>> gauges;
    std::vector<std::pair<Family<Counter>*, Counter*>> counters;
  };
  std::map<std::tuple<std::string, std::string, std::string>, ObjectSeries> objects;
  std::map<std::pair<std::string, std::string>, Gauge*> policy_info_series;

  template <typename T>
  T& Series(Family<T>* family, const prometheus::Labels& labels, ObjectSeries* owner,
            std::vector<std::pair<Family<T>*, T*>> ObjectSeries::*list) {
    const bool existed = family->Has(labels);
    T& metric = family->Add(labels);
    if (!existed && owner != nullptr) (owner->*list).push_back({family, &metric});
    return metric;
  }
  Histogram& HistogramSeries(Family<Histogram>* family, const prometheus::Labels& labels,
                             const std::vector<double>& buckets, ObjectSeries* owner) {
    const bool existed = family->Has(labels);
    Histogram& metric = family->Add(labels, Histogram::BucketBoundaries(buckets));
    if (!existed && owner != nullptr) owner->histograms.push_back({family, &metric});
    return metric;
  }
};

PrometheusMetrics::PrometheusMetrics(PrometheusMetricsOptions options)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.process_metrics = options.process_metrics;
  auto& r = *s.registry;
  s.duration = &prometheus::BuildHistogram()
                    .Name("gotk_reconcile_duration_seconds")
                    .Help("The duration in seconds of a GitOps Toolkit resource reconciliation.")
                    .Register(r);
  s.legacy_duration = &prometheus::BuildHistogram()
                           .Name("gotk_reconcile_duration")
                           .Help("Compatibility: gotk_reconcile_duration_seconds under its "
                                 "pre-Flux-2 name (seconds).")
                           .Register(r);
  s.condition = &prometheus::BuildGauge()
                     .Name("gotk_reconcile_condition")
                     .Help("Compatibility (removed from Flux in 2.5): the current condition status "
                           "of a GitOps Toolkit resource reconciliation.")
                     .Register(r);
  s.suspend = &prometheus::BuildGauge()
                   .Name("gotk_suspend_status")
                   .Help("Compatibility (removed from Flux in 2.5): the current suspend status of "
                         "a GitOps Toolkit resource.")
                   .Register(r);
  s.last_duration = &prometheus::BuildGauge()
                         .Name("flux_reconciliation_duration_seconds")
                         .Help("Compatibility: duration in seconds of the last reconciliation.")
                         .Register(r);
  s.success = &prometheus::BuildCounter()
                   .Name("flux_reconciliation_success_total")
                   .Help("Compatibility: reconciliations that ended Ready.")
                   .Register(r);
  s.policy_evaluations = &prometheus::BuildCounter()
                              .Name("flux_image_policy_evaluation_total")
                              .Help("Compatibility: ImagePolicy evaluations by result.")
                              .Register(r);
  s.automation_runs = &prometheus::BuildCounter()
                           .Name("flux_image_automation_run_total")
                           .Help("Compatibility: ImageUpdateAutomation runs by result.")
                           .Register(r);
  s.reconcile_total = &prometheus::BuildCounter()
                           .Name("controller_runtime_reconcile_total")
                           .Help("Total number of reconciliations per controller")
                           .Register(r);
  s.reconcile_errors = &prometheus::BuildCounter()
                            .Name("controller_runtime_reconcile_errors_total")
                            .Help("Total number of reconciliation errors per controller")
                            .Register(r);
  s.reconcile_time = &prometheus::BuildHistogram()
                          .Name("controller_runtime_reconcile_time_seconds")
                          .Help("Length of time per reconciliation per controller")
                          .Register(r);
  s.policy_info = &prometheus::BuildGauge()
                       .Name("imgauto_image_policy_info")
                       .Help("The latest image an ImagePolicy selected (value 1; one series per "
                             "policy).")
                       .Register(r);
  s.failures = &prometheus::BuildCounter()
                    .Name("imgauto_reconcile_failures_total")
                    .Help("Failed reconciliations by kind and Ready reason.")
                    .Register(r);
  prometheus::BuildGauge()
      .Name("imgauto_build_info")
      .Help("A metric with a constant '1' value labeled by the imgauto version.")
      .Register(r)
      .Add({{"version", options.version}})
      .Set(1);
}

PrometheusMetrics::~PrometheusMetrics() = default;

void PrometheusMetrics::RecordReconcile(const runtime::ReconcileRecord& record) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  const std::string controller = AsciiLower(record.kind);
  if (s.controllers.insert(controller).second) {
    for (const char* result : {"success", "error", "requeue", "requeue_after"}) {
      s.reconcile_total->Add({{"controller", controller}, {"result", result}});
    }
    s.reconcile_errors->Add({{"controller", controller}});
  }
  s.reconcile_total->Add({{"controller", controller}, {"result", ResultName(record.result)}})
      .Increment();
  if (record.result == runtime::ReconcileResult::kError) {
    s.reconcile_errors->Add({{"controller", controller}}).Increment();
  }
  s.HistogramSeries(s.reconcile_time, {{"controller", controller}}, ControllerRuntimeBuckets(),
                    nullptr)
      .Observe(Seconds(record.duration));

  State::ObjectSeries& owner = s.objects[{record.kind, record.ns, record.name}];
  const prometheus::Labels object = {
      {"kind", record.kind}, {"name", record.name}, {"namespace", record.ns}};
  s.HistogramSeries(s.duration, object, FluxBuckets(), &owner).Observe(Seconds(record.duration));
  s.HistogramSeries(s.legacy_duration, object, FluxBuckets(), &owner)
      .Observe(Seconds(record.duration));
  s.Series(s.last_duration, object, &owner, &State::ObjectSeries::gauges)
      .Set(Seconds(record.duration));
  s.Series(s.suspend, object, &owner, &State::ObjectSeries::gauges)
      .Set(record.suspended ? 1 : 0);

  const kube::Condition* ready = kube::FindCondition(record.conditions, kube::kReadyCondition);
  const std::string status = ready != nullptr ? ready->status : "Unknown";
  for (const char* value : {"True", "False", "Unknown"}) {
    prometheus::Labels labels = object;
    labels["type"] = "Ready";
    labels["status"] = value;
    s.Series(s.condition, labels, &owner, &State::ObjectSeries::gauges)
        .Set(status == value ? 1 : 0);
  }
  Counter& successes = s.Series(s.success, object, &owner, &State::ObjectSeries::counters);
  if (status == "True") successes.Increment();
  if (status == "False" && !record.failure_reason.empty()) {
    s.failures->Add({{"kind", record.kind}, {"reason", record.failure_reason}}).Increment();
  }
}

void PrometheusMetrics::Forget(const std::string& kind, const std::string& ns,
                               const std::string& name) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.objects.find({kind, ns, name});
  if (it != s.objects.end()) {
    for (auto& [family, metric] : it->second.histograms) family->Remove(metric);
    for (auto& [family, metric] : it->second.gauges) family->Remove(metric);
    for (auto& [family, metric] : it->second.counters) family->Remove(metric);
    s.objects.erase(it);
  }
  if (kind == "ImagePolicy") {
    auto info = s.policy_info_series.find({ns, name});
    if (info != s.policy_info_series.end()) {
      s.policy_info->Remove(info->second);
      s.policy_info_series.erase(info);
    }
  }
}

void PrometheusMetrics::RecordPolicyEvaluation(const std::string& ns, const std::string& name,
                                               bool success, const std::string& image,
                                               const std::string& tag) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  State::ObjectSeries& owner = s.objects[{"ImagePolicy", ns, name}];
  s.Series(s.policy_evaluations,
           {{"namespace", ns}, {"name", name}, {"result", success ? "success" : "failure"}},
           &owner, &State::ObjectSeries::counters)
      .Increment();
  if (!success || tag.empty()) return;
  const prometheus::Labels labels = {
      {"namespace", ns}, {"name", name}, {"image", image}, {"tag", tag}};
  auto it = s.policy_info_series.find({ns, name});
  if (it != s.policy_info_series.end()) {
    if (s.policy_info->Has(labels)) return;
    s.policy_info->Remove(it->second);  // one series per policy: the old tag goes
  }
  Gauge& info = s.policy_info->Add(labels);
  info.Set(1);
  s.policy_info_series[{ns, name}] = &info;
}

void PrometheusMetrics::RecordAutomationRun(const std::string& ns, const std::string& name,
                                            const std::string& result) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  State::ObjectSeries& owner = s.objects[{"ImageUpdateAutomation", ns, name}];
  s.Series(s.automation_runs, {{"namespace", ns}, {"name", name}, {"result", result}}, &owner,
           &State::ObjectSeries::counters)
      .Increment();
}

Route MetricsRoute(const PrometheusMetrics& metrics) {
  return {"GET", "/metrics", [&metrics](const ServerRequest&) {
            ServerResponse r;
            r.content_type = kTextContentType;
            r.body = metrics.Serialize();
            return r;
          }};
}

std::string PrometheusMetrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = state_->registry->Collect();
  if (state_->process_metrics) {
    std::vector<prometheus::MetricFamily> process = state_->process.Collect();
    families.insert(families.end(), process.begin(), process.end());
  }
  return TextFormat(families);
}

}  // namespace imgauto::metrics
