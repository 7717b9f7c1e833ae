// Registry push → git push latency of `imgauto run`, with real servers on loopback: Debian's
// docker-registry, lighttpd + git http-backend, and the built binary.
//
//   detection_bench webhook [pushes=50]       registry `notifications:` → distribution Receiver
//   detection_bench poll [pushes=50] [interval=1m]
//
// webhook: one ImageRepository (interval 1h, so only the notification can explain a fast
// update); tags 1.0.1 … 1.0.N are pushed one after another, each after the previous one reached
// git. poll: N ImageRepositories (app-0 … app-N-1) polled every `interval`; each gets one new
// tag pushed at a random moment within one interval, so the latencies sample the poll phase.
// Latency = the git server's post-receive hook timestamp of the first commit containing the
// tag − the moment the registry accepted the manifest. Prints p50/p90/p99/max.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/sha256.h"
#include "tests/support/eventually.h"
#include "tests/support/git_servers.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace imgauto {
namespace {

using Clock = std::chrono::system_clock;
constexpr char kToken[] = "bench-webhook-token";

double Now() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

struct HookLine {
  double at;
  std::string commit;
};

std::vector<HookLine> ReadHookLog(const std::filesystem::path& log) {
  std::vector<HookLine> out;
  std::ifstream in(log);
  HookLine line;
  while (in >> line.at >> line.commit) out.push_back(line);
  return out;
}

void PrintStats(const std::string& title, std::vector<double> v) {
  if (v.empty()) {
    std::printf("%s: no samples\n", title.c_str());
    return;
  }
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
  };
  double sum = 0;
  for (double x : v) sum += x;
  std::printf("%s: n=%zu p50=%.3fs p90=%.3fs p99=%.3fs max=%.3fs mean=%.3fs\n", title.c_str(),
              v.size(), pct(0.5), pct(0.9), pct(0.99), v.back(), sum / static_cast<double>(v.size()));
}

std::string Manifests(const std::string& registry_host, const std::string& git_url, int repos,
                      const std::string& interval, bool webhook) {
  std::ostringstream m;
  m << "apiVersion: v1\nkind: Secret\nmetadata:\n  name: git-auth\nstringData:\n"
       "  username: gituser\n  password: S3cret-Http-Pa55\n---\n";
  if (webhook) {
    m << "apiVersion: v1\nkind: Secret\nmetadata:\n  name: webhook-token\nstringData:\n  token: "
      << kToken << "\n---\n"
      << "apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\nmetadata:\n"
         "  name: registry\nspec:\n  type: distribution\n  secretRef:\n    name: webhook-token\n"
         "  resources:\n    - kind: ImageRepository\n      name: \"*\"\n      matchLabels:\n"
         "        bench: \"true\"\n---\n";
  }
  for (int i = 0; i < repos; ++i) {
    m << "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app-"
      << i << "\n  labels:\n    bench: \"true\"\nspec:\n  image: " << registry_host << "/bench/app-"
      << i << "\n  interval: " << interval << "\n---\n"
      << "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app-" << i
      << "\nspec:\n  imageRepositoryRef:\n    name: app-" << i
      << "\n  policy:\n    semver:\n      range: \">=1.0.0\"\n---\n";
  }
  m << "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet\n"
       "spec:\n  interval: 1h\n  url: "
    << git_url
    << "\n  ref:\n    branch: main\n  secretRef:\n    name: git-auth\n---\n"
       "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n"
       "  name: fleet\nspec:\n  interval: 1h\n  sourceRef:\n    kind: GitRepository\n"
       "    name: fleet\n  git:\n    commit:\n      author:\n        name: imgauto\n"
       "        email: imgauto@example.com\n    push:\n      branch: main\n"
       "  update:\n    path: ./apps\n    strategy: Setters\n";
  return m.str();
}

int Run(const std::string& mode, int pushes, const std::string& interval) {
  const bool webhook = mode == "webhook";
  if (std::string missing = testing::TestRegistry::MissingTools(); !missing.empty()) {
    std::cerr << missing << "\n";
    return 1;
  }
  Result<int> webhook_port = testing::FreeLoopbackPort();
  Result<int> metrics_port = testing::FreeLoopbackPort();
  if (!webhook_port || !metrics_port) return 1;
  const std::string webhook_addr = "127.0.0.1:" + std::to_string(*webhook_port);
  testing::TestRegistryOptions registry_options;
  if (webhook) {
    registry_options.notify_url =
        "http://" + webhook_addr + "/hook/" + Sha256Hex(std::string(kToken) + "registry" +
                                                        "flux-system");
  }
  Result<std::unique_ptr<testing::TestRegistry>> registry =
      testing::TestRegistry::Start(registry_options);
  if (!registry) {
    std::cerr << registry.error().message() << "\n";
    return 1;
  }
  const int repos = webhook ? 1 : pushes;
  for (int i = 0; i < repos; ++i) {
    if (!(*registry)->PushImage("bench/app-" + std::to_string(i), "1.0.0")) return 1;
  }
  Result<std::unique_ptr<testing::GitHttpServer>> git = testing::GitHttpServer::Start({});
  if (!git) {
    std::cerr << git.error().message() << "\n";
    return 1;
  }
  const std::filesystem::path bare = (*git)->root() / "fleet.git";
  std::map<std::string, std::string> files;
  for (int i = 0; i < repos; ++i) {
    const std::string image = (*registry)->host() + "/bench/app-" + std::to_string(i);
    files["apps/app-" + std::to_string(i) + ".yaml"] =
        "image: " + image + ":1.0.0 # {\"$imagepolicy\": \"flux-system:app-" + std::to_string(i) +
        "\"}\n";
  }
  if (!testing::CreateBareRepo(bare, files)) return 1;
  testing::TempDir scratch("detection-bench");
  const std::filesystem::path log = scratch.Path("post-receive.log");
  {
    std::ofstream hook(bare / "hooks/post-receive");
    hook << "#!/bin/sh\nwhile read old new ref; do echo \"$(date +%s.%N) $new\" >> " << log
         << "; done\n";
  }
  std::filesystem::permissions(bare / "hooks/post-receive", std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add);
  scratch.Write("manifests/all.yaml", Manifests((*registry)->host(), (*git)->Url("fleet.git"),
                                                repos, webhook ? "1h" : interval, webhook));

  testing::ProcessOptions options;
  options.args = {IMGAUTO_BINARY,   "run",         "--manifests",
                  scratch.Path("manifests").string(), "--state-dir", scratch.Path("state").string(),
                  "--metrics-addr", "127.0.0.1:" + std::to_string(*metrics_port),
                  "--health-addr",  "",            "--webhook-addr", webhook_addr,
                  "--log-level",    "error"};
  options.unset_env = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                       "NO_PROXY",    "no_proxy",    "ALL_PROXY",  "all_proxy"};
  options.env = {{"HOME", scratch.Path("state").string()}};
  Result<std::unique_ptr<testing::Process>> imgauto = testing::Process::Start(options);
  if (!imgauto) {
    std::cerr << imgauto.error().message() << "\n";
    return 1;
  }
  // Let the first pass run (everything at 1.0.0: nothing to commit).
  std::this_thread::sleep_for(std::chrono::seconds(3));

  std::vector<double> latencies;
  if (webhook) {
    for (int i = 1; i <= pushes; ++i) {
      const std::string tag = "1.0." + std::to_string(i);
      const size_t before = ReadHookLog(log).size();
      if (!(*registry)->PushImage("bench/app-0", tag)) return 1;
      const double pushed = Now();
      if (!testing::Eventually([&] { return ReadHookLog(log).size() > before; },
                               std::chrono::seconds(60))) {
        std::cerr << "push " << tag << " never reached git\n" << (*imgauto)->Stderr();
        return 1;
      }
      latencies.push_back(ReadHookLog(log)[before].at - pushed);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    PrintStats("webhook (registry notifications): registry push -> git push", latencies);
  } else {
    std::mt19937 rng(42);
    // "1m" or "30s": one interval, in seconds.
    const double span = std::stod(interval) * (interval.back() == 'm' ? 60.0 : 1.0);
    std::vector<double> offsets(pushes);
    for (double& o : offsets) o = std::uniform_real_distribution<double>(0, span)(rng);
    std::vector<int> order(pushes);
    for (int i = 0; i < pushes; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return offsets[a] < offsets[b]; });
    std::vector<double> pushed_at(pushes);
    const double start = Now();
    for (int i : order) {
      const double wait = start + offsets[i] - Now();
      if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      if (!(*registry)->PushImage("bench/app-" + std::to_string(i), "1.0.1")) return 1;
      pushed_at[i] = Now();
    }
    // Wait until every file carries 1.0.1.
    auto all_done = [&] {
      Result<std::string> text = testing::RunGit(bare, {"grep", "-c", ":1.0.1 #", "main", "--",
                                                        "apps"});
      if (!text) return false;
      int count = 0;
      std::istringstream lines(*text);
      for (std::string line; std::getline(lines, line);) ++count;
      return count == pushes;
    };
    if (!testing::Eventually(all_done, std::chrono::seconds(static_cast<int>(span) * 3 + 60))) {
      std::cerr << "not every tag reached git\n" << (*imgauto)->Stderr();
      return 1;
    }
    const std::vector<HookLine> commits = ReadHookLog(log);
    for (int i = 0; i < pushes; ++i) {
      for (const HookLine& c : commits) {
        Result<std::string> text =
            testing::RunGit(bare, {"show", c.commit + ":apps/app-" + std::to_string(i) + ".yaml"});
        if (text && text->find(":1.0.1 #") != std::string::npos) {
          latencies.push_back(c.at - pushed_at[i]);
          break;
        }
      }
    }
    PrintStats("poll (interval " + interval + "): registry push -> git push", latencies);
  }
  (*imgauto)->Stop();
  return 0;
}

}  // namespace
}  // namespace imgauto

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "webhook";
  const int pushes = argc > 2 ? std::stoi(argv[2]) : 50;
  const std::string interval = argc > 3 ? argv[3] : "1m";
  if (mode != "webhook" && mode != "poll") {
    std::cerr << "usage: detection_bench webhook|poll [pushes] [interval]\n";
    return 2;
  }
  return imgauto::Run(mode, pushes, interval);
}
