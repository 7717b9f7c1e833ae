// A deterministic tag corpus for the policy benchmarks: the mix of tags a busy repository
// accumulates, sorted in tag-store order (descending bytes).
//
//   const std::vector<std::string>& tags = imgauto::bench::TagCorpus();
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace imgauto::bench {

inline constexpr std::size_t kCorpusSize = 100000;
inline constexpr std::uint64_t kCorpusSeed = 0x1a2b3c4d5e6f7081ULL;

// Returns `count` distinct tags drawn from a std::mt19937_64 seeded with `seed`: 40%
// `main-<7 hex>-<unix ts>`, 25% `vX.Y.Z`, 15% `X.Y.Z-rc.N`, 10% `sha-<10 hex>`, 10% one of
// `latest`/`pr-N`/`build-N`/`feature-x-N`; sorted descending by bytes. Values come from the raw
// engine output with modulo (never std::uniform_*_distribution), so every standard library
// produces the same corpus.
std::vector<std::string> MakeTagCorpus(std::size_t count = kCorpusSize,
                                       std::uint64_t seed = kCorpusSeed);

}  // namespace imgauto::bench
