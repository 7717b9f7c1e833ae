// Flux condition types, reasons and helpers (kstatus: Ready positive; Reconciling and Stalled
// negative polarity, present only while True).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/kube/object.h"

namespace imgauto::kube {

inline constexpr std::string_view kReadyCondition = "Ready";
inline constexpr std::string_view kReconcilingCondition = "Reconciling";
inline constexpr std::string_view kStalledCondition = "Stalled";

namespace reason {
inline constexpr std::string_view kSucceeded = "Succeeded";
inline constexpr std::string_view kFailed = "Failed";
inline constexpr std::string_view kFailure = "Failure";
inline constexpr std::string_view kProgressing = "Progressing";
inline constexpr std::string_view kProgressingWithRetry = "ProgressingWithRetry";
inline constexpr std::string_view kImageUrlInvalid = "ImageURLInvalid";
inline constexpr std::string_view kAuthenticationFailed = "AuthenticationFailed";
inline constexpr std::string_view kReadOperationFailed = "ReadOperationFailed";
inline constexpr std::string_view kInvalidPolicy = "InvalidPolicy";
inline constexpr std::string_view kDependencyNotReady = "DependencyNotReady";
inline constexpr std::string_view kAccessDenied = "AccessDenied";
inline constexpr std::string_view kIntervalNotConfigured = "IntervalNotConfigured";
inline constexpr std::string_view kFeatureGateDisabled = "FeatureGateDisabled";
}  // namespace reason

// Returns the condition of `type`, or nullptr.
const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type);

// Sets (adds or replaces) a condition; last_transition_time changes only when status changes.
void SetCondition(std::vector<Condition>& conditions, Condition condition, std::string_view now);

// Removes the condition of `type` if present.
void RemoveCondition(std::vector<Condition>& conditions, std::string_view type);

}  // namespace imgauto::kube
