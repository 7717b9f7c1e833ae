#include "core/sha256.h"

#include <gtest/gtest.h>

namespace imgauto {
namespace {

TEST(Sha256HexTest, HashesEmptyInput) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256HexTest, MatchesFluxStorageRevisionVector) {
  // Flux FluxStorage: tags d c b a stored one per line → this revision (flux-reference §2.2).
  EXPECT_EQ(Sha256Hex("d\nc\nb\na\n"),
            "5c6861a52da9e6bfd5f0b37a8c51af173d7550443bb36253b18b2caf57987f53");
}

}  // namespace
}  // namespace imgauto
