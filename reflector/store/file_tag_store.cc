#include "reflector/store/file_tag_store.h"

#include <zlib.h>

#include <functional>
#include <optional>
#include <mutex>
#include <system_error>
#include <utility>

#include "core/fs.h"
#include "core/sha256.h"

namespace imgauto::reflector::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPlainFile = "tags.txt";
constexpr std::string_view kGzipFile = "tags.txt.gz";
constexpr int kGzipWindowBits = 15 + 16;  // zlib: 32 KiB window, gzip wrapper

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

Result<void> ValidateName(std::string_view what, std::string_view value) {
  bool ok = !value.empty() && value.size() <= 253 && IsAlnum(value.front()) &&
            IsAlnum(value.back());
  for (char c : value) {
    ok = ok && (IsAlnum(c) || c == '-' || c == '.');
  }
  if (!ok) {
    return Error(ErrorKind::kInvalidSpec,
                 "invalid " + std::string(what) + " \"" + std::string(value) +
                     "\" for the tag store: must be a lower-case DNS-1123 name");
  }
  return {};
}

std::string Serialise(std::span<const std::string> tags) {
  std::size_t size = 0;
  for (const std::string& tag : tags) {
    size += tag.size() + 1;
  }
  std::string text;
  text.reserve(size);
  for (const std::string& tag : tags) {
    text += tag;
    text += '\n';
  }
  return text;
}

Result<std::string> Gzip(std::string_view text) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return Error(ErrorKind::kInternal, "initialising gzip compression failed");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(text.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  std::size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return Error(ErrorKind::kInternal, "gzip compression failed");
  }
  out.resize(written);
  return out;
}

Result<std::string> Gunzip(std::string_view data, std::size_t max_bytes, const fs::path& path) {
  auto corrupt = [&](std::string_view detail) {
    return Error(ErrorKind::kTransient,
                 "corrupt tag file " + path.string() + ": " + std::string(detail));
  };
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) {
    return Error(ErrorKind::kInternal, "initialising gzip decompression failed");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[64 * 1024];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      break;
    }
    out.append(buffer, sizeof(buffer) - zs.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      return corrupt("inflated size exceeds the limit");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_BUF_ERROR;  // input ended before the stream did
    }
  }
  std::string detail = zs.msg != nullptr ? zs.msg : "truncated gzip stream";
  bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return corrupt(detail);
  }
  if (trailing) {
    return corrupt("unexpected data after the gzip stream");
  }
  return out;
}

Result<std::vector<std::string>> ParseText(std::string_view text, const fs::path& path) {
  std::vector<std::string> tags;
  if (text.empty()) {
    return tags;
  }
  if (text.back() != '\n') {
    return Error(ErrorKind::kTransient,
                 "corrupt tag file " + path.string() + ": missing trailing newline");
  }
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    tags.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return tags;
}

// Returns which of the two files holds the current list: the one that exists, or the newer one
// when a crash left both.
std::optional<fs::path> CurrentFile(const fs::path& dir) {
  std::error_code ec;
  fs::path plain = dir / kPlainFile;
  fs::path gz = dir / kGzipFile;
  bool has_plain = fs::is_regular_file(plain, ec);
  bool has_gz = fs::is_regular_file(gz, ec);
  if (has_plain && has_gz) {
    auto plain_time = fs::last_write_time(plain, ec);
    auto gz_time = fs::last_write_time(gz, ec);
    return gz_time > plain_time ? gz : plain;
  }
  if (has_gz) {
    return gz;
  }
  if (has_plain) {
    return plain;
  }
  return std::nullopt;
}

Result<void> RemoveIfPresent(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) {
    return Error(ErrorKind::kTransient, "removing " + path.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace

FileTagStore::FileTagStore(fs::path root, FileTagStoreOptions options)
    : root_(std::move(root)), options_(options) {}

Result<std::unique_ptr<FileTagStore>> FileTagStore::Create(fs::path root,
                                                           FileTagStoreOptions options) {
  if (root.empty()) {
    return Error(ErrorKind::kInvalidSpec, "tag store root must not be empty");
  }
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec || !fs::is_directory(root, ec)) {
    return Error(ErrorKind::kTransient, "creating tag store directory " + root.string() + ": " +
                                            (ec ? ec.message() : "not a directory"));
  }
  return std::unique_ptr<FileTagStore>(new FileTagStore(std::move(root), options));
}

std::string FileTagStore::Revision(std::span<const std::string> tags) {
  return "sha256:" + Sha256Hex(Serialise(tags));
}

Result<fs::path> FileTagStore::DirectoryFor(const kube::ObjectKey& repo) const {
  if (Result<void> ok = ValidateName("namespace", repo.ns); !ok) {
    return ok.error();
  }
  if (Result<void> ok = ValidateName("name", repo.name); !ok) {
    return ok.error();
  }
  return root_ / "imagerepository" / repo.ns / repo.name;
}

std::shared_mutex& FileTagStore::StripeFor(const kube::ObjectKey& repo) const {
  std::size_t h = std::hash<std::string>{}(repo.ns) * 31 + std::hash<std::string>{}(repo.name);
  return stripes_[h % kStripes];
}

Result<std::string> FileTagStore::SetTags(const kube::ObjectKey& repo,
                                          std::span<const std::string> tags) {
  Result<fs::path> dir = DirectoryFor(repo);
  if (!dir) {
    return dir.error();
  }
  for (const std::string& tag : tags) {
    if (tag.find_first_of("\r\n") != std::string::npos) {
      return Error(ErrorKind::kInvalidSpec, "tag contains a line break: " + tag.substr(0, 128));
    }
  }
  std::string text = Serialise(tags);
  std::string revision = "sha256:" + Sha256Hex(text);
  bool compress = text.size() >= options_.compression_threshold_bytes;
  std::string payload;
  if (compress) {
    Result<std::string> gz = Gzip(text);
    if (!gz) {
      return gz.error();
    }
    payload = std::move(*gz);
  } else {
    payload = std::move(text);
  }
  const fs::path target = *dir / (compress ? kGzipFile : kPlainFile);
  const fs::path other = *dir / (compress ? kPlainFile : kGzipFile);

  std::unique_lock lock(StripeFor(repo));
  if (Result<void> written = AtomicWriteFile(target, payload); !written) {
    return written.error().Wrap("storing tags of " + repo.String());
  }
  if (Result<void> removed = RemoveIfPresent(other); !removed) {
    return removed.error().Wrap("storing tags of " + repo.String());
  }
  return revision;
}

Result<std::vector<std::string>> FileTagStore::Tags(const kube::ObjectKey& repo) const {
  Result<fs::path> dir = DirectoryFor(repo);
  if (!dir) {
    return dir.error();
  }
  std::shared_lock lock(StripeFor(repo));
  std::optional<fs::path> file = CurrentFile(*dir);
  if (!file.has_value()) {
    return std::vector<std::string>{};
  }
  const bool gzipped = file->filename() == kGzipFile;
  // A compressed file can be at most about max_text_bytes (deflate never expands much).
  Result<std::string> data = ReadFile(*file, options_.max_text_bytes + 1024);
  if (!data) {
    if (data.error().kind() == ErrorKind::kNotFound) {
      return std::vector<std::string>{};
    }
    return Error(ErrorKind::kTransient, data.error().message())
        .Wrap("reading tags of " + repo.String());
  }
  return DecodeTagFile(*data, gzipped, options_.max_text_bytes, *file);
}

Result<std::vector<std::string>> FileTagStore::DecodeTagFile(std::string_view data, bool gzipped,
                                                             std::size_t max_text_bytes,
                                                             const fs::path& path) {
  if (!gzipped) {
    return ParseText(data, path);
  }
  Result<std::string> text = Gunzip(data, max_text_bytes, path);
  if (!text) {
    return text.error();
  }
  return ParseText(*text, path);
}

Result<void> FileTagStore::Delete(const kube::ObjectKey& repo) {
  Result<fs::path> dir = DirectoryFor(repo);
  if (!dir) {
    return dir.error();
  }
  std::unique_lock lock(StripeFor(repo));
  std::error_code ec;
  fs::remove_all(*dir, ec);
  if (ec) {
    return Error(ErrorKind::kTransient, "deleting tags of " + repo.String() + ": " + ec.message());
  }
  return {};
}

}  // namespace imgauto::reflector::store
