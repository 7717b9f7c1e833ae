// Reading a running imgauto's /metrics in integration tests: one GET, and the value of a series
// picked out of the text exposition.
//
//   const std::string text = ScrapeMetrics("127.0.0.1:8080");
//   std::optional<double> n = MetricSample(text, "workqueue_depth{controller=\"imagepolicy\"");
#pragma once

#include <optional>
#include <string>

namespace imgauto::testing {

// GET http://<address>/metrics (10 s timeout, no proxy): the body, or "" unless it answered 200.
std::string ScrapeMetrics(const std::string& address);

// The value of the first sample in a Prometheus text exposition whose line starts with `series`
// (a full `name{labels}` or a prefix such as `name{`).
std::optional<double> MetricSample(const std::string& exposition, const std::string& series);

}  // namespace imgauto::testing
