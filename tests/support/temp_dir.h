// TempDir: a private scratch directory for one test, created with mkdtemp under $TMPDIR (or /tmp)
// and removed recursively when the object is destroyed.
//
//   TempDir dir;
//   std::filesystem::path config = dir.Write("registry/config.yml", "version:
//   0.1\n");
#pragma once

#include <filesystem>
#include <string_view>

namespace imgauto::testing {

// Owns a fresh directory. Not copyable or movable (its path is handed out by reference). Creation
// and write failures abort the test binary with a message: they mean the machine is broken, not the
// code under test.
class TempDir {
 public:
  // Creates "<$TMPDIR or /tmp>/imgauto-<prefix>-XXXXXX".
  explicit TempDir(std::string_view prefix = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `content` to `relpath` under path(), creating parent directories, and returns the
  // absolute path of the file. An existing file is replaced.
  std::filesystem::path Write(std::string_view relpath, std::string_view content) const;

  // Returns path() / relpath without touching the filesystem.
  std::filesystem::path Path(std::string_view relpath) const { return path_ / relpath; }

 private:
  std::filesystem::path path_;
};

}  // namespace imgauto::testing
