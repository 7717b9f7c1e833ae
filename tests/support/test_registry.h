// TestRegistry runs a real CNCF Distribution registry (Debian's /usr/bin/docker-registry) on a free
// loopback port for integration tests: plain HTTP or TLS from a throwaway CA, optionally behind
// htpasswd Basic auth. Images are pushed through the registry HTTP API with curl.
//
//   IMGAUTO_REQUIRE_REGISTRY_TOOLS();
//   Result<std::unique_ptr<TestRegistry>> registry = TestRegistry::Start({.tls = true});
//   ASSERT_TRUE(registry) << registry.error().message();
//   Result<std::string> digest = (*registry)->PushImage("team/app", "1.0.0");
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "core/error.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace imgauto::testing {

// Files of a throwaway PKI: an EC P-256 CA, a server certificate for 127.0.0.1 and localhost (SAN
// IP:127.0.0.1, DNS:localhost), and a client certificate (clientAuth) from the same CA.
struct TestPki {
  std::filesystem::path ca_cert;
  std::filesystem::path ca_key;
  std::filesystem::path server_cert;
  std::filesystem::path server_key;
  std::filesystem::path client_cert;
  std::filesystem::path client_key;
  std::string ca_pem;  // contents of ca_cert
};

// Generates a TestPki in `dir` with the openssl CLI. kNotFound when openssl is missing.
Result<TestPki> GenerateTestPki(const std::filesystem::path& dir);

struct TestRegistryOptions {
  bool tls = false;
  bool basic_auth = false;
  std::string user = "imgauto";
  std::string password = "Reg1stry-Pa55word";
  // When set, the registry POSTs its notification envelopes (`notifications:` endpoint) here.
  std::string notify_url{};
};

// Manifest flavour written by PushImage.
enum class ManifestFormat { kOci, kDockerV2 };

// One registry process and its storage. Destruction stops the process and deletes everything. Not
// thread-safe; start one per test.
class TestRegistry {
 public:
  static constexpr const char* kRegistryBinary = "/usr/bin/docker-registry";

  // Returns "" when docker-registry, htpasswd, openssl and curl are all present, else a message
  // naming what is missing (tests skip with it).
  static std::string MissingTools();

  // Starts the registry and waits (up to 20 s) until /v2/ answers. Retries with another port when
  // the chosen one was taken meanwhile.
  static Result<std::unique_ptr<TestRegistry>> Start(TestRegistryOptions options = {});

  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  // "127.0.0.1:<port>".
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // "http://127.0.0.1:<port>" or "https://…".
  std::string base_url() const { return (options_.tls ? "https://" : "http://") + host_; }
  const TestRegistryOptions& options() const { return options_; }
  // PEM of the CA that signed the server certificate; empty without TLS.
  const std::string& ca_pem() const { return pki_.ca_pem; }
  // The PKI files (empty paths without TLS).
  const TestPki& pki() const { return pki_; }
  // Scratch directory owned by the registry (config, storage, certificates).
  const TempDir& dir() const { return *dir_; }

  // Returns a dockerconfigjson document with credentials for host().
  std::string DockerConfigJson(std::string_view user, std::string_view password) const;

  // Pushes a one-layer image with content unique to repo:tag and returns the manifest digest the
  // registry reported (Docker-Content-Digest), after checking it against the bytes sent.
  Result<std::string> PushImage(std::string_view repo, std::string_view tag,
                                ManifestFormat format = ManifestFormat::kOci);

  // Deletes the manifest `digest` of `repo` (and thereby every tag pointing at it).
  Result<void> DeleteManifest(std::string_view repo, std::string_view digest);

  // Returns the registry's stderr so far (for failure messages).
  std::string Logs() const;

 private:
  TestRegistry() = default;
  Result<void> Launch();

  TestRegistryOptions options_;
  std::unique_ptr<TempDir> dir_;
  TestPki pki_;
  std::string host_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
  int blob_counter_ = 0;
  std::set<std::string> pushed_layers_;  // repositories that already hold the shared layer
};

}  // namespace imgauto::testing

// Skips the current test when the registry tools are not installed. Must be used in a test body (or
// SetUp). In CI they are installed by scripts/install-deps.sh, so the skip is loud.
#define IMGAUTO_REQUIRE_REGISTRY_TOOLS()                                            \
  do {                                                                              \
    std::string imgauto_missing = ::imgauto::testing::TestRegistry::MissingTools(); \
    if (!imgauto_missing.empty()) {                                                 \
      GTEST_SKIP() << "registry integration test skipped: " << imgauto_missing      \
                   << " (install with scripts/install-deps.sh)";                    \
    }                                                                               \
  } while (false)
