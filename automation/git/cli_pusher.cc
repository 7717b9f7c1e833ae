#include "automation/git/cli_pusher.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "automation/git/credentials.h"
#include "core/redact.h"

extern char** environ;

namespace imgauto::automation::git {
namespace {

using SteadyClock = std::chrono::steady_clock;
using EnvVars = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxCapture = size_t{1} << 20;  // per stream; the rest is read and dropped
constexpr size_t kMaxDetail = 300;               // characters of git output quoted in a message
constexpr std::string_view kOpensshBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kOpensshEnd = "-----END OPENSSH PRIVATE KEY-----";

// Prints the username or the password the child's environment holds, as git asks for them.
constexpr std::string_view kAskpassScript =
    "#!/bin/sh\n"
    "case \"$1\" in\n"
    "  [Uu]sername*) printf '%s\\n' \"$IMGAUTO_GIT_USERNAME\" ;;\n"
    "  *) printf '%s\\n' \"$IMGAUTO_GIT_PASSWORD\" ;;\n"
    "esac\n";

bool StartsWith(std::string_view s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(TrimRight(text.substr(0, nl)));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return lines;
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
  }

 private:
  int fd_;
};

// A fresh 0700 directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class PrivateDir {
 public:
  static Result<std::unique_ptr<PrivateDir>> Create() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp") + "/imgauto-push-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Error(ErrorKind::kInternal,
                   std::string("creating a private directory for git: ") + std::strerror(errno));
    }
    return std::unique_ptr<PrivateDir>(new PrivateDir(pattern));
  }
  ~PrivateDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Creates `name` with exactly `mode` and writes `content` into it.
  Result<std::filesystem::path> Write(std::string_view name, std::string_view content,
                                      mode_t mode) const {
    std::filesystem::path file = path_ / name;
    Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (fd.get() < 0 || ::fchmod(fd.get(), mode) != 0) {
      return Error(ErrorKind::kInternal,
                   "writing " + file.string() + ": " + std::string(std::strerror(errno)));
    }
    while (!content.empty()) {
      ssize_t n = ::write(fd.get(), content.data(), content.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return Error(ErrorKind::kInternal,
                     "writing " + file.string() + ": " + std::string(std::strerror(errno)));
      }
      content.remove_prefix(static_cast<size_t>(n));
    }
    return file;
  }

 private:
  explicit PrivateDir(std::string path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// Quotes `s` for a POSIX shell (git runs GIT_SSH_COMMAND through sh).
std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

// Replaces every literal secret with "***", then redacts URL userinfo and credential fields.
std::string Scrub(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& secret : secrets) {
    if (secret.empty()) {
      continue;
    }
    for (size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos + 3)) {
      out.replace(pos, secret.size(), "***");
    }
  }
  return RedactSecrets(out);
}

std::string Bounded(std::string text) {
  if (text.size() > kMaxDetail) {
    text.resize(kMaxDetail);
    text += "...";
  }
  return text;
}

bool IsHttpUrl(std::string_view url) {
  return StartsWith(url, "http://") || StartsWith(url, "https://");
}

// Returns whether git treats `url` as SSH: ssh://…, or scp-like "[user@]host:path" (no slash
// before the first colon, else it is a local path).
bool IsSshUrl(std::string_view url) {
  if (StartsWith(url, "ssh://")) {
    return true;
  }
  size_t colon = url.find(':');
  return !Contains(url, "://") && colon != std::string_view::npos && colon > 0 &&
         !Contains(url.substr(0, colon), "/");
}

// Returns whether an ssh:// or scp-like URL names the user ("git@host:…").
bool SshUrlHasUser(std::string_view url) {
  if (StartsWith(url, "ssh://")) {
    std::string_view authority = url.substr(6);
    return Contains(authority.substr(0, authority.find('/')), "@");
  }
  return Contains(url.substr(0, url.find(':')), "@");
}

// Returns whether `key` is passphrase-protected: a PEM key with an ENCRYPTED header, or an
// openssh-key-v1 key whose cipher is not "none".
bool IsEncryptedKey(std::string_view key) {
  size_t begin = key.find(kOpensshBegin);
  size_t end = key.find(kOpensshEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) {
    return Contains(key, "ENCRYPTED");
  }
  std::string b64;
  for (char c : key.substr(begin + kOpensshBegin.size(), end - begin - kOpensshBegin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
      b64 += c;
    }
  }
  if (b64.empty() || b64.size() % 4 != 0) {
    return false;
  }
  std::string raw(b64.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  constexpr std::string_view kMagic("openssh-key-v1\0", 15);
  if (n < static_cast<int>(kMagic.size() + 4) || std::string_view(raw).substr(0, 15) != kMagic) {
    return false;
  }
  auto byte = [&raw](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(raw[i]));
  };
  uint32_t len = (byte(15) << 24) | (byte(16) << 16) | (byte(17) << 8) | byte(18);
  if (19 + static_cast<size_t>(len) > static_cast<size_t>(n)) {
    return false;
  }
  return std::string_view(raw).substr(19, len) != "none";
}

// What the git child needs besides the inherited environment: variables, config entries, and
// the literal secrets to scrub from its output.
struct GitSetup {
  EnvVars env{};
  EnvVars config{};  // passed as GIT_CONFIG_KEY_<i>/GIT_CONFIG_VALUE_<i>
  std::vector<std::string> secrets{};
};

Result<void> SetUpSsh(const Credentials& creds, std::string_view url, const PrivateDir& dir,
                      GitSetup& setup) {
  std::string host;
  int port = 22;
  ParseSshHost(url, &host, &port);
  if (creds.known_hosts.empty()) {
    return Error(ErrorKind::kUnauthorized,
                 "refusing to connect to '" + host +
                     "': no 'known_hosts' in the secret to verify its host key");
  }
  if (creds.identity.empty()) {
    return Error(ErrorKind::kUnauthorized, "remote '" + RedactSecrets(url) +
                                               "' requires authentication and the secret has "
                                               "no 'identity' key");
  }
  if (IsEncryptedKey(creds.identity)) {
    return Error(ErrorKind::kInvalidSpec,
                 "pushing with git push options needs an unencrypted SSH key: passphrase "
                 "protected keys are not supported with push options");
  }
  std::string identity = creds.identity;
  if (identity.back() != '\n') {
    identity += '\n';  // OpenSSH refuses a key without the final newline
  }
  Result<std::filesystem::path> key = dir.Write("identity", identity, 0600);
  if (!key) {
    return key.error();
  }
  Result<std::filesystem::path> known_hosts = dir.Write("known_hosts", creds.known_hosts, 0600);
  if (!known_hosts) {
    return known_hosts.error();
  }
  std::string command =
      "ssh -F /dev/null -i " + ShellQuote(key->string()) +
      " -o IdentitiesOnly=yes -o UserKnownHostsFile=" + ShellQuote(known_hosts->string()) +
      " -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"
      " -o UpdateHostKeys=no -o BatchMode=yes";
  if (!SshUrlHasUser(url)) {
    // Same default user as the libgit2 path.
    command += " -l " + ShellQuote(creds.username.empty() ? "git" : creds.username);
  }
  setup.env.emplace_back("GIT_SSH_COMMAND", std::move(command));
  setup.secrets.push_back(creds.password);
  return {};
}

Result<void> SetUpHttp(const Credentials& creds, const PrivateDir& dir, GitSetup& setup) {
  if (!creds.username.empty()) {
    Result<std::filesystem::path> askpass = dir.Write("askpass.sh", kAskpassScript, 0700);
    if (!askpass) {
      return askpass.error();
    }
    setup.env.emplace_back("GIT_ASKPASS", askpass->string());
    setup.env.emplace_back("IMGAUTO_GIT_USERNAME", creds.username);
    setup.env.emplace_back("IMGAUTO_GIT_PASSWORD", creds.password);
    setup.secrets.push_back(creds.password);
  }
  if (!creds.bearer_token.empty()) {
    setup.config.emplace_back("http.extraHeader", "Authorization: Bearer " + creds.bearer_token);
    setup.secrets.push_back(creds.bearer_token);
  }
  return {};
}

// Returns the child's environment: the parent's without git, ssh-agent, locale and home
// variables, then `setup`'s variables and config entries.
std::vector<std::string> ChildEnvironment(const GitSetup& setup) {
  constexpr std::string_view kDropped[] = {
      "HOME=", "XDG_CONFIG_HOME=", "SSH_AUTH_SOCK=", "SSH_ASKPASS=", "LANG=", "LANGUAGE="};
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view var(*entry);
    bool drop = StartsWith(var, "GIT_") || StartsWith(var, "LC_") ||
                std::any_of(std::begin(kDropped), std::end(kDropped),
                            [var](std::string_view d) { return StartsWith(var, d); });
    if (!drop) {
      env.emplace_back(var);
    }
  }
  for (const auto& [name, value] : setup.env) {
    env.push_back(name + "=" + value);
  }
  env.push_back("GIT_CONFIG_COUNT=" + std::to_string(setup.config.size()));
  for (size_t i = 0; i < setup.config.size(); ++i) {
    env.push_back("GIT_CONFIG_KEY_" + std::to_string(i) + "=" + setup.config[i].first);
    env.push_back("GIT_CONFIG_VALUE_" + std::to_string(i) + "=" + setup.config[i].second);
  }
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

struct ChildOutput {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out{};
  std::string err{};
};

// Reads what `fd` has now into `sink` (up to kMaxCapture); returns false at end of file.
bool Drain(int fd, std::string& sink) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      sink.append(
          buf, std::min(static_cast<size_t>(n), kMaxCapture - std::min(kMaxCapture, sink.size())));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

int MillisecondsUntil(SteadyClock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, INT_MAX));
}

// Runs `args` (no shell) in `cwd` with environment `env` and stdin from /dev/null, in its own
// process group; captures stdout and stderr. After `deadline` the whole group is killed:
// kTransient "timed out". kInternal when the program cannot be started.
Result<ChildOutput> RunChild(std::vector<std::string> args, std::vector<std::string> env,
                             const std::filesystem::path& cwd, SteadyClock::time_point deadline) {
  int out_fds[2];
  int err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) {
    return Error(ErrorKind::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  Fd out_read(out_fds[0]);
  Fd out_write(out_fds[1]);
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    return Error(ErrorKind::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  Fd err_read(err_fds[0]);
  Fd err_write(err_fds[1]);
  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_in.get() < 0) {
    return Error(ErrorKind::kInternal, std::string("/dev/null: ") + std::strerror(errno));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null_in.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);  // fds of other threads
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // servers ignore SIGPIPE; git and ssh expect the default
  sigaddset(&defaults, SIGCHLD);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0].c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Error(ErrorKind::kInternal, "cannot run '" + args[0] + "' in " + cwd.string() + ": " +
                                           std::strerror(rc) +
                                           " (git push options need the git command-line client)");
  }
  out_write.Reset();
  err_write.Reset();
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_read.get(), F_SETFL, O_NONBLOCK);

  ChildOutput result;
  std::string* sinks[2] = {&result.out, &result.err};
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  int open_streams = 2;
  int status = 0;
  // Read while the child runs; a helper it left behind may keep the pipes open, so its exit
  // (not end of file) ends the loop.
  for (;;) {
    int slice = std::min(MillisecondsUntil(deadline), 50);
    if (open_streams > 0) {
      if (::poll(fds, 2, slice) < 0 && errno != EINTR) {
        ::kill(-pid, SIGKILL);
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(slice, 5)));
    }
    // WNOWAIT leaves the child a zombie, so its process group id cannot be reused yet.
    siginfo_t info{};
    int got = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    bool exited = got == 0 && info.si_pid == pid;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (exited || fds[i].revents != 0) && !Drain(fds[i].fd, *sinks[i])) {
        fds[i].fd = -1;
        --open_streams;
      }
      fds[i].revents = 0;
    }
    if (exited) {
      ::kill(-pid, SIGKILL);  // helpers git left behind
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    if (got < 0 && errno != EINTR) {
      ::kill(-pid, SIGKILL);
      return Error(ErrorKind::kInternal, std::string("waitpid: ") + std::strerror(errno));
    }
    if (SteadyClock::now() >= deadline) {
      ::kill(-pid, SIGKILL);  // git and the helpers it started (ssh, git-remote-http)
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return Error(ErrorKind::kTransient, "timed out");
    }
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// One line of `git push --porcelain`: "<flag>\t<from>:<to>\t<summary>".
struct RefStatus {
  char flag = ' ';  // '!' rejected; ' ', '+', '-', '*', '=' accepted
  std::string to{};
  std::string summary{};  // "[rejected] (fetch first)", "[remote rejected] (hook declined)"
};

std::vector<RefStatus> ParsePorcelain(std::string_view out) {
  std::vector<RefStatus> statuses;
  for (std::string_view line : Lines(out)) {
    if (line.size() < 3 || line[1] != '\t') {
      continue;  // "To <url>", "Done"
    }
    std::string_view rest = line.substr(2);
    size_t tab = rest.find('\t');
    std::string_view refs = rest.substr(0, tab);
    size_t colon = refs.find(':');
    RefStatus status;
    status.flag = line[0];
    status.to = std::string(colon == std::string_view::npos ? refs : refs.substr(colon + 1));
    status.summary = tab == std::string_view::npos ? "" : std::string(rest.substr(tab + 1));
    statuses.push_back(std::move(status));
  }
  return statuses;
}

bool IsNonFastForward(std::string_view summary) {
  return StartsWith(summary, "[rejected]") &&
         (Contains(summary, "fetch first") || Contains(summary, "non-fast-forward") ||
          Contains(summary, "stale info"));
}

// "[remote rejected] (pre-receive hook declined)" → "pre-receive hook declined".
std::string_view RejectionReason(std::string_view summary) {
  size_t open = summary.find('(');
  size_t close = summary.rfind(')');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
    return summary.substr(open + 1, close - open - 1);
  }
  return summary;
}

// Returns what the remote printed ("remote: …" lines), joined, or empty.
std::string RemoteMessages(std::string_view err) {
  std::string joined;
  int count = 0;
  for (std::string_view line : Lines(err)) {
    if (!StartsWith(line, "remote: ") || count == 3) {
      continue;
    }
    std::string_view text = TrimRight(line.substr(8));
    if (!text.empty()) {
      joined += (count++ == 0 ? "" : " | ") + std::string(text);
    }
  }
  return joined;
}

// Returns the stderr line that best explains a failure: the first containing `marker` when
// given, else the first "ssh:" line (connection errors), the first "fatal:" line, the last
// "error:" line, or the last non-empty line, in that order.
std::string_view ExplainingLine(std::string_view err, std::string_view marker = {}) {
  std::string_view ssh;
  std::string_view fatal;
  std::string_view error;
  std::string_view last;
  for (std::string_view line : Lines(err)) {
    if (!marker.empty() && Contains(line, marker)) {
      return line;
    }
    if (line.empty() || StartsWith(line, "hint:")) {
      continue;
    }
    last = line;
    if (ssh.empty() && StartsWith(line, "ssh:")) {
      ssh = line;
    } else if (fatal.empty() && StartsWith(line, "fatal:")) {
      fatal = line;
    } else if (StartsWith(line, "error:")) {
      error = line;
    }
  }
  for (std::string_view best : {ssh, fatal, error}) {
    if (!best.empty()) {
      return best;
    }
  }
  return last;
}

// Maps one finished `git push` to a result.
Result<void> Classify(const ChildOutput& child, const std::string& where,
                      const std::vector<std::string>& secrets) {
  auto scrub = [&secrets](std::string_view text) { return Bounded(Scrub(text, secrets)); };
  for (const RefStatus& status : ParsePorcelain(child.out)) {
    if (status.flag != '!') {
      continue;
    }
    std::string message = where + ": remote rejected " + scrub(status.to) + " (" +
                          scrub(RejectionReason(status.summary)) + ")";
    if (std::string remote = RemoteMessages(child.err); !remote.empty()) {
      message += ": remote: " + scrub(remote);
    }
    return Error(IsNonFastForward(status.summary) ? ErrorKind::kConflict : ErrorKind::kTransient,
                 std::move(message));
  }
  if (child.exit_code == 0) {
    return {};
  }
  constexpr std::string_view kAuthMarkers[] = {
      "Authentication failed",   "Permission denied",       "Host key verification failed",
      "could not read Username", "could not read Password", "HTTP Basic: Access denied",
      "returned error: 401",     "returned error: 403"};
  for (std::string_view marker : kAuthMarkers) {
    if (Contains(child.err, marker)) {
      return Error(ErrorKind::kUnauthorized,
                   where + ": authentication failed: " + scrub(ExplainingLine(child.err, marker)));
    }
  }
  if (Contains(child.err, "does not support push options")) {
    return Error(ErrorKind::kInvalidSpec,
                 where + ": the remote does not accept git push options (" +
                     scrub(ExplainingLine(child.err, "does not support push options")) + ")");
  }
  std::string_view line = ExplainingLine(child.err);
  return Error(ErrorKind::kTransient,
               where + ": " +
                   (line.empty() ? "git push exited with code " + std::to_string(child.exit_code)
                                 : scrub(line)));
}

}  // namespace

Result<void> PushWithGitCli(const Workspace& workspace, const std::vector<std::string>& refspecs,
                            const std::vector<std::string>& options, const CliPushOptions& cli) {
  SteadyClock::time_point deadline = SteadyClock::now() + cli.timeout;
  const std::string where = "failed to push to remote '" + RedactSecrets(workspace.url()) + "'";
  for (const std::string& option : options) {
    if (option.find_first_of("\r\n") != std::string::npos) {
      return Error(ErrorKind::kInvalidSpec, "git push options must not contain line breaks");
    }
  }
  Result<std::unique_ptr<PrivateDir>> dir = PrivateDir::Create();
  if (!dir) {
    return dir.error();
  }
  // HOME points at the private directory so no user configuration is read either.
  GitSetup setup;
  setup.env = {{"HOME", (*dir)->path().string()},
               {"GIT_CONFIG_NOSYSTEM", "1"},
               {"GIT_CONFIG_GLOBAL", "/dev/null"},
               {"GIT_TERMINAL_PROMPT", "0"},
               {"LC_ALL", "C"}};
  setup.config = {{"credential.helper", ""}};  // no helper may answer instead of ours
  const Credentials& creds = workspace.credentials();
  if (IsHttpUrl(workspace.url())) {
    if (Result<void> ok = SetUpHttp(creds, **dir, setup); !ok) {
      return ok.error().Wrap(where);
    }
  } else if (IsSshUrl(workspace.url())) {
    if (Result<void> ok = SetUpSsh(creds, workspace.url(), **dir, setup); !ok) {
      return ok.error().Wrap(where);
    }
  }
  std::vector<std::string> env = ChildEnvironment(setup);

  for (const std::string& refspec : refspecs) {
    std::vector<std::string> args = {cli.git, "push", "--porcelain", "--no-verify"};
    for (const std::string& option : options) {
      args.push_back("--push-option=" + option);
    }
    args.insert(args.end(), {"--", "origin", refspec});
    Result<ChildOutput> child = RunChild(args, env, workspace.path(), deadline);
    // git can die of SIGPIPE when the receiving side hangs up first (e.g. right after rejecting
    // a ref) before it printed the per-ref status. Pushing again is safe (a push is idempotent)
    // and yields the status; bounded, and within the same deadline.
    for (int retry = 0; retry < 2 && child && child->exit_code == 128 + SIGPIPE &&
                        child->out.find('\t') == std::string::npos;
         ++retry) {
      child = RunChild(args, env, workspace.path(), deadline);
    }
    if (!child && child.error().kind() == ErrorKind::kTransient) {
      return Error(ErrorKind::kTransient, where + ": git push " + refspec + " timed out after " +
                                              std::to_string(cli.timeout.count()) + "ms");
    }
    if (!child) {
      return child.error().Wrap(where);
    }
    if (Result<void> ok = Classify(*child, where, setup.secrets); !ok) {
      return ok;
    }
  }
  return {};
}

}  // namespace imgauto::automation::git
