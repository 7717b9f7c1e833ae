// Real git servers on loopback for integration tests, plus helpers that build test repositories
// with the git CLI.
// - GitHttpServer: Debian's lighttpd running `git http-backend` as CGI behind basic auth.
// - GitSshServer: Debian's sshd on a free port with a generated host key and deploy key.
//
//   Result<std::unique_ptr<GitHttpServer>> http = GitHttpServer::Start({});
//   ASSERT_TRUE(CreateBareRepo((*http)->root() / "app.git", {{"a.yaml", "x: 1\n"}}));
//   std::string url = (*http)->Url("app.git");
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace imgauto::testing {

// Runs `git <args>` in `cwd` with a hermetic configuration (no global/system config, fixed test
// identity) and returns trimmed stdout. The error carries stderr when git exits non-zero.
Result<std::string> RunGit(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                           const std::vector<std::pair<std::string, std::string>>& env = {});

// Creates a bare repository at `bare` whose branch `branch` holds one commit with `files`.
Result<void> CreateBareRepo(const std::filesystem::path& bare,
                            const std::map<std::string, std::string>& files,
                            const std::string& branch = "main");

// Acts as a human: clones `bare` into a scratch dir, checks out `branch` (creating it from HEAD
// when missing), writes `files` (empty content deletes), commits with `message`, optionally
// tags it (lightweight), and pushes. Returns the new commit hash.
Result<std::string> PushFiles(const std::filesystem::path& bare, const std::string& branch,
                              const std::map<std::string, std::string>& files,
                              const std::string& message, const std::string& tag = "");

// Returns the commit hash `rev` resolves to in `repo` (bare or not).
Result<std::string> RevParse(const std::filesystem::path& repo, const std::string& rev);

// lighttpd + git http-backend serving every bare repository under root(), basic auth required.
class GitHttpServer {
 public:
  struct Options {
    std::string user = "gituser";
    std::string password = "S3cret-Http-Pa55";
  };
  // kNotFound when lighttpd or git-http-backend is missing.
  static Result<std::unique_ptr<GitHttpServer>> Start(Options options);
  ~GitHttpServer();

  const std::filesystem::path& root() const { return root_; }
  int port() const { return port_; }
  // "http://127.0.0.1:<port>/git/<repo>" (no credentials in it).
  std::string Url(const std::string& repo) const;

 private:
  GitHttpServer() = default;
  std::unique_ptr<TempDir> dir_;
  std::filesystem::path root_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// sshd on 127.0.0.1 accepting only a generated ed25519 deploy key for the current user.
class GitSshServer {
 public:
  // kNotFound when sshd or ssh-keygen is missing.
  static Result<std::unique_ptr<GitSshServer>> Start();
  ~GitSshServer();

  const std::filesystem::path& root() const { return root_; }
  int port() const { return port_; }
  // "ssh://<user>@127.0.0.1:<port><root>/<repo>".
  std::string Url(const std::string& repo) const;
  // "[127.0.0.1]:<port> ssh-ed25519 AAAA…" for the server's host key.
  const std::string& known_hosts() const { return known_hosts_; }
  // The deploy key (OpenSSH private key) and its public half.
  const std::string& client_key() const { return client_key_; }
  const std::string& client_key_pub() const { return client_key_pub_; }

 private:
  GitSshServer() = default;
  std::unique_ptr<TempDir> dir_;
  std::filesystem::path root_;
  int port_ = 0;
  std::string user_;
  std::string known_hosts_;
  std::string client_key_;
  std::string client_key_pub_;
  std::unique_ptr<Process> process_;
};

// Generates an OpenSSH key pair of `type` ("ed25519", "ecdsa", "rsa") with ssh-keygen into
// `dir`/<name> and returns the private key path.
Result<std::filesystem::path> GenerateSshKey(const std::filesystem::path& dir,
                                             const std::string& name, const std::string& type,
                                             const std::string& bits = "");

}  // namespace imgauto::testing
