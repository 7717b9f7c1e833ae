// scan_bench: one ImageRepository scan of 10,000 tags served in pages of 100 (Link pagination,
// 100 requests) by a loopback HTTP server, through the production stack: BeastHttpClient +
// HttpRegistryClient + scanner (exclusions, descending sort) + FileTagStore in a temporary
// directory. Target: well under one second per scan.
//
//   scan_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/http/beast_client.h"
#include "reflector/api/image_repository.h"
#include "reflector/registry/http_registry_client.h"
#include "reflector/registry/reference.h"
#include "reflector/scan/scanner.h"
#include "reflector/store/file_tag_store.h"
#include "tests/servers/test_http_server.h"
#include "tests/support/temp_dir.h"

namespace {

using imgauto::Result;
namespace http = imgauto::http;
namespace reflector = imgauto::reflector;
namespace testing = imgauto::testing;

constexpr int kTagCount = 10000;
constexpr int kPageSize = 100;
constexpr std::string_view kRepository = "bench/app";

std::string Cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view piece : pieces) {
    out.append(piece);
  }
  return out;
}

// Tag shapes seen in real repositories; every 50th tag is a cosign signature (excluded).
std::string TagAt(int i) {
  if (i % 50 == 49) {
    return Cat({"sha256-", std::to_string(1000000 + i), ".sig"});
  }
  if (i % 2 == 0) {
    return Cat({"main-", std::to_string(1714557600 + i * 37)});
  }
  return Cat(
      {std::to_string(i / 1000), ".", std::to_string((i / 10) % 100), ".", std::to_string(i % 10)});
}

// Pre-rendered tags/list pages: the first page at the bare path, each next one keyed by the
// `last` tag of the page before, as a distribution registry paginates.
class TagPages {
 public:
  TagPages() {
    for (int start = 0; start < kTagCount; start += kPageSize) {
      std::string body = Cat({R"({"name":")", kRepository, R"(","tags":[)"});
      std::string last;
      for (int i = start; i < start + kPageSize && i < kTagCount; ++i) {
        last = TagAt(i);
        body += Cat({i == start ? "\"" : ",\"", last, "\""});
      }
      body += "]}";
      std::string key = start == 0 ? "" : previous_last_;
      std::string link;
      if (start + kPageSize < kTagCount) {
        link = Cat({"</v2/", kRepository, "/tags/list?n=", std::to_string(kPageSize),
                    "&last=", last, ">; rel=\"next\""});
      }
      pages_.emplace(key, Page{std::move(body), std::move(link)});
      previous_last_ = last;
    }
  }

  void Serve(const testing::RecordedRequest& request, testing::TestResponse& response) const {
    std::string last;
    std::size_t at = request.query.find("last=");
    if (at != std::string::npos) {
      last = request.query.substr(at + 5);
      last = last.substr(0, last.find('&'));
    }
    auto page = pages_.find(last);
    if (request.path != Cat({"/v2/", kRepository, "/tags/list"}) || page == pages_.end()) {
      response.status = 404;
      response.body =
          R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]})";
      return;
    }
    response.status = 200;
    response.SetHeader("Content-Type", "application/json");
    if (!page->second.link.empty()) {
      response.SetHeader("Link", page->second.link);
    }
    response.body = page->second.body;
  }

 private:
  struct Page {
    std::string body;
    std::string link;
  };
  std::map<std::string, Page> pages_;
  std::string previous_last_;
};

void BM_ScanTenThousandTagsInPagesOfHundred(benchmark::State& state) {
  TagPages pages;
  testing::TestHttpServer server(
      {.handler = [&pages](const testing::RecordedRequest& request,
                           testing::TestResponse& response) { pages.Serve(request, response); }});
  http::ClientOptions options;
  options.timeout = std::chrono::seconds(30);
  options.proxy_from_environment = false;
  Result<http::HttpClientPtr> client = http::BeastHttpClient::Create(options);
  if (!client) {
    state.SkipWithError(client.error().message().c_str());
    return;
  }
  reflector::registry::HttpRegistryClient registry(**client, {});
  testing::TempDir dir("scan-bench");
  auto store = reflector::store::FileTagStore::Create(dir.path());
  if (!store) {
    state.SkipWithError(store.error().message().c_str());
    return;
  }
  reflector::api::ImageRepository repo;
  repo.metadata.ns = "bench";
  repo.metadata.name = "app";
  repo.spec.image = Cat({server.host(), "/", kRepository});
  repo.spec.insecure = true;
  repo.spec.interval = std::chrono::minutes(5);
  imgauto::SystemClock clock;

  std::int64_t stored = 0;
  for (auto _ : state) {
    reflector::scan::ScanOutcome outcome =
        reflector::scan::ScanRepository(repo, registry, **store, clock);
    if (outcome.failure) {
      state.SkipWithError(outcome.failure->error.message().c_str());
      return;
    }
    stored = outcome.report->result.tag_count;
    benchmark::DoNotOptimize(outcome);
  }
  state.counters["stored_tags"] = static_cast<double>(stored);
  state.counters["requests_per_scan"] =
      static_cast<double>(server.RequestCount(Cat({"/v2/", kRepository, "/tags/list"}))) /
      static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * kTagCount);
}
BENCHMARK(BM_ScanTenThousandTagsInPagesOfHundred)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
