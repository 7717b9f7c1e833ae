// standalone_bench: the two performance targets of the controllers (issue 4).
//
// (a) policies: 1,000 ImageRepositories x 1,000 tags in a FileTagStore (three tag shapes:
//     semver, build numbers, timestamps), one ImagePolicy each (semver, numerical with
//     filterTags/extract, alphabetical). After a first evaluation, every repository "scans" once
//     (one new tag, the store rewritten, lastScanResult updated) and all 1,000 policies are
//     reconciled again by the real ImagePolicyReconciler over fakes for the repository getter,
//     registry and secrets. The re-evaluation pass must take < 1 s (wall clock, one thread), and
//     every policy must have moved to the new tag.
// (b) idle memory: a StandaloneRunner (the code behind `imgauto run`) in this process, watching a
//     manifests directory of 1,000 objects (334 ImageRepositories with interval 1h scanning
//     100 tags each from a loopback registry served by TestHttpServer, 333 ImagePolicies, 333
//     ImageUpdateAutomations whose GitRepository does not exist, so they fail fast and back off),
//     spread over 34 namespaces. Once the first pass has written all 1,000 status files, the
//     process's VmRSS (/proc/self/status) must be < 40 MB. The number includes the loopback
//     registry thread and this benchmark's own code; CPU time over a 5 s idle window is printed.
//
//   standalone_bench [--skip-policies] [--skip-idle]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cmd/standalone/standalone_runner.h"
#include "core/clock.h"
#include "core/duration.h"
#include "core/log.h"
#include "reflector/controller/image_policy_reconciler.h"
#include "reflector/scan/scanner.h"
#include "reflector/store/file_tag_store.h"
#include "tests/fakes/fake_image_repository_getter.h"
#include "tests/fakes/fake_registry_client.h"
#include "tests/fakes/fake_registry_client_factory.h"
#include "tests/fakes/fake_secret_getter.h"
#include "tests/servers/test_http_server.h"
#include "tests/support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
namespace rapi = imgauto::reflector::api;
namespace rctl = imgauto::reflector::controller;
using Clock = std::chrono::steady_clock;

constexpr int kRepositories = 1000;
constexpr int kTagsPerRepository = 1000;
constexpr double kPolicyTargetMs = 1000.0;
constexpr double kIdleRssTargetMb = 40.0;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Reads a "<field>:   1234 kB" line of /proc/self/status and returns megabytes (2^20 B).
double ProcStatusMb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1024.0;
    }
  }
  return -1;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// ---- (a) 1,000 policies ----

// The three tag shapes, by repository index: semver, build numbers, timestamps.
std::vector<std::string> TagsFor(int repo, int count) {
  std::vector<std::string> tags;
  tags.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    switch (repo % 3) {
      case 0:
        tags.push_back(std::to_string(i / 100) + "." + std::to_string(i / 10 % 10) + "." +
                       std::to_string(i % 10));
        break;
      case 1:
        tags.push_back("build-" + std::to_string(1000 + i));
        break;
      default: {
        char buf[48];
        std::snprintf(buf, sizeof(buf), "RELEASE.2024-%02d-%02dT%02d-00-00Z", 1 + i / 280,
                      1 + i / 10 % 28, i % 10);
        tags.push_back(buf);
        break;
      }
    }
  }
  return tags;
}

// The tag one scan adds, newer than all of TagsFor() under the repository's policy.
std::string NewTagFor(int repo) {
  switch (repo % 3) {
    case 0:
      return "10.0.0";
    case 1:
      return "build-99999";
    default:
      return "RELEASE.2099-01-01T00-00-00Z";
  }
}

rapi::ImagePolicyChoice PolicyFor(int repo, std::optional<rapi::TagFilterSpec>* filter) {
  rapi::ImagePolicyChoice choice;
  switch (repo % 3) {
    case 0:
      choice.semver = rapi::SemVerPolicy{">=1.0.0"};
      break;
    case 1:
      choice.numerical = rapi::NumericalPolicy{"asc"};
      *filter = rapi::TagFilterSpec{"^build-(?P<n>[0-9]+)$", "$n"};
      break;
    default:
      choice.alphabetical = rapi::AlphabeticalPolicy{"asc"};
      *filter = rapi::TagFilterSpec{"^RELEASE\\.", ""};
      break;
  }
  return choice;
}

// Stores `tags` for `repo` as a scan would and publishes the matching lastScanResult.
bool StoreScan(imgauto::reflector::store::FileTagStore& store,
               imgauto::testing::FakeImageRepositoryGetter& repos, rapi::ImageRepository& repo,
               std::vector<std::string> tags, const imgauto::Clock& clock) {
  auto sorted = imgauto::reflector::scan::FilterAndSortTags(std::move(tags), {});
  if (!sorted) return false;
  auto revision = store.SetTags({repo.metadata.ns, repo.metadata.name}, *sorted);
  if (!revision) return false;
  rapi::ScanResult result;
  result.revision = *revision;
  result.tag_count = static_cast<std::int64_t>(sorted->size());
  result.scan_time = imgauto::FormatRfc3339(clock.Now());
  repo.status.last_scan_result = result;
  repo.status.canonical_image_name = repo.spec.image;
  repos.Put(repo);
  return true;
}

bool PolicyBench() {
  imgauto::testing::TempDir dir("standalone-bench-tags");
  auto store = imgauto::reflector::store::FileTagStore::Create(dir.path() / "tags");
  if (!store) {
    std::fprintf(stderr, "tag store: %s\n", store.error().message().c_str());
    return false;
  }
  imgauto::SystemClock clock;
  imgauto::testing::FakeImageRepositoryGetter repos;
  imgauto::testing::FakeRegistryClient registry;
  imgauto::testing::FakeRegistryClientFactory factory(registry);
  imgauto::testing::FakeSecretGetter secrets;
  std::vector<rapi::ImageRepository> repositories(kRepositories);
  std::vector<rapi::ImagePolicy> policies(kRepositories);

  Clock::time_point start = Clock::now();
  for (int i = 0; i < kRepositories; ++i) {
    rapi::ImageRepository& repo = repositories[static_cast<std::size_t>(i)];
    repo.metadata.kind = "ImageRepository";
    repo.metadata.ns = "bench";
    repo.metadata.name = "app-" + std::to_string(i);
    repo.metadata.generation = 1;
    repo.spec.image = "registry.example.com/bench/app-" + std::to_string(i);
    repo.spec.interval = std::chrono::minutes(5);
    if (!StoreScan(**store, repos, repo, TagsFor(i, kTagsPerRepository), clock)) return false;
    rapi::ImagePolicy& policy = policies[static_cast<std::size_t>(i)];
    policy.metadata.kind = "ImagePolicy";
    policy.metadata.ns = "bench";
    policy.metadata.name = repo.metadata.name;
    policy.metadata.generation = 1;
    policy.spec.image_repository_name = repo.metadata.name;
    policy.spec.policy = PolicyFor(i, &policy.spec.filter_tags);
  }
  std::printf("tag store filled: %d repositories x %d tags in %.0f ms\n", kRepositories,
              kTagsPerRepository, MsSince(start));

  rctl::ImagePolicyReconciler reconciler(repos, factory, secrets, **store, clock);
  auto reconcile_all = [&](const char* label) {
    int ready = 0;
    Clock::time_point begin = Clock::now();
    for (rapi::ImagePolicy& policy : policies) {
      rctl::ReconcileResult r = reconciler.Reconcile(policy);
      ready += r.error.has_value() ? 0 : 1;
    }
    double ms = MsSince(begin);
    std::printf("%s: %d policies reconciled (%d Ready) in %.1f ms\n", label, kRepositories, ready,
                ms);
    return std::make_pair(ms, ready);
  };
  reconcile_all("first evaluation (selectors compiled)");

  start = Clock::now();
  for (int i = 0; i < kRepositories; ++i) {
    rapi::ImageRepository& repo = repositories[static_cast<std::size_t>(i)];
    std::vector<std::string> tags = TagsFor(i, kTagsPerRepository);
    tags.push_back(NewTagFor(i));
    if (!StoreScan(**store, repos, repo, std::move(tags), clock)) return false;
  }
  std::printf("one scan each (tag files rewritten, not counted): %.0f ms\n", MsSince(start));

  auto [ms, ready] = reconcile_all("re-evaluation after one scan each");
  int moved = 0;
  for (int i = 0; i < kRepositories; ++i) {
    const rapi::ImagePolicy& policy = policies[static_cast<std::size_t>(i)];
    moved += policy.status.latest_ref && policy.status.latest_ref->tag == NewTagFor(i) ? 1 : 0;
  }
  std::printf("policies that moved to the new tag: %d / %d\n", moved, kRepositories);
  const bool ok = ms < kPolicyTargetMs && ready == kRepositories && moved == kRepositories;
  std::printf("policy re-evaluation: %.1f ms (target < %.0f ms): %s\n", ms, kPolicyTargetMs,
              ok ? "ok" : "MISSED");
  return ok;
}

// ---- (b) idle memory ----

constexpr int kIdleRepositories = 334;
constexpr int kIdlePolicies = 333;
constexpr int kIdleAutomations = 333;
constexpr int kIdleTags = 100;
constexpr int kPerNamespace = 10;

std::string TagListJson(std::string_view name) {
  std::string json = "{\"name\":\"" + std::string(name) + "\",\"tags\":[";
  for (int i = 0; i < kIdleTags; ++i) {
    json +=
        (i == 0 ? "\"" : ",\"") + std::to_string(i / 10) + "." + std::to_string(i % 10) + ".0\"";
  }
  return json + "]}";
}

void WriteIdleManifests(const imgauto::testing::TempDir& dir, const std::string& host) {
  for (int group = 0; group * kPerNamespace < kIdleRepositories; ++group) {
    char ns[16];
    std::snprintf(ns, sizeof(ns), "team-%02d", group);
    std::string text;
    for (int i = group * kPerNamespace;
         i < std::min((group + 1) * kPerNamespace, kIdleRepositories); ++i) {
      const std::string name = "app-" + std::to_string(i);
      text +=
          "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: "
          "ImageRepository\nmetadata:\n"
          "  name: " +
          name + "\n  namespace: " + ns + "\nspec:\n  image: " + host + "/bench/" + name +
          "\n  interval: 1h\n  insecure: true\n";
      if (i < kIdlePolicies) {
        text +=
            "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: "
            "ImagePolicy\nmetadata:\n"
            "  name: " +
            name + "\n  namespace: " + ns +
            "\nspec:\n  imageRepositoryRef:\n"
            "    name: " +
            name + "\n  policy:\n    semver:\n      range: \">=1.0.0\"\n";
      }
      if (i < kIdleAutomations) {
        text +=
            "---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: "
            "ImageUpdateAutomation\n"
            "metadata:\n  name: " +
            name + "\n  namespace: " + ns +
            "\nspec:\n"
            "  interval: 1h\n  sourceRef:\n    kind: GitRepository\n    name: "
            "missing\n"
            "  git:\n    commit:\n      author:\n        name: bench\n"
            "        email: bench@example.com\n    push:\n      branch: main\n"
            "  update:\n    path: ./\n    strategy: Setters\n";
      }
    }
    dir.Write(std::string(ns) + ".yaml", text);
  }
}

// Number of regular files under `root` modified at or after `since`.
int CountWrittenSince(const fs::path& root, fs::file_time_type since) {
  int count = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code time_ec;
    if (it->is_regular_file(ec) && it->last_write_time(time_ec) >= since && !time_ec) ++count;
  }
  return count;
}

int CountFiles(const fs::path& root) {
  int count = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    count += it->is_regular_file(ec) ? 1 : 0;
  }
  return count;
}

bool IdleBench() {
  imgauto::testing::TestHttpServer registry(
      {.handler = [](const imgauto::testing::RecordedRequest& req,
                     imgauto::testing::TestResponse& res) {
        res.SetHeader("Content-Type", "application/json");
        const std::string_view suffix = "/tags/list";
        if (req.path.starts_with("/v2/") && req.path.ends_with(suffix)) {
          std::string_view name(req.path);
          name = name.substr(4, name.size() - 4 - suffix.size());
          res.body = TagListJson(name);
          return;
        }
        res.body = "{}";
      }});
  imgauto::testing::TempDir manifests("standalone-bench-manifests");
  imgauto::testing::TempDir state("standalone-bench-state");
  WriteIdleManifests(manifests, registry.host());
  const int objects = kIdleRepositories + kIdlePolicies + kIdleAutomations;
  const double rss_before = ProcStatusMb("VmRSS");

  std::FILE* devnull = std::fopen("/dev/null", "w");
  imgauto::Logger logger({.level = imgauto::LogLevel::kError, .sink = devnull});
  imgauto::SystemClock clock;
  imgauto::cmd::standalone::RunnerOptions options;
  options.manifests_dir = manifests.path();
  options.state_dir = state.path();
  imgauto::cmd::standalone::StandaloneRunner runner(options, logger, clock);
  std::atomic<bool> stop{false};
  bool ran = true;
  Clock::time_point start = Clock::now();
  std::thread loop([&] { ran = static_cast<bool>(runner.Run(stop)); });

  // The first pass is over once every object has written its status.
  const fs::path status = state.path() / "status";
  while (CountFiles(status) < objects && MsSince(start) < 120000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const int written = CountFiles(status);
  const double first_pass_ms = MsSince(start);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double rss = ProcStatusMb("VmRSS");
  const fs::file_time_type idle_start = fs::file_time_type::clock::now();
  const double cpu_before = CpuSeconds();
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const double idle_cpu = CpuSeconds() - cpu_before;
  const double rss_after_idle = ProcStatusMb("VmRSS");
  const double hwm = ProcStatusMb("VmHWM");
  const int idle_writes = CountWrittenSince(status, idle_start);
  stop.store(true);
  loop.join();
  std::fclose(devnull);

  std::printf("first pass: %d of %d status files in %.0f ms (%d registry requests)\n", written,
              objects, first_pass_ms, static_cast<int>(registry.Requests().size()));
  std::printf("RSS before loading: %.1f MB (benchmark + loopback registry)\n", rss_before);
  std::printf(
      "idle RSS after the first pass: %.1f MB; after 5 s idle: %.1f "
      "MB; peak %.1f MB\n",
      rss, rss_after_idle, hwm);
  std::printf(
      "CPU over 5 s idle: %.3f s (%.1f%% of one core); status files "
      "rewritten in that "
      "window: %d (automation retries backing off from 750 ms: their "
      "GitRepository is "
      "missing)\n",
      idle_cpu, idle_cpu / 5 * 100, idle_writes);
  const bool ok = ran && written == objects && rss_after_idle < kIdleRssTargetMb;
  std::printf("idle memory with %d objects: %.1f MB (target < %.0f MB): %s\n", objects,
              rss_after_idle, kIdleRssTargetMb, ok ? "ok" : "MISSED");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bool policies = true;
  bool idle = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--skip-policies") {
      policies = false;
    } else if (arg == "--skip-idle") {
      idle = false;
    } else {
      std::fprintf(stderr, "usage: standalone_bench [--skip-policies] [--skip-idle]\n");
      return 2;
    }
  }
  bool ok = true;
  // Idle memory first, so the policy benchmark's allocations do not inflate it.
  if (idle) ok = IdleBench() && ok;
  if (policies) ok = PolicyBench() && ok;
  return ok ? 0 : 1;
}
