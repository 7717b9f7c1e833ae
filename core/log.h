// Structured logging in Flux's shape: text ("2024-05-01T10:00:00Z info msg key=value") or JSON
// ({"level":"info","ts":"…","msg":"…","key":"value"}), chosen by --log-encoding, filtered by
// --log-level. Every message and value passes through RedactSecrets and the SecretRegistry.
//
//   Logger log(LogOptions{.level = LogLevel::kInfo, .encoding = LogEncoding::kJson});
//   log.Info("scan finished", {{"image", canonical}, {"tags", std::to_string(n)}});
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/redact.h"

namespace imgauto {

enum class LogLevel { kTrace = 0, kDebug = 1, kInfo = 2, kError = 3 };
enum class LogEncoding { kText, kJson };

// Parses Flux's --log-level values: trace, debug, info, error.
Result<LogLevel> ParseLogLevel(std::string_view text);
// Parses --log-encoding values: json, console (text is accepted as an alias of console).
Result<LogEncoding> ParseLogEncoding(std::string_view text);

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  LogEncoding encoding = LogEncoding::kText;
  std::FILE* sink = stderr;
  const SecretRegistry* secrets = nullptr;  // optional extra literal redaction
};

using LogFields = std::vector<std::pair<std::string, std::string>>;

// Thread-safe: lines are written whole under a mutex.
class Logger {
 public:
  explicit Logger(LogOptions options = {});

  void Log(LogLevel level, std::string_view message, const LogFields& fields = {}) const;
  void Trace(std::string_view m, const LogFields& f = {}) const { Log(LogLevel::kTrace, m, f); }
  void Debug(std::string_view m, const LogFields& f = {}) const { Log(LogLevel::kDebug, m, f); }
  void Info(std::string_view m, const LogFields& f = {}) const { Log(LogLevel::kInfo, m, f); }
  void Error(std::string_view m, const LogFields& f = {}) const { Log(LogLevel::kError, m, f); }
  bool Enabled(LogLevel level) const { return level >= options_.level; }

  // Renders one line without writing it (used by tests and by Log).
  std::string Format(LogLevel level, std::string_view message, const LogFields& fields,
                     std::string_view timestamp) const;

 private:
  LogOptions options_;
  mutable std::mutex mu_;
};

}  // namespace imgauto
