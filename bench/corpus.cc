#include "bench/corpus.h"

#include <algorithm>
#include <functional>
#include <random>
#include <unordered_set>

namespace imgauto::bench {
namespace {

std::string Hex(std::mt19937_64& engine, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  std::uint64_t bits = engine();
  for (int i = 0; i < digits; ++i) {
    out.push_back(kDigits[bits & 0xf]);
    bits >>= 4;
  }
  return out;
}

std::string Number(std::mt19937_64& engine, std::uint64_t modulo) {
  return std::to_string(engine() % modulo);
}

std::string NextTag(std::mt19937_64& engine) {
  const std::uint64_t kind = engine() % 100;
  if (kind < 40) {
    return "main-" + Hex(engine, 7) + "-" + std::to_string(1600000000 + engine() % 100000000);
  }
  if (kind < 65) {
    return "v" + Number(engine, 20) + "." + Number(engine, 50) + "." + Number(engine, 100);
  }
  if (kind < 80) {
    return Number(engine, 20) + "." + Number(engine, 50) + "." + Number(engine, 100) + "-rc." +
           Number(engine, 20);
  }
  if (kind < 90) {
    return "sha-" + Hex(engine, 10);
  }
  switch (engine() % 4) {
    case 0:
      return "latest";
    case 1:
      return "pr-" + Number(engine, 5000);
    case 2:
      return "build-" + Number(engine, 100000);
    default:
      return "feature-x-" + Number(engine, 1000);
  }
}

}  // namespace

std::vector<std::string> MakeTagCorpus(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::unordered_set<std::string> seen;
  std::vector<std::string> tags;
  tags.reserve(count);
  while (tags.size() < count) {
    std::string tag = NextTag(engine);
    if (seen.insert(tag).second) {
      tags.push_back(std::move(tag));
    }
  }
  std::sort(tags.begin(), tags.end(), std::greater<>());
  return tags;
}

}  // namespace imgauto::bench
