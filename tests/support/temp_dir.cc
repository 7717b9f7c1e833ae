#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "core/check.h"

namespace imgauto::testing {

namespace {

std::filesystem::path TempRoot() {
  const char* env = std::getenv("TMPDIR");
  if (env != nullptr && *env != '\0') {
    return std::filesystem::path(env);
  }
  return std::filesystem::path("/tmp");
}

}  // namespace

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = (TempRoot() / ("imgauto-" + std::string(prefix) + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  const char* made = ::mkdtemp(buffer.data());
  IMGAUTO_CHECK(made != nullptr, "mkdtemp failed: is $TMPDIR writable?");
  path_ = std::filesystem::path(made);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort: a leftover dir must not fail a test
}

std::filesystem::path TempDir::Write(std::string_view relpath, std::string_view content) const {
  std::filesystem::path file = path_ / relpath;
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  IMGAUTO_CHECK(!ec, "TempDir::Write could not create parent directories");
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  IMGAUTO_CHECK(out.good(), "TempDir::Write could not open the file");
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  IMGAUTO_CHECK(!out.fail(), "TempDir::Write could not write the file");
  return file;
}

}  // namespace imgauto::testing
