#include "tests/support/prometheus_server.h"

#include <thread>
#include <utility>

#include "core/http/beast_client.h"
#include "core/strings.h"

namespace imgauto::testing {

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(200);
constexpr int kStartAttempts = 5;

// A YAML scalar for `text`: a JSON string is valid YAML and escapes everything that matters.
std::string YamlString(std::string_view text) { return nlohmann::json(text).dump(); }

std::string Tail(const std::string& text, std::size_t max_bytes) {
  return text.size() <= max_bytes ? text : "…" + text.substr(text.size() - max_bytes);
}

std::string ConfigYaml(const PrometheusOptions& options) {
  std::string yaml = "global:\n  scrape_interval: " + YamlString(options.scrape_interval) +
                     "\n  scrape_timeout: " + YamlString(options.scrape_interval) +
                     "\n  evaluation_interval: " + YamlString(options.evaluation_interval) + "\n";
  if (!options.rule_files.empty()) {
    yaml += "rule_files:\n";
    for (const std::filesystem::path& file : options.rule_files) {
      yaml += "  - " + YamlString(std::filesystem::absolute(file).string()) + "\n";
    }
  }
  yaml += "scrape_configs:\n  - job_name: imgauto\n    metrics_path: /metrics\n";
  yaml += "    static_configs:\n      - targets: [";
  for (std::size_t i = 0; i < options.targets.size(); ++i) {
    yaml += (i == 0 ? "" : ", ") + YamlString(options.targets[i]);
  }
  yaml += "]\n";
  return yaml;
}

}  // namespace

std::string UrlQueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' || byte == '.' || byte == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
  return out;
}

std::string PrometheusServer::MissingTools() {
  return FindProgram(kPrometheusBinary) ? "" : std::string("missing ") + kPrometheusBinary;
}

Result<std::unique_ptr<PrometheusServer>> PrometheusServer::Start(PrometheusOptions options) {
  if (std::string missing = MissingTools(); !missing.empty()) {
    return Error(ErrorKind::kNotFound, missing);
  }
  std::unique_ptr<PrometheusServer> server(new PrometheusServer());
  server->options_ = std::move(options);
  server->dir_ = std::make_unique<TempDir>("prometheus");
  http::ClientOptions client_options;
  client_options.timeout = kRequestTimeout;
  client_options.proxy_from_environment = false;  // loopback only
  Result<http::HttpClientPtr> client = http::BeastHttpClient::Create(std::move(client_options));
  if (!client) {
    return client.error();
  }
  server->client_ = std::move(*client);
  Result<void> launched = server->Launch();
  if (!launched) {
    return launched.error();
  }
  return server;
}

Result<void> PrometheusServer::Launch() {
  std::filesystem::path config = dir_->Write("prometheus.yml", ConfigYaml(options_));
  std::string last_error = "no attempt made";
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    Result<int> port = FreeLoopbackPort();
    if (!port) {
      return port.error();
    }
    port_ = *port;
    ProcessOptions process_options;
    process_options.args = {kPrometheusBinary, "--config.file=" + config.string(),
                            "--storage.tsdb.path=" + dir_->Path("data").string(),
                            "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                            "--log.level=warn"};
    process_options.cwd = dir_->path();
    // Prometheus's scrapes honour the proxy environment; the targets are on loopback.
    process_options.unset_env = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                                 "NO_PROXY",    "no_proxy",    "ALL_PROXY",  "all_proxy"};
    Result<std::unique_ptr<Process>> process = Process::Start(process_options);
    if (!process) {
      return process.error();
    }
    process_ = std::move(*process);

    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    bool bind_conflict = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process_->Running()) {
        last_error = "prometheus exited: " + Tail(process_->Stderr(), 2000);
        bind_conflict = last_error.find("address already in use") != std::string::npos;
        break;
      }
      if (WaitForTcp(port_, std::chrono::milliseconds(100))) {
        Result<http::Response> ready = client_->Send({.method = "GET",
                                                      .url = base_url() + "/-/ready",
                                                      .headers = {},
                                                      .body = "",
                                                      .deadline = std::nullopt});
        if (ready && ready->status == 200 && process_->Running()) {
          return {};
        }
        last_error = ready ? "GET /-/ready answered HTTP " + std::to_string(ready->status)
                           : ready.error().message();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    if (!bind_conflict && last_error.rfind("prometheus exited", 0) != 0) {
      last_error += "; stderr: " + Tail(process_->Stderr(), 2000);
    }
    process_->Stop();
    process_.reset();
    if (!bind_conflict) {
      break;
    }
  }
  return Error(ErrorKind::kTransient, "prometheus did not start: " + last_error);
}

PrometheusServer::~PrometheusServer() {
  if (process_) {
    process_->Stop();
  }
}

std::string PrometheusServer::Logs(std::size_t max_bytes) const {
  return process_ ? Tail(process_->Stderr(), max_bytes) : "";
}

Result<nlohmann::json> PrometheusServer::GetData(const std::string& path_and_query) {
  Result<http::Response> response = client_->Send({.method = "GET",
                                                   .url = base_url() + path_and_query,
                                                   .headers = {},
                                                   .body = "",
                                                   .deadline = std::nullopt});
  if (!response) {
    return response.error().Wrap("GET " + path_and_query);
  }
  nlohmann::json body = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Error(ErrorKind::kInternal, "GET " + path_and_query + ": HTTP " +
                                           std::to_string(response->status) +
                                           ", not a JSON object: " + response->body.substr(0, 300));
  }
  if (response->status == 200 && body.value("status", "") == "success" && body.contains("data")) {
    return body["data"];
  }
  const std::string error_type = body.value("errorType", "");
  const std::string message = "Prometheus answered HTTP " + std::to_string(response->status) +
                              " (" + (error_type.empty() ? "no errorType" : error_type) +
                              "): " + body.value("error", response->body.substr(0, 300));
  if (error_type == "bad_data") {
    return Error(ErrorKind::kInvalidSpec, message);
  }
  return Error(
      response->status == 200 ? ErrorKind::kInternal : http::ErrorKindForStatus(response->status),
      message);
}

Result<nlohmann::json> PrometheusServer::Query(std::string_view promql) {
  Result<nlohmann::json> data = GetData("/api/v1/query?query=" + UrlQueryEscape(promql));
  if (!data) {
    return data.error().Wrap("query " + Quote(promql));
  }
  if (!data->contains("result")) {
    return Error(ErrorKind::kInternal, "query " + Quote(promql) + ": no data.result");
  }
  return (*data)["result"];
}

Result<nlohmann::json> PrometheusServer::QueryUntilData(std::string_view promql,
                                                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Result<nlohmann::json> result = Query(promql);
    const bool expired = std::chrono::steady_clock::now() >= deadline;
    if (!result) {
      if (result.error().kind() != ErrorKind::kTransient || expired) {
        return result;
      }
    } else if (!result->empty() || expired) {
      return result;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Result<nlohmann::json> PrometheusServer::ActiveTargets() {
  Result<nlohmann::json> data = GetData("/api/v1/targets?state=active");
  if (!data) {
    return data.error();
  }
  return data->value("activeTargets", nlohmann::json::array());
}

Result<bool> PrometheusServer::TargetsUp() {
  Result<nlohmann::json> targets = ActiveTargets();
  if (!targets) {
    return targets.error();
  }
  if (!targets->is_array() || targets->empty()) {
    return false;
  }
  for (const nlohmann::json& target : *targets) {
    if (!target.is_object() || target.value("health", "") != "up") {
      return false;
    }
  }
  return true;
}

Result<nlohmann::json> PrometheusServer::Rules() {
  Result<nlohmann::json> data = GetData("/api/v1/rules");
  if (!data) {
    return data.error();
  }
  return data->value("groups", nlohmann::json::array());
}

}  // namespace imgauto::testing
