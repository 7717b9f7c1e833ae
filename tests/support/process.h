// Child processes for integration tests: start a program with arguments, environment overrides and
// a working directory; capture stdout/stderr to files; wait with a timeout; kill on destruction.
// Plus loopback port helpers for servers the tests start.
//
//   Result<CommandResult> r = RunCommand({"openssl", "version"});
//   ASSERT_TRUE(r) << r.error().message();
//   EXPECT_EQ(r->exit_code, 0);
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "tests/support/temp_dir.h"

namespace imgauto::testing {

struct ProcessOptions {
  // args[0] is the program: a path, or a name looked up in $PATH.
  std::vector<std::string> args{};
  // Added to (or replacing in) the parent's environment.
  std::vector<std::pair<std::string, std::string>> env{};
  // Removed from the inherited environment (e.g. "HTTPS_PROXY").
  std::vector<std::string> unset_env{};
  // Working directory; empty inherits the parent's.
  std::filesystem::path cwd{};
  // Bytes fed to stdin (through a file); stdin is /dev/null when empty.
  std::string stdin_text{};
};

// A running (or finished) child. It runs in its own process group, gets SIGKILL if the spawning
// thread dies (PR_SET_PDEATHSIG: spawn from the test's main thread), and is killed and reaped by
// the destructor. Not thread-safe.
class Process {
 public:
  // Starts the child. kNotFound when the program cannot be found or executed.
  static Result<std::unique_ptr<Process>> Start(const ProcessOptions& options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // Waits until the child exits and returns its exit code (128 + signal number when killed by a
  // signal). kTransient when it is still running after `timeout`.
  Result<int> Wait(std::chrono::milliseconds timeout);
  // Returns true while the child has not exited (reaps it if it has).
  bool Running();
  // Sends `signal` to the child's process group. No-op once the child has been reaped.
  void Kill(int signal);
  // Sends SIGTERM, waits up to `grace`, then SIGKILL and reaps.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  // Returns everything the child wrote so far.
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  Process() = default;
  bool Reap(bool block);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::unique_ptr<TempDir> io_dir_;  // stdin/stdout/stderr files
};

struct CommandResult {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `args` to completion. The error is kNotFound when the program is missing and kTransient
// (with the output so far in the message) when it outlives `timeout`, after killing it.
Result<CommandResult> RunCommand(const std::vector<std::string>& args,
                                 std::string_view stdin_text = "",
                                 std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Same, with full control over environment and working directory.
Result<CommandResult> RunCommand(const ProcessOptions& options,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Returns a TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read, close). Another
// process may take it before the caller binds it: callers retry on "address in use".
Result<int> FreeLoopbackPort();

// Returns true once a TCP connection to 127.0.0.1:port succeeds, false after `timeout`.
bool WaitForTcp(int port, std::chrono::milliseconds timeout);

// Returns the absolute path of `program` if it is an executable file (a path) or found in $PATH (a
// name), or nullopt.
std::optional<std::filesystem::path> FindProgram(std::string_view program);

}  // namespace imgauto::testing
