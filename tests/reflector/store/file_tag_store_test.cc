#include "reflector/store/file_tag_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/sha256.h"

namespace imgauto::reflector::store {
namespace {

namespace fs = std::filesystem;
using Tags = std::vector<std::string>;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const fs::path& p, std::string_view data) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string Inflate(const std::string& gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string out(1 << 22, '\0');
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

class FileTagStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "imgauto-tagstore-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<FileTagStore> Make(FileTagStoreOptions options = {}) {
    Result<std::unique_ptr<FileTagStore>> store = FileTagStore::Create(root_ / "store", options);
    EXPECT_TRUE(store) << store.error().message();
    return std::move(*store);
  }
  fs::path Dir(const kube::ObjectKey& key) const {
    return root_ / "store" / "imagerepository" / key.ns / key.name;
  }

  fs::path root_;
  const kube::ObjectKey key_{"flux-system", "podinfo"};
};

TEST_F(FileTagStoreTest, RevisionMatchesFluxVector) {
  auto store = Make();
  Result<std::string> rev = store->SetTags(key_, Tags{"d", "c", "b", "a"});
  ASSERT_TRUE(rev) << rev.error().message();
  EXPECT_EQ(*rev, "sha256:5c6861a52da9e6bfd5f0b37a8c51af173d7550443bb36253b18b2caf57987f53");
  EXPECT_EQ(FileTagStore::Revision(Tags{"d", "c", "b", "a"}), *rev);
}

TEST_F(FileTagStoreTest, RevisionOfEmptyListIsHashOfEmptyText) {
  auto store = Make();
  Result<std::string> rev = store->SetTags(key_, Tags{});
  ASSERT_TRUE(rev);
  EXPECT_EQ(*rev, "sha256:" + Sha256Hex(""));
}

TEST_F(FileTagStoreTest, RevisionDependsOnOrder) {
  EXPECT_NE(FileTagStore::Revision(Tags{"a", "b"}), FileTagStore::Revision(Tags{"b", "a"}));
}

TEST_F(FileTagStoreTest, WritesOneTagPerLineInFluxLayout) {
  auto store = Make();
  ASSERT_TRUE(store->SetTags(key_, Tags{"v2", "v1", ""}));
  EXPECT_EQ(ReadAll(Dir(key_) / "tags.txt"), "v2\nv1\n\n");
  EXPECT_FALSE(fs::exists(Dir(key_) / "tags.txt.gz"));
}

TEST_F(FileTagStoreTest, RoundTripsTagsInGivenOrder) {
  auto store = Make();
  Tags tags{"b", "a", "c", "", "1.0.0+build"};
  ASSERT_TRUE(store->SetTags(key_, tags));
  Result<Tags> read = store->Tags(key_);
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(*read, tags);
}

TEST_F(FileTagStoreTest, UnknownRepositoryHasNoTags) {
  auto store = Make();
  Result<Tags> read = store->Tags(key_);
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->empty());
}

TEST_F(FileTagStoreTest, ReplacingOverwritesPreviousList) {
  auto store = Make();
  ASSERT_TRUE(store->SetTags(key_, Tags{"a", "b"}));
  ASSERT_TRUE(store->SetTags(key_, Tags{"c"}));
  EXPECT_EQ(*store->Tags(key_), Tags{"c"});
}

TEST_F(FileTagStoreTest, CompressesAtThreshold) {
  auto store = Make(FileTagStoreOptions{.compression_threshold_bytes = 8});
  ASSERT_TRUE(store->SetTags(key_, Tags{"abc", "def"}));  // "abc\ndef\n" = 8 bytes
  EXPECT_TRUE(fs::exists(Dir(key_) / "tags.txt.gz"));
  EXPECT_FALSE(fs::exists(Dir(key_) / "tags.txt"));
  std::string gz = ReadAll(Dir(key_) / "tags.txt.gz");
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(Inflate(gz), "abc\ndef\n");
  EXPECT_EQ(*store->Tags(key_), (Tags{"abc", "def"}));
}

TEST_F(FileTagStoreTest, StaysPlainBelowThreshold) {
  auto store = Make(FileTagStoreOptions{.compression_threshold_bytes = 9});
  ASSERT_TRUE(store->SetTags(key_, Tags{"abc", "def"}));
  EXPECT_TRUE(fs::exists(Dir(key_) / "tags.txt"));
  EXPECT_FALSE(fs::exists(Dir(key_) / "tags.txt.gz"));
}

TEST_F(FileTagStoreTest, DefaultThresholdIs64KiB) {
  auto store = Make();
  Tags below(6553, "123456789");  // 6553 × 10 = 65530 bytes
  ASSERT_TRUE(store->SetTags(key_, below));
  EXPECT_TRUE(fs::exists(Dir(key_) / "tags.txt"));
  Tags at(6553, "123456789");
  at.push_back("12345");  // + 6 = 65536 bytes
  Result<std::string> rev = store->SetTags(key_, at);
  ASSERT_TRUE(rev);
  EXPECT_TRUE(fs::exists(Dir(key_) / "tags.txt.gz"));
  EXPECT_FALSE(fs::exists(Dir(key_) / "tags.txt"));
  EXPECT_EQ(*store->Tags(key_), at);
  EXPECT_EQ(*rev, FileTagStore::Revision(at));
}

TEST_F(FileTagStoreTest, SwitchingBackToPlainRemovesGzipFile) {
  auto store = Make(FileTagStoreOptions{.compression_threshold_bytes = 8});
  ASSERT_TRUE(store->SetTags(key_, Tags{"abcdefgh"}));
  ASSERT_TRUE(store->SetTags(key_, Tags{"a"}));
  EXPECT_FALSE(fs::exists(Dir(key_) / "tags.txt.gz"));
  EXPECT_EQ(*store->Tags(key_), Tags{"a"});
}

TEST_F(FileTagStoreTest, CorruptGzipIsTransientError) {
  auto store = Make();
  WriteAll(Dir(key_) / "tags.txt.gz", "\x1f\x8b not really gzip");
  Result<Tags> read = store->Tags(key_);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(read.error().message().find("corrupt tag file"), std::string::npos);
}

TEST_F(FileTagStoreTest, TruncatedGzipIsTransientError) {
  auto store = Make(FileTagStoreOptions{.compression_threshold_bytes = 1});
  ASSERT_TRUE(store->SetTags(key_, Tags(100, "some-tag")));
  std::string gz = ReadAll(Dir(key_) / "tags.txt.gz");
  WriteAll(Dir(key_) / "tags.txt.gz", gz.substr(0, gz.size() / 2));
  Result<Tags> read = store->Tags(key_);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(read.error().message().find("corrupt tag file"), std::string::npos);
}

TEST_F(FileTagStoreTest, TrailingGarbageAfterGzipIsError) {
  auto store = Make(FileTagStoreOptions{.compression_threshold_bytes = 1});
  ASSERT_TRUE(store->SetTags(key_, Tags{"a"}));
  std::string gz = ReadAll(Dir(key_) / "tags.txt.gz");
  WriteAll(Dir(key_) / "tags.txt.gz", gz + "junk");
  Result<Tags> read = store->Tags(key_);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind(), ErrorKind::kTransient);
}

TEST_F(FileTagStoreTest, PlainFileWithoutTrailingNewlineIsError) {
  auto store = Make();
  WriteAll(Dir(key_) / "tags.txt", "a\nb");
  Result<Tags> read = store->Tags(key_);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind(), ErrorKind::kTransient);
  EXPECT_NE(read.error().message().find("missing trailing newline"), std::string::npos);
}

TEST_F(FileTagStoreTest, InflationBeyondLimitIsError) {
  auto store = Make(FileTagStoreOptions{.compression_threshold_bytes = 1, .max_text_bytes = 1024});
  ASSERT_TRUE(store->SetTags(key_, Tags(1000, "aaaaaaaaaaaaaaaaaaaa")));
  Result<Tags> read = store->Tags(key_);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message().find("exceeds the limit"), std::string::npos);
}

TEST_F(FileTagStoreTest, CorruptFileIsRepairedByNextWrite) {
  auto store = Make();
  WriteAll(Dir(key_) / "tags.txt", "broken");
  ASSERT_TRUE(store->SetTags(key_, Tags{"x"}));
  EXPECT_EQ(*store->Tags(key_), Tags{"x"});
}

TEST_F(FileTagStoreTest, RejectsTagWithLineBreak) {
  auto store = Make();
  Result<std::string> rev = store->SetTags(key_, Tags{"a\nb"});
  ASSERT_FALSE(rev);
  EXPECT_EQ(rev.error().kind(), ErrorKind::kInvalidSpec);
}

class FileTagStoreKeyTest : public FileTagStoreTest,
                            public ::testing::WithParamInterface<kube::ObjectKey> {};

TEST_P(FileTagStoreKeyTest, RejectsKeysThatCouldEscapeTheRoot) {
  auto store = Make();
  const kube::ObjectKey key = GetParam();
  Result<std::string> rev = store->SetTags(key, Tags{"a"});
  ASSERT_FALSE(rev);
  EXPECT_EQ(rev.error().kind(), ErrorKind::kInvalidSpec);
  EXPECT_FALSE(store->Tags(key));
  EXPECT_FALSE(store->Delete(key));
  // Nothing was written anywhere under the temp dir except the (empty) store root.
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root_)) {
    files += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(files, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, FileTagStoreKeyTest,
    ::testing::Values(kube::ObjectKey{"", "a"}, kube::ObjectKey{"a", ""},
                      kube::ObjectKey{"..", "a"}, kube::ObjectKey{"a", ".."},
                      kube::ObjectKey{".", "a"}, kube::ObjectKey{"a/b", "c"},
                      kube::ObjectKey{"a", "../../etc"}, kube::ObjectKey{"/abs", "a"},
                      kube::ObjectKey{"Upper", "a"}, kube::ObjectKey{"a", "-lead"},
                      kube::ObjectKey{"a", std::string("nul\0x", 5)},
                      kube::ObjectKey{"a", std::string(254, 'a')}),
    [](const ::testing::TestParamInfo<kube::ObjectKey>& info) {
      return "Key" + std::to_string(info.index);
    });

TEST_F(FileTagStoreTest, DeleteRemovesFiles) {
  auto store = Make();
  ASSERT_TRUE(store->SetTags(key_, Tags{"a"}));
  ASSERT_TRUE(store->Delete(key_));
  EXPECT_FALSE(fs::exists(Dir(key_)));
  EXPECT_TRUE(store->Tags(key_)->empty());
}

TEST_F(FileTagStoreTest, DeleteOfUnknownRepositorySucceeds) {
  auto store = Make();
  EXPECT_TRUE(store->Delete(kube::ObjectKey{"ns", "never-stored"}));
}

TEST_F(FileTagStoreTest, CreateRejectsEmptyRoot) {
  Result<std::unique_ptr<FileTagStore>> store = FileTagStore::Create("");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind(), ErrorKind::kInvalidSpec);
}

TEST_F(FileTagStoreTest, CreateFailsWhenRootIsAFile) {
  WriteAll(root_ / "file", "x");
  Result<std::unique_ptr<FileTagStore>> store = FileTagStore::Create(root_ / "file");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind(), ErrorKind::kTransient);
}

TEST_F(FileTagStoreTest, ConcurrentWritersAndReadersSeeWholeLists) {
  auto store = Make(FileTagStoreOptions{.compression_threshold_bytes = 600});
  const Tags small(10, "small-tag");    // plain
  const Tags large(100, "large-tag");   // gzipped
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (t % 2 == 0) {
          (void)store->SetTags(key_, (i % 2 == 0) ? small : large);
        } else {
          Result<Tags> read = store->Tags(key_);
          if (!read || (!read->empty() && *read != small && *read != large)) {
            torn.fetch_add(1);
          }
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(torn.load(), 0);
}

TEST_F(FileTagStoreTest, HoldsManyRepositoriesOnDisk) {
  auto store = Make();
  Tags tags;
  for (int i = 0; i < 1000; ++i) {
    tags.push_back("1.0." + std::to_string(i));
  }
  for (int r = 0; r < 50; ++r) {
    ASSERT_TRUE(store->SetTags(kube::ObjectKey{"ns", "repo-" + std::to_string(r)}, tags));
  }
  for (int r = 0; r < 50; ++r) {
    Result<Tags> read = store->Tags(kube::ObjectKey{"ns", "repo-" + std::to_string(r)});
    ASSERT_TRUE(read);
    ASSERT_EQ(read->size(), 1000u);
  }
}

TEST(FileTagStoreDecodeTest, SplitsPlainText) {
  Result<Tags> tags = FileTagStore::DecodeTagFile("a\n\nb\n", false, 64, "tags.txt");
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, (Tags{"a", "", "b"}));
}

TEST_F(FileTagStoreTest, DecodesWhatTheStoreWroteGzipped) {
  auto store = Make(FileTagStoreOptions{.compression_threshold_bytes = 1});
  ASSERT_TRUE(store->SetTags(key_, Tags{"v1", "v2"}));
  const std::string gz = ReadAll(Dir(key_) / "tags.txt.gz");
  Result<Tags> tags = FileTagStore::DecodeTagFile(gz, true, 64, "tags.txt.gz");
  ASSERT_TRUE(tags) << tags.error().message();
  EXPECT_EQ(*tags, (Tags{"v1", "v2"}));
}

TEST(FileTagStoreDecodeTest, NamesPathInCorruptError) {
  Result<Tags> tags = FileTagStore::DecodeTagFile("x", false, 64, "/s/tags.txt");
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind(), ErrorKind::kTransient);
  EXPECT_EQ(tags.error().message(), "corrupt tag file /s/tags.txt: missing trailing newline");
}

}  // namespace
}  // namespace imgauto::reflector::store
