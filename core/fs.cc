#include "core/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>
#include <vector>

namespace imgauto {
namespace {

Error IoError(std::string_view what, const std::filesystem::path& path, int err) {
  ErrorKind kind = err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kTransient;
  return Error(kind, std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string RandomSuffix() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::string suffix(12, 'x');
  for (char& c : suffix) {
    c = kAlphabet[device() % (sizeof(kAlphabet) - 1)];
  }
  return suffix;
}

}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return IoError("open", path, errno);
  }
  FdCloser closer(fd);
  std::string data;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return IoError("read", path, errno);
    }
    if (n == 0) {
      break;
    }
    if (data.size() + static_cast<std::size_t>(n) > max_bytes) {
      return Error(ErrorKind::kInvalidSpec,
                   "file " + path.string() + " exceeds " + std::to_string(max_bytes) + " bytes");
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

Result<void> AtomicWriteFile(const std::filesystem::path& path, std::string_view data,
                             std::filesystem::perms mode) {
  std::error_code ec;
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error(ErrorKind::kTransient, "create directory " + dir.string() + ": " + ec.message());
  }
  const std::filesystem::path tmp = dir / ("." + path.filename().string() + ".tmp-" + RandomSuffix());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return IoError("create", tmp, errno);
  }
  FdCloser closer(fd);
  auto fail = [&](std::string_view what) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return IoError(what, tmp, err);
  };
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail("write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    return fail("chmod");
  }
  if (::fsync(fd) != 0) {
    return fail("fsync");
  }
  if (::close(closer.Release()) != 0) {
    return fail("close");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail("rename");
  }
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

std::filesystem::path SecureJoin(const std::filesystem::path& root, std::string_view untrusted) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= untrusted.size()) {
    std::size_t end = untrusted.find('/', start);
    if (end == std::string_view::npos) {
      end = untrusted.size();
    }
    const std::string_view part = untrusted.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::filesystem::path out = root;
  for (std::string_view part : parts) {
    out /= std::string(part);
  }
  return out;
}

}  // namespace imgauto
