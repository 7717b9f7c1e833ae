// store_memory_bench: stores 1,000 repositories x 1,000 realistic tags in a FileTagStore under a
// temporary directory, reads every list back once (as ImagePolicy evaluation would), and prints
// the process's resident memory (VmRSS / VmHWM from /proc/self/status). Exits 1 when the peak
// exceeds the 100 MB target, so CI can gate on it.
//
//   store_memory_bench [REPOS [TAGS]]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/kube/object.h"
#include "reflector/store/file_tag_store.h"

namespace {

constexpr double kTargetPeakMb = 100.0;

// Reads a "<field>:   1234 kB" line of /proc/self/status and returns megabytes (1 MB = 2^20 B).
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

// A deterministic generator (SplitMix64) so every run stores the same data.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::string Hex(int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < digits; ++i) {
      out += kHex[Next() % 16];
    }
    return out;
  }

 private:
  std::uint64_t state_;
};

// Concatenates pieces (avoids GCC 12's bogus -Wrestrict on "literal" + std::string&&).
std::string Cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view piece : pieces) {
    out.append(piece);
  }
  return out;
}

// Returns `count` distinct tags in one of the shapes real repositories use, sorted descending
// byte-wise as the scanner stores them.
std::vector<std::string> RealisticTags(int repo, int count) {
  Rng rng(static_cast<std::uint64_t>(repo) * 7919 + 1);
  std::vector<std::string> tags;
  tags.reserve(static_cast<std::size_t>(count) + 2);
  for (int i = 0; i < count; ++i) {
    switch (repo % 4) {
      case 0:  // semver with pre-releases: 1.4.7, v2.0.3-rc.1
        tags.push_back(Cat({i % 3 == 0 ? "v" : "", std::to_string(i / 100), ".",
                            std::to_string((i / 10) % 10), ".", std::to_string(i % 10),
                            i % 7 == 0 ? "-rc." : "", i % 7 == 0 ? std::to_string(i % 5) : ""}));
        break;
      case 1:  // CI builds: main-3f9c2ab-1714557600
        tags.push_back(Cat({"main-", rng.Hex(7), "-", std::to_string(1714557600 + i * 613)}));
        break;
      case 2:  // commit digests: sha-<40 hex>
        tags.push_back(Cat({"sha-", rng.Hex(40)}));
        break;
      default:  // calendar versions with build numbers: 2024.5.1-1234
        tags.push_back(Cat({"2024.", std::to_string(1 + i % 12), ".", std::to_string(1 + i % 28),
                            "-", std::to_string(1000 + i)}));
        break;
    }
  }
  std::sort(tags.begin(), tags.end(), std::greater<>());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

std::filesystem::path MakeTempDir() {
  const char* env = std::getenv("TMPDIR");
  std::string pattern = (std::filesystem::path(env != nullptr && *env != '\0' ? env : "/tmp") /
                         "imgauto-store-XXXXXX")
                            .string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(2);
  }
  return pattern;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int repos = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int tags_per_repo = argc > 2 ? std::atoi(argv[2]) : 1000;
  const std::filesystem::path root = MakeTempDir();
  int status = 0;
  {
    auto store = imgauto::reflector::store::FileTagStore::Create(root);
    if (!store) {
      std::fprintf(stderr, "store_memory: %s\n", store.error().message().c_str());
      return 2;
    }
    const double baseline_mb = ProcStatusMb("VmRSS");
    auto key = [](int i) {
      return imgauto::kube::ObjectKey{"bench", Cat({"repo-", std::to_string(i)})};
    };

    std::size_t written_tags = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < repos; ++i) {
      std::vector<std::string> tags = RealisticTags(i, tags_per_repo);
      auto revision = (*store)->SetTags(key(i), tags);
      if (!revision) {
        std::fprintf(stderr, "store_memory: %s\n", revision.error().message().c_str());
        return 2;
      }
      written_tags += tags.size();
    }
    auto written = std::chrono::steady_clock::now();

    // Read every list once, as policies do, and check it round-trips.
    std::size_t read_tags = 0;
    for (int i = 0; i < repos; ++i) {
      auto tags = (*store)->Tags(key(i));
      if (!tags || *tags != RealisticTags(i, tags_per_repo)) {
        std::fprintf(stderr, "store_memory: repository %d did not round-trip\n", i);
        return 2;
      }
      read_tags += tags->size();
    }
    auto read = std::chrono::steady_clock::now();

    std::error_code ec;
    std::uintmax_t disk_bytes = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root, ec)) {
      if (entry.is_regular_file(ec)) {
        disk_bytes += entry.file_size(ec);
      }
    }
    const double rss_mb = ProcStatusMb("VmRSS");
    const double peak_mb = ProcStatusMb("VmHWM");
    std::printf("store_memory: %d repos x %d tags, peak RSS %.1f MB\n", repos, tags_per_repo,
                peak_mb);
    std::printf(
        "store_memory: %zu tags written in %.2f s, %zu read back in %.2f s, %.1f MB on disk\n",
        written_tags, Seconds(written - start), read_tags, Seconds(read - written),
        static_cast<double>(disk_bytes) / (1024.0 * 1024.0));
    std::printf("store_memory: RSS baseline %.1f MB, now %.1f MB, target peak < %.0f MB: %s\n",
                baseline_mb, rss_mb, kTargetPeakMb, peak_mb < kTargetPeakMb ? "PASS" : "FAIL");
    status = peak_mb < kTargetPeakMb ? 0 : 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return status;
}
