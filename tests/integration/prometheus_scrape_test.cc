// A real Prometheus (Debian's /usr/bin/prometheus) scrapes imgauto's /metrics endpoint served by
// metrics::HttpServer, and evaluates the shipped alert rules (manifests/monitoring/rules) against
// the scraped series: the exposition parses, the dashboard queries users write return data, and
// every rule evaluates without error.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/http/beast_client.h"
#include "core/runtime/reconcile_metrics.h"
#include "metrics/http_server.h"
#include "metrics/prometheus_metrics.h"
#include "tests/support/eventually.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/temp_dir.h"

namespace imgauto {
namespace {

using testing::Eventually;
using ::testing::HasSubstr;
using testing::PrometheusServer;

constexpr auto kWait = std::chrono::seconds(40);

const std::filesystem::path kRulesFile =
    std::filesystem::path(IMGAUTO_MANIFESTS_DIR) / "monitoring" / "rules" / "imgauto.rules.yml";

runtime::ReconcileRecord Record(std::string kind, std::string name, bool ready,
                                std::chrono::milliseconds duration) {
  runtime::ReconcileRecord record;
  record.kind = std::move(kind);
  record.ns = "apps";
  record.name = std::move(name);
  record.duration = duration;
  record.result = ready ? runtime::ReconcileResult::kSuccess : runtime::ReconcileResult::kError;
  record.conditions = {{"Ready", ready ? "True" : "False",
                        ready ? "Succeeded" : "ReconciliationFailed", "m", 1,
                        "2024-01-01T00:00:00Z"}};
  record.failure_reason = ready ? "" : "ReconciliationFailed";
  return record;
}

// The sample value of one instant-vector element, as a double (NaN when unparsable).
double SampleValue(const nlohmann::json& element) {
  if (!element.contains("value") || !element["value"].is_array() || element["value"].size() != 2 ||
      !element["value"][1].is_string()) {
    return std::nan("");
  }
  return std::stod(element["value"][1].get<std::string>());
}

// The set of `label` values in an instant-vector result.
std::set<std::string> LabelValues(const nlohmann::json& result, const std::string& label) {
  std::set<std::string> values;
  for (const nlohmann::json& element : result) {
    values.insert(element["metric"].value(label, ""));
  }
  return values;
}

// Group name -> "alerting:<alert>" / "recording:<record>" of every rule in a Prometheus rule file.
std::map<std::string, std::set<std::string>> RulesInFile(const std::filesystem::path& file) {
  std::map<std::string, std::set<std::string>> rules;
  YAML::Node root = YAML::LoadFile(file.string());
  for (const YAML::Node& group : root["groups"]) {
    std::set<std::string>& names = rules[group["name"].as<std::string>()];
    for (const YAML::Node& rule : group["rules"]) {
      names.insert(rule["alert"] ? "alerting:" + rule["alert"].as<std::string>()
                                 : "recording:" + rule["record"].as<std::string>());
    }
  }
  return rules;
}

// The in-process metrics endpoint: PrometheusMetrics behind metrics::HttpServer on 127.0.0.1:0,
// plus a thread that keeps recording reconciles (so rate() over the histograms is non-zero).
class PrometheusScrapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    IMGAUTO_REQUIRE_PROMETHEUS();
    metrics_ = std::make_unique<metrics::PrometheusMetrics>(
        metrics::PrometheusMetricsOptions{.version = "scrape-test", .process_metrics = true});
    Result<std::unique_ptr<metrics::HttpServer>> server =
        metrics::HttpServer::Start({.address = "127.0.0.1:0"}, {metrics::MetricsRoute(*metrics_)});
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
    RecordRound();
    recorder_ = std::jthread([this](std::stop_token stop) {
      while (!stop.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        RecordRound();
      }
    });
  }

  void TearDown() override {
    if (recorder_.joinable()) {
      recorder_.request_stop();
      recorder_.join();
    }
  }

  // Every object reconciles in 250 ms; apps/broken fails.
  void RecordRound() {
    constexpr auto kDuration = std::chrono::milliseconds(250);
    metrics_->RecordReconcile(Record("ImageRepository", "web", true, kDuration));
    metrics_->RecordReconcile(Record("ImagePolicy", "web", true, kDuration));
    metrics_->RecordReconcile(Record("ImagePolicy", "broken", false, kDuration));
    metrics_->RecordReconcile(Record("ImageUpdateAutomation", "fleet", true, kDuration));
    metrics_->RecordPolicyEvaluation("apps", "web", true, "ghcr.io/acme/web", "1.2.3");
    metrics_->RecordAutomationRun("apps", "fleet", "pushed");
    if (with_suspended_.load()) {
      runtime::ReconcileRecord paused = Record("ImageUpdateAutomation", "paused", true, kDuration);
      paused.suspended = true;
      metrics_->RecordReconcile(paused);
    }
  }

  std::string target() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<metrics::PrometheusMetrics> metrics_;
  std::unique_ptr<metrics::HttpServer> server_;
  std::atomic<bool> with_suspended_{false};
  std::jthread recorder_;
};

TEST_F(PrometheusScrapeTest, ScrapesMetricsAndEvaluatesAlertRules) {
  // The endpoint answers before Prometheus is involved (a failure here is ours, not the scrape's).
  Result<http::HttpClientPtr> client =
      http::BeastHttpClient::Create({.proxy_from_environment = false});
  ASSERT_TRUE(client) << client.error().message();
  Result<http::Response> scraped = (*client)->Send({.method = "GET",
                                                    .url = "http://" + target() + "/metrics",
                                                    .headers = {},
                                                    .body = "",
                                                    .deadline = std::nullopt});
  ASSERT_TRUE(scraped) << scraped.error().message();
  ASSERT_EQ(scraped->status, 200);
  EXPECT_THAT(scraped->body, HasSubstr("gotk_reconcile_duration_seconds_bucket{"));

  ASSERT_TRUE(std::filesystem::exists(kRulesFile)) << kRulesFile;
  Result<std::unique_ptr<PrometheusServer>> started =
      PrometheusServer::Start({.targets = {target()}, .rule_files = {kRulesFile}});
  ASSERT_TRUE(started) << started.error().message();
  PrometheusServer& prometheus = **started;

  // The target is scraped successfully: the exposition parses.
  ASSERT_TRUE(Eventually(
      [&] {
        Result<bool> up = prometheus.TargetsUp();
        return up && *up;
      },
      kWait))
      << prometheus.ActiveTargets().value_or(nlohmann::json()).dump() << "\n"
      << prometheus.Logs();
  Result<nlohmann::json> up = prometheus.QueryUntilData("up{job=\"imgauto\"} == 1", kWait);
  ASSERT_TRUE(up) << up.error().message();
  ASSERT_EQ(up->size(), 1u) << up->dump();
  EXPECT_EQ((*up)[0]["metric"].value("instance", ""), target());

  // Flux's Ready series, one per healthy object.
  Result<nlohmann::json> ready = prometheus.QueryUntilData(
      R"(gotk_reconcile_condition{type="Ready",status="True"} == 1)", kWait);
  ASSERT_TRUE(ready) << ready.error().message();
  EXPECT_EQ(LabelValues(*ready, "kind"),
            (std::set<std::string>{"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"}))
      << ready->dump();
  EXPECT_EQ(LabelValues(*ready, "name"), (std::set<std::string>{"web", "fleet"})) << ready->dump();
  Result<nlohmann::json> not_ready = prometheus.QueryUntilData(
      R"(gotk_reconcile_condition{type="Ready",status="False"} == 1)", kWait);
  ASSERT_TRUE(not_ready) << not_ready.error().message();
  ASSERT_EQ(not_ready->size(), 1u) << not_ready->dump();
  EXPECT_EQ((*not_ready)[0]["metric"].value("name", ""), "broken");

  // The p95 reconcile duration from Flux's histogram: every observation is 250 ms, so the
  // quantile interpolates inside the bucket (0.147…, 0.564…]. rate() needs two scrapes that saw
  // the counters grow, hence the polling until the value is a number.
  const std::string p95 =
      "histogram_quantile(0.95, sum by (le) (rate(gotk_reconcile_duration_seconds_bucket[1m])))";
  nlohmann::json quantile;
  ASSERT_TRUE(Eventually(
      [&] {
        Result<nlohmann::json> result = prometheus.Query(p95);
        if (!result) {
          quantile = result.error().message();
          return false;
        }
        quantile = *result;
        return quantile.size() == 1 && std::isfinite(SampleValue(quantile[0]));
      },
      kWait))
      << quantile.dump();
  const double p95_seconds = SampleValue(quantile[0]);
  EXPECT_GT(p95_seconds, 0.1471764538093883);
  EXPECT_LE(p95_seconds, 0.5646216173286169);

  // Per-controller reconcile rate from controller-runtime's counter.
  Result<nlohmann::json> rates = prometheus.QueryUntilData(
      "sum by (controller) (rate(controller_runtime_reconcile_total[1m])) > 0", kWait);
  ASSERT_TRUE(rates) << rates.error().message();
  EXPECT_EQ(LabelValues(*rates, "controller"),
            (std::set<std::string>{"imagerepository", "imagepolicy", "imageupdateautomation"}))
      << rates->dump();

  // A malformed expression is reported as such, with Prometheus's parser message.
  Result<nlohmann::json> bad =
      prometheus.Query("sum(rate(gotk_reconcile_duration_seconds_bucket[1m])");
  ASSERT_FALSE(bad) << bad->dump();
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidSpec) << bad.error().message();
  EXPECT_THAT(bad.error().message(), HasSubstr("parse error"));

  // The shipped alert rules loaded and evaluate without error against the scraped series, and
  // the failing policy makes ImageAutomationReconciliationFailing pending (its `for` is 15m).
  nlohmann::json groups;
  ASSERT_TRUE(Eventually(
      [&] {
        Result<nlohmann::json> rules = prometheus.Rules();
        if (!rules) {
          groups = rules.error().message();
          return false;
        }
        groups = *rules;
        if (!groups.is_array() || groups.empty()) return false;
        for (const nlohmann::json& group : groups) {
          for (const nlohmann::json& rule : group.value("rules", nlohmann::json::array())) {
            if (rule.value("health", "") != "ok") return false;
          }
        }
        return true;
      },
      kWait))
      << groups.dump(2);
  // Prometheus loaded exactly the groups and rules of the file (which other changes may extend).
  std::map<std::string, std::set<std::string>> loaded;
  for (const nlohmann::json& group : groups) {
    EXPECT_EQ(group.value("file", ""), std::filesystem::absolute(kRulesFile).string());
    std::set<std::string>& names = loaded[group.value("name", "")];
    for (const nlohmann::json& rule : group.value("rules", nlohmann::json::array())) {
      names.insert(rule.value("type", "") + ":" + rule.value("name", ""));
      EXPECT_EQ(rule.value("lastError", ""), "") << rule.dump(2);
    }
  }
  const std::map<std::string, std::set<std::string>> in_file = RulesInFile(kRulesFile);
  EXPECT_EQ(loaded, in_file);
  ASSERT_TRUE(in_file.contains("imgauto"));
  EXPECT_TRUE(in_file.at("imgauto").contains("alerting:ImageAutomationReconciliationFailing"));

  nlohmann::json pending;
  ASSERT_TRUE(Eventually(
      [&] {
        Result<nlohmann::json> alerts = prometheus.Query(
            R"(ALERTS{alertname="ImageAutomationReconciliationFailing",alertstate="pending"})");
        if (!alerts) return false;
        pending = *alerts;
        return !pending.empty();
      },
      kWait))
      << prometheus.Rules().value_or(nlohmann::json()).dump(2);
  ASSERT_EQ(pending.size(), 1u) << pending.dump();
  EXPECT_EQ(pending[0]["metric"].value("kind", ""), "ImagePolicy");
  EXPECT_EQ(pending[0]["metric"].value("namespace", ""), "apps");
  EXPECT_EQ(pending[0]["metric"].value("name", ""), "broken");
  EXPECT_EQ(pending[0]["metric"].value("severity", ""), "warning");
}

TEST(PrometheusServerTest, BadExpressionIsInvalidSpecAndNoTargetsIsNotUp) {
  IMGAUTO_REQUIRE_PROMETHEUS();
  Result<std::unique_ptr<PrometheusServer>> started = PrometheusServer::Start({});
  ASSERT_TRUE(started) << started.error().message();
  PrometheusServer& prometheus = **started;
  EXPECT_GT(prometheus.port(), 0);

  Result<nlohmann::json> bad = prometheus.Query("rate(up[1m]");
  ASSERT_FALSE(bad) << bad->dump();
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_THAT(bad.error().message(), HasSubstr("parse error"));
  // A valid expression over no data is an empty result, not an error.
  Result<nlohmann::json> empty = prometheus.Query("gotk_reconcile_condition");
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_TRUE(empty->is_array() && empty->empty()) << empty->dump();
  // Characters that need escaping in a query string survive the round trip.
  Result<nlohmann::json> scalar = prometheus.Query("1 + 2 * 3 == bool 7");
  ASSERT_TRUE(scalar) << scalar.error().message();
  ASSERT_TRUE(scalar->is_array() && scalar->size() == 2) << scalar->dump();
  EXPECT_EQ((*scalar)[1], "1");

  // No targets configured: never "all up".
  Result<bool> up = prometheus.TargetsUp();
  ASSERT_TRUE(up) << up.error().message();
  EXPECT_FALSE(*up);
  Result<nlohmann::json> groups = prometheus.Rules();
  ASSERT_TRUE(groups) << groups.error().message();
  EXPECT_TRUE(groups->empty()) << groups->dump();
}

TEST(PrometheusServerTest, StartFailureCarriesPrometheusStderr) {
  IMGAUTO_REQUIRE_PROMETHEUS();
  testing::TempDir dir("prom-bad-rules");
  std::filesystem::path rules = dir.Write("broken.rules.yml",
                                          "groups:\n  - name: broken\n    rules:\n"
                                          "      - alert: Broken\n        expr: sum(up\n");
  Result<std::unique_ptr<PrometheusServer>> started =
      PrometheusServer::Start({.rule_files = {rules}});
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().kind(), ErrorKind::kTransient);
  EXPECT_THAT(started.error().message(), HasSubstr("broken.rules.yml"));
}

// ../shared/docs/user-queries.md: what teams running Flux image automation query today. Each
// expression must return data for the image kinds with imgauto in place of Flux's controllers.
TEST_F(PrometheusScrapeTest, UserQueriesFromFluxRunbooksReturnData) {
  with_suspended_ = true;
  Result<std::unique_ptr<PrometheusServer>> started =
      PrometheusServer::Start({.targets = {target()}, .rule_files = {}});
  ASSERT_TRUE(started) << started.error().message();
  PrometheusServer& prometheus = **started;
  const std::vector<std::string> queries = {
      // dashboards
      R"(gotk_reconcile_condition{type="Ready", status="True"})",
      R"(histogram_quantile(0.95, gotk_reconcile_duration_bucket))",
      R"(rate(gotk_reconcile_condition{type="Ready", status="False"}[5m]))",
      R"(flux_reconciliation_duration_seconds)",
      R"(flux_reconciliation_success_total)",
      R"(flux_image_policy_evaluation_total)",
      R"(flux_image_automation_run_total)",
      // alert rules (FluxReconciliationFailure, FluxSuspended)
      R"(gotk_reconcile_condition{type="Ready", status="False"} == 1)",
      R"(gotk_suspend_status == 1)",
  };
  for (const std::string& query : queries) {
    Result<nlohmann::json> result = prometheus.QueryUntilData(query, kWait);
    ASSERT_TRUE(result) << query << ": " << result.error().message();
    EXPECT_FALSE(result->empty()) << query;
    // Every series the query returns is about an image kind (or has no kind at all, as
    // flux_image_* do).
    for (const nlohmann::json& element : *result) {
      const std::string kind = element["metric"].value("kind", "");
      EXPECT_TRUE(kind.empty() || kind == "ImageRepository" || kind == "ImagePolicy" ||
                  kind == "ImageUpdateAutomation")
          << query << ": " << element.dump();
    }
  }
  Result<nlohmann::json> suspended = prometheus.Query("gotk_suspend_status == 1");
  ASSERT_TRUE(suspended);
  ASSERT_EQ(suspended->size(), 1u) << suspended->dump();
  EXPECT_EQ((*suspended)[0]["metric"].value("name", ""), "paused");
}

}  // namespace
}  // namespace imgauto
