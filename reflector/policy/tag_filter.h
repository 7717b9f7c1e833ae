// TagFilter: ImagePolicy `filterTags` — keeps the tags an RE2 pattern matches (unanchored, Go's
// MatchString) and optionally rewrites each into a key with a Go `Regexp.Expand` template.
//
//   auto filter = TagFilter::Create("^main-[a-f0-9]{7}-(?P<ts>[0-9]+)$", "$ts");
//   FilteredTags kept = filter->Apply(tags);  // keys "1700000000", ...; original_index → tags
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace imgauto::reflector::policy {

// The result of TagFilter::Apply: one entry per distinct key, in the input position of the tag
// that produced it. keys()[i] is the candidate the policy sees and original_index()[i] the
// position of its original tag in the Apply input. Key views point into the Apply input (no
// extract template) or into this object's own storage: they stay valid while both live, also
// after a move, until the object is passed to ApplyInto again. Move-only; an object reused with
// ApplyInto keeps its buffers' capacity, so repeated filtering does not allocate.
class FilteredTags {
 public:
  FilteredTags() = default;
  FilteredTags(FilteredTags&&) noexcept = default;
  FilteredTags& operator=(FilteredTags&&) noexcept = default;
  FilteredTags(const FilteredTags&) = delete;
  FilteredTags& operator=(const FilteredTags&) = delete;

  std::span<const std::string_view> keys() const { return keys_; }
  std::span<const std::size_t> original_index() const { return original_index_; }
  std::size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }

 private:
  friend class TagFilter;

  std::vector<std::string_view> keys_;
  std::vector<std::size_t> original_index_;
  std::vector<char> storage_;  // extracted key bytes; a vector keeps its buffer on move
  // Scratch for collision detection, kept only to reuse its capacity.
  std::vector<std::uint64_t> slots_;
};

class TagFilter {
 public:
  // Compiles `pattern` (RE2 syntax, Perl flavour, UTF-8; "" matches everything) and parses the
  // `extract` template. `(?<name>…)` is accepted and rewritten to `(?P<name>…)`; look-behind
  // `(?<=`/`(?<!` stays unsupported. An invalid pattern is kInvalidSpec
  // "invalid regular expression pattern '<pattern>': error parsing regexp: <reason>: `<part>`"
  // (Go's wording). The template follows Go's Regexp.Expand: `$name`/`${name}` where a name is
  // the longest run of letters, digits and '_'; all-digit names are group numbers ($0 = the
  // whole match); unknown names, out-of-range numbers and groups that did not participate give
  // ""; `$$` is '$'; any other '$' stays literal.
  static Result<TagFilter> Create(std::string_view pattern, std::string_view extract);

  TagFilter(TagFilter&&) noexcept;
  TagFilter& operator=(TagFilter&&) noexcept;
  ~TagFilter();

  // Returns whether `tag` contains a match of the pattern.
  bool Matches(std::string_view tag) const;

  // Returns false when `tag` does not match; otherwise replaces `out` with the tag's key: the
  // template expanded with the leftmost-first match, or the tag itself when the template is "".
  // Meant for tests and diagnostics; Apply is the fast path.
  bool KeyFor(std::string_view tag, std::string& out) const;

  // Filters `tags` in input order. Each matching tag gives a key (its expansion, or the tag
  // when the template is empty). When keys collide the later tag wins, and the surviving keys
  // are ordered by the input position of their winning tags (with the tag store's descending
  // byte order that is descending order of the original tags; deliberate difference 4).
  // Thread-safe: the filter is immutable.
  FilteredTags Apply(std::span<const std::string> tags) const;
  // Same as Apply, writing into `out` and reusing its buffers (previous contents are dropped).
  void ApplyInto(std::span<const std::string> tags, FilteredTags& out) const;

  const std::string& pattern() const { return pattern_; }
  const std::string& extract() const { return extract_; }

 private:
  // One step of the parsed template: literal text, or the text of capture group `group`.
  struct Piece {
    int group = -1;  // -1: literal extract_[offset, offset + length)
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };

  TagFilter(std::string pattern, std::string extract, std::unique_ptr<const re2::RE2> re,
            std::vector<Piece> pieces, int submatches);

  // Grows `out`'s key storage to fit `needed` more bytes, re-pointing the keys already in it.
  static void GrowStorage(FilteredTags& out, std::size_t needed);

  // Appends the expansion for a match described by `groups` (RE2 StringPieces) to `out`.
  template <typename Out, typename Group>
  void Expand(const Group* groups, Out& out) const;

  std::string pattern_;
  std::string extract_;
  std::unique_ptr<const re2::RE2> re_;  // RE2 is immovable: hold it by pointer
  std::vector<Piece> pieces_;
  int submatches_ = 0;           // capture slots Expand needs (0 when no group is referenced)
  bool match_all_ = false;       // empty pattern and no group referenced: skip RE2 entirely
  std::string required_prefix_;  // every match starts the tag with this ("" when unknown)
  std::size_t expansion_literal_bytes_ = 0;  // Expand output is at most these literal bytes
  std::size_t expansion_references_ = 0;     // plus this many copies of (a part of) the tag
};

// Rewrites Go 1.22's named-group opener `(?<name>` to RE2's `(?P<name>` wherever it is syntax,
// i.e. not inside an escape, a \Q…\E quote or a character class; every other byte is copied
// unchanged. Fails (kInvalidSpec) for a look-behind `(?<=` / `(?<!`, which neither Go nor RE2
// supports, with Flux's message "invalid regular expression pattern '<pattern>': error parsing
// regexp: look-behind assertions are not supported: `(?<=`". Shared with the exclusion filter.
Result<std::string> TranslateGoRegexSyntax(std::string_view pattern);

}  // namespace imgauto::reflector::policy
