#include "core/log.h"

#include <chrono>
#include <cstdio>

#include "core/duration.h"
#include "core/strings.h"

namespace imgauto {
namespace {

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

bool NeedsQuoting(std::string_view value) {
  if (value.empty()) {
    return true;
  }
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == 0x7f) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view text) {
  const std::string lower = AsciiLower(text);
  if (lower == "trace") return LogLevel::kTrace;
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "error") return LogLevel::kError;
  return Error(ErrorKind::kInvalidSpec,
               "invalid log level '" + std::string(text) + "': want trace, debug, info or error");
}

Result<LogEncoding> ParseLogEncoding(std::string_view text) {
  const std::string lower = AsciiLower(text);
  if (lower == "json") return LogEncoding::kJson;
  if (lower == "console" || lower == "text") return LogEncoding::kText;
  return Error(ErrorKind::kInvalidSpec,
               "invalid log encoding '" + std::string(text) + "': want json or console");
}

Logger::Logger(LogOptions options) : options_(options) {}

std::string Logger::Format(LogLevel level, std::string_view message, const LogFields& fields,
                           std::string_view timestamp) const {
  auto clean = [this](std::string_view text) {
    std::string redacted = RedactSecrets(text);
    if (options_.secrets != nullptr) {
      redacted = options_.secrets->Redact(redacted);
    }
    return redacted;
  };
  std::string line;
  if (options_.encoding == LogEncoding::kJson) {
    line += "{\"level\":";
    AppendJsonString(line, LevelName(level));
    line += ",\"ts\":";
    AppendJsonString(line, timestamp);
    line += ",\"msg\":";
    AppendJsonString(line, clean(message));
    for (const auto& [key, value] : fields) {
      line += ',';
      AppendJsonString(line, key);
      line += ':';
      AppendJsonString(line, clean(value));
    }
    line += '}';
  } else {
    line.append(timestamp).append(" ").append(LevelName(level)).append(" ");
    line += clean(message);
    for (const auto& [key, value] : fields) {
      const std::string v = clean(value);
      line.append(" ").append(key).append("=");
      line += NeedsQuoting(v) ? Quote(v) : v;
    }
  }
  return line;
}

void Logger::Log(LogLevel level, std::string_view message, const LogFields& fields) const {
  if (!Enabled(level)) {
    return;
  }
  const auto now = std::chrono::system_clock::now();
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::string ts = FormatRfc3339(now);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(millis));
  ts.insert(ts.size() - 1, frac);
  std::string line = Format(level, message, fields, ts);
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), options_.sink);
  std::fflush(options_.sink);
}

}  // namespace imgauto
