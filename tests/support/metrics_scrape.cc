#include "tests/support/metrics_scrape.h"

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "core/http/beast_client.h"

namespace imgauto::testing {

std::string ScrapeMetrics(const std::string& address) {
  Result<http::HttpClientPtr> client = http::BeastHttpClient::Create(
      {.timeout = std::chrono::seconds(10), .proxy_from_environment = false});
  if (!client) return "";
  Result<http::Response> r = (*client)->Send({.method = "GET",
                                              .url = "http://" + address + "/metrics",
                                              .headers = {},
                                              .body = "",
                                              .deadline = std::nullopt});
  return r && r->status == 200 ? r->body : "";
}

std::optional<double> MetricSample(const std::string& exposition, const std::string& series) {
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series, 0) != 0) continue;
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos || space < series.size() - 1) continue;
    return std::strtod(line.c_str() + space + 1, nullptr);
  }
  return std::nullopt;
}

}  // namespace imgauto::testing
