// Secret redaction for anything that may reach logs, status, events or stdout.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace imgauto {

// Replaces credentials in free text: the userinfo of URLs (https://user:pass@host →
// https://***@host), Authorization header values (Basic/Bearer …), and JSON/YAML/query fields
// named password, token, access_token, refresh_token, identitytoken, auth, secret.
std::string RedactSecrets(std::string_view text);

// Holds literal secret values (passwords, tokens read from Secrets) and replaces any occurrence
// of them with "***". Thread-safe. Values shorter than 4 bytes are ignored (too many false hits).
class SecretRegistry {
 public:
  void Add(std::string_view secret);
  std::string Redact(std::string_view text) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;
};

}  // namespace imgauto
