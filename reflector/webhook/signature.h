// Webhook authentication primitives: HMAC signatures as GitHub and Flux's generic-hmac receiver
// send them ("sha256=<hex>"), and constant-time comparison of secrets. Nothing here logs or
// returns the secret.
//
//   if (!VerifyHmacSignature(request.Header("X-Signature"), request.body, token)) → 401
#pragma once

#include <string>
#include <string_view>

namespace imgauto::reflector::webhook {

// Returns the lower-case hex HMAC of `data` keyed with `key`. `algorithm` is "sha1", "sha256" or
// "sha512"; any other value returns "".
std::string HmacHex(std::string_view algorithm, std::string_view key, std::string_view data);

// Checks a signature header of the form "<algorithm>=<hex>" (algorithm sha1, sha256 or sha512,
// hex in either case) against the HMAC of `body` keyed with `key`, in constant time for a given
// algorithm. False for an empty, malformed or unsupported header.
bool VerifyHmacSignature(std::string_view header, std::string_view body, std::string_view key);

// Compares two secrets without leaking where they differ (both are hashed first, so the time
// does not depend on the contents or on the length of either).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace imgauto::reflector::webhook
