#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

extern char** environ;

namespace imgauto::testing {

namespace {

// File descriptor owned by the parent until the child is spawned.
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

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> BuildEnvironment(const ProcessOptions& options) {
  std::map<std::string, std::string> vars;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::size_t eq = text.find('=');
    if (eq != std::string_view::npos) {
      vars[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
    }
  }
  for (const std::string& name : options.unset_env) {
    vars.erase(name);
  }
  for (const auto& [name, value] : options.env) {
    vars[name] = value;
  }
  std::vector<std::string> env;
  env.reserve(vars.size());
  for (const auto& [name, value] : vars) {
    env.push_back(name + "=" + value);
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

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void ExecChild(const char* program, char* const* argv, char* const* envp,
                            const char* cwd, int in, int out, int err, int report, pid_t parent) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) {
    ::_exit(127);
  }
  sigset_t empty;
  ::sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) {
    int e = errno;
    [[maybe_unused]] ssize_t n = ::write(report, &e, sizeof(e));
    ::_exit(127);
  }
  if (report != 3 && ::dup3(report, 3, O_CLOEXEC) >= 0) {
    report = 3;
  }
  ::syscall(SYS_close_range, report + 1, ~0U,
            0);  // drop fds leaked by other test threads
  if (cwd != nullptr && ::chdir(cwd) != 0) {
    int e = errno;
    [[maybe_unused]] ssize_t n = ::write(report, &e, sizeof(e));
    ::_exit(127);
  }
  ::execve(program, argv, envp);
  int e = errno;
  [[maybe_unused]] ssize_t n = ::write(report, &e, sizeof(e));
  ::_exit(127);
}

}  // namespace

std::optional<std::filesystem::path> FindProgram(std::string_view program) {
  if (program.empty()) {
    return std::nullopt;
  }
  if (program.find('/') != std::string_view::npos) {
    std::string p(program);
    if (::access(p.c_str(), X_OK) == 0) {
      return std::filesystem::path(p);
    }
    return std::nullopt;
  }
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) {
      continue;
    }
    std::filesystem::path candidate = std::filesystem::path(dir) / program;
    std::error_code ec;
    if (::access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate, ec)) {
      return candidate;
    }
  }
  return std::nullopt;
}

Result<std::unique_ptr<Process>> Process::Start(const ProcessOptions& options) {
  if (options.args.empty()) {
    return Error(ErrorKind::kInternal, "process: no program given");
  }
  std::optional<std::filesystem::path> program = FindProgram(options.args[0]);
  if (!program) {
    return Error(ErrorKind::kNotFound, "process: program not found: " + options.args[0]);
  }
  std::unique_ptr<Process> process(new Process());
  process->io_dir_ = std::make_unique<TempDir>("proc");
  std::filesystem::path in_path = process->io_dir_->Write("stdin", options.stdin_text);

  Fd in(::open(in_path.c_str(), O_RDONLY | O_CLOEXEC));
  Fd out(::open(process->io_dir_->Path("stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0600));
  Fd err(::open(process->io_dir_->Path("stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0600));
  int pipe_fds[2];
  if (in.get() < 0 || out.get() < 0 || err.get() < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Error(ErrorKind::kInternal,
                 std::string("process: cannot set up stdio: ") + std::strerror(errno));
  }
  Fd report_read(pipe_fds[0]);
  Fd report_write(pipe_fds[1]);

  std::string program_str = program->string();
  std::vector<std::string> args = options.args;
  std::vector<std::string> env = BuildEnvironment(options);
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  std::string cwd = options.cwd.string();
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    return Error(ErrorKind::kInternal, std::string("process: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ExecChild(program_str.c_str(), argv.data(), envp.data(), cwd.empty() ? nullptr : cwd.c_str(),
              in.get(), out.get(), err.get(), report_write.get(), parent);
  }
  process->pid_ = pid;
  report_write.Reset();
  // The report pipe closes on a successful execve; otherwise the child sends its errno.
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report_read.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    process->Reap(true);
    return Error(ErrorKind::kNotFound,
                 "process: cannot execute " + program_str + ": " + std::strerror(child_errno));
  }
  return process;
}

Process::~Process() {
  if (pid_ > 0 && !exit_code_) {
    Kill(SIGKILL);
    Reap(true);
  }
}

bool Process::Reap(bool block) {
  if (exit_code_) {
    return true;
  }
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got == 0) {
    return false;
  }
  if (got < 0) {
    exit_code_ = -1;  // already reaped elsewhere (ECHILD): treat as gone
  } else if (WIFEXITED(status)) {
    exit_code_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit_code_ = 128 + WTERMSIG(status);
  } else {
    return false;
  }
  return true;
}

Result<int> Process::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (!Reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(ErrorKind::kTransient, "process " + std::to_string(pid_) +
                                              " still running after " +
                                              std::to_string(timeout.count()) + "ms");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  return *exit_code_;
}

bool Process::Running() { return !Reap(false); }

void Process::Kill(int signal) {
  if (pid_ <= 0 || exit_code_) {
    return;
  }
  ::kill(-pid_, signal);
  ::kill(pid_, signal);
}

void Process::Stop(std::chrono::milliseconds grace) {
  Kill(SIGTERM);
  if (!Wait(grace)) {
    Kill(SIGKILL);
    Reap(true);
  }
}

std::string Process::Stdout() const { return ReadWholeFile(io_dir_->Path("stdout")); }

std::string Process::Stderr() const { return ReadWholeFile(io_dir_->Path("stderr")); }

Result<CommandResult> RunCommand(const ProcessOptions& options, std::chrono::milliseconds timeout) {
  Result<std::unique_ptr<Process>> process = Process::Start(options);
  if (!process) {
    return process.error();
  }
  Result<int> code = (*process)->Wait(timeout);
  if (!code) {
    (*process)->Kill(SIGKILL);
    [[maybe_unused]] Result<int> reaped = (*process)->Wait(std::chrono::seconds(5));
    return Error(ErrorKind::kTransient, options.args[0] + " timed out after " +
                                            std::to_string(timeout.count()) +
                                            "ms; stderr: " + (*process)->Stderr());
  }
  return CommandResult{*code, (*process)->Stdout(), (*process)->Stderr()};
}

Result<CommandResult> RunCommand(const std::vector<std::string>& args, std::string_view stdin_text,
                                 std::chrono::milliseconds timeout) {
  ProcessOptions options;
  options.args = args;
  options.stdin_text = std::string(stdin_text);
  return RunCommand(options, timeout);
}

Result<int> FreeLoopbackPort() {
  Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) {
    return Error(ErrorKind::kTransient, std::string("socket: ") + std::strerror(errno));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Error(ErrorKind::kTransient, std::string("bind: ") + std::strerror(errno));
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Error(ErrorKind::kTransient, std::string("getsockname: ") + std::strerror(errno));
  }
  return static_cast<int>(ntohs(addr.sin_port));
}

bool WaitForTcp(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (sock.get() >= 0 &&
        ::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace imgauto::testing
