#include "reflector/scan/exclusion_filter.h"

#include <re2/re2.h>

#include <string>
#include <utility>

#include "reflector/policy/tag_filter.h"

namespace imgauto::reflector::scan {

ExclusionFilter::ExclusionFilter(std::vector<std::string> patterns,
                                 std::vector<std::unique_ptr<const re2::RE2>> compiled)
    : patterns_(std::move(patterns)), compiled_(std::move(compiled)) {}

ExclusionFilter::ExclusionFilter(ExclusionFilter&&) noexcept = default;
ExclusionFilter& ExclusionFilter::operator=(ExclusionFilter&&) noexcept = default;
ExclusionFilter::~ExclusionFilter() = default;

Result<ExclusionFilter> ExclusionFilter::Create(std::span<const std::string> patterns) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  std::vector<std::unique_ptr<const re2::RE2>> compiled;
  compiled.reserve(patterns.size());
  for (const std::string& pattern : patterns) {
    // A look-behind fails translation; compiling it untranslated yields RE2's own error text.
    Result<std::string> translated = policy::TranslateGoRegexSyntax(pattern);
    auto re = std::make_unique<const re2::RE2>(translated ? *translated : pattern, options);
    if (!translated && re->ok()) {
      return Error(ErrorKind::kInvalidSpec, "failed to compile regex " + pattern +
                                                ": look-behind assertions are not supported");
    }
    if (!re->ok()) {
      return Error(ErrorKind::kInvalidSpec,
                   "failed to compile regex " + pattern + ": " + re->error());
    }
    compiled.push_back(std::move(re));
  }
  return ExclusionFilter(std::vector<std::string>(patterns.begin(), patterns.end()),
                         std::move(compiled));
}

bool ExclusionFilter::Excluded(std::string_view tag) const {
  for (const auto& re : compiled_) {
    if (re2::RE2::PartialMatch(re2::StringPiece(tag.data(), tag.size()), *re)) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> ExclusionFilter::Apply(std::span<const std::string> tags) const {
  std::vector<std::string> kept;
  kept.reserve(tags.size());
  for (const std::string& tag : tags) {
    if (!Excluded(tag)) {
      kept.push_back(tag);
    }
  }
  return kept;
}

}  // namespace imgauto::reflector::scan
