#include "metrics/prometheus_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>
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
      family("process_cpu_seconds_total", "CPU seconds used by this process (user plus system).",
             prometheus::MetricType::Counter,
             (std::stod(fields[13]) + std::stod(fields[14])) / ticks);
      family("process_virtual_memory_bytes", "Bytes of virtual address space of this process.",
             prometheus::MetricType::Gauge, std::stod(fields[22]));
      family("process_resident_memory_bytes", "Bytes of this process resident in memory.",
             prometheus::MetricType::Gauge, std::stod(fields[23]) * page);
    }
    family("process_start_time_seconds", "When this process started, in seconds since the Unix epoch.",
           prometheus::MetricType::Gauge, start_time_);
    std::error_code ec;
    double fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++fds;
    }
    family("process_open_fds", "File descriptors this process has open.", prometheus::MetricType::Gauge,
           fds);
    long max_fds = sysconf(_SC_OPEN_MAX);
    family("process_max_fds", "Limit on open file descriptors for this process.",
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

// Buckets of the imgauto latency histograms (detection, lead time, time to restore), seconds.
const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> buckets = {0.05, 0.1,  0.25, 0.5,  1,    2.5,   5,
                                              10,   30,   60,   120,  300,  600,   1800,
                                              3600, 7200, 21600, 86400};
  return buckets;
}

// client-go's workqueue duration buckets: prometheus.ExponentialBuckets(10e-9, 10, 12), computed
// by repeated multiplication as Go does (so the `le` strings match: 9.999999999999999e-06, …).
const std::vector<double>& WorkQueueBuckets() {
  static const std::vector<double> buckets = [] {
    std::vector<double> b;
    double next = 10e-9;
    for (int i = 0; i < 12; ++i) {
      b.push_back(next);
      next *= 10;
    }
    return b;
  }();
  return buckets;
}

double NonNegativeSeconds(std::chrono::nanoseconds d) {
  return d.count() < 0 ? 0.0 : Seconds(d);
}

enum class Format { kText, kOpenMetrics };

// OpenMetrics' canonical float: Go's %g with ".0" appended when it has neither '.' nor exponent.
std::string FormatOpenMetricsFloat(double v) {
  std::string out = FormatFloat(v);
  if (std::isfinite(v) && out.find_first_of(".e") == std::string::npos) {
    out += ".0";
  }
  return out;
}

void AppendEscaped(std::string& out, std::string_view value, bool escape_quote) {
  if (value.find_first_of(escape_quote ? "\\\n\"" : "\\\n") == std::string_view::npos) {
    out += value;  // the common case: nothing to escape
    return;
  }
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `a="x",b="y"` of a metric's labels sorted by name, without braces.
std::string LabelBody(const std::vector<prometheus::ClientMetric::Label>& labels) {
  const std::vector<prometheus::ClientMetric::Label>* sorted = &labels;
  std::vector<prometheus::ClientMetric::Label> copy;
  if (!std::is_sorted(labels.begin(), labels.end())) {
    copy = labels;
    std::sort(copy.begin(), copy.end());
    sorted = &copy;
  }
  std::string out;
  for (const auto& label : *sorted) {
    if (!out.empty()) {
      out += ',';
    }
    out += label.name;
    out += "=\"";
    AppendEscaped(out, label.value, true);
    out += '"';
  }
  return out;
}

// One sample line: name{body,extra} value
void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const std::string& body, std::string_view extra, std::string_view value) {
  out += name;
  out += suffix;
  if (!body.empty() || !extra.empty()) {
    out += '{';
    out += body;
    if (!body.empty() && !extra.empty()) {
      out += ',';
    }
    out += extra;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

// The Prometheus text format 0.0.4 (with Go's number formatting, so `le` strings match
// client_golang), or OpenMetrics 1.0.0 text (counters' family names without "_total", canonical
// floats, "# EOF" at the end).
std::string Render(const std::vector<prometheus::MetricFamily>& families, Format format,
                   std::size_t size_hint) {
  const bool om = format == Format::kOpenMetrics;
  auto number = om ? FormatOpenMetricsFloat : FormatFloat;
  std::string out;
  out.reserve(size_hint + size_hint / 8 + 4096);
  std::string le;
  std::vector<double> bounds;     // the last histogram buckets seen …
  std::vector<std::string> les;   // … and their `le="…"` labels
  for (const prometheus::MetricFamily& f : families) {
    if (f.metric.empty()) {
      continue;  // like client_golang: a vector without children is absent
    }
    const char* type = om ? "unknown" : "untyped";
    switch (f.type) {
      case prometheus::MetricType::Counter: type = "counter"; break;
      case prometheus::MetricType::Gauge: type = "gauge"; break;
      case prometheus::MetricType::Histogram: type = "histogram"; break;
      case prometheus::MetricType::Summary: type = "summary"; break;
      default: break;
    }
    // OpenMetrics names a counter family without "_total"; its samples carry it.
    std::string_view family = f.name;
    std::string_view value_suffix;
    if (om && f.type == prometheus::MetricType::Counter) {
      if (family.size() > 6 && family.substr(family.size() - 6) == "_total") {
        family.remove_suffix(6);
      }
      value_suffix = "_total";
    }
    if (om) {
      out.append("# TYPE ").append(family).append(" ").append(type).append("\n# HELP ");
      out.append(family).append(" ");
      AppendEscaped(out, f.help, true);
      out += '\n';
    } else {
      out.append("# HELP ").append(family).append(" ");
      AppendEscaped(out, f.help, false);
      out.append("\n# TYPE ").append(family).append(" ").append(type).append("\n");
    }
    for (const prometheus::ClientMetric& m : f.metric) {
      const std::string body = LabelBody(m.label);
      switch (f.type) {
        case prometheus::MetricType::Counter:
          AppendSample(out, family, value_suffix, body, "", number(m.counter.value));
          break;
        case prometheus::MetricType::Gauge:
          AppendSample(out, family, "", body, "", number(m.gauge.value));
          break;
        case prometheus::MetricType::Histogram:
          // The series of a family share their buckets: format the `le` labels once.
          if (bounds.size() != m.histogram.bucket.size() ||
              !std::equal(bounds.begin(), bounds.end(), m.histogram.bucket.begin(),
                          [](double bound, const prometheus::ClientMetric::Bucket& b) {
                            return bound == b.upper_bound;
                          })) {
            bounds.clear();
            les.clear();
            for (const auto& b : m.histogram.bucket) {
              bounds.push_back(b.upper_bound);
              les.push_back("le=\"" + number(b.upper_bound) + "\"");
            }
          }
          for (size_t i = 0; i < m.histogram.bucket.size(); ++i) {
            AppendSample(out, family, "_bucket", body, les[i],
                         std::to_string(m.histogram.bucket[i].cumulative_count));
          }
          AppendSample(out, family, "_sum", body, "", number(m.histogram.sample_sum));
          AppendSample(out, family, "_count", body, "", std::to_string(m.histogram.sample_count));
          break;
        case prometheus::MetricType::Summary:
          for (const auto& q : m.summary.quantile) {
            le.assign("quantile=\"").append(number(q.quantile)).append("\"");
            AppendSample(out, family, "", body, le, number(q.value));
          }
          AppendSample(out, family, "_sum", body, "", number(m.summary.sample_sum));
          AppendSample(out, family, "_count", body, "", std::to_string(m.summary.sample_count));
          break;
        default:
          AppendSample(out, family, "", body, "", number(m.untyped.value));
          break;
      }
    }
  }
  if (om) {
    out += "# EOF\n";
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
  Family<Gauge>* interval = nullptr;
  Family<Gauge>* last_scan = nullptr;
  Family<Counter>* failures = nullptr;
  Family<Histogram>* time_to_restore = nullptr;
  Family<Counter>* registry_requests = nullptr;
  Family<Counter>* registry_rate_limited = nullptr;
  Family<Histogram>* detection = nullptr;
  Family<Histogram>* lead_time_stage = nullptr;
  Family<Histogram>* lead_time = nullptr;
  Family<Counter>* git_pushes = nullptr;
  Family<Counter>* webhook_requests = nullptr;
  Family<Counter>* webhook_events = nullptr;
  Family<Counter>* webhook_scans = nullptr;
  Family<Gauge>* webhook_last_event = nullptr;
  Family<Gauge>* webhook_silent = nullptr;
  Family<Gauge>* leader = nullptr;
  Family<Counter>* rest_requests = nullptr;
  Family<Gauge>* queue_depth = nullptr;
  Family<Counter>* queue_adds = nullptr;
  Family<Histogram>* queue_latency = nullptr;
  Family<Histogram>* queue_work = nullptr;
  Family<Gauge>* queue_unfinished = nullptr;
  Family<Gauge>* queue_longest = nullptr;
  Family<Counter>* queue_retries = nullptr;

  const Clock* clock = nullptr;
  std::vector<std::string> queue_names;
  std::unique_ptr<runtime::WorkQueueMetrics> queue_observer;

  // The size of the last exposition, to allocate the next one at once.
  std::atomic<std::size_t> last_size{0};

  std::mutex mu;
  std::set<std::string> controllers;  // whose reconcile_total results are initialised
  // Per object: the series to drop when it is deleted.
  struct ObjectSeries {
    std::vector<std::pair<Family<Histogram>*, Histogram*>> histograms;
    std::vector<std::pair<Family<Gauge>*, Gauge*>> gauges;
    std::vector<std::pair<Family<Counter>*, Counter*>> counters;
    // Since when Ready has been False (cleared when it is True again).
    std::optional<std::chrono::steady_clock::time_point> not_ready_since;
  };
  std::map<std::tuple<std::string, std::string, std::string>, ObjectSeries> objects;
  std::map<std::pair<std::string, std::string>, Gauge*> policy_info_series;

  // Per queue name: its series, and the keys being worked on with their start.
  struct QueueSeries {
    Gauge* depth = nullptr;
    Counter* adds = nullptr;
    Histogram* latency = nullptr;
    Histogram* work = nullptr;
    Gauge* unfinished = nullptr;
    Gauge* longest = nullptr;
    Counter* retries = nullptr;
    std::map<std::string, std::chrono::steady_clock::time_point> running;
  };
  std::map<std::string, QueueSeries> queues;

  // Per webhook receiver label value: its series; configured ones also their silence.
  struct ReceiverSeries {
    bool configured = false;
    std::chrono::nanoseconds silent_after{0};
    std::chrono::steady_clock::time_point quiet_since{};  // configured, or the last event
    std::map<std::string, Counter*> requests;             // by code
    Counter* events = nullptr;
    Counter* scans = nullptr;
    Gauge* last_event = nullptr;
    Gauge* silent = nullptr;
  };
  std::map<std::string, ReceiverSeries> receivers;

  // The queue's series, created at zero on first use (with those of every queue_names entry).
  // Requires mu.
  QueueSeries& Queue(const std::string& name) {
    if (queues.empty()) {
      for (const std::string& known : queue_names) {
        CreateQueue(known);
      }
    }
    auto it = queues.find(name);
    return it != queues.end() ? it->second : CreateQueue(name);
  }
  QueueSeries& CreateQueue(const std::string& name) {
    QueueSeries& q = queues[name];
    if (q.depth != nullptr) {
      return q;
    }
    const prometheus::Labels labels = {{"controller", name}, {"name", name}};
    q.depth = &queue_depth->Add(labels);
    q.adds = &queue_adds->Add(labels);
    q.latency = &queue_latency->Add(labels, Histogram::BucketBoundaries(WorkQueueBuckets()));
    q.work = &queue_work->Add(labels, Histogram::BucketBoundaries(WorkQueueBuckets()));
    q.unfinished = &queue_unfinished->Add(labels);
    q.longest = &queue_longest->Add(labels);
    q.retries = &queue_retries->Add(labels);
    return q;
  }

  // The receiver's event series (created at zero). Requires mu.
  ReceiverSeries& ReceiverEvents(const std::string& receiver) {
    ReceiverSeries& r = receivers[receiver];
    if (r.events == nullptr) {
      const prometheus::Labels labels = {{"receiver", receiver}};
      r.events = &webhook_events->Add(labels);
      r.scans = &webhook_scans->Add(labels);
      r.last_event = &webhook_last_event->Add(labels);
    }
    return r;
  }

  void DropReceiver(ReceiverSeries& r) {
    for (auto& [code, counter] : r.requests) {
      webhook_requests->Remove(counter);
    }
    if (r.events != nullptr) {
      webhook_events->Remove(r.events);
      webhook_scans->Remove(r.scans);
      webhook_last_event->Remove(r.last_event);
    }
    if (r.silent != nullptr) {
      webhook_silent->Remove(r.silent);
    }
  }

  // Sets the gauges computed at scrape time. Requires mu.
  void RefreshComputed() {
    const auto now = clock->Monotonic();
    for (auto& [name, q] : queues) {
      double total = 0;
      double longest = 0;
      for (const auto& [key, started] : q.running) {
        const double running = NonNegativeSeconds(now - started);
        total += running;
        longest = std::max(longest, running);
      }
      q.unfinished->Set(total);
      q.longest->Set(longest);
    }
    for (auto& [name, r] : receivers) {
      if (r.silent != nullptr) {
        const bool silent = r.silent_after.count() > 0 && now - r.quiet_since > r.silent_after;
        r.silent->Set(silent ? 1 : 0);
      }
    }
  }

  template <typename T>
  T& Series(Family<T>* family, const prometheus::Labels& labels, ObjectSeries* owner,
            std::vector<std::pair<Family<T>*, T*>> ObjectSeries::*list) {
    const bool existed = family->Has(labels);
    T& metric = family->Add(labels);
    if (!existed && owner != nullptr) (owner->*list).push_back({family, &metric});
    return metric;
  }
  // Removes the series `labels` of `family` (and from the object's list) when it exists.
  template <typename T>
  void DropSeries(Family<T>* family, const prometheus::Labels& labels, ObjectSeries* owner,
                  std::vector<std::pair<Family<T>*, T*>> ObjectSeries::*list) {
    if (!family->Has(labels)) return;
    T* metric = &family->Add(labels);
    if (owner != nullptr) std::erase(owner->*list, std::pair<Family<T>*, T*>{family, metric});
    family->Remove(metric);
  }
  Histogram& HistogramSeries(Family<Histogram>* family, const prometheus::Labels& labels,
                             const std::vector<double>& buckets, ObjectSeries* owner) {
    const bool existed = family->Has(labels);
    Histogram& metric = family->Add(labels, Histogram::BucketBoundaries(buckets));
    if (!existed && owner != nullptr) owner->histograms.push_back({family, &metric});
    return metric;
  }
};

namespace {

// workqueue_* from a WorkQueue's reports.
class QueueObserver final : public runtime::WorkQueueMetrics {
 public:
  explicit QueueObserver(PrometheusMetrics::State& state) : s_(state) {}

  void Added(const std::string& name) override {
    std::lock_guard<std::mutex> lock(s_.mu);
    s_.Queue(name).adds->Increment();
  }
  void Depth(const std::string& name, std::size_t depth) override {
    std::lock_guard<std::mutex> lock(s_.mu);
    s_.Queue(name).depth->Set(static_cast<double>(depth));
  }
  void Started(const std::string& name, const std::string& key,
               std::chrono::nanoseconds queued_for) override {
    std::lock_guard<std::mutex> lock(s_.mu);
    PrometheusMetrics::State::QueueSeries& q = s_.Queue(name);
    q.latency->Observe(NonNegativeSeconds(queued_for));
    q.running.insert_or_assign(key, s_.clock->Monotonic());
  }
  void Finished(const std::string& name, const std::string& key,
                std::chrono::nanoseconds worked_for) override {
    std::lock_guard<std::mutex> lock(s_.mu);
    PrometheusMetrics::State::QueueSeries& q = s_.Queue(name);
    q.work->Observe(NonNegativeSeconds(worked_for));
    q.running.erase(key);
  }
  void Retried(const std::string& name) override {
    std::lock_guard<std::mutex> lock(s_.mu);
    s_.Queue(name).retries->Increment();
  }

 private:
  PrometheusMetrics::State& s_;
};

const SystemClock& DefaultClock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace

PrometheusMetrics::PrometheusMetrics(PrometheusMetricsOptions options)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.process_metrics = options.process_metrics;
  s.clock = options.clock != nullptr ? options.clock : &DefaultClock();
  s.queue_names = options.queue_names;
  s.queue_observer = std::make_unique<QueueObserver>(s);
  auto& r = *s.registry;
  s.duration = &prometheus::BuildHistogram()
                    .Name("gotk_reconcile_duration_seconds")
                    .Help("How long each reconcile of an image.toolkit.fluxcd.io object took, in seconds.")
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
                           .Help("Reconciles per controller and result.")
                           .Register(r);
  s.reconcile_errors = &prometheus::BuildCounter()
                            .Name("controller_runtime_reconcile_errors_total")
                            .Help("Reconciles per controller that returned an error.")
                            .Register(r);
  s.reconcile_time = &prometheus::BuildHistogram()
                          .Name("controller_runtime_reconcile_time_seconds")
                          .Help("Seconds each reconcile took, per controller.")
                          .Register(r);
  s.policy_info = &prometheus::BuildGauge()
                       .Name("imgauto_image_policy_info")
                       .Help("The latest image an ImagePolicy selected (value 1; one series per "
                             "policy).")
                       .Register(r);
  s.interval = &prometheus::BuildGauge()
                    .Name("imgauto_reconcile_interval_seconds")
                    .Help("spec.interval of each object that has one, in seconds.")
                    .Register(r);
  s.last_scan = &prometheus::BuildGauge()
                     .Name("imgauto_image_repository_last_scan_timestamp_seconds")
                     .Help("Unix time of each ImageRepository's last successful scan "
                           "(status.lastScanResult.scanTime).")
                     .Register(r);
  s.failures = &prometheus::BuildCounter()
                    .Name("imgauto_reconcile_failures_total")
                    .Help("Failed reconciliations by kind and Ready reason.")
                    .Register(r);
  s.time_to_restore = &prometheus::BuildHistogram()
                           .Name("imgauto_time_to_restore_seconds")
                           .Help("Time from an object's Ready condition turning False to it "
                                 "being True again.")
                           .Register(r);
  s.registry_requests = &prometheus::BuildCounter()
                             .Name("imgauto_registry_requests_total")
                             .Help("HTTP requests to container registries by registry host and "
                                   "status code (\"error\" when no answer arrived).")
                             .Register(r);
  s.registry_rate_limited = &prometheus::BuildCounter()
                                 .Name("imgauto_registry_rate_limited_total")
                                 .Help("429 Too Many Requests answers from container registries.")
                                 .Register(r);
  s.detection = &prometheus::BuildHistogram()
                     .Name("imgauto_image_detection_latency_seconds")
                     .Help("Time from an image push to the scan that saw its tag, by source "
                           "(webhook or poll).")
                     .Register(r);
  s.lead_time_stage = &prometheus::BuildHistogram()
                           .Name("imgauto_lead_time_stage_seconds")
                           .Help("Lead time stages: detect (image pushed to detected), commit "
                                 "(detected to committed), push (committed to pushed to git).")
                           .Register(r);
  s.lead_time = &prometheus::BuildHistogram()
                     .Name("imgauto_lead_time_seconds")
                     .Help("Time from an image push to the git push that deployed it.")
                     .Register(r);
  // The delivery histograms exist at zero from the start, so that increase()/rate() count the
  // first observation after a restart too.
  for (const char* source : {"webhook", "poll"}) {
    s.HistogramSeries(s.detection, {{"source", source}}, LatencyBuckets(), nullptr);
    s.HistogramSeries(s.lead_time, {{"source", source}}, LatencyBuckets(), nullptr);
    for (const char* stage : {"detect", "commit", "push"}) {
      s.HistogramSeries(s.lead_time_stage, {{"stage", stage}, {"source", source}},
                        LatencyBuckets(), nullptr);
    }
  }
  for (const char* kind : {"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"}) {
    s.HistogramSeries(s.time_to_restore, {{"kind", kind}}, LatencyBuckets(), nullptr);
  }
  s.git_pushes = &prometheus::BuildCounter()
                      .Name("imgauto_git_pushes_total")
                      .Help("Git push attempts of ImageUpdateAutomations by result.")
                      .Register(r);
  s.git_pushes->Add({{"result", "success"}});
  s.git_pushes->Add({{"result", "failure"}});
  s.webhook_requests = &prometheus::BuildCounter()
                            .Name("imgauto_webhook_requests_total")
                            .Help("HTTP requests to webhook receivers by receiver and status "
                                  "code.")
                            .Register(r);
  s.webhook_events = &prometheus::BuildCounter()
                          .Name("imgauto_webhook_events_total")
                          .Help("Valid push events accepted by webhook receivers.")
                          .Register(r);
  s.webhook_scans = &prometheus::BuildCounter()
                         .Name("imgauto_webhook_scans_triggered_total")
                         .Help("ImageRepository scans requested by webhook receivers.")
                         .Register(r);
  s.webhook_last_event = &prometheus::BuildGauge()
                              .Name("imgauto_webhook_last_event_timestamp_seconds")
                              .Help("Unix time of a receiver's last valid event (0: never).")
                              .Register(r);
  s.webhook_silent = &prometheus::BuildGauge()
                          .Name("imgauto_webhook_silent")
                          .Help("1 when a receiver has had no valid event for longer than the "
                                "longest poll interval of the ImageRepositories it covers.")
                          .Register(r);
  s.leader = &prometheus::BuildGauge()
                  .Name("leader_election_master_status")
                  .Help("1 while this replica holds the named Lease, 0 while it waits.")
                  .Register(r);
  s.rest_requests = &prometheus::BuildCounter()
                         .Name("rest_client_requests_total")
                         .Help("Kubernetes API requests by status code (<error> when none), method and host.")
                         .Register(r);
  s.queue_depth = &prometheus::BuildGauge()
                       .Name("workqueue_depth")
                       .Help("Keys waiting in the work queue.")
                       .Register(r);
  s.queue_adds = &prometheus::BuildCounter()
                      .Name("workqueue_adds_total")
                      .Help("Keys added to the work queue.")
                      .Register(r);
  s.queue_latency = &prometheus::BuildHistogram()
                         .Name("workqueue_queue_duration_seconds")
                         .Help("Seconds a key waited in the work queue before a worker took it.")
                         .Register(r);
  s.queue_work = &prometheus::BuildHistogram()
                      .Name("workqueue_work_duration_seconds")
                      .Help("Seconds a worker spent on a key.")
                      .Register(r);
  s.queue_unfinished = &prometheus::BuildGauge()
                            .Name("workqueue_unfinished_work_seconds")
                            .Help("Seconds of work in progress not yet counted in workqueue_work_duration_seconds; steady growth means a stuck worker.")
                            .Register(r);
  s.queue_longest = &prometheus::BuildGauge()
                         .Name("workqueue_longest_running_processor_seconds")
                         .Help("Seconds the longest-running worker has been on its current key.")
                         .Register(r);
  s.queue_retries = &prometheus::BuildCounter()
                         .Name("workqueue_retries_total")
                         .Help("Keys re-added to the work queue after a delay (backoff or requeue).")
                         .Register(r);
  prometheus::BuildGauge()
      .Name("imgauto_build_info")
      .Help("Always 1; the version label is the imgauto version.")
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

  if (record.interval.count() > 0) {
    s.Series(s.interval, object, &owner, &State::ObjectSeries::gauges)
        .Set(Seconds(record.interval));
  } else {
    // No interval (any more): a stale one would feed "not scanned for 3 intervals".
    s.DropSeries(s.interval, object, &owner, &State::ObjectSeries::gauges);
  }
  if (record.last_scan) {
    s.Series(s.last_scan, {{"name", record.name}, {"namespace", record.ns}}, &owner,
             &State::ObjectSeries::gauges)
        .Set(std::chrono::duration<double>(record.last_scan->time_since_epoch()).count());
  }

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
  // Time to restore: from the first False (after True, Unknown or nothing seen) to True.
  const auto now = s.clock->Monotonic();
  if (status == "False" && !owner.not_ready_since) {
    owner.not_ready_since = now;
  } else if (status == "True" && owner.not_ready_since) {
    s.HistogramSeries(s.time_to_restore, {{"kind", record.kind}}, LatencyBuckets(), nullptr)
        .Observe(NonNegativeSeconds(now - *owner.not_ready_since));
    owner.not_ready_since.reset();
  }
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

void PrometheusMetrics::RecordRegistryRequest(const std::string& registry, int code) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.registry_requests
      ->Add({{"registry", registry}, {"code", code == 0 ? "error" : std::to_string(code)}})
      .Increment();
  Counter& limited = s.registry_rate_limited->Add({{"registry", registry}});
  if (code == 429) {
    limited.Increment();
  }
}

void PrometheusMetrics::RecordDetection(const std::string& source,
                                        std::chrono::nanoseconds latency) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.HistogramSeries(s.detection, {{"source", source}}, LatencyBuckets(), nullptr)
      .Observe(NonNegativeSeconds(latency));
}

void PrometheusMetrics::RecordLeadTime(const std::string& source, std::chrono::nanoseconds detect,
                                       std::chrono::nanoseconds commit,
                                       std::chrono::nanoseconds push) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  const std::pair<const char*, std::chrono::nanoseconds> stages[] = {
      {"detect", detect}, {"commit", commit}, {"push", push}};
  double total = 0;
  for (const auto& [stage, duration] : stages) {
    const double seconds = NonNegativeSeconds(duration);
    total += seconds;
    s.HistogramSeries(s.lead_time_stage, {{"stage", stage}, {"source", source}}, LatencyBuckets(),
                      nullptr)
        .Observe(seconds);
  }
  s.HistogramSeries(s.lead_time, {{"source", source}}, LatencyBuckets(), nullptr).Observe(total);
}

void PrometheusMetrics::RecordGitPush(bool success) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  Counter& succeeded = s.git_pushes->Add({{"result", "success"}});
  Counter& failed = s.git_pushes->Add({{"result", "failure"}});
  (success ? succeeded : failed).Increment();
}

void PrometheusMetrics::SetWebhookReceivers(std::vector<runtime::WebhookReceiverInfo> receivers) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  std::set<std::string> wanted;
  for (const runtime::WebhookReceiverInfo& info : receivers) {
    wanted.insert(info.receiver);
  }
  for (auto it = s.receivers.begin(); it != s.receivers.end();) {
    if (it->second.configured && !wanted.contains(it->first)) {
      s.DropReceiver(it->second);
      it = s.receivers.erase(it);
    } else {
      ++it;
    }
  }
  const auto now = s.clock->Monotonic();
  for (const runtime::WebhookReceiverInfo& info : receivers) {
    State::ReceiverSeries& r = s.ReceiverEvents(info.receiver);
    if (!r.configured) {
      r.configured = true;
      r.quiet_since = now;
      r.silent = &s.webhook_silent->Add({{"receiver", info.receiver}});
    }
    r.silent_after = info.silent_after;
  }
}

void PrometheusMetrics::RecordWebhookRequest(const std::string& receiver, int code) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  const std::string label = code == 0 ? "error" : std::to_string(code);
  Counter*& counter = s.receivers[receiver].requests[label];
  if (counter == nullptr) {
    counter = &s.webhook_requests->Add({{"receiver", receiver}, {"code", label}});
  }
  counter->Increment();
}

void PrometheusMetrics::RecordWebhookEvent(const std::string& receiver, int events,
                                           int scans_triggered) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  State::ReceiverSeries& r = s.ReceiverEvents(receiver);
  if (events > 0) {
    r.events->Increment(events);
    r.quiet_since = s.clock->Monotonic();
    r.last_event->Set(Seconds(s.clock->Now().time_since_epoch()));
  }
  if (scans_triggered > 0) {
    r.scans->Increment(scans_triggered);
  }
}

void PrometheusMetrics::SetLeader(const std::string& election_id, bool leading) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.leader->Add({{"name", election_id}}).Set(leading ? 1 : 0);
}

void PrometheusMetrics::RecordApiRequest(const std::string& method, const std::string& host,
                                         int code) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  s.rest_requests
      ->Add({{"code", code == 0 ? "<error>" : std::to_string(code)},
             {"host", host},
             {"method", method}})
      .Increment();
}

runtime::WorkQueueMetrics* PrometheusMetrics::work_queue_metrics() {
  return state_->queue_observer.get();
}

bool AcceptsOpenMetrics(std::string_view accept) {
  double openmetrics = 0;
  double text = 0;
  for (const std::string& range : Split(accept, ",")) {
    const std::vector<std::string> parts = Split(range, ";");
    const std::string media = AsciiLower(TrimSpace(parts[0]));
    double q = 1;
    std::string version;
    for (size_t i = 1; i < parts.size(); ++i) {
      const std::string_view param = TrimSpace(parts[i]);
      const size_t eq = param.find('=');
      if (eq == std::string_view::npos) {
        continue;
      }
      const std::string key = AsciiLower(TrimSpace(param.substr(0, eq)));
      std::string value(TrimSpace(param.substr(eq + 1)));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (key == "q") {
        double parsed = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
        q = ec == std::errc() && end == value.data() + value.size() ? parsed : 0;
      } else if (key == "version") {
        version = value;
      }
    }
    if (media == "application/openmetrics-text" && (version.empty() || version == "1.0.0")) {
      openmetrics = std::max(openmetrics, q);
    } else if (media == "text/plain" || media == "text/*" || media == "*/*") {
      text = std::max(text, q);
    }
  }
  return openmetrics > 0 && openmetrics >= text;
}

Route MetricsRoute(const PrometheusMetrics& metrics, bool openmetrics) {
  return {"GET", "/metrics", [&metrics, openmetrics](const ServerRequest& request) {
            ServerResponse r;
            if (openmetrics && AcceptsOpenMetrics(request.Header("Accept"))) {
              r.content_type = kOpenMetricsContentType;
              r.body = metrics.SerializeOpenMetrics();
            } else {
              r.content_type = kTextContentType;
              r.body = metrics.Serialize();
            }
            return r;
          }};
}

namespace {

std::vector<prometheus::MetricFamily> CollectAll(PrometheusMetrics::State& s) {
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.RefreshComputed();
  }
  std::vector<prometheus::MetricFamily> families = s.registry->Collect();
  if (s.process_metrics) {
    std::vector<prometheus::MetricFamily> process = s.process.Collect();
    families.insert(families.end(), std::make_move_iterator(process.begin()),
                    std::make_move_iterator(process.end()));
  }
  return families;
}

}  // namespace

std::string PrometheusMetrics::Serialize() const {
  std::string out = Render(CollectAll(*state_), Format::kText, state_->last_size);
  state_->last_size = out.size();
  return out;
}

std::string PrometheusMetrics::SerializeOpenMetrics() const {
  std::string out = Render(CollectAll(*state_), Format::kOpenMetrics, state_->last_size);
  state_->last_size = out.size();
  return out;
}

}  // namespace imgauto::metrics
