#include "tests/support/git_servers.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>

namespace imgauto::testing {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> Run(const std::vector<std::string>& args) {
  Result<CommandResult> r = RunCommand(args);
  if (!r) {
    return r.error();
  }
  if (r->exit_code != 0) {
    return Error(ErrorKind::kInternal, args[0] + " failed: " + r->stderr_text);
  }
  return Trim(r->stdout_text);
}

std::string CurrentUser() {
  Result<std::string> who = Run({"id", "-un"});
  return who ? *who : "root";
}

}  // namespace

Result<std::string> RunGit(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                           const std::vector<std::pair<std::string, std::string>>& env) {
  ProcessOptions options;
  options.args = {"git"};
  options.args.insert(options.args.end(), args.begin(), args.end());
  options.cwd = cwd;
  options.env = {{"GIT_CONFIG_NOSYSTEM", "1"},
                 {"GIT_CONFIG_GLOBAL", "/dev/null"},
                 {"GIT_AUTHOR_NAME", "Human Tester"},
                 {"GIT_AUTHOR_EMAIL", "human@example.com"},
                 {"GIT_COMMITTER_NAME", "Human Tester"},
                 {"GIT_COMMITTER_EMAIL", "human@example.com"},
                 {"GIT_TERMINAL_PROMPT", "0"}};
  options.env.insert(options.env.end(), env.begin(), env.end());
  Result<CommandResult> r = RunCommand(options);
  if (!r) {
    return r.error();
  }
  if (r->exit_code != 0) {
    std::string joined;
    for (const std::string& a : args) {
      joined += " " + a;
    }
    return Error(ErrorKind::kInternal, "git" + joined + " failed: " + r->stderr_text);
  }
  return Trim(r->stdout_text);
}

Result<void> CreateBareRepo(const std::filesystem::path& bare,
                            const std::map<std::string, std::string>& files,
                            const std::string& branch) {
  std::filesystem::create_directories(bare);
  if (Result<std::string> r = RunGit(bare, {"init", "--bare", "-q", "-b", branch, "."}); !r) {
    return r.error();
  }
  if (Result<std::string> r = RunGit(bare, {"config", "http.receivepack", "true"}); !r) {
    return r.error();
  }
  TempDir work("gitwork");
  if (Result<std::string> r = RunGit(work.path(), {"init", "-q", "-b", branch, "."}); !r) {
    return r.error();
  }
  for (const auto& [path, content] : files) {
    work.Write(path, content);
  }
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"add", "-A"},
                                             {"commit", "-q", "--allow-empty", "-m", "initial"},
                                             {"push", "-q", bare.string(), branch}}) {
    if (Result<std::string> r = RunGit(work.path(), args); !r) {
      return r.error();
    }
  }
  return {};
}

Result<std::string> PushFiles(const std::filesystem::path& bare, const std::string& branch,
                              const std::map<std::string, std::string>& files,
                              const std::string& message, const std::string& tag) {
  TempDir work("gitwork");
  if (Result<std::string> r = RunGit(work.path(), {"clone", "-q", bare.string(), "."}); !r) {
    return r.error();
  }
  Result<std::string> has = RunGit(work.path(), {"ls-remote", "--heads", "origin", branch});
  if (!has) {
    return has.error();
  }
  std::vector<std::string> checkout = has->empty()
                                          ? std::vector<std::string>{"checkout", "-q", "-b", branch}
                                          : std::vector<std::string>{"checkout", "-q", branch};
  if (Result<std::string> r = RunGit(work.path(), checkout); !r) {
    return r.error();
  }
  for (const auto& [path, content] : files) {
    if (content.empty()) {
      std::filesystem::remove(work.Path(path));
    } else {
      work.Write(path, content);
    }
  }
  std::vector<std::vector<std::string>> steps = {{"add", "-A"},
                                                 {"commit", "-q", "--allow-empty", "-m", message}};
  if (!tag.empty()) {
    steps.push_back({"tag", tag});
  }
  steps.push_back({"push", "-q", "origin", branch});
  if (!tag.empty()) {
    steps.push_back({"push", "-q", "origin", "refs/tags/" + tag});
  }
  for (const std::vector<std::string>& args : steps) {
    if (Result<std::string> r = RunGit(work.path(), args); !r) {
      return r.error();
    }
  }
  return RunGit(work.path(), {"rev-parse", "HEAD"});
}

Result<std::string> RevParse(const std::filesystem::path& repo, const std::string& rev) {
  return RunGit(repo, {"rev-parse", "--verify", "-q", rev + "^{commit}"});
}

Result<std::unique_ptr<GitHttpServer>> GitHttpServer::Start(Options options) {
  const std::filesystem::path backend = "/usr/lib/git-core/git-http-backend";
  if (!FindProgram("lighttpd") || !std::filesystem::exists(backend)) {
    return Error(ErrorKind::kNotFound, "lighttpd or git-http-backend is not installed");
  }
  Result<std::string> hash = Run({"openssl", "passwd", "-apr1", options.password});
  if (!hash) {
    return hash.error();
  }
  auto server = std::unique_ptr<GitHttpServer>(new GitHttpServer());
  server->dir_ = std::make_unique<TempDir>("githttp");
  server->root_ = server->dir_->Path("repos");
  std::filesystem::create_directories(server->root_);
  std::filesystem::path users = server->dir_->Write("htpasswd", options.user + ":" + *hash + "\n");
  for (int attempt = 0; attempt < 5; ++attempt) {
    Result<int> port = FreeLoopbackPort();
    if (!port) {
      return port.error();
    }
    std::string conf =
        "server.document-root = \"" + server->root_.string() + "\"\n" +
        "server.bind = \"127.0.0.1\"\n" + "server.port = " + std::to_string(*port) + "\n" +
        "server.errorlog = \"" + server->dir_->Path("error.log").string() + "\"\n" +
        "server.modules = (\"mod_alias\", \"mod_setenv\", \"mod_cgi\", \"mod_auth\", "
        "\"mod_authn_file\")\n" +
        "alias.url = (\"/git\" => \"" + backend.string() + "\")\n" +
        "$HTTP[\"url\"] =~ \"^/git\" {\n"
        "  cgi.assign = (\"\" => \"\")\n"
        "  setenv.set-environment = (\"GIT_PROJECT_ROOT\" => \"" +
        server->root_.string() +
        "\", \"GIT_HTTP_EXPORT_ALL\" => \"1\")\n"
        "  auth.backend = \"htpasswd\"\n"
        "  auth.backend.htpasswd.userfile = \"" +
        users.string() +
        "\"\n"
        "  auth.require = (\"\" => (\"method\" => \"basic\", \"realm\" => \"git\", "
        "\"require\" => \"valid-user\"))\n"
        "}\n";
    std::filesystem::path conf_path = server->dir_->Write("lighttpd.conf", conf);
    Result<std::unique_ptr<Process>> process =
        Process::Start({.args = {"lighttpd", "-D", "-f", conf_path.string()}});
    if (!process) {
      return process.error();
    }
    if (WaitForTcp(*port, std::chrono::seconds(10))) {
      server->port_ = *port;
      server->process_ = std::move(*process);
      return server;
    }
    (*process)->Stop();
  }
  return Error(ErrorKind::kTransient,
               "lighttpd did not start: " + ReadFile(server->dir_->Path("error.log")));
}

GitHttpServer::~GitHttpServer() {
  if (process_) {
    process_->Stop();
  }
}

std::string GitHttpServer::Url(const std::string& repo) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/git/" + repo;
}

Result<std::filesystem::path> GenerateSshKey(const std::filesystem::path& dir,
                                             const std::string& name, const std::string& type,
                                             const std::string& bits) {
  if (!FindProgram("ssh-keygen")) {
    return Error(ErrorKind::kNotFound, "ssh-keygen is not installed");
  }
  std::filesystem::path key = dir / name;
  std::vector<std::string> args = {"ssh-keygen", "-q", "-t",           type, "-N",
                                   "",           "-C", "imgauto-test", "-f", key.string()};
  if (!bits.empty()) {
    args.insert(args.begin() + 4, {"-b", bits});
  }
  if (Result<std::string> r = Run(args); !r) {
    return r.error();
  }
  return key;
}

Result<std::unique_ptr<GitSshServer>> GitSshServer::Start() {
  if (!FindProgram("/usr/sbin/sshd")) {
    return Error(ErrorKind::kNotFound, "sshd is not installed");
  }
  auto server = std::unique_ptr<GitSshServer>(new GitSshServer());
  server->dir_ = std::make_unique<TempDir>("gitssh");
  server->root_ = server->dir_->Path("repos");
  std::filesystem::create_directories(server->root_);
  server->user_ = CurrentUser();
  Result<std::filesystem::path> host_key = GenerateSshKey(server->dir_->path(), "host", "ed25519");
  if (!host_key) {
    return host_key.error();
  }
  Result<std::filesystem::path> client = GenerateSshKey(server->dir_->path(), "deploy", "ed25519");
  if (!client) {
    return client.error();
  }
  server->client_key_ = ReadFile(*client);
  server->client_key_pub_ = ReadFile(client->string() + ".pub");
  std::filesystem::path authorized =
      server->dir_->Write("authorized_keys", server->client_key_pub_);
  std::string host_pub = Trim(ReadFile(host_key->string() + ".pub"));
  host_pub = host_pub.substr(0, host_pub.rfind(' '));  // drop the comment
  // sshd refuses to start without its privilege separation directory.
  std::error_code ec;
  std::filesystem::create_directories("/run/sshd", ec);
  for (int attempt = 0; attempt < 5; ++attempt) {
    Result<int> port = FreeLoopbackPort();
    if (!port) {
      return port.error();
    }
    std::string conf = "Port " + std::to_string(*port) + "\nListenAddress 127.0.0.1\n" +
                       "HostKey " + host_key->string() + "\n" + "PidFile " +
                       server->dir_->Path("sshd.pid").string() + "\n" + "AuthorizedKeysFile " +
                       authorized.string() +
                       "\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
                       "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                       "PubkeyAuthentication yes\nLogLevel VERBOSE\n";
    std::filesystem::path conf_path = server->dir_->Write("sshd_config", conf);
    Result<std::unique_ptr<Process>> process =
        Process::Start({.args = {"/usr/sbin/sshd", "-D", "-e", "-f", conf_path.string()}});
    if (!process) {
      return process.error();
    }
    if (WaitForTcp(*port, std::chrono::seconds(10))) {
      server->port_ = *port;
      server->known_hosts_ = "[127.0.0.1]:" + std::to_string(*port) + " " + host_pub + "\n";
      server->process_ = std::move(*process);
      return server;
    }
    std::string err = (*process)->Stderr();
    (*process)->Stop();
    if (attempt == 4) {
      return Error(ErrorKind::kTransient, "sshd did not start: " + err);
    }
  }
  return Error(ErrorKind::kTransient, "sshd did not start");
}

GitSshServer::~GitSshServer() {
  if (process_) {
    process_->Stop();
  }
}

std::string GitSshServer::Url(const std::string& repo) const {
  return "ssh://" + user_ + "@127.0.0.1:" + std::to_string(port_) + root_.string() + "/" + repo;
}

}  // namespace imgauto::testing
