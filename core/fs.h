// Filesystem helpers: whole-file reads, crash-safe writes and path confinement.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"

namespace imgauto {

// Reads a whole file. Missing file → kNotFound; other I/O errors → kTransient. Files larger
// than `max_bytes` are rejected with kInvalidSpec.
Result<std::string> ReadFile(const std::filesystem::path& path,
                             std::size_t max_bytes = std::size_t{1} << 30);

// Writes `data` to `path` atomically: a temporary file in the same directory, fsync, rename over
// the target, fsync of the directory. Readers see the old or the new content, never a mix, also
// after a crash. Creates missing parent directories. `mode` applies to the new file.
Result<void> AtomicWriteFile(const std::filesystem::path& path, std::string_view data,
                             std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_write |
                                                           std::filesystem::perms::group_read |
                                                           std::filesystem::perms::others_read);

// Joins `untrusted` under `root` lexically so the result never leaves `root` ("../x" clamps at
// the root, absolute paths are re-rooted), like Go's securejoin without following symlinks.
std::filesystem::path SecureJoin(const std::filesystem::path& root, std::string_view untrusted);

}  // namespace imgauto
