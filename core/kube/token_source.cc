#include "core/kube/token_source.h"

#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "core/strings.h"

namespace imgauto::kube {

TokenSource::TokenSource(std::string token, std::filesystem::path file)
    : token_(std::move(token)), file_(std::move(file)) {}

std::string TokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_.empty()) {
    return token_;
  }
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(file_, ec);
  if (ec) {
    return token_;
  }
  const std::uintmax_t size = std::filesystem::file_size(file_, ec);
  if (ec || (loaded_ && mtime == mtime_ && size == size_)) {
    return token_;
  }
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    return token_;
  }
  std::ostringstream text;
  text << in.rdbuf();
  token_ = std::string(TrimSpace(text.str()));
  mtime_ = mtime;
  size_ = size;
  loaded_ = true;
  return token_;
}

void TokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  loaded_ = false;
}

}  // namespace imgauto::kube
