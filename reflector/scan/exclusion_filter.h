// ExclusionFilter drops tags matching any of an ImageRepository's exclusionList patterns before
// they are stored (Flux's filterOutTags): patterns are RE2 (Go regexp) syntax, matched unanchored
// like Go's MatchString, and compiled once in Create(). Immutable and thread-safe after Create.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace imgauto::reflector::scan {

class ExclusionFilter {
 public:
  // Compiles every pattern. `(?<name>…)` is accepted and rewritten to `(?P<name>…)`. An invalid
  // pattern is kInvalidSpec "failed to compile regex <pattern>: <detail>". No patterns → a
  // filter that excludes nothing.
  static Result<ExclusionFilter> Create(std::span<const std::string> patterns);

  ExclusionFilter(ExclusionFilter&&) noexcept;
  ExclusionFilter& operator=(ExclusionFilter&&) noexcept;
  ~ExclusionFilter();

  // Returns true when any pattern matches somewhere in `tag`.
  bool Excluded(std::string_view tag) const;

  // Returns the tags that are not excluded, in their input order.
  std::vector<std::string> Apply(std::span<const std::string> tags) const;

  // Returns the patterns as given (before any rewriting).
  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  ExclusionFilter(std::vector<std::string> patterns,
                  std::vector<std::unique_ptr<const re2::RE2>> compiled);

  std::vector<std::string> patterns_;
  std::vector<std::unique_ptr<const re2::RE2>> compiled_;  // RE2 is immovable
};

}  // namespace imgauto::reflector::scan
