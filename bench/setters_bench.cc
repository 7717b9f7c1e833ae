// setters_bench: builds a tree of 10,000 YAML files (100 directories of 100 Deployments, ~1 KB
// each) of which 100 carry `$imagepolicy` markers, then times setters::UpdateTree over it:
// dry runs (nothing written) and real runs (the 100 marked files rewritten atomically; the
// policy alternates between two tags so every real run changes every marked file). Prints the
// cold first run and the median/max of the following runs in milliseconds; exits 1 when a
// median exceeds the 300 ms target, so CI can gate on it.
//
//   setters_bench [FILES [MARKED [RUNS]]]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "setters/tree_updater.h"

namespace {

namespace fs = std::filesystem;
namespace setters = imgauto::setters;
using imgauto::Result;

constexpr double kTargetMs = 300.0;
constexpr int kFilesPerDir = 100;

std::string Deployment(int index, bool marked) {
  const std::string name = "app-" + std::to_string(index);
  std::string image = "        image: ghcr.io/acme/" + name + ":1.0.0";
  if (marked) {
    image = "        image: ghcr.io/acme/app:1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}";
  }
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  namespace: apps\n  labels:\n    app.kubernetes.io/name: " + name +
         "\n    app.kubernetes.io/part-of: bench\nspec:\n  replicas: 2\n  selector:\n"
         "    matchLabels:\n      app.kubernetes.io/name: " +
         name +
         "\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: " + name +
         "\n    spec:\n      containers:\n      - name: main\n" + image +
         "\n        ports:\n        - containerPort: 8080\n          name: http\n"
         "        resources:\n          requests: {cpu: 10m, memory: 32Mi}\n"
         "          limits: {memory: 128Mi}\n        env:\n        - name: LOG_LEVEL\n"
         "          value: info\n";
}

bool WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

struct Timing {
  double first_ms = 0;
  std::vector<double> rest_ms;
  std::size_t changed_files = 0;
};

// Runs UpdateTree `runs` times; returns false (after printing why) on any error.
bool TimeRuns(const fs::path& root, bool dry_run, int runs, Timing& timing) {
  setters::UpdateOptions options;
  options.namespace_filter = "flux-system";
  options.dry_run = dry_run;
  for (int run = 0; run < runs; ++run) {
    // Alternate so that every real run has 100 files to rewrite.
    const std::vector<setters::PolicyValue> policies = {
        {"flux-system", "app", "ghcr.io/acme/app", run % 2 == 0 ? "1.0.1" : "1.0.0", ""}};
    const auto start = std::chrono::steady_clock::now();
    Result<setters::UpdateResult> result = setters::UpdateTree(root, ".", policies, options);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
    if (!result) {
      std::fprintf(stderr, "UpdateTree: %s\n", result.error().message().c_str());
      return false;
    }
    if (run == 0) {
      timing.first_ms = ms;
      timing.changed_files = result->changes.Files().size();
    } else {
      timing.rest_ms.push_back(ms);
    }
  }
  return true;
}

void Report(const char* label, const Timing& timing) {
  std::printf("%-8s first %8.1f ms   median %8.1f ms   max %8.1f ms   (%zu files changed)\n",
              label, timing.first_ms, Median(timing.rest_ms),
              timing.rest_ms.empty() ? 0.0
                                     : *std::max_element(timing.rest_ms.begin(),
                                                         timing.rest_ms.end()),
              timing.changed_files);
}

}  // namespace

int main(int argc, char** argv) {
  const int files = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int marked = argc > 2 ? std::atoi(argv[2]) : 100;
  const int runs = argc > 3 ? std::max(2, std::atoi(argv[3])) : 7;
  if (files <= 0 || marked < 0 || marked > files) {
    std::fprintf(stderr, "usage: setters_bench [FILES [MARKED [RUNS]]]\n");
    return 2;
  }

  std::string tmpl = (fs::temp_directory_path() / "imgauto-setters-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const fs::path root = tmpl;
  const int stride = files / std::max(marked, 1);
  int written_marked = 0;
  for (int i = 0; i < files; ++i) {
    const fs::path dir = root / ("dir-" + std::to_string(i / kFilesPerDir));
    std::error_code ec;
    fs::create_directories(dir, ec);
    const bool is_marked = written_marked < marked && i % stride == 0;
    written_marked += is_marked ? 1 : 0;
    if (ec || !WriteText(dir / ("deploy-" + std::to_string(i) + ".yaml"),
                         Deployment(i, is_marked))) {
      std::fprintf(stderr, "writing the tree failed\n");
      fs::remove_all(root, ec);
      return 1;
    }
  }
  std::printf("tree: %d files, %d marked, under %s\n", files, written_marked, root.c_str());

  Timing dry;
  Timing real;
  const bool ok = TimeRuns(root, true, runs, dry) && TimeRuns(root, false, runs, real);
  std::error_code ec;
  fs::remove_all(root, ec);
  if (!ok) {
    return 1;
  }
  Report("dry-run", dry);
  Report("real", real);
  const bool within = Median(dry.rest_ms) < kTargetMs && Median(real.rest_ms) < kTargetMs;
  std::printf("target: median < %.0f ms: %s\n", kTargetMs, within ? "met" : "MISSED");
  return within ? 0 : 1;
}
