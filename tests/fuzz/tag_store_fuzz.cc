// libFuzzer target for decoding FileTagStore files: the input is decoded both as a plain
// tags.txt and as a tags.txt.gz. Damage must be a kTransient "corrupt tag file" error; a decoded
// plain file must re-serialise to the input, and no decoded tag may contain a newline.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "reflector/store/file_tag_store.h"

namespace {

using imgauto::reflector::store::FileTagStore;

// Small enough that gzip bombs stay fast, large enough for every seed.
constexpr std::size_t kMaxTextBytes = std::size_t{1} << 20;

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void RequireCorruptError(const imgauto::Error& error) {
  Require(error.kind() == imgauto::ErrorKind::kTransient);
  Require(error.message().starts_with("corrupt tag file tags.txt"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  imgauto::Result<std::vector<std::string>> plain =
      FileTagStore::DecodeTagFile(bytes, false, kMaxTextBytes, "tags.txt");
  if (plain) {
    std::string serialised;
    for (const std::string& tag : *plain) {
      Require(tag.find('\n') == std::string::npos);
      serialised.append(tag).push_back('\n');
    }
    Require(serialised == bytes);
  } else {
    RequireCorruptError(plain.error());
  }

  imgauto::Result<std::vector<std::string>> gzipped =
      FileTagStore::DecodeTagFile(bytes, true, kMaxTextBytes, "tags.txt.gz");
  if (gzipped) {
    std::size_t text_bytes = 0;
    for (const std::string& tag : *gzipped) {
      Require(tag.find('\n') == std::string::npos);
      text_bytes += tag.size() + 1;
    }
    Require(text_bytes <= kMaxTextBytes);
  } else if (gzipped.error().kind() != imgauto::ErrorKind::kInternal) {
    RequireCorruptError(gzipped.error());
  }
  return 0;
}
