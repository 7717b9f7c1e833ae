// Selection over a 100,000-tag repository, as ImagePolicy reconciles run it: the selector is
// built once and only Select() is timed. Run pinned: `taskset -c 0 policy_bench`.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "bench/corpus.h"
#include "reflector/api/image_policy.h"
#include "reflector/policy/selector.h"

namespace imgauto::bench {
namespace {

using reflector::policy::TagSelector;

const std::vector<std::string>& Corpus() {
  static const std::vector<std::string>* const corpus =
      new std::vector<std::string>(MakeTagCorpus());
  return *corpus;
}

TagSelector MustCreate(const reflector::api::ImagePolicyChoice& choice,
                       const std::optional<reflector::api::TagFilterSpec>& filter) {
  Result<TagSelector> selector = TagSelector::Create(choice, filter);
  if (!selector) {
    std::fprintf(stderr, "selector: %s\n", selector.error().message().c_str());
    std::abort();
  }
  return std::move(*selector);
}

void RunSelect(benchmark::State& state, const TagSelector& selector) {
  const std::vector<std::string>& tags = Corpus();
  Result<std::string> first = selector.Select(tags);
  if (!first) {
    state.SkipWithError(first.error().message().c_str());
    return;
  }
  state.SetLabel("latest=" + *first);
  for (auto _ : state) {
    Result<std::string> latest = selector.Select(tags);
    benchmark::DoNotOptimize(latest);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(tags.size()));
}

void BM_SemverRange(benchmark::State& state) {
  reflector::api::ImagePolicyChoice choice;
  choice.semver = reflector::api::SemVerPolicy{">=1.0.0 <5.0.0"};
  RunSelect(state, MustCreate(choice, std::nullopt));
}

void BM_NumericalExtractedTimestamp(benchmark::State& state) {
  reflector::api::ImagePolicyChoice choice;
  choice.numerical = reflector::api::NumericalPolicy{"asc"};
  RunSelect(state, MustCreate(choice, reflector::api::TagFilterSpec{
                                          "^main-[a-f0-9]{7}-(?P<ts>[0-9]+)$", "$ts"}));
}

void BM_AlphabeticalAsc(benchmark::State& state) {
  reflector::api::ImagePolicyChoice choice;
  choice.alphabetical = reflector::api::AlphabeticalPolicy{"asc"};
  RunSelect(state, MustCreate(choice, std::nullopt));
}

void BM_SemverPrereleaseExtracted(benchmark::State& state) {
  reflector::api::ImagePolicyChoice choice;
  choice.semver = reflector::api::SemVerPolicy{">=1.0.0-0"};
  RunSelect(state,
            MustCreate(choice, reflector::api::TagFilterSpec{
                                   "^v?(?P<v>[0-9]+\\.[0-9]+\\.[0-9]+(-rc\\.[0-9]+)?)$", "$v"}));
}

BENCHMARK(BM_SemverRange)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NumericalExtractedTimestamp)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AlphabeticalAsc)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SemverPrereleaseExtracted)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace imgauto::bench

BENCHMARK_MAIN();
