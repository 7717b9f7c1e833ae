// TokenSource: the bearer token for API requests, either fixed or read from a file that the
// kubelet rotates (projected service-account tokens are replaced well before they expire). The
// file is re-read whenever its modification time or size changes, and on demand after a 401.
// The token never appears in errors or logs.
//
//   TokenSource tokens("", "/var/run/secrets/kubernetes.io/serviceaccount/token");
//   std::string header = "Bearer " + tokens.Token();
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

namespace imgauto::kube {

// Thread-safe.
class TokenSource {
 public:
  // `file` wins over `token` when set.
  TokenSource(std::string token, std::filesystem::path file);

  // The current token ("" when none). Re-reads the file when it changed; keeps the last good
  // token when the file cannot be read.
  std::string Token();
  // Re-reads the file even if it looks unchanged (after a 401).
  void Invalidate();

 private:
  std::mutex mu_;
  std::string token_;
  std::filesystem::path file_;
  std::filesystem::file_time_type mtime_{};
  std::uintmax_t size_ = 0;
  bool loaded_ = false;
};

}  // namespace imgauto::kube
