// Go time.Duration text: parsing for CRD fields and flags ("1h30m", "1.5h", "300ms") and
// formatting for messages exactly like Duration.String() ("5m0s", "1h0m0s", "1.5s", "0s").
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.h"

namespace imgauto {

// Parses Go duration syntax (time.ParseDuration). Errors are kInvalidSpec with Go's message:
// `time: invalid duration "abc"`.
Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

// Formats like Go's Duration.String().
std::string FormatGoDuration(std::chrono::nanoseconds d);

// Formats a wall-clock time as RFC 3339 in UTC with second precision ("2024-05-01T10:00:00Z").
std::string FormatRfc3339(std::chrono::system_clock::time_point t);

// RFC 3339 with nine fraction digits ("2024-05-01T10:00:00.123456789Z"), as `flux reconcile`
// writes reconcile.fluxcd.io/requestedAt: two requests in one second stay distinct.
std::string FormatRfc3339Nano(std::chrono::system_clock::time_point t);

}  // namespace imgauto
