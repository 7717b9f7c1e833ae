#include "automation/api/label_selector.h"

#include <algorithm>
#include <string_view>

namespace imgauto::automation::api {
namespace {

constexpr std::size_t kMaxNameLength = 63;
constexpr std::size_t kMaxPrefixLength = 253;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], or empty when `allow_empty`.
bool IsLabelToken(std::string_view text, bool allow_empty) {
  if (text.empty()) {
    return allow_empty;
  }
  if (text.size() > kMaxNameLength || !IsAlnum(text.front()) || !IsAlnum(text.back())) {
    return false;
  }
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// A lower-case RFC 1123 DNS subdomain: labels of [a-z0-9-] joined by '.', alphanumeric ends.
bool IsDnsSubdomain(std::string_view text) {
  if (text.empty() || text.size() > kMaxPrefixLength) {
    return false;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t dot = text.find('.', start);
    std::string_view label =
        text.substr(start, dot == std::string_view::npos ? text.npos : dot - start);
    if (label.empty()) {
      return false;
    }
    auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!lower_alnum(label.front()) || !lower_alnum(label.back()) ||
        !std::all_of(label.begin(), label.end(),
                     [&](char c) { return lower_alnum(c) || c == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return true;
}

Error Invalid(const std::string& where, const std::string& detail) {
  return Error(ErrorKind::kInvalidSpec, where + ": " + detail);
}

Result<void> CheckKey(const std::string& where, std::string_view key) {
  std::string_view name = key;
  std::size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    if (!IsDnsSubdomain(key.substr(0, slash))) {
      return Invalid(where, "invalid label key \"" + std::string(key) +
                                "\": prefix part must be a lowercase RFC 1123 subdomain");
    }
    name = key.substr(slash + 1);
  }
  if (!IsLabelToken(name, /*allow_empty=*/false)) {
    return Invalid(where, "invalid label key \"" + std::string(key) +
                              "\": name part must be at most 63 characters of alphanumerics, "
                              "'-', '_' or '.', starting and ending with an alphanumeric");
  }
  return {};
}

Result<void> CheckValue(const std::string& where, std::string_view value) {
  if (!IsLabelToken(value, /*allow_empty=*/true)) {
    return Invalid(where, "invalid label value \"" + std::string(value) +
                              "\": must be at most 63 characters of alphanumerics, '-', '_' "
                              "or '.', starting and ending with an alphanumeric");
  }
  return {};
}

Result<void> CheckRequirement(const std::string& where, const LabelSelectorRequirement& req) {
  if (Result<void> ok = CheckKey(where + ".key", req.key); !ok) {
    return ok;
  }
  if (req.op == "In" || req.op == "NotIn") {
    if (req.values.empty()) {
      return Invalid(where + ".values", "for 'in', 'notin' operators, values set can't be empty");
    }
    for (std::size_t i = 0; i < req.values.size(); ++i) {
      if (Result<void> ok = CheckValue(where + ".values[" + std::to_string(i) + "]", req.values[i]);
          !ok) {
        return ok;
      }
    }
    return {};
  }
  if (req.op == "Exists" || req.op == "DoesNotExist") {
    if (!req.values.empty()) {
      return Invalid(where + ".values", "values set must be empty for exists and does not exist");
    }
    return {};
  }
  return Invalid(where, "\"" + req.op + "\" is not a valid label selector operator");
}

const std::string* FindLabel(const std::vector<std::pair<std::string, std::string>>& labels,
                             const std::string& key) {
  for (const auto& [k, v] : labels) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

bool Holds(const LabelSelectorRequirement& req,
           const std::vector<std::pair<std::string, std::string>>& labels) {
  const std::string* value = FindLabel(labels, req.key);
  auto in_values = [&] {
    return value != nullptr &&
           std::find(req.values.begin(), req.values.end(), *value) != req.values.end();
  };
  if (req.op == "In") {
    return in_values();
  }
  if (req.op == "NotIn") {
    return !in_values();
  }
  if (req.op == "Exists") {
    return value != nullptr;
  }
  if (req.op == "DoesNotExist") {
    return value == nullptr;
  }
  return false;
}

}  // namespace

bool LabelSelector::Matches(const std::vector<std::pair<std::string, std::string>>& labels) const {
  for (const auto& [key, want] : match_labels) {
    const std::string* got = FindLabel(labels, key);
    if (got == nullptr || *got != want) {
      return false;
    }
  }
  return std::all_of(match_expressions.begin(), match_expressions.end(),
                     [&](const LabelSelectorRequirement& req) { return Holds(req, labels); });
}

Result<void> ValidateLabelSelector(const LabelSelector& selector) {
  for (const auto& [key, value] : selector.match_labels) {
    const std::string where = "matchLabels." + key;
    if (Result<void> ok = CheckKey(where, key); !ok) {
      return ok;
    }
    if (Result<void> ok = CheckValue(where, value); !ok) {
      return ok;
    }
  }
  for (std::size_t i = 0; i < selector.match_expressions.size(); ++i) {
    if (Result<void> ok = CheckRequirement("matchExpressions[" + std::to_string(i) + "]",
                                           selector.match_expressions[i]);
        !ok) {
      return ok;
    }
  }
  return {};
}

}  // namespace imgauto::automation::api
