#include "reflector/policy/alphabetical_policy.h"

#include <cstring>
#include <memory>

#include "core/strings.h"

namespace imgauto::reflector::policy {
namespace {

constexpr std::string_view kEmptyListMessage = "version list argument cannot be empty";

// Go's string `<`: unsigned byte-wise, a proper prefix sorts first. Most candidates differ in
// their first byte, so that byte is compared inline before falling back to memcmp.
inline bool ByteLess(std::string_view a, std::string_view b) {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
  }
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  return c != 0 ? c < 0 : a.size() < b.size();
}

// Returns the index of the first extreme element; `tags` must not be empty.
template <typename Str>
std::size_t ExtremeIndex(std::span<const Str> tags, AlphabeticalPolicy::Order order) {
  std::size_t best = 0;
  std::string_view best_text = tags[0];
  if (order == AlphabeticalPolicy::Order::kAscending) {
    for (std::size_t i = 1; i < tags.size(); ++i) {
      const std::string_view text = tags[i];
      if (ByteLess(best_text, text)) {
        best = i;
        best_text = text;
      }
    }
  } else {
    for (std::size_t i = 1; i < tags.size(); ++i) {
      const std::string_view text = tags[i];
      if (ByteLess(text, best_text)) {
        best = i;
        best_text = text;
      }
    }
  }
  return best;
}

}  // namespace

Result<TagPolicyPtr> AlphabeticalPolicy::Create(std::string_view order) {
  const std::string upper = AsciiUpper(order);
  if (upper.empty() || upper == "ASC") {
    return TagPolicyPtr(new AlphabeticalPolicy(Order::kAscending));
  }
  if (upper == "DESC") {
    return TagPolicyPtr(new AlphabeticalPolicy(Order::kDescending));
  }
  return Error(ErrorKind::kInvalidSpec,
               "invalid order argument provided: '" + upper + "', must be one of: ASC, DESC");
}

Result<std::string> AlphabeticalPolicy::Latest(std::span<const std::string> tags) const {
  if (tags.empty()) {
    return Error(ErrorKind::kNotFound, std::string(kEmptyListMessage));
  }
  return tags[ExtremeIndex(tags, order_)];
}

Result<std::size_t> AlphabeticalPolicy::LatestIndex(std::span<const std::string_view> tags) const {
  if (tags.empty()) {
    return Error(ErrorKind::kNotFound, std::string(kEmptyListMessage));
  }
  return ExtremeIndex(tags, order_);
}

}  // namespace imgauto::reflector::policy
