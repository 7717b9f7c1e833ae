#include "reflector/registry/reference.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace imgauto::reflector::registry {
namespace {

std::string TestName(std::string_view text) {
  std::string name;
  for (char c : text) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    name.push_back(alnum ? c : '_');
  }
  return name.empty() ? "empty" : name;
}

// Flux §7.6 item 55.
TEST(ReferenceTest, AlpineCanonicalName) {
  Result<ImageReference> ref = ParseRepository("alpine");
  ASSERT_TRUE(ref) << ref.error().message();
  EXPECT_EQ(ref->Canonical(), "index.docker.io/library/alpine");
  EXPECT_EQ(ref->registry, "index.docker.io");
  EXPECT_EQ(ref->repository, "library/alpine");
  EXPECT_EQ(ref->tag, "");
  EXPECT_EQ(ref->BaseUrl(), "https://index.docker.io");
}

struct CanonicalCase {
  std::string image;
  std::string canonical;
};

class CanonicalNameTest : public ::testing::TestWithParam<CanonicalCase> {};

TEST_P(CanonicalNameTest, MatchesGoContainerRegistry) {
  Result<ImageReference> ref = ParseRepository(GetParam().image);
  ASSERT_TRUE(ref) << ref.error().message();
  EXPECT_EQ(ref->Canonical(), GetParam().canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CanonicalNameTest,
    ::testing::Values(CanonicalCase{"alpine", "index.docker.io/library/alpine"},
                      CanonicalCase{"stefanprodan/podinfo", "index.docker.io/stefanprodan/podinfo"},
                      CanonicalCase{"docker.io/x/y", "index.docker.io/x/y"},
                      CanonicalCase{"docker.io/alpine", "index.docker.io/library/alpine"},
                      CanonicalCase{"index.docker.io/alpine", "index.docker.io/library/alpine"},
                      CanonicalCase{"index.docker.io/library/ubuntu",
                                    "index.docker.io/library/ubuntu"},
                      CanonicalCase{"ghcr.io/org/app", "ghcr.io/org/app"},
                      CanonicalCase{"example.com/foo/bar", "example.com/foo/bar"},
                      CanonicalCase{"gcr.io/google.com/project-id/hello-world",
                                    "gcr.io/google.com/project-id/hello-world"},
                      CanonicalCase{"mirror.gcr.io/ubuntu", "mirror.gcr.io/ubuntu"},
                      CanonicalCase{"localhost:5000/x", "localhost:5000/x"},
                      CanonicalCase{"localhost/testimage", "localhost/testimage"},
                      CanonicalCase{"127.0.0.1:5000/a/b/c", "127.0.0.1:5000/a/b/c"},
                      CanonicalCase{"[::1]:5000/app", "[::1]:5000/app"},
                      CanonicalCase{"example.com/a", "example.com/a"},
                      CanonicalCase{"a", "index.docker.io/library/a"},
                      CanonicalCase{"0", "index.docker.io/library/0"},
                      CanonicalCase{"namespace/pathcomponent/image",
                                    "index.docker.io/namespace/pathcomponent/image"},
                      CanonicalCase{"my_registry.example:443/a__b/c--d/e.f_g",
                                    "my_registry.example:443/a__b/c--d/e.f_g"}),
    [](const ::testing::TestParamInfo<CanonicalCase>& info) { return TestName(info.param.image); });

struct BadImageCase {
  std::string image;
  std::string message;  // exact when `exact`, else a substring
  bool exact;
};

class BadImageTest : public ::testing::TestWithParam<BadImageCase> {};

TEST_P(BadImageTest, IsRejectedAsInvalidSpec) {
  Result<ImageReference> ref = ParseRepository(GetParam().image);
  ASSERT_FALSE(ref) << ref->Canonical();
  EXPECT_EQ(ref.error().kind(), ErrorKind::kInvalidSpec);
  if (GetParam().exact) {
    EXPECT_EQ(ref.error().message(), GetParam().message);
  } else {
    EXPECT_NE(ref.error().message().find(GetParam().message), std::string::npos)
        << ref.error().message();
  }
}

const char kDigest[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

INSTANTIATE_TEST_SUITE_P(
    Table, BadImageTest,
    ::testing::Values(
        BadImageCase{"https://ghcr.io/org/app",
                     "image 'https://ghcr.io/org/app' should not include URL scheme; remove "
                     "'https://'",
                     true},
        BadImageCase{"oci://ghcr.io/org/app",
                     "image 'oci://ghcr.io/org/app' should not include URL scheme; remove "
                     "'oci://'",
                     true},
        BadImageCase{"ghcr.io/org/app:v1",
                     "image 'ghcr.io/org/app:v1' should not include a tag; remove ':v1'", true},
        BadImageCase{"alpine:3.18", "image 'alpine:3.18' should not include a tag; remove ':3.18'",
                     true},
        BadImageCase{"localhost:5000/x:1",
                     "image 'localhost:5000/x:1' should not include a tag; remove ':1'", true},
        BadImageCase{"docker.io/library/alpine:3",
                     "image 'docker.io/library/alpine:3' should not include a tag; remove ':3'",
                     true},
        BadImageCase{"alpine:", "image 'alpine:' should not include a tag; remove ':'", true},
        BadImageCase{std::string("alpine@") + kDigest,
                     std::string("image 'alpine@") + kDigest +
                         "' should not include a tag; remove ':" + (kDigest + 7) + "'",
                     true},
        BadImageCase{"ghcr.io/Org/App",
                     "could not parse reference: ghcr.io/Org/App: repository can only contain "
                     "the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: Org/App",
                     true},
        BadImageCase{"", "could not parse reference: : a repository name must be specified", true},
        BadImageCase{"ghcr.io/stefanprodan/podinfo/foo:bar:zzz:qqq/aaa",
                     "could not parse reference: ghcr.io/stefanprodan/podinfo/foo:bar:zzz:qqq/aaa",
                     false},
        BadImageCase{"white space", "repository can only contain the characters", false},
        BadImageCase{"b@char/image", "could not parse reference: b@char/image", false},
        BadImageCase{"ghcr.io/", "repository must be between 1 and 255 characters", false},
        BadImageCase{"ghcr.io/org//app", "repository path component '' must match", false},
        BadImageCase{"ghcr.io/org/-app", "repository path component '-app' must match", false},
        BadImageCase{"ghcr.io/org/app/", "repository path component '' must match", false},
        BadImageCase{"ghcr.io/a..b", "repository path component 'a..b' must match", false},
        BadImageCase{"ghcr.io/a___b", "repository path component 'a___b' must match", false},
        BadImageCase{"ghcr.io:99999/app",
                     "registries must be valid RFC 3986 URI authorities: ghcr.io:99999", false},
        BadImageCase{"ghcr.io:/app", "registries must be valid RFC 3986 URI authorities", false},
        BadImageCase{"user@ghcr.io/app", "could not parse reference: user@ghcr.io/app", false},
        BadImageCase{"ghcr.io/" + std::string(256, 'a'),
                     "repository must be between 1 and 255 characters", false},
        BadImageCase{std::string(254, 'a'), "repository must be between 1 and 255 characters",
                     false}),
    [](const ::testing::TestParamInfo<BadImageCase>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(ReferenceTest, InsecureAllowsHttp) {
  Result<ImageReference> ref = ParseRepository("registry.local:5000/app", /*insecure=*/true);
  ASSERT_TRUE(ref);
  EXPECT_TRUE(ref->insecure);
  EXPECT_EQ(ref->BaseUrl(), "http://registry.local:5000");
}

struct FallbackCase {
  std::string name;
  std::string registry;
  bool insecure;
  bool fallback;
};

class ReferenceFallbackTest : public ::testing::TestWithParam<FallbackCase> {};

TEST_P(ReferenceFallbackTest, AllowsHttpFallbackLikeGgcr) {
  ImageReference ref;
  ref.registry = GetParam().registry;
  ref.repository = "app";
  ref.insecure = GetParam().insecure;
  EXPECT_EQ(ref.AllowsHttpFallback(), GetParam().fallback);
  EXPECT_EQ(ref.Scheme(), GetParam().fallback ? "http" : "https");
  EXPECT_EQ(ref.BaseUrl("https"), "https://" + GetParam().registry);
}

INSTANTIATE_TEST_SUITE_P(
    Registries, ReferenceFallbackTest,
    ::testing::Values(FallbackCase{"PublicHttps", "ghcr.io", false, false},
                      FallbackCase{"PublicInsecure", "ghcr.io", true, true},
                      FallbackCase{"DockerHub", "index.docker.io", false, false},
                      FallbackCase{"Localhost", "localhost", false, true},
                      FallbackCase{"LocalhostPort", "localhost:5000", false, true},
                      FallbackCase{"LocalhostLookalike", "localhost.example.com", false, false},
                      FallbackCase{"Loopback", "127.0.0.1", false, true},
                      FallbackCase{"LoopbackPort", "127.1.2.3:5000", false, true},
                      FallbackCase{"Ipv6Loopback", "[::1]", false, true},
                      FallbackCase{"Ipv6LoopbackPort", "[::1]:5000", false, true},
                      FallbackCase{"Ipv6Other", "[2001:db8::1]:5000", false, false},
                      FallbackCase{"TenSlashEight", "10.20.30.40:5000", false, true},
                      FallbackCase{"OneSevenTwoLow", "172.16.0.1", false, true},
                      FallbackCase{"OneSevenTwoHigh", "172.31.255.255:443", false, true},
                      FallbackCase{"OneSevenTwoOutside", "172.32.0.1", false, false},
                      FallbackCase{"OneNineTwo", "192.168.1.10:5000", false, true},
                      FallbackCase{"OneNineTwoOutside", "192.169.1.10", false, false},
                      FallbackCase{"PublicIp", "8.8.8.8:5000", false, false},
                      FallbackCase{"OctetOutOfRange", "10.0.0.256", false, false},
                      FallbackCase{"TooManyOctets", "10.0.0.1.5", false, false},
                      FallbackCase{"HostnameStartingWithTen", "10.example.com", false, false},
                      FallbackCase{"BadPort", "127.0.0.1:http", false, false}),
    [](const ::testing::TestParamInfo<FallbackCase>& info) { return info.param.name; });

TEST(ReferenceTest, ScopeNamesRepository) {
  Result<ImageReference> ref = ParseRepository("alpine");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->Scope("pull"), "repository:library/alpine:pull");
}

TEST(ReferenceTest, ParseReferenceKeepsTag) {
  Result<ImageReference> ref = ParseReference("ghcr.io/org/app:v1.2.3");
  ASSERT_TRUE(ref) << ref.error().message();
  EXPECT_EQ(ref->Canonical(), "ghcr.io/org/app");
  EXPECT_EQ(ref->tag, "v1.2.3");
  EXPECT_EQ(ref->digest, "");
}

TEST(ReferenceTest, ParseReferenceWithoutTagLeavesTagEmpty) {
  Result<ImageReference> ref = ParseReference("alpine");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->tag, "");
  EXPECT_EQ(ref->Canonical(), "index.docker.io/library/alpine");
}

TEST(ReferenceTest, ParseReferenceTreatsPortAsRegistry) {
  Result<ImageReference> ref = ParseReference("localhost:5000/app");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->registry, "localhost:5000");
  EXPECT_EQ(ref->tag, "");
  Result<ImageReference> tagged = ParseReference("localhost:5000/app:5000");
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->tag, "5000");
}

TEST(ReferenceTest, ParseReferenceKeepsDigest) {
  Result<ImageReference> ref = ParseReference(std::string("alpine@") + kDigest);
  ASSERT_TRUE(ref) << ref.error().message();
  EXPECT_EQ(ref->digest, kDigest);
  EXPECT_EQ(ref->tag, "");
}

TEST(ReferenceTest, ParseReferenceKeepsTagAndDigest) {
  Result<ImageReference> ref = ParseReference(std::string("ghcr.io/org/app:v1@") + kDigest);
  ASSERT_TRUE(ref) << ref.error().message();
  EXPECT_EQ(ref->Canonical(), "ghcr.io/org/app");
  EXPECT_EQ(ref->tag, "v1");
  EXPECT_EQ(ref->digest, kDigest);
}

TEST(ReferenceTest, ParseReferenceRejectsEmptyTag) {
  Result<ImageReference> ref = ParseReference("alpine:");
  ASSERT_FALSE(ref);
  EXPECT_EQ(ref.error().message(),
            "could not parse reference: alpine:: a tag name must follow the colon");
}

TEST(ReferenceTest, ParseReferenceRejectsBadDigests) {
  for (std::string bad :
       {std::string("alpine@sha256:abc"), std::string("alpine@md5:0123"),
        "a@b@" + std::string(kDigest), "alpine@" + std::string(kDigest).substr(0, 70) + "G"}) {
    Result<ImageReference> ref = ParseReference(bad);
    ASSERT_FALSE(ref) << bad;
    EXPECT_EQ(ref.error().kind(), ErrorKind::kInvalidSpec);
    EXPECT_EQ(ref.error().message().rfind("could not parse reference: " + bad, 0), 0u)
        << ref.error().message();
  }
}

TEST(ReferenceTest, ParseReferenceRejectsScheme) {
  Result<ImageReference> ref = ParseReference("http://ghcr.io/org/app:v1");
  ASSERT_FALSE(ref);
  EXPECT_NE(ref.error().message().find("remove 'http://'"), std::string::npos);
}

TEST(ReferenceTest, ParseReferenceExplainsBadTag) {
  Result<ImageReference> ref = ParseReference("alpine:-bad");
  ASSERT_FALSE(ref);
  EXPECT_EQ(ref.error().message(),
            "could not parse reference: alpine:-bad: tag must start with a letter, a digit or "
            "'_': -bad");
}

TEST(ReferenceTest, ValidateTagAcceptsDistributionGrammar) {
  EXPECT_TRUE(ValidateTag("v1.2.3-rc.1_build"));
  EXPECT_TRUE(ValidateTag("_x"));
  EXPECT_TRUE(ValidateTag(std::string(128, 'a')));
}

TEST(ReferenceTest, ValidateTagRejectsOutsideGrammar) {
  EXPECT_FALSE(ValidateTag(""));
  EXPECT_FALSE(ValidateTag(std::string(129, 'a')));
  EXPECT_FALSE(ValidateTag(".x"));
  EXPECT_FALSE(ValidateTag("-x"));
  EXPECT_FALSE(ValidateTag("v1+build"));
  EXPECT_FALSE(ValidateTag("a/b"));
}

TEST(ReferenceTest, ValidateDigestNeedsSha256Hex) {
  EXPECT_TRUE(ValidateDigest(kDigest));
  EXPECT_FALSE(
      ValidateDigest("sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"));
  EXPECT_FALSE(ValidateDigest("sha512:abcd"));
  EXPECT_FALSE(ValidateDigest("sha256:"));
  EXPECT_FALSE(ValidateDigest(""));
}

}  // namespace
}  // namespace imgauto::reflector::registry
