// PrometheusServer runs a real Prometheus server (Debian's /usr/bin/prometheus) on a free loopback
// port for integration tests: it scrapes the given targets at /metrics, loads rule files, and
// answers PromQL queries through the HTTP API, so tests can check that what imgauto exports is
// scrapeable and that the shipped alert rules evaluate against it.
//
//   IMGAUTO_REQUIRE_PROMETHEUS();
//   Result<std::unique_ptr<PrometheusServer>> prometheus =
//       PrometheusServer::Start({.targets = {"127.0.0.1:" + std::to_string(metrics_port)}});
//   ASSERT_TRUE(prometheus) << prometheus.error().message();
//   Result<nlohmann::json> series = (*prometheus)->QueryUntilData(
//       R"(gotk_reconcile_condition{type="Ready"})", std::chrono::seconds(30));
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/http/client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace imgauto::testing {

struct PrometheusOptions {
  // "127.0.0.1:<port>" of each endpoint to scrape at /metrics (one job, "imgauto").
  std::vector<std::string> targets{};
  // Prometheus durations; the scrape timeout equals the scrape interval.
  std::string scrape_interval = "1s";
  std::string evaluation_interval = "1s";
  // Rule files (recording and alerting rules) to load, as absolute paths.
  std::vector<std::filesystem::path> rule_files{};
};

// One Prometheus process and its TSDB. Destruction stops the process and deletes everything. Not
// thread-safe; start one per test (from the test's main thread).
class PrometheusServer {
 public:
  static constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";

  // Returns "" when the prometheus binary is present, else a message naming it (tests skip).
  static std::string MissingTools();

  // Writes prometheus.yml, starts Prometheus on 127.0.0.1 and waits (up to 20 s) until
  // GET /-/ready answers 200. Retries with another port when the chosen one was taken meanwhile.
  // Errors: kNotFound when the binary is missing; kTransient when it did not become ready (with
  // the tail of its stderr).
  static Result<std::unique_ptr<PrometheusServer>> Start(PrometheusOptions options);

  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>".
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const PrometheusOptions& options() const { return options_; }

  // Runs an instant query (evaluated now) and returns data.result: for a vector a JSON array of
  // {"metric": {...}, "value": [time, "value"]}. Errors: kInvalidSpec with Prometheus's "error"
  // text when the expression is malformed (errorType "bad_data"); otherwise the kind of the HTTP
  // status (ErrorKindForStatus), or kTransient for transport failures.
  Result<nlohmann::json> Query(std::string_view promql);

  // Repeats Query every 200 ms until its result is non-empty or `timeout` passes, and returns the
  // last result (possibly empty). Query errors are returned at once, except transient ones.
  Result<nlohmann::json> QueryUntilData(std::string_view promql, std::chrono::milliseconds timeout);

  // True when Prometheus lists at least one active target and every active target has health
  // "up". Targets appear a few seconds after start (service discovery batches updates).
  Result<bool> TargetsUp();

  // GET /api/v1/targets: data.activeTargets (for failure messages: lastError, health).
  Result<nlohmann::json> ActiveTargets();

  // GET /api/v1/rules: data.groups, each with its rules' "health" ("ok", "err", "unknown" before
  // the first evaluation) and "lastError".
  Result<nlohmann::json> Rules();

  // The last `max_bytes` of Prometheus's stderr (for failure messages).
  std::string Logs(std::size_t max_bytes = 4000) const;

 private:
  PrometheusServer() = default;
  Result<void> Launch();
  // GETs `path_and_query` and returns the "data" member of a "success" answer.
  Result<nlohmann::json> GetData(const std::string& path_and_query);

  PrometheusOptions options_;
  std::unique_ptr<TempDir> dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
  http::HttpClientPtr client_;
};

// Percent-encodes `text` for a URL query component (everything but A-Z a-z 0-9 - _ . ~).
std::string UrlQueryEscape(std::string_view text);

}  // namespace imgauto::testing

// Skips the current test when Prometheus is not installed. Must be used in a test body (or SetUp).
// In CI it is installed by scripts/install-deps.sh, so the skip is loud.
#define IMGAUTO_REQUIRE_PROMETHEUS()                                                    \
  do {                                                                                  \
    std::string imgauto_missing = ::imgauto::testing::PrometheusServer::MissingTools(); \
    if (!imgauto_missing.empty()) {                                                     \
      GTEST_SKIP() << "Prometheus integration test skipped: " << imgauto_missing        \
                   << " (install with scripts/install-deps.sh)";                        \
    }                                                                                   \
  } while (false)
