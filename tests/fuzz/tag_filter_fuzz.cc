// Fuzzes TagFilter: input = [pattern length][extract length][pattern][extract][tags split on
// '\n']. Checks Apply's invariants (unique keys, increasing indices, later tag wins, keys equal
// to KeyFor) and, when plain RE2 accepts the pattern as is, that Matches agrees with RE2's own
// PartialMatch (this exercises the required-prefix shortcut).
#include <re2/re2.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reflector/policy/tag_filter.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "tag_filter_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t pattern_size = std::min<std::size_t>(data[0] % 64, rest.size());
  const std::string_view pattern = rest.substr(0, pattern_size);
  rest.remove_prefix(pattern_size);
  const std::size_t extract_size = std::min<std::size_t>(data[1] % 32, rest.size());
  const std::string_view extract = rest.substr(0, extract_size);
  rest.remove_prefix(extract_size);
  std::vector<std::string> tags;
  while (!rest.empty() && tags.size() < 64) {
    const std::size_t newline = rest.find('\n');
    tags.emplace_back(rest.substr(0, newline));
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
  }

  auto filter = imgauto::reflector::policy::TagFilter::Create(pattern, extract);
  if (!filter) {
    return 0;
  }
  const imgauto::reflector::policy::FilteredTags kept = filter->Apply(tags);
  std::set<std::string_view> seen;
  std::size_t previous = 0;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const std::size_t index = kept.original_index()[i];
    Check(index < tags.size(), "index out of range");
    Check(i == 0 || index > previous, "indices not increasing");
    previous = index;
    Check(seen.insert(kept.keys()[i]).second, "duplicate key");
    std::string key;
    Check(filter->KeyFor(tags[index], key), "kept tag does not match");
    Check(key == kept.keys()[i], "key differs from KeyFor");
    for (std::size_t later = index + 1; later < tags.size(); ++later) {
      std::string other;
      Check(!filter->KeyFor(tags[later], other) || other != key, "later tag did not win");
    }
  }

  RE2::Options options;
  options.set_log_errors(false);
  const RE2 plain(std::string(pattern), options);
  if (plain.ok()) {
    for (const std::string& tag : tags) {
      Check(filter->Matches(tag) == RE2::PartialMatch(tag, plain), "Matches disagrees with RE2");
    }
  }
  return 0;
}
