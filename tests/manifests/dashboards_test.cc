// Checks the Grafana dashboards and the alert rules in manifests/monitoring without Grafana or
// Prometheus: every dashboard parses, has a unique uid and title, a Prometheus `datasource`
// variable that every panel and target uses, targets with non-empty expressions, defined
// variables only, and a layout without overlaps; every metric name in any rule or panel
// expression is one imgauto exports; the dashboards cover the issue-5 metric families; and
// scripts/promql-exprs.sh (the expression list the Prometheus integration test queries) extracts
// exactly the expressions found here. The *CheckTest suites feed broken input to each checker.
// tests/monitoring/promtool_test.sh checks with promtool that the expressions parse.
//
//   build/dev/tests/manifests_test --gtest_filter='Dashboard*:Promql*'
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace imgauto {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using Errors = std::vector<std::string>;

const fs::path kMonitoringDir = fs::path(IMGAUTO_MANIFESTS_DIR) / "monitoring";
const fs::path kExprsScript =
    fs::path(IMGAUTO_MANIFESTS_DIR).parent_path() / "scripts" / "promql-exprs.sh";
constexpr std::string_view kDatasourceUid = "${datasource}";

// Counters and gauges imgauto exports (README "Metrics" and the issue-5 families), by exact name.
const std::set<std::string>& PlainMetrics() {
  static const std::set<std::string> names = {
      // Flux and its compatibility series.
      "gotk_reconcile_condition", "gotk_suspend_status", "flux_reconciliation_duration_seconds",
      "flux_reconciliation_success_total", "flux_image_policy_evaluation_total",
      "flux_image_automation_run_total",
      // controller-runtime and client-go.
      "controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total",
      "workqueue_depth", "workqueue_adds_total", "workqueue_unfinished_work_seconds",
      "workqueue_longest_running_processor_seconds", "workqueue_retries_total",
      "rest_client_requests_total", "leader_election_master_status",
      // Process collector.
      "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
      "process_start_time_seconds", "process_open_fds", "process_max_fds",
      // imgauto's own.
      "imgauto_build_info", "imgauto_image_policy_info", "imgauto_reconcile_failures_total",
      "imgauto_reconcile_interval_seconds", "imgauto_image_repository_last_scan_timestamp_seconds",
      "imgauto_registry_requests_total", "imgauto_registry_rate_limited_total",
      "imgauto_git_pushes_total", "imgauto_webhook_requests_total", "imgauto_webhook_events_total",
      "imgauto_webhook_scans_triggered_total", "imgauto_webhook_last_event_timestamp_seconds",
      "imgauto_webhook_silent"};
  return names;
}

// Histograms: only their _bucket, _sum and _count series exist.
const std::set<std::string>& HistogramMetrics() {
  static const std::set<std::string> names = {
      "gotk_reconcile_duration_seconds",           "gotk_reconcile_duration",
      "controller_runtime_reconcile_time_seconds", "workqueue_queue_duration_seconds",
      "workqueue_work_duration_seconds",           "imgauto_image_detection_latency_seconds",
      "imgauto_lead_time_stage_seconds",           "imgauto_lead_time_seconds",
      "imgauto_time_to_restore_seconds",
  };
  return names;
}

// The families issue 5 added; each must appear in at least one dashboard.
const std::vector<std::string>& Issue5Families() {
  static const std::vector<std::string> names = {
      "workqueue_depth",
      "workqueue_adds_total",
      "workqueue_queue_duration_seconds",
      "workqueue_work_duration_seconds",
      "workqueue_unfinished_work_seconds",
      "workqueue_longest_running_processor_seconds",
      "workqueue_retries_total",
      "rest_client_requests_total",
      "leader_election_master_status",
      "imgauto_registry_requests_total",
      "imgauto_registry_rate_limited_total",
      "imgauto_image_detection_latency_seconds",
      "imgauto_lead_time_stage_seconds",
      "imgauto_lead_time_seconds",
      "imgauto_git_pushes_total",
      "imgauto_time_to_restore_seconds",
      "imgauto_webhook_requests_total",
      "imgauto_webhook_events_total",
      "imgauto_webhook_scans_triggered_total",
      "imgauto_webhook_last_event_timestamp_seconds",
      "imgauto_reconcile_interval_seconds",
      "imgauto_image_repository_last_scan_timestamp_seconds",
      "imgauto_webhook_silent",
  };
  return names;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Join(const std::vector<std::string>& list, std::string_view sep = "; ") {
  std::string out;
  for (const auto& item : list) {
    if (!out.empty()) {
      out += sep;
    }
    out += item;
  }
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) {
    return "";
  }
  const auto end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

// ---------------------------------------------------------------------------------------------
// Expressions: Grafana variables, whitespace, metric names.

// Replaces Grafana's variables the way scripts/promql-exprs.sh does: $__rate_interval -> 5m,
// $__interval -> 1m, $__range -> 1d, any other variable -> .*.
std::string SubstituteVariables(std::string expr) {
  static const std::vector<std::pair<std::regex, std::string>> substitutions = {
      {std::regex(R"(\$__rate_interval\b|\$\{__rate_interval\})"), "5m"},
      {std::regex(R"(\$__interval\b|\$\{__interval\})"), "1m"},
      {std::regex(R"(\$__range\b|\$\{__range\})"), "1d"},
      {std::regex(R"(\$\{[A-Za-z_][A-Za-z0-9_]*(:[^}]*)?\})"), ".*"},
      {std::regex(R"(\$[A-Za-z_][A-Za-z0-9_]*)"), ".*"},
      {std::regex(R"(\[\[[A-Za-z_][A-Za-z0-9_]*(:[^\]]*)?\]\])"), ".*"},
  };
  for (const auto& [pattern, value] : substitutions) {
    expr = std::regex_replace(expr, pattern, value);
  }
  return expr;
}

// Collapses whitespace runs outside string literals to one space and trims.
std::string CollapseWhitespace(std::string_view expr) {
  std::string out;
  char quote = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (quote != 0) {
      out += c;
      if (c == '\\' && quote != '`' && i + 1 < expr.size()) {
        out += expr[++i];
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = true;
    } else {
      if (pending_space && !out.empty()) {
        out += ' ';
      }
      pending_space = false;
      out += c;
      if (c == '"' || c == '\'' || c == '`') {
        quote = c;
      }
    }
  }
  return out;
}

// Index just past the string literal starting at expr[i] (a quote character).
std::size_t SkipString(std::string_view expr, std::size_t i) {
  const char quote = expr[i++];
  while (i < expr.size() && expr[i] != quote) {
    if (expr[i] == '\\' && quote != '`') {
      ++i;
    }
    ++i;
  }
  return std::min(i + 1, expr.size());
}

// Index just past the bracket that closes the one at expr[i], skipping string literals.
std::size_t SkipBalanced(std::string_view expr, std::size_t i) {
  const char open = expr[i];
  const char close = open == '(' ? ')' : open == '{' ? '}' : ']';
  int depth = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(expr, i);
      continue;
    }
    if (c == open) {
      ++depth;
    } else if (c == close && --depth == 0) {
      return i + 1;
    }
    ++i;
  }
  return expr.size();
}

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

std::size_t SkipSpace(std::string_view expr, std::size_t i) {
  while (i < expr.size() && (expr[i] == ' ' || expr[i] == '\t' || expr[i] == '\n')) {
    ++i;
  }
  return i;
}

// The metric names a PromQL expression selects: identifiers that are not functions (followed by
// `(`), aggregation operators, keywords, label lists of by/without/on/ignoring/group_*, label
// matchers in braces (except a `__name__="..."` matcher), ranges in brackets, strings or numbers.
std::set<std::string> MetricNames(std::string_view expr) {
  static const std::set<std::string, std::less<>> aggregations = {
      "sum",   "min",          "max",     "avg",  "group",    "stddev", "stdvar",
      "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"};
  static const std::set<std::string, std::less<>> label_list_keywords = {
      "by", "without", "on", "ignoring", "group_left", "group_right"};
  static const std::set<std::string, std::less<>> keywords = {
      "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN"};
  static const std::regex name_matcher(R"re(__name__\s*=\s*"([^"]*)")re");
  std::set<std::string> names;
  std::size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(expr, i);
    } else if (c == '{') {
      const std::size_t end = SkipBalanced(expr, i);
      const std::string braces(expr.substr(i, end - i));
      std::smatch m;
      if (std::regex_search(braces, m, name_matcher)) {
        names.insert(m[1].str());
      }
      i = end;
    } else if (c == '[') {
      i = SkipBalanced(expr, i);
    } else if (c == '#') {
      while (i < expr.size() && expr[i] != '\n') {
        ++i;
      }
    } else if ((c >= '0' && c <= '9') ||
               (c == '.' && i + 1 < expr.size() && expr[i + 1] >= '0' && expr[i + 1] <= '9')) {
      // A number or duration: 0.95, 1e3, 0x1f, 5m, 1h30m.
      while (i < expr.size() &&
             (IsIdentChar(expr[i]) || expr[i] == '.' ||
              ((expr[i] == '+' || expr[i] == '-') && (expr[i - 1] == 'e' || expr[i - 1] == 'E')))) {
        ++i;
      }
    } else if (IsIdentStart(c)) {
      const std::size_t start = i;
      while (i < expr.size() && IsIdentChar(expr[i])) {
        ++i;
      }
      const std::string ident(expr.substr(start, i - start));
      const std::size_t next = SkipSpace(expr, i);
      const bool call = next < expr.size() && expr[next] == '(';
      if (label_list_keywords.count(ident) != 0) {
        if (call) {
          i = SkipBalanced(expr, next);
        }
      } else if (call || aggregations.count(ident) != 0 || keywords.count(ident) != 0) {
        // A function, an aggregation (possibly followed by by/without) or a keyword.
      } else {
        names.insert(ident);
      }
    } else {
      ++i;
    }
  }
  return names;
}

// Problems with the metric names of one expression; `recorded` are names of recording rules.
Errors CheckMetricNames(std::string_view origin, std::string_view expr,
                        const std::set<std::string>& recorded = {}) {
  Errors errors;
  const std::set<std::string> names = MetricNames(expr);
  if (names.empty()) {
    errors.push_back(std::string(origin) + ": selects no metric: " + std::string(expr));
  }
  for (const auto& name : names) {
    bool known = PlainMetrics().count(name) != 0 || recorded.count(name) != 0;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (EndsWith(name, suffix)) {
        const std::string family = name.substr(0, name.size() - std::string_view(suffix).size());
        known = known || HistogramMetrics().count(family) != 0;
      }
    }
    if (!known) {
      errors.push_back(
          std::string(origin) + ": " + name + " is not a series imgauto exports" +
          (HistogramMetrics().count(name) != 0 ? " (use _bucket, _sum or _count)" : ""));
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Loading rules and dashboards.

struct Expr {
  std::string origin;  // as scripts/promql-exprs.sh --origin prints it
  std::string raw;     // as written
  std::string Query() const { return CollapseWhitespace(SubstituteVariables(raw)); }
};

struct Dashboard {
  std::string file;  // relative to manifests/monitoring
  json model;
};

std::vector<fs::path> FilesIn(const fs::path& dir, const std::vector<std::string>& extensions) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) {
    return files;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const bool wanted = std::any_of(extensions.begin(), extensions.end(),
                                    [&](const std::string& ext) { return EndsWith(name, ext); });
    if (entry.is_regular_file() && wanted) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The rule files under root/rules (not the promtool tests), in the script's order.
std::vector<fs::path> RuleFiles(const fs::path& root) {
  std::vector<fs::path> files;
  for (const auto& file : FilesIn(root / "rules", {".yml", ".yaml"})) {
    const std::string name = file.filename().string();
    if (!EndsWith(name, ".test.yml") && !EndsWith(name, ".test.yaml")) {
      files.push_back(file);
    }
  }
  return files;
}

std::vector<Expr> RuleExprs(const fs::path& root, std::set<std::string>* recorded, Errors* errors) {
  std::vector<Expr> exprs;
  for (const auto& file : RuleFiles(root)) {
    const std::string rel = fs::relative(file, root).string();
    YAML::Node doc;
    try {
      doc = YAML::Load(ReadFile(file));
    } catch (const YAML::Exception& e) {
      errors->push_back(rel + ": " + e.what());
      continue;
    }
    for (const auto& group : doc["groups"]) {
      for (const auto& rule : group["rules"]) {
        const bool alert = rule["alert"].IsDefined();
        const std::string name = (alert ? rule["alert"] : rule["record"]).as<std::string>("");
        if (!alert && recorded != nullptr) {
          recorded->insert(name);
        }
        exprs.push_back({rel + "#" + (alert ? "alert=" : "record=") + Trim(name),
                         rule["expr"].as<std::string>("")});
      }
    }
  }
  return exprs;
}

std::vector<Dashboard> LoadDashboards(const fs::path& root, Errors* errors) {
  std::vector<Dashboard> boards;
  for (const auto& file : FilesIn(root / "dashboards", {".json"})) {
    const std::string rel = fs::relative(file, root).string();
    try {
      boards.push_back({rel, json::parse(ReadFile(file))});
    } catch (const json::exception& e) {
      errors->push_back(rel + ": " + e.what());
    }
  }
  return boards;
}

// Panels in document order, each followed by the panels nested in it (collapsed rows).
void Panels(const json& list, std::vector<const json*>* out) {
  if (!list.is_array()) {
    return;
  }
  for (const auto& panel : list) {
    out->push_back(&panel);
    if (panel.is_object() && panel.contains("panels")) {
      Panels(panel["panels"], out);
    }
  }
}

std::vector<const json*> Panels(const json& board) {
  std::vector<const json*> panels;
  if (board.contains("panels")) {
    Panels(board["panels"], &panels);
  }
  return panels;
}

std::string StringAt(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
    return "";
  }
  return object[key].get<std::string>();
}

std::vector<json> Variables(const json& board) {
  if (!board.contains("templating") || !board["templating"].contains("list") ||
      !board["templating"]["list"].is_array()) {
    return {};
  }
  return board["templating"]["list"].get<std::vector<json>>();
}

std::string VariableQuery(const json& var) {
  if (var.contains("query") && var["query"].is_object()) {
    return StringAt(var["query"], "query");
  }
  return StringAt(var, "query");
}

// label_values(SELECTOR, LABEL) as the PromQL `group by (LABEL) (SELECTOR)`; empty otherwise.
std::string LabelValuesAsPromql(const std::string& query) {
  static const std::regex label_values(
      R"(^\s*label_values\(\s*([\s\S]+)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$)");
  std::smatch m;
  if (!std::regex_match(query, m, label_values)) {
    return "";
  }
  return "group by (" + m[2].str() + ") (" + Trim(m[1].str()) + ")";
}

std::string IdString(const json& panel) {
  return panel.contains("id") ? panel["id"].dump() : std::string("None");
}

std::vector<Expr> DashboardExprs(const Dashboard& board) {
  std::vector<Expr> exprs;
  for (const auto& var : Variables(board.model)) {
    if (StringAt(var, "type") != "query") {
      continue;
    }
    const std::string promql = LabelValuesAsPromql(VariableQuery(var));
    if (!promql.empty()) {
      exprs.push_back({board.file + "#var=" + StringAt(var, "name"), promql});
    }
  }
  for (const json* panel : Panels(board.model)) {
    if (!panel->is_object() || !panel->contains("targets") || !(*panel)["targets"].is_array()) {
      continue;
    }
    for (const auto& target : (*panel)["targets"]) {
      const std::string expr = StringAt(target, "expr");
      if (!Trim(expr).empty()) {
        exprs.push_back(
            {board.file + "#panel=" + IdString(*panel) + ",ref=" + StringAt(target, "refId"),
             expr});
      }
    }
  }
  return exprs;
}

// Every expression of the monitoring assets, in the order scripts/promql-exprs.sh prints them.
std::vector<Expr> AllExprs(const fs::path& root, std::set<std::string>* recorded, Errors* errors) {
  std::vector<Expr> exprs = RuleExprs(root, recorded, errors);
  for (const auto& board : LoadDashboards(root, errors)) {
    for (auto& expr : DashboardExprs(board)) {
      exprs.push_back(std::move(expr));
    }
  }
  return exprs;
}

// ---------------------------------------------------------------------------------------------
// Dashboard checks.

// Names of the variables an expression uses ($name, ${name}, ${name:fmt}, [[name]]).
std::set<std::string> UsedVariables(const std::string& text) {
  static const std::regex var(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)(:[^}]*)?\})"        // groups 1, 2
                              R"(|\$([A-Za-z_][A-Za-z0-9_]*))"                    // group 3
                              R"(|\[\[([A-Za-z_][A-Za-z0-9_]*)(:[^\]]*)?\]\])");  // groups 4, 5
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), var); it != std::sregex_iterator();
       ++it) {
    for (int group : {1, 3, 4}) {
      if ((*it)[group].matched) {
        names.insert((*it)[group].str());
      }
    }
  }
  return names;
}

bool IsPrometheusDatasource(const json& ds) {
  return ds.is_object() && StringAt(ds, "type") == "prometheus" &&
         StringAt(ds, "uid") == kDatasourceUid;
}

// Problems with one dashboard model: identity, the datasource variable, variables, panels,
// targets and layout.
Errors CheckDashboard(const std::string& file, const json& board) {
  Errors errors;
  const auto fail = [&](const std::string& what) { errors.push_back(file + ": " + what); };
  if (!board.is_object()) {
    fail("not a JSON object");
    return errors;
  }
  const std::string uid = StringAt(board, "uid");
  if (uid.empty() || uid.size() > 40) {
    fail("uid must be 1 to 40 characters, got '" + uid + "'");
  }
  if (StringAt(board, "title").empty()) {
    fail("no title");
  }
  if (!board.contains("schemaVersion") || !board["schemaVersion"].is_number_integer() ||
      board["schemaVersion"].get<int>() < 36) {
    fail("schemaVersion must be 36 or later");
  }

  // Variables: a Prometheus datasource variable, query variables on it.
  std::set<std::string> defined = {"__rate_interval", "__interval", "__range"};
  bool datasource_var = false;
  for (const auto& var : Variables(board)) {
    const std::string name = StringAt(var, "name");
    if (name.empty() || !defined.insert(name).second) {
      fail("variable '" + name + "' is unnamed or defined twice");
    }
    const std::string type = StringAt(var, "type");
    if (type == "datasource") {
      datasource_var =
          datasource_var || (name == "datasource" && StringAt(var, "query") == "prometheus");
    } else if (type == "query") {
      if (!var.contains("datasource") || !IsPrometheusDatasource(var["datasource"])) {
        fail("variable " + name + " does not query ${datasource}");
      }
      const std::string query = VariableQuery(var);
      if (LabelValuesAsPromql(query).empty()) {
        fail("variable " + name + ": query '" + query + "' is not label_values(SELECTOR, LABEL)");
      }
    }
  }
  if (!datasource_var) {
    fail("no variable `datasource` of type datasource with query prometheus");
  }
  for (const auto& var : Variables(board)) {
    for (const auto& used : UsedVariables(VariableQuery(var))) {
      if (defined.count(used) == 0) {
        fail("variable " + StringAt(var, "name") + " uses undefined $" + used);
      }
    }
  }

  // Panels and targets.
  std::set<std::string> ids;
  struct Box {
    int x, y, w, h;
    std::string title;
  };
  std::vector<Box> boxes;
  for (const json* p : Panels(board)) {
    const json& panel = *p;
    const std::string title = StringAt(panel, "title");
    const std::string where = "panel '" + title + "'";
    if (!panel.contains("id") || !panel["id"].is_number_integer() ||
        !ids.insert(panel["id"].dump()).second) {
      fail(where + ": missing or duplicate id");
    }
    if (title.empty()) {
      fail("a panel has no title");
    }
    if (panel.contains("gridPos") && panel["gridPos"].is_object()) {
      const json& g = panel["gridPos"];
      Box box{g.value("x", -1), g.value("y", -1), g.value("w", 0), g.value("h", 0), title};
      if (box.x < 0 || box.y < 0 || box.w <= 0 || box.h <= 0 || box.x + box.w > 24) {
        fail(where + ": gridPos outside the 24-column grid");
      }
      for (const auto& other : boxes) {
        const bool overlap = box.x < other.x + other.w && other.x < box.x + box.w &&
                             box.y < other.y + other.h && other.y < box.y + box.h;
        if (overlap) {
          fail(where + ": overlaps panel '" + other.title + "'");
        }
      }
      boxes.push_back(box);
    } else {
      fail(where + ": no gridPos");
    }
    if (StringAt(panel, "type") == "row") {
      continue;
    }
    if (!panel.contains("datasource") || !IsPrometheusDatasource(panel["datasource"])) {
      fail(where + ": datasource must be {type: prometheus, uid: ${datasource}}");
    }
    const bool has_targets =
        panel.contains("targets") && panel["targets"].is_array() && !panel["targets"].empty();
    if (!has_targets) {
      fail(where + ": no targets");
      continue;
    }
    std::set<std::string> refs;
    for (const auto& target : panel["targets"]) {
      const std::string ref = StringAt(target, "refId");
      if (ref.empty() || !refs.insert(ref).second) {
        fail(where + ": target refId '" + ref + "' empty or duplicate");
      }
      if (target.contains("datasource") && !IsPrometheusDatasource(target["datasource"])) {
        fail(where + ": target " + ref + " uses another datasource");
      }
      const std::string expr = StringAt(target, "expr");
      if (Trim(expr).empty()) {
        fail(where + ": target " + ref + " has no expr");
      }
      for (const auto& used : UsedVariables(expr)) {
        if (defined.count(used) == 0) {
          fail(where + ": target " + ref + " uses undefined $" + used);
        }
      }
    }
  }
  if (boxes.empty()) {
    fail("no panels");
  }
  return errors;
}

// Dashboards must not share a uid or a title (Grafana refuses or hides the second one).
Errors CheckUnique(const std::vector<Dashboard>& boards) {
  Errors errors;
  std::map<std::string, std::string> uids;
  std::map<std::string, std::string> titles;
  for (const auto& board : boards) {
    const std::string uid = StringAt(board.model, "uid");
    const std::string title = StringAt(board.model, "title");
    if (!uids.emplace(uid, board.file).second) {
      errors.push_back(board.file + ": uid '" + uid + "' is also used by " + uids[uid]);
    }
    if (!titles.emplace(title, board.file).second) {
      errors.push_back(board.file + ": title '" + title + "' is also used by " + titles[title]);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Tests on the real assets.

std::vector<Dashboard> RealDashboards() {
  Errors errors;
  auto boards = LoadDashboards(kMonitoringDir, &errors);
  EXPECT_TRUE(errors.empty()) << Join(errors);
  return boards;
}

TEST(DashboardsTest, ClusterAndDoraDashboardsParse) {
  std::set<std::string> files;
  for (const auto& board : RealDashboards()) {
    files.insert(board.file);
  }
  EXPECT_EQ(files, (std::set<std::string>{"dashboards/imgauto-cluster.json",
                                          "dashboards/imgauto-dora.json"}));
}

TEST(DashboardsTest, EveryDashboardIsComplete) {
  for (const auto& board : RealDashboards()) {
    const Errors errors = CheckDashboard(board.file, board.model);
    EXPECT_TRUE(errors.empty()) << Join(errors, "\n");
  }
}

TEST(DashboardsTest, UidsAndTitlesAreUnique) {
  const auto boards = RealDashboards();
  ASSERT_GE(boards.size(), 2u);
  const Errors errors = CheckUnique(boards);
  EXPECT_TRUE(errors.empty()) << Join(errors, "\n");
}

TEST(DashboardsTest, EveryExpressionUsesExportedMetricsOnly) {
  Errors errors;
  std::set<std::string> recorded;
  const auto exprs = AllExprs(kMonitoringDir, &recorded, &errors);
  ASSERT_TRUE(errors.empty()) << Join(errors);
  std::size_t rules = 0;
  for (const auto& expr : exprs) {
    rules += expr.origin.rfind("rules/", 0) == 0 ? 1 : 0;
    const Errors bad = CheckMetricNames(expr.origin, expr.Query(), recorded);
    errors.insert(errors.end(), bad.begin(), bad.end());
  }
  EXPECT_GE(rules, 9u);
  EXPECT_GE(exprs.size(), rules + 40);
  EXPECT_TRUE(errors.empty()) << Join(errors, "\n");
}

TEST(DashboardsTest, DashboardsCoverEveryIssue5Family) {
  std::set<std::string> used;
  for (const auto& board : RealDashboards()) {
    for (const auto& expr : DashboardExprs(board)) {
      const auto names = MetricNames(expr.Query());
      used.insert(names.begin(), names.end());
    }
  }
  for (const auto& family : Issue5Families()) {
    const bool covered = used.count(family) != 0 || used.count(family + "_bucket") != 0 ||
                         used.count(family + "_sum") != 0 || used.count(family + "_count") != 0;
    EXPECT_TRUE(covered) << family << " is on no dashboard";
  }
}

TEST(DashboardsTest, AlertRulesHaveTheIssue5Alerts) {
  Errors errors;
  std::set<std::string> alerts;
  for (const auto& expr : RuleExprs(kMonitoringDir, nullptr, &errors)) {
    alerts.insert(expr.origin.substr(expr.origin.find("#alert=") + 7));
  }
  ASSERT_TRUE(errors.empty()) << Join(errors);
  for (const char* alert :
       {"ImageAutomationReconciliationFailing", "ImageAutomationSuspendedTooLong",
        "ImageRepositoryNotScanned", "ImageAutomationPushFailures",
        "ImageControllerReconcileErrors", "ImageGitPushFailures", "ImageRegistryRateLimited",
        "ImageWebhookSilent", "ImageDetectionSlow"}) {
    EXPECT_EQ(alerts.count(alert), 1u) << alert;
  }
}

TEST(DashboardsTest, KustomizationShipsEveryDashboard) {
  const YAML::Node root = YAML::Load(ReadFile(kMonitoringDir / "kustomization.yaml"));
  std::set<std::string> shipped;
  for (const auto& generator : root["configMapGenerator"]) {
    for (const auto& file : generator["files"]) {
      const std::string path = file.as<std::string>();
      EXPECT_TRUE(fs::is_regular_file(kMonitoringDir / path)) << path;
      shipped.insert(path);
    }
  }
  for (const auto& board : RealDashboards()) {
    EXPECT_EQ(shipped.count(board.file), 1u) << board.file << " is not in a ConfigMap";
  }
  EXPECT_EQ(root["generatorOptions"]["labels"]["grafana_dashboard"].as<std::string>(""), "1");
}

// The list scripts/promql-exprs.sh prints (and the Prometheus integration test queries) is the
// list this test checks: same origins, same expressions after substitution.
std::vector<std::string> ScriptLines(const fs::path& root, std::string* error) {
  const auto result =
      imgauto::testing::RunCommand({"bash", kExprsScript.string(), "--origin", root.string()});
  if (!result) {
    *error = result.error().message();
    return {};
  }
  if (result->exit_code != 0) {
    *error = "exit " + std::to_string(result->exit_code) + ": " + result->stderr_text;
    return {};
  }
  std::vector<std::string> lines;
  std::istringstream in(result->stdout_text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> ExpectedLines(const fs::path& root) {
  Errors errors;
  std::vector<std::string> lines;
  for (const auto& expr : AllExprs(root, nullptr, &errors)) {
    lines.push_back(expr.origin + "\t" + expr.Query());
  }
  EXPECT_TRUE(errors.empty()) << Join(errors);
  return lines;
}

TEST(PromqlExprsScriptTest, PrintsEveryExpressionSubstituted) {
  std::string error;
  const auto lines = ScriptLines(kMonitoringDir, &error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(lines, ExpectedLines(kMonitoringDir));
  for (const auto& line : lines) {
    EXPECT_EQ(line.find('$'), std::string::npos) << line;
  }
}

TEST(PromqlExprsScriptTest, ReadsEveryYamlScalarStyle) {
  imgauto::testing::TempDir dir("promql-exprs");
  dir.Write("rules/a.rules.yml", R"yaml(groups:
  - name: styles
    rules:
      - record: job:literal:sum
        expr: |
          sum by (job) (
            rate(imgauto_registry_requests_total{code="429"}[5m])
          )
      - expr: >-
          max(imgauto_webhook_silent)
          == 1
        alert: FoldedFirst
        labels:
          expr: "not an expr"
      - alert: Plain
        expr: imgauto_build_info == 1   # a comment
      - alert: DoubleQuoted
        expr: "imgauto_webhook_silent{receiver=\"a/b\"} == 1"
      - alert: SingleQuoted
        expr: 'imgauto_webhook_silent{receiver=''x''} == 1'
      - alert: PlainContinued
        expr: sum(imgauto_git_pushes_total)
          > 0
)yaml");
  dir.Write("rules/a.rules.test.yml", "rule_files: [a.rules.yml]\ntests: []\n");
  dir.Write("dashboards/b.json", R"json({"templating": {"list": [
      {"type": "query", "name": "ns",
       "query": "label_values(imgauto_image_policy_info, namespace)"},
      {"type": "query", "name": "obj",
       "query": {"query": "label_values(gotk_suspend_status{namespace=~\"$ns\"}, name)"}}]},
    "panels": [
      {"id": 1, "type": "row", "panels": [
        {"id": 2, "targets": [{"refId": "A", "expr": "rate(x_total[$__rate_interval])"}]}]},
      {"id": 3, "targets": [
        {"refId": "A", "expr": "  "},
        {"refId": "B",
         "expr": "increase(y{a=~\"${ns:regex}\", b=~\"[[obj]]\"}[$__range])\n / $__interval_x"}]}
    ]})json");
  std::string error;
  const auto lines = ScriptLines(dir.path(), &error);
  ASSERT_TRUE(error.empty()) << error;
  const std::vector<std::string> want = {
      "rules/a.rules.yml#record=job:literal:sum\tsum by (job) ( rate(imgauto_registry_requests_"
      "total{code=\"429\"}[5m]) )",
      "rules/a.rules.yml#alert=FoldedFirst\tmax(imgauto_webhook_silent) == 1",
      "rules/a.rules.yml#alert=Plain\timgauto_build_info == 1",
      "rules/a.rules.yml#alert=DoubleQuoted\timgauto_webhook_silent{receiver=\"a/b\"} == 1",
      "rules/a.rules.yml#alert=SingleQuoted\timgauto_webhook_silent{receiver='x'} == 1",
      "rules/a.rules.yml#alert=PlainContinued\tsum(imgauto_git_pushes_total) > 0",
      "dashboards/b.json#var=ns\tgroup by (namespace) (imgauto_image_policy_info)",
      "dashboards/b.json#var=obj\tgroup by (name) (gotk_suspend_status{namespace=~\".*\"})",
      "dashboards/b.json#panel=2,ref=A\trate(x_total[5m])",
      "dashboards/b.json#panel=3,ref=B\tincrease(y{a=~\".*\", b=~\".*\"}[1d]) / .*",
  };
  EXPECT_EQ(lines, want);
  // yaml-cpp reads the same rules.
  EXPECT_EQ(lines, ExpectedLines(dir.path()));
}

TEST(PromqlExprsScriptTest, FailsOnBrokenInput) {
  imgauto::testing::TempDir dir("promql-exprs");
  dir.Write("dashboards/broken.json", "{\"panels\": [");
  std::string error;
  ScriptLines(dir.path(), &error);
  EXPECT_NE(error.find("broken.json"), std::string::npos) << error;

  imgauto::testing::TempDir rules("promql-exprs");
  rules.Write("rules/r.yml", "groups:\n  - name: g\n    rules:\n      - alert: NoExpr\n");
  error.clear();
  ScriptLines(rules.path(), &error);
  EXPECT_NE(error.find("rule without expr"), std::string::npos) << error;
}

// ---------------------------------------------------------------------------------------------
// The checkers fail on broken input.

TEST(PromqlMetricNamesTest, FindsSelectorsOnly) {
  EXPECT_EQ(MetricNames("sum by (kind, le) (rate(gotk_reconcile_duration_seconds_bucket"
                        "{kind=~\"Image.*\", le!=\"x\"}[5m:1m] offset 1h))"),
            (std::set<std::string>{"gotk_reconcile_duration_seconds_bucket"}));
  EXPECT_EQ(MetricNames("histogram_quantile(0.95, sum without (pod) (rate(a_bucket[1h])))"
                        " > 1e3 and on (job, instance) group_left (version) b unless bool c"),
            (std::set<std::string>{"a_bucket", "b", "c"}));
  EXPECT_EQ(MetricNames("label_replace(up, \"dst\", \"$1\", \"src\", \"(.*)\") or vector(0)"),
            (std::set<std::string>{"up"}));
  EXPECT_EQ(MetricNames("topk(10, x) / ignoring(result) sum(y) * count_values(\"v\", z)"),
            (std::set<std::string>{"x", "y", "z"}));
  EXPECT_EQ(MetricNames("{__name__=\"by_name\", job=\"j\"} + NaN + Inf"),
            (std::set<std::string>{"by_name"}));
  EXPECT_TRUE(MetricNames("vector(1) + time()").empty());
}

TEST(PromqlMetricNamesTest, RejectsUnknownAndBareHistogramNames) {
  EXPECT_TRUE(CheckMetricNames("ok", "rate(imgauto_lead_time_seconds_bucket[5m])").empty());
  EXPECT_TRUE(CheckMetricNames("ok", "process_cpu_seconds_total and imgauto_build_info").empty());
  EXPECT_EQ(CheckMetricNames("x", "imgauto_lead_time_seconds").size(), 1u);
  EXPECT_EQ(CheckMetricNames("x", "rate(gotk_reconcile_condition_total[5m])").size(), 1u);
  EXPECT_EQ(CheckMetricNames("x", "workqueue_depth_count + up").size(), 2u);
  EXPECT_EQ(CheckMetricNames("x", "vector(0)").size(), 1u);
  EXPECT_TRUE(CheckMetricNames("x", "my:recorded > 0", {"my:recorded"}).empty());
}

TEST(PromqlMetricNamesTest, SubstitutesGrafanaVariables) {
  EXPECT_EQ(SubstituteVariables("rate(a{n=~\"$namespace\", k=~\"${kind}\", p=~\"${pod:pipe}\", "
                                "q=~\"[[old]]\"}[$__rate_interval]) / $__interval + "
                                "increase(b[$__range]) + c[${__range}]"),
            "rate(a{n=~\".*\", k=~\".*\", p=~\".*\", q=~\".*\"}[5m]) / 1m + increase(b[1d]) + "
            "c[1d]");
  EXPECT_EQ(CollapseWhitespace("  sum(\n  a{l=\"x  y\"}\t)  "), "sum( a{l=\"x  y\"} )");
}

json ValidBoard() {
  return json::parse(R"json({
    "uid": "u", "title": "T", "schemaVersion": 39,
    "templating": {"list": [
      {"type": "datasource", "name": "datasource", "query": "prometheus"},
      {"type": "query", "name": "namespace",
       "datasource": {"type": "prometheus", "uid": "${datasource}"},
       "query": {"query": "label_values(gotk_suspend_status, namespace)"}}]},
    "panels": [
      {"id": 1, "type": "row", "title": "R", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1}},
      {"id": 2, "type": "stat", "title": "S", "gridPos": {"x": 0, "y": 1, "w": 12, "h": 4},
       "datasource": {"type": "prometheus", "uid": "${datasource}"},
       "targets": [{"refId": "A", "expr": "sum(gotk_suspend_status{namespace=~\"$namespace\"})"}]}]
  })json");
}

TEST(DashboardCheckTest, AcceptsAValidBoard) {
  const Errors errors = CheckDashboard("b.json", ValidBoard());
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

TEST(DashboardCheckTest, PanelWithoutDatasourceOrExprFails) {
  json board = ValidBoard();
  board["panels"][1].erase("datasource");
  EXPECT_EQ(CheckDashboard("b.json", board).size(), 1u);

  board = ValidBoard();
  board["panels"][1]["targets"][0]["expr"] = " ";
  EXPECT_EQ(CheckDashboard("b.json", board).size(), 1u);

  board = ValidBoard();
  board["panels"][1]["targets"] = json::array();
  EXPECT_EQ(CheckDashboard("b.json", board).size(), 1u);

  board = ValidBoard();
  board["panels"][1]["targets"][0]["datasource"] = {{"type", "loki"}, {"uid", "x"}};
  EXPECT_EQ(CheckDashboard("b.json", board).size(), 1u);
}

TEST(DashboardCheckTest, UndefinedVariableFails) {
  json board = ValidBoard();
  board["panels"][1]["targets"][0]["expr"] = "sum(gotk_suspend_status{kind=~\"$kind\"})";
  const Errors errors = CheckDashboard("b.json", board);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("$kind"), std::string::npos);
}

TEST(DashboardCheckTest, MissingDatasourceVariableFails) {
  json board = ValidBoard();
  board["templating"]["list"][0]["query"] = "loki";
  EXPECT_EQ(CheckDashboard("b.json", board).size(), 1u);
}

TEST(DashboardCheckTest, BadLayoutFails) {
  json board = ValidBoard();
  board["panels"][1]["gridPos"]["y"] = 0;  // overlaps the row
  EXPECT_EQ(CheckDashboard("b.json", board).size(), 1u);
  board = ValidBoard();
  board["panels"][1]["gridPos"]["x"] = 20;  // 20 + 12 > 24
  EXPECT_EQ(CheckDashboard("b.json", board).size(), 1u);
  board = ValidBoard();
  board["panels"][1]["id"] = 1;  // duplicate id
  EXPECT_EQ(CheckDashboard("b.json", board).size(), 1u);
}

TEST(DashboardCheckTest, DuplicateUidOrTitleFails) {
  json other = ValidBoard();
  other["uid"] = "v";
  EXPECT_TRUE(CheckUnique({{"a.json", ValidBoard()}, {"b.json", other}}).size() == 1u);
  other["title"] = "U";
  EXPECT_TRUE(CheckUnique({{"a.json", ValidBoard()}, {"b.json", other}}).empty());
  EXPECT_EQ(CheckUnique({{"a.json", ValidBoard()}, {"b.json", ValidBoard()}}).size(), 2u);
}

}  // namespace
}  // namespace imgauto
