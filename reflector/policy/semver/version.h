// Semantic versions as Flux's semver policy sees them: fluxcd/pkg `version.ParseVersion` on top of
// Masterminds/semver v3's coercing `NewVersion`, and Masterminds' precedence rules.
//
//   std::optional<Version> v = Version::Parse("v1.2.3-rc.1");  // views into the caller's text
//   if (v && Compare(*v, other) > 0) { ... }
//
// Parsing never allocates: a Version holds string_views into the text it was parsed from, so that
// text must outlive it. Version is a small trivially-copyable value, safe to share across threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imgauto::reflector::policy::semver {

class Version {
 public:
  constexpr Version() = default;
  // Builds a version from parts; `prerelease`/`metadata` are the texts after '-' and '+'
  // (without those characters). No validation: use Parse for external input.
  constexpr Version(std::uint64_t major, std::uint64_t minor, std::uint64_t patch,
                    std::string_view prerelease = {}, std::string_view metadata = {},
                    std::string_view original = {})
      : major_(major),
        minor_(minor),
        patch_(patch),
        prerelease_(prerelease),
        metadata_(metadata),
        original_(original) {}

  // Parses a tag the way Flux's semver policy does (fluxcd/pkg version.ParseVersion): the text
  // must contain at least two '.' anywhere, then ParseCoerced must accept it. So "1.2.3",
  // "v2025.02.03" and "1-rc.1.2" (= 1.0.0-rc.1.2) parse; "1.2", "1.2.3.4", "V1.2.3",
  // "1.0.0-01" and "latest" do not. Returns nullopt for anything that does not parse.
  static std::optional<Version> Parse(std::string_view text);

  // Parses like Masterminds v3 NewVersion in coercing mode (no dot-count rule):
  //   v?N(.N)?(.N)?(-PRE)?(+META)?   N = [0-9]+ (leading zeros allowed, must fit uint64),
  //   PRE/META = dot-separated non-empty [0-9A-Za-z-]+ identifiers; a purely numeric PRE
  //   identifier must not have a leading zero. Missing minor/patch are 0.
  static std::optional<Version> ParseCoerced(std::string_view text);

  std::uint64_t major() const { return major_; }
  std::uint64_t minor() const { return minor_; }
  std::uint64_t patch() const { return patch_; }
  // The prerelease without the leading '-', empty for a release.
  std::string_view prerelease() const { return prerelease_; }
  // The build metadata without the leading '+'; ignored by Compare.
  std::string_view metadata() const { return metadata_; }
  // The text that was parsed (Masterminds' Original()).
  std::string_view original() const { return original_; }

  // Returns the canonical form "M.m.p[-pre][+meta]" (Masterminds' String()). Allocates.
  std::string ToString() const;

 private:
  std::uint64_t major_ = 0;
  std::uint64_t minor_ = 0;
  std::uint64_t patch_ = 0;
  std::string_view prerelease_;
  std::string_view metadata_;
  std::string_view original_;
};

// Returns -1, 0 or 1 by SemVer precedence as Masterminds computes it: major, minor, patch
// numerically; a release outranks its prereleases; prerelease identifiers compare left to right,
// numeric (fits uint64) below alphanumeric, numerics numerically, others byte-wise, and a shorter
// list is lower when all shared identifiers are equal. Build metadata is ignored.
int Compare(const Version& a, const Version& b);

// Returns Masterminds' comparePrerelease(a, b): identifier-wise comparison of two prerelease
// strings, where a missing or empty identifier ranks below any other. Compare uses it once both
// prereleases are non-empty; constraints use it directly.
int ComparePrerelease(std::string_view a, std::string_view b);

}  // namespace imgauto::reflector::policy::semver
