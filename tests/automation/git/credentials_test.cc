#include "automation/git/credentials.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <string>
#include <vector>

#include "automation/git/git_call.h"
#include "automation/git/library.h"

namespace imgauto::automation::git {
namespace {

// An SSH wire-format ed25519 key blob and its base64 (built here, not copied).
std::string Blob(char fill) {
  std::string blob;
  auto put = [&blob](std::string_view s) {
    uint32_t n = static_cast<uint32_t>(s.size());
    blob.push_back(static_cast<char>(n >> 24));
    blob.push_back(static_cast<char>(n >> 16));
    blob.push_back(static_cast<char>(n >> 8));
    blob.push_back(static_cast<char>(n));
    blob.append(s);
  };
  put("ssh-ed25519");
  put(std::string(32, fill));
  return blob;
}

std::string B64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string HashedHost(std::string_view name, std::string_view salt) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &len);
  return "|1|" + B64(salt) + "|" + B64(std::string_view(reinterpret_cast<char*>(mac), len));
}

const std::string kKey = Blob('k');
const std::string kOther = Blob('o');

struct KnownHostsCase {
  std::string_view name;
  std::string known_hosts;
  std::string_view host;
  int port;
  bool want;
};

class KnownHostsTest : public ::testing::TestWithParam<KnownHostsCase> {};

TEST_P(KnownHostsTest, Decides) {
  const KnownHostsCase& c = GetParam();
  EXPECT_EQ(KnownHostsAccepts(c.known_hosts, c.host, c.port, kKey), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, KnownHostsTest,
    ::testing::ValuesIn(std::vector<KnownHostsCase>{
        {"PlainHost", "github.com ssh-ed25519 " + B64(kKey) + "\n", "github.com", 22, true},
        {"HostList", "a.example,github.com ssh-ed25519 " + B64(kKey), "github.com", 22, true},
        {"OtherKey", "github.com ssh-ed25519 " + B64(kOther), "github.com", 22, false},
        {"OtherHost", "gitlab.com ssh-ed25519 " + B64(kKey), "github.com", 22, false},
        {"PortBracketed", "[127.0.0.1]:2222 ssh-ed25519 " + B64(kKey), "127.0.0.1", 2222, true},
        {"PortMissingFromEntry", "127.0.0.1 ssh-ed25519 " + B64(kKey), "127.0.0.1", 2222, false},
        {"Wildcard", "*.example.com ssh-ed25519 " + B64(kKey), "git.example.com", 22, true},
        {"Negated", "*.example.com,!git.example.com ssh-ed25519 " + B64(kKey), "git.example.com",
         22, false},
        {"Hashed", HashedHost("github.com", "0123456789abcdefghij") + " ssh-ed25519 " + B64(kKey),
         "github.com", 22, true},
        {"HashedOtherHost",
         HashedHost("gitlab.com", "0123456789abcdefghij") + " ssh-ed25519 " + B64(kKey),
         "github.com", 22, false},
        {"HashedWithPort",
         HashedHost("[127.0.0.1]:2222", "saltsaltsaltsaltsalt") + " ssh-ed25519 " + B64(kKey),
         "127.0.0.1", 2222, true},
        {"Revoked",
         "github.com ssh-ed25519 " + B64(kKey) + "\n@revoked github.com ssh-ed25519 " + B64(kKey),
         "github.com", 22, false},
        {"CommentsAndBlankLines", "# c\n\ngithub.com ssh-ed25519 " + B64(kKey) + " comment\n",
         "github.com", 22, true},
        {"Empty", "", "github.com", 22, false},
    }),
    [](const auto& info) { return std::string(info.param.name); });

struct SshUrlCase {
  std::string_view name;
  std::string_view url;
  bool ok;
  std::string_view host;
  int port;
};

class ParseSshHostTest : public ::testing::TestWithParam<SshUrlCase> {};

TEST_P(ParseSshHostTest, Parses) {
  const SshUrlCase& c = GetParam();
  std::string host;
  int port = 0;
  ASSERT_EQ(ParseSshHost(c.url, &host, &port), c.ok);
  if (c.ok) {
    EXPECT_EQ(host, c.host);
    EXPECT_EQ(port, c.port);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseSshHostTest,
    ::testing::ValuesIn(std::vector<SshUrlCase>{
        {"SshScheme", "ssh://git@github.com/org/repo.git", true, "github.com", 22},
        {"SshSchemePort", "ssh://git@127.0.0.1:2222/srv/repo.git", true, "127.0.0.1", 2222},
        {"ScpLike", "git@github.com:org/repo.git", true, "github.com", 22},
        {"Ipv6", "ssh://git@[::1]:2200/r", true, "::1", 2200},
        {"Https", "https://github.com/org/repo", false, "", 0},
    }),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CredentialsTest, ReadsSecretKeys) {
  Result<Credentials> c = Credentials::FromSecretData(
      {{"identity", "KEY"}, {"identity.pub", "PUB"}, {"known_hosts", "KH"}, {"password", "pp"}});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->identity, "KEY");
  EXPECT_EQ(c->identity_pub, "PUB");
  EXPECT_EQ(c->known_hosts, "KH");
  EXPECT_EQ(c->password, "pp");
}

TEST(CredentialsTest, RejectsUsernameWithoutPassword) {
  Result<Credentials> c = Credentials::FromSecretData({{"username", "u"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind(), ErrorKind::kInvalidSpec);
}

TEST(CredentialsTest, RejectsBearerWithBasicAuth) {
  Result<Credentials> c =
      Credentials::FromSecretData({{"username", "u"}, {"password", "p"}, {"bearerToken", "t"}});
  ASSERT_FALSE(c);
}

TEST(CredentialsTest, BearerTokenBecomesHeader) {
  Result<Credentials> c = Credentials::FromSecretData({{"bearerToken", "tok-123\n"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(ExtraHeaders(*c), std::vector<std::string>{"Authorization: Bearer tok-123"});
}

struct GitCallCase {
  std::string_view name;
  int rc;
  ErrorKind want;
};

// libgit2's error state needs git_libgit2_init(): every test holds the library like cmd does.
class GitCallTest : public ::testing::TestWithParam<GitCallCase> {
 protected:
  Library library_;
};

TEST_P(GitCallTest, ClassifiesReturnCode) {
  Result<void> r = GitCall(GetParam().rc, "doing x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), GetParam().want);
  EXPECT_EQ(r.error().message().rfind("doing x: ", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Cases, GitCallTest,
                         ::testing::ValuesIn(std::vector<GitCallCase>{
                             {"NotFound", -3, ErrorKind::kNotFound},
                             {"Auth", -16, ErrorKind::kUnauthorized},
                             {"Certificate", -17, ErrorKind::kUnauthorized},
                             {"NonFastForward", -11, ErrorKind::kConflict},
                             {"Generic", -1, ErrorKind::kTransient},
                         }),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(GitCallSuccessTest, NonNegativeIsSuccess) {
  Library library;
  EXPECT_TRUE(GitCall(0, "x"));
}

}  // namespace
}  // namespace imgauto::automation::git
