// WWW-Authenticate parsing (RFC 7235 §4.1): one header value may carry several challenges,
// each an auth scheme followed by comma-separated name=value parameters (token or quoted-string
// values) or a token68. Registries use "Basic realm=…" and
// "Bearer realm=\"…\",service=\"…\",scope=\"…\"".
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace imgauto::reflector::registry {

struct AuthChallenge {
  std::string scheme;                         // lower-cased: "basic", "bearer", …
  std::map<std::string, std::string> params;  // names lower-cased, values unescaped
  std::string token68;                        // rarely used; empty when absent

  // Returns the value of parameter `name` (case-insensitive), or "" when absent.
  std::string Param(std::string_view name) const;
};

// Parses one WWW-Authenticate header value. Never crashes on garbage: malformed input (no
// challenge, a character that cannot start a token, an unterminated quoted string, a parameter
// before any scheme) is a kTransient error naming the byte offset. The message never repeats
// parameter values. Duplicate parameters keep their first value.
Result<std::vector<AuthChallenge>> ParseAuthChallenges(std::string_view header);

// Parses every value in `headers` and concatenates the challenges; values that fail to parse are
// skipped. Returns an empty list when nothing usable was found.
std::vector<AuthChallenge> ParseAuthChallengeHeaders(const std::vector<std::string>& headers);

// Returns the first challenge whose scheme equals `scheme` (case-insensitive), or nullptr.
const AuthChallenge* FindChallenge(const std::vector<AuthChallenge>& challenges,
                                   std::string_view scheme);

}  // namespace imgauto::reflector::registry
