// SHA-256 over bytes (OpenSSL), for tag-store revisions and manifest digests.
#pragma once

#include <string>
#include <string_view>

namespace imgauto {

// Returns the lower-case hex digest of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

}  // namespace imgauto
