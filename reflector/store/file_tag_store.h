// FileTagStore keeps each ImageRepository's tag list in one file, in Flux's FluxStorage layout:
//
//   <root>/imagerepository/<namespace>/<name>/tags.txt      one tag + "\n" per line
//   <root>/imagerepository/<namespace>/<name>/tags.txt.gz   the same text, gzip, when the text
//                                                           is at least the threshold (64 KiB)
//
// Files are replaced atomically (core/fs.h AtomicWriteFile), so a crash leaves the old or the
// new list. Nothing is cached: Tags() reads the file each time, so holding thousands of
// repositories costs no memory. Reads validate the file (trailing newline, complete gzip
// stream, bounded size); a damaged file is kTransient "corrupt tag file <path>: …" and the next
// scan overwrites it.
//
// Namespace and name must be DNS-1123 names (lower-case alphanumerics, '-' and '.', starting and
// ending alphanumeric, ≤ 253 bytes), so a key can never address a path outside the root; other
// keys are kInvalidSpec. Tags must not contain '\n' or '\r' (kInvalidSpec).
//
// Thread-safe: operations on the same key are serialised (readers share), different keys
// proceed in parallel.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/store/tag_store.h"

namespace imgauto::reflector::store {

struct FileTagStoreOptions {
  // Text of at least this many bytes is stored gzipped (Flux's
  // --storage-compression-threshold, 64 KiB by default).
  std::size_t compression_threshold_bytes = std::size_t{64} * 1024;
  // Largest tag text accepted when reading (compressed files are bounded after inflation).
  std::size_t max_text_bytes = std::size_t{256} * 1024 * 1024;
};

class FileTagStore final : public TagStore {
 public:
  // Creates `root` if missing. Errors: empty root (kInvalidSpec), I/O (kTransient).
  static Result<std::unique_ptr<FileTagStore>> Create(std::filesystem::path root,
                                                      FileTagStoreOptions options = {});

  Result<std::string> SetTags(const kube::ObjectKey& repo,
                              std::span<const std::string> tags) override;
  Result<std::vector<std::string>> Tags(const kube::ObjectKey& repo) const override;
  Result<void> Delete(const kube::ObjectKey& repo) override;

  // Returns the directory holding `repo`'s files (after validating the key).
  Result<std::filesystem::path> DirectoryFor(const kube::ObjectKey& repo) const;

  // Returns "sha256:<hex>" of `tags` serialised as the store writes them.
  static std::string Revision(std::span<const std::string> tags);

  // Decodes the bytes of a stored tag file exactly as Tags() does: inflates them when `gzipped`
  // (failing once the text passes `max_text_bytes`), then splits "\n"-terminated lines. `path`
  // only names the file in errors; a damaged file is kTransient "corrupt tag file <path>: …".
  static Result<std::vector<std::string>> DecodeTagFile(std::string_view data, bool gzipped,
                                                        std::size_t max_text_bytes,
                                                        const std::filesystem::path& path);

 private:
  static constexpr std::size_t kStripes = 64;

  FileTagStore(std::filesystem::path root, FileTagStoreOptions options);
  std::shared_mutex& StripeFor(const kube::ObjectKey& repo) const;

  std::filesystem::path root_;
  FileTagStoreOptions options_;
  mutable std::array<std::shared_mutex, kStripes> stripes_;
};

}  // namespace imgauto::reflector::store
