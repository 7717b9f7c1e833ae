// update_run_bench: the end-to-end automation cost with a warm cache. Starts Debian's lighttpd
// with git http-backend on loopback (basic auth), creates a repository of 10,000 YAML files of
// which one carries an `$imagepolicy` marker, runs automation::RunUpdate once to fill the clone
// cache, then times RUNS further runs that each bump the policy's tag: incremental fetch +
// checkout, setters over the whole tree, commit, push over smart HTTP. Also times the
// short-circuited run (remote head and policies unchanged: one ls-remote, no clone).
// Prints the cold run and the median/max of the timed runs in milliseconds; exits 1 when the
// median exceeds the 1 s target.
//
//   update_run_bench [FILES [RUNS]]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "automation/git/library.h"
#include "automation/update_run.h"
#include "core/clock.h"
#include "tests/support/git_servers.h"
#include "tests/support/temp_dir.h"

namespace {

namespace automation = imgauto::automation;
using imgauto::Result;
using Clock = std::chrono::steady_clock;

constexpr double kTargetMs = 1000.0;

std::string Manifest(int index, bool marked) {
  const std::string name = "app-" + std::to_string(index);
  std::string image = "        image: ghcr.io/acme/" + name + ":1.0.0";
  if (marked) {
    image = "        image: ghcr.io/acme/app:1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}";
  }
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  namespace: apps\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n"
         "      - name: main\n" +
         image + "\n        ports:\n        - containerPort: 8080\n";
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int files = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 15;
  imgauto::automation::git::Library library;

  Result<std::unique_ptr<imgauto::testing::GitHttpServer>> server =
      imgauto::testing::GitHttpServer::Start({});
  if (!server) {
    std::fprintf(stderr, "cannot start lighttpd + git http-backend: %s\n",
                 server.error().message().c_str());
    return 2;
  }
  std::map<std::string, std::string> tree;
  for (int i = 0; i < files; ++i) {
    tree["apps/d" + std::to_string(i / 100) + "/app-" + std::to_string(i) + ".yaml"] =
        Manifest(i, i == files / 2);
  }
  if (Result<void> ok = imgauto::testing::CreateBareRepo((*server)->root() / "fleet.git", tree);
      !ok) {
    std::fprintf(stderr, "creating the repository: %s\n", ok.error().message().c_str());
    return 2;
  }
  tree.clear();

  imgauto::testing::TempDir cache("update-run-bench");
  automation::UpdateRunRequest request;
  request.automation = {"flux-system", "fleet"};
  request.source.url = (*server)->Url("fleet.git");
  request.source.credentials.username = "gituser";
  request.source.credentials.password = "S3cret-Http-Pa55";
  request.source.ref.branch = "main";
  request.author = {.name = "imgauto", .email = "imgauto@example.com"};
  request.cache_dir = cache.Path("fleet");
  imgauto::SystemClock clock;

  auto run = [&](int n, automation::UpdateRunOutcome::Kind want) -> double {
    request.policies = {{.ns = "flux-system",
                         .name = "app",
                         .image = "ghcr.io/acme/app",
                         .tag = "2.0." + std::to_string(n),
                         .digest = ""}};
    Clock::time_point start = Clock::now();
    Result<automation::UpdateRunOutcome> out = automation::RunUpdate(request, clock);
    double ms = Ms(Clock::now() - start);
    if (!out) {
      std::fprintf(stderr, "run %d failed: %s\n", n, out.error().message().c_str());
      std::exit(2);
    }
    if (out->kind != want) {
      std::fprintf(stderr, "run %d: unexpected outcome %d\n", n, static_cast<int>(out->kind));
      std::exit(2);
    }
    request.previous_policies = out->observed_policies;
    request.previous_source_revision = out->observed_source_revision;
    return ms;
  };

  using Kind = automation::UpdateRunOutcome::Kind;
  double cold = run(0, Kind::kPushed);
  std::vector<double> timed;
  std::vector<double> unchanged;
  for (int i = 1; i <= runs; ++i) {
    timed.push_back(run(i, Kind::kPushed));
    unchanged.push_back(run(i, Kind::kUnchanged));
  }
  std::sort(timed.begin(), timed.end());
  std::sort(unchanged.begin(), unchanged.end());
  double median = timed[timed.size() / 2];
  std::printf("update_run_bench: %d files, 1 marked, loopback smart HTTP (lighttpd + git "
              "http-backend, basic auth)\n",
              files);
  std::printf("  cold run (clone + update + commit + push): %.1f ms\n", cold);
  std::printf("  warm update + commit + push: median %.1f ms, max %.1f ms over %d runs "
              "(target < %.0f ms)\n",
              median, timed.back(), runs, kTargetMs);
  std::printf("  short-circuited run (ls-remote only): median %.1f ms, max %.1f ms\n",
              unchanged[unchanged.size() / 2], unchanged.back());
  return median <= kTargetMs ? 0 : 1;
}
