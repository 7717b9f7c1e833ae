// Git credentials from a GitRepository's Secret, and the libgit2 callback glue that presents them:
// HTTPS basic auth (`username`/`password`), a bearer token (`bearerToken`, sent as an
// `Authorization: Bearer …` header), and SSH keys (`identity`, optional `identity.pub`, `password`
// as the key passphrase) with host keys checked against `known_hosts`. There is no
// trust-on-first-use: an SSH remote without `known_hosts` is refused.
//
//   Result<Credentials> creds = Credentials::FromSecretData(secret.data);
//   RemoteSession session(url, *creds);
//   InstallCallbacks(session, fetch_options.callbacks);
//   FillCustomHeaders(session, fetch_options.custom_headers);
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

struct git_remote;
struct git_remote_callbacks;
struct git_repository;
struct git_strarray;

namespace imgauto::automation::git {

// Authentication material. Never logged; error messages never include any of these fields.
struct Credentials {
  std::string username{};
  std::string password{};  // HTTPS password, or the SSH key passphrase
  std::string bearer_token{};
  std::string identity{};      // OpenSSH or PEM private key
  std::string identity_pub{};  // optional public key
  std::string known_hosts{};   // OpenSSH known_hosts lines (plain or hashed `|1|` entries)

  // Builds credentials from Secret data (key → raw bytes). kInvalidSpec when `username` is set
  // without `password` (or the reverse) or when both basic auth and `bearerToken` are present.
  static Result<Credentials> FromSecretData(const std::map<std::string, std::string>& data);
};

// Per-operation state that libgit2 callbacks receive as their payload. One session per
// fetch/push; not thread-safe. `credentials` must outlive the session.
struct RemoteSession {
  RemoteSession(std::string remote_url, const Credentials& creds)
      : url(std::move(remote_url)), credentials(&creds) {}

  std::string url{};
  const Credentials* credentials;
  int credential_attempts = 0;
  // ref name → remote's rejection reason (empty when the ref was accepted).
  std::vector<std::pair<std::string, std::string>> push_statuses;
  std::vector<std::string> header_storage{};
  std::vector<char*> header_pointers;
};

// Points `callbacks` at `session` (payload) and installs the credential and certificate-check
// callbacks. The session must outlive the libgit2 call using the callbacks.
void InstallCallbacks(RemoteSession& session, git_remote_callbacks& callbacks);

// Returns the extra HTTP headers these credentials need ("Authorization: Bearer …" when a
// bearer token is set).
std::vector<std::string> ExtraHeaders(const Credentials& credentials);

// Fills `headers` with the session's extra HTTP headers (the bearer token, if any). The storage
// belongs to the session.
void FillCustomHeaders(RemoteSession& session, git_strarray& headers);

// A remote ref as listed by the server: full name ("refs/heads/main", "refs/tags/v1^{}") and
// 40-hex object id.
struct RemoteRef {
  std::string name{};
  std::string oid{};
};

// One connection to a repository's `origin` with the credentials installed. Not thread-safe;
// the repository and credentials must outlive it.
class RemoteConnection {
 public:
  RemoteConnection(git_repository* repo, std::string url, const Credentials& credentials);
  ~RemoteConnection();
  RemoteConnection(const RemoteConnection&) = delete;
  RemoteConnection& operator=(const RemoteConnection&) = delete;

  // Connects for fetching (if not yet) and lists the remote refs; empty for an empty remote.
  Result<std::vector<RemoteRef>> List();
  // Downloads `refspecs` and updates the local refs they map to (no tag auto-following).
  Result<void> Download(const std::vector<std::string>& refspecs);

  // The looked-up `origin` remote (null before the first List/Download/Prepare).
  git_remote* remote() const { return remote_; }
  RemoteSession& session() { return session_; }
  // Looks up `origin` without connecting.
  Result<void> Prepare();

 private:
  git_repository* repo_;
  git_remote* remote_ = nullptr;
  RemoteSession session_;
};

// Returns whether `host_key` (SSH wire-format public key blob) is listed for `host`:`port` in
// `known_hosts`. Entries may be plain patterns (with `*`, `?`, `!` and `[host]:port`) or hashed
// (`|1|salt|hmac`). `@revoked` lines reject the key; `@cert-authority` lines are ignored.
bool KnownHostsAccepts(std::string_view known_hosts, std::string_view host, int port,
                       std::string_view host_key);

// Extracts host and port from an ssh:// or scp-like (user@host:path) URL; port 22 by default.
// Returns false for other URLs.
bool ParseSshHost(std::string_view url, std::string* host, int* port);

}  // namespace imgauto::automation::git
