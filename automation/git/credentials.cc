#include "automation/git/credentials.h"

#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "automation/git/git_call.h"
#include "core/redact.h"

namespace imgauto::automation::git {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      ++i;
    }
    if (i > start) {
      fields.push_back(line.substr(start, i - start));
    }
  }
  return fields;
}

bool Base64Decode(std::string_view in, std::string* out) {
  if (in.empty() || in.size() % 4 != 0) {
    return false;
  }
  std::string buf(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) {
    return false;
  }
  size_t pad = 0;
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) {
    ++pad;
  }
  buf.resize(static_cast<size_t>(n) - pad);
  *out = std::move(buf);
  return true;
}

// Glob match with '*' and '?' as in OpenSSH's match_pattern.
bool GlobMatch(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) {
    return text.empty();
  }
  if (pattern.front() == '*') {
    for (size_t i = 0; i <= text.size(); ++i) {
      if (GlobMatch(pattern.substr(1), text.substr(i))) {
        return true;
      }
    }
    return false;
  }
  if (text.empty()) {
    return false;
  }
  if (pattern.front() != '?' && pattern.front() != text.front()) {
    return false;
  }
  return GlobMatch(pattern.substr(1), text.substr(1));
}

bool HashedMatch(std::string_view entry, std::string_view name) {
  // |1|base64(salt)|base64(hmac-sha1(salt, name))
  entry.remove_prefix(3);
  size_t bar = entry.find('|');
  if (bar == std::string_view::npos) {
    return false;
  }
  std::string salt;
  std::string want;
  if (!Base64Decode(entry.substr(0, bar), &salt) || !Base64Decode(entry.substr(bar + 1), &want)) {
    return false;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
           reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac,
           &mac_len) == nullptr) {
    return false;
  }
  return want.size() == mac_len && std::memcmp(want.data(), mac, mac_len) == 0;
}

// Returns whether the comma-separated host pattern list matches `name` (negations win).
bool HostListMatches(std::string_view list, std::string_view name) {
  if (list.rfind("|1|", 0) == 0) {
    return HashedMatch(list, name);
  }
  bool matched = false;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view pattern = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    bool negated = !pattern.empty() && pattern.front() == '!';
    if (negated) {
      pattern.remove_prefix(1);
    }
    if (GlobMatch(pattern, name)) {
      if (negated) {
        return false;
      }
      matched = true;
    }
  }
  return matched;
}

int AcquireCredential(git_credential** out, const char* url, const char* username_from_url,
                      unsigned int allowed_types, void* payload) {
  auto* session = static_cast<RemoteSession*>(payload);
  const Credentials& creds = *session->credentials;
  std::string where = RedactSecrets(url != nullptr ? url : session->url);
  if (++session->credential_attempts > 3) {
    git_error_set_str(GIT_ERROR_NET, ("authentication failed for '" + where + "'").c_str());
    return GIT_EAUTH;
  }
  std::string user = username_from_url != nullptr && username_from_url[0] != '\0'
                         ? username_from_url
                         : (creds.username.empty() ? "git" : creds.username);
  if ((allowed_types & GIT_CREDENTIAL_SSH_KEY) != 0 && !creds.identity.empty()) {
    if (session->credential_attempts > 1) {
      git_error_set_str(GIT_ERROR_NET, ("ssh key rejected by '" + where + "'").c_str());
      return GIT_EAUTH;
    }
    return git_credential_ssh_key_memory_new(
        out, user.c_str(), creds.identity_pub.empty() ? nullptr : creds.identity_pub.c_str(),
        creds.identity.c_str(), creds.password.empty() ? nullptr : creds.password.c_str());
  }
  if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0 && !creds.username.empty()) {
    if (session->credential_attempts > 1) {
      git_error_set_str(GIT_ERROR_NET, ("authentication failed for '" + where + "'").c_str());
      return GIT_EAUTH;
    }
    return git_credential_userpass_plaintext_new(out, creds.username.c_str(),
                                                 creds.password.c_str());
  }
  if ((allowed_types & GIT_CREDENTIAL_USERNAME) != 0) {
    return git_credential_username_new(out, user.c_str());
  }
  git_error_set_str(GIT_ERROR_NET, ("remote '" + where +
                                    "' requires authentication and the secret has no "
                                    "usable credentials")
                                       .c_str());
  return GIT_EAUTH;
}

int CheckCertificate(git_cert* cert, int valid, const char* host, void* payload) {
  auto* session = static_cast<RemoteSession*>(payload);
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) {
    // TLS: keep libgit2's verification result.
    return valid != 0 ? 0 : GIT_PASSTHROUGH;
  }
  std::string host_name;
  int port = 22;
  if (!ParseSshHost(session->url, &host_name, &port)) {
    host_name = host != nullptr ? host : "";
  }
  const Credentials& creds = *session->credentials;
  if (creds.known_hosts.empty()) {
    git_error_set_str(GIT_ERROR_SSH, ("refusing to connect to '" + host_name +
                                      "': no 'known_hosts' in the secret to verify its host key")
                                         .c_str());
    return GIT_ECERTIFICATE;
  }
  const auto* hostkey = reinterpret_cast<const git_cert_hostkey*>(cert);
  if ((hostkey->type & GIT_CERT_SSH_RAW) == 0) {
    git_error_set_str(GIT_ERROR_SSH, "ssh transport did not expose the raw host key");
    return GIT_ECERTIFICATE;
  }
  std::string_view key(hostkey->hostkey, hostkey->hostkey_len);
  if (!KnownHostsAccepts(creds.known_hosts, host_name, port, key)) {
    git_error_set_str(
        GIT_ERROR_SSH,
        ("host key verification failed for '" + host_name + "': key not in known_hosts").c_str());
    return GIT_ECERTIFICATE;
  }
  return 0;
}

}  // namespace

Result<Credentials> Credentials::FromSecretData(const std::map<std::string, std::string>& data) {
  Credentials creds;
  auto get = [&data](const char* key) {
    auto it = data.find(key);
    return it == data.end() ? std::string() : it->second;
  };
  creds.username = get("username");
  creds.password = get("password");
  creds.bearer_token = std::string(Trim(get("bearerToken")));
  creds.identity = get("identity");
  creds.identity_pub = get("identity.pub");
  creds.known_hosts = get("known_hosts");
  if (creds.identity.empty() && creds.username.empty() != creds.password.empty()) {
    return Error(ErrorKind::kInvalidSpec,
                 "invalid auth secret: 'username' and 'password' must be set together");
  }
  if (!creds.bearer_token.empty() && !creds.username.empty()) {
    return Error(ErrorKind::kInvalidSpec,
                 "invalid auth secret: 'bearerToken' cannot be combined with basic auth");
  }
  return creds;
}

void InstallCallbacks(RemoteSession& session, git_remote_callbacks& callbacks) {
  callbacks.payload = &session;
  callbacks.credentials = &AcquireCredential;
  callbacks.certificate_check = &CheckCertificate;
}

std::vector<std::string> ExtraHeaders(const Credentials& credentials) {
  std::vector<std::string> headers;
  if (!credentials.bearer_token.empty()) {
    headers.push_back("Authorization: Bearer " + credentials.bearer_token);
  }
  return headers;
}

void FillCustomHeaders(RemoteSession& session, git_strarray& headers) {
  session.header_storage = ExtraHeaders(*session.credentials);
  session.header_pointers.clear();
  for (std::string& h : session.header_storage) {
    session.header_pointers.push_back(h.data());
  }
  headers.strings = session.header_pointers.empty() ? nullptr : session.header_pointers.data();
  headers.count = session.header_pointers.size();
}

RemoteConnection::RemoteConnection(git_repository* repo, std::string url,
                                   const Credentials& credentials)
    : repo_(repo), session_(std::move(url), credentials) {}

RemoteConnection::~RemoteConnection() {
  if (remote_ != nullptr) {
    git_remote_disconnect(remote_);
    git_remote_free(remote_);
  }
}

Result<void> RemoteConnection::Prepare() {
  if (remote_ != nullptr) {
    return {};
  }
  return GitCall(git_remote_lookup(&remote_, repo_, "origin"), "looking up remote origin");
}

Result<std::vector<RemoteRef>> RemoteConnection::List() {
  if (Result<void> ok = Prepare(); !ok) {
    return ok.error();
  }
  std::string where = "listing refs of '" + RedactSecrets(session_.url) + "'";
  if (git_remote_connected(remote_) == 0) {
    git_remote_connect_options opts = GIT_REMOTE_CONNECT_OPTIONS_INIT;
    InstallCallbacks(session_, opts.callbacks);
    FillCustomHeaders(session_, opts.custom_headers);
    if (Result<void> ok =
            GitCall(git_remote_connect_ext(remote_, GIT_DIRECTION_FETCH, &opts), where);
        !ok) {
      return ok.error();
    }
  }
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (Result<void> ok = GitCall(git_remote_ls(&heads, &count, remote_), where); !ok) {
    return ok.error();
  }
  std::vector<RemoteRef> refs;
  for (size_t i = 0; i < count; ++i) {
    char hex[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(hex, sizeof(hex), &heads[i]->oid);
    if (std::string_view(heads[i]->name) == "HEAD" && git_oid_is_zero(&heads[i]->oid)) {
      continue;
    }
    refs.push_back(RemoteRef{heads[i]->name, hex});
  }
  return refs;
}

Result<void> RemoteConnection::Download(const std::vector<std::string>& refspecs) {
  if (Result<void> ok = Prepare(); !ok) {
    return ok;
  }
  std::vector<char*> pointers;
  std::vector<std::string> copies = refspecs;
  for (std::string& s : copies) {
    pointers.push_back(s.data());
  }
  git_strarray specs{pointers.data(), pointers.size()};
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  InstallCallbacks(session_, opts.callbacks);
  FillCustomHeaders(session_, opts.custom_headers);
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  std::string where = "fetching from '" + RedactSecrets(session_.url) + "'";
  if (Result<void> ok = GitCall(git_remote_download(remote_, &specs, &opts), where); !ok) {
    return ok;
  }
  return GitCall(git_remote_update_tips(remote_, &opts.callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE,
                                        "imgauto: fetch"),
                 where);
}

bool ParseSshHost(std::string_view url, std::string* host, int* port) {
  *port = 22;
  std::string_view rest;
  if (url.rfind("ssh://", 0) == 0) {
    rest = url.substr(6);
    rest = rest.substr(0, rest.find('/'));
    if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
      rest = rest.substr(at + 1);
    }
    if (!rest.empty() && rest.front() == '[') {
      size_t close = rest.find(']');
      if (close == std::string_view::npos) {
        return false;
      }
      *host = std::string(rest.substr(1, close - 1));
      rest = rest.substr(close + 1);
    } else {
      size_t colon = rest.find(':');
      *host = std::string(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
    }
    if (rest.size() > 1 && rest.front() == ':') {
      *port = std::atoi(std::string(rest.substr(1)).c_str());
    }
    return !host->empty() && *port > 0;
  }
  if (url.find("://") != std::string_view::npos) {
    return false;
  }
  size_t colon = url.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  rest = url.substr(0, colon);
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest = rest.substr(at + 1);
  }
  *host = std::string(rest);
  return !host->empty();
}

bool KnownHostsAccepts(std::string_view known_hosts, std::string_view host, int port,
                       std::string_view host_key) {
  std::string name =
      port == 22 ? std::string(host) : "[" + std::string(host) + "]:" + std::to_string(port);
  bool accepted = false;
  while (!known_hosts.empty()) {
    size_t nl = known_hosts.find('\n');
    std::string_view line = Trim(known_hosts.substr(0, nl));
    known_hosts = nl == std::string_view::npos ? std::string_view() : known_hosts.substr(nl + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    std::vector<std::string_view> fields = SplitFields(line);
    bool revoked = false;
    if (!fields.empty() && fields.front().front() == '@') {
      if (fields.front() != "@revoked") {
        continue;  // @cert-authority: certificates are not supported
      }
      revoked = true;
      fields.erase(fields.begin());
    }
    if (fields.size() < 3) {
      continue;
    }
    std::string blob;
    if (!Base64Decode(fields[2], &blob) || blob != host_key) {
      continue;
    }
    if (HostListMatches(fields[0], name)) {
      if (revoked) {
        return false;
      }
      accepted = true;
    }
  }
  return accepted;
}

}  // namespace imgauto::automation::git
