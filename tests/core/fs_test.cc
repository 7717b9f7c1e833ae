#include "core/fs.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace imgauto {
namespace {

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "imgauto-fs-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FsTest, AtomicWriteCreatesParentsAndContent) {
  const auto path = dir_ / "a" / "b" / "tags.txt";
  ASSERT_TRUE(AtomicWriteFile(path, "x\ny\n"));
  Result<std::string> read = ReadFile(path);
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(*read, "x\ny\n");
}

TEST_F(FsTest, AtomicWriteReplacesAndLeavesNoTemporaryFiles) {
  const auto path = dir_ / "f";
  ASSERT_TRUE(AtomicWriteFile(path, "old"));
  ASSERT_TRUE(AtomicWriteFile(path, "new"));
  EXPECT_EQ(*ReadFile(path), "new");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) {
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(FsTest, ReadMissingFileIsNotFound) {
  Result<std::string> read = ReadFile(dir_ / "missing");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind(), ErrorKind::kNotFound);
}

TEST_F(FsTest, ReadRejectsFilesOverTheLimit) {
  ASSERT_TRUE(AtomicWriteFile(dir_ / "big", std::string(100, 'x')));
  Result<std::string> read = ReadFile(dir_ / "big", 10);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().kind(), ErrorKind::kInvalidSpec);
}

TEST(SecureJoinTest, ClampsParentReferencesAtRoot) {
  EXPECT_EQ(SecureJoin("/repo", "../../etc/passwd"), std::filesystem::path("/repo/etc/passwd"));
  EXPECT_EQ(SecureJoin("/repo", "./a/../b"), std::filesystem::path("/repo/b"));
  EXPECT_EQ(SecureJoin("/repo", "/abs/x"), std::filesystem::path("/repo/abs/x"));
  EXPECT_EQ(SecureJoin("/repo", ""), std::filesystem::path("/repo"));
}

}  // namespace
}  // namespace imgauto
