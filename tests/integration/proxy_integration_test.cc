// BeastHttpClient through Debian's real tinyproxy on loopback: https via a CONNECT tunnel, plain
// http via absolute-form requests, and proxy Basic authentication.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/http/beast_client.h"
#include "tests/servers/test_http_server.h"

extern char** environ;

namespace imgauto::http {
namespace {

using imgauto::testing::TestCertificates;
using imgauto::testing::TestHttpServer;

constexpr const char* kTinyproxy = "/usr/bin/tinyproxy";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Returns a loopback port that was free a moment ago.
std::uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof(addr);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0;
  close(fd);
  return ok ? ntohs(addr.sin_port) : 0;
}

bool CanConnect(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// A tinyproxy child process with its own config and log in a temporary directory.
class Tinyproxy {
 public:
  // `extra_config` is appended to the generated config (e.g. "BasicAuth user secret\n").
  Tinyproxy(std::uint16_t connect_port, const std::string& extra_config) {
    char pattern[] = "/tmp/imgauto-tinyproxy-XXXXXX";
    const char* made = mkdtemp(pattern);
    if (made == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    dir_ = made;
    port_ = FreePort();
    const std::filesystem::path conf = dir_ / "tinyproxy.conf";
    std::ofstream(conf) << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 30\n"
                        << "LogFile \"" << (dir_ / "tinyproxy.log").string() << "\"\n"
                        << "LogLevel Info\nMaxClients 20\nAllow 127.0.0.1\n"
                        << "ConnectPort " << connect_port << "\n"
                        << extra_config;
    Spawn(conf);
  }

  ~Tinyproxy() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Tinyproxy(const Tinyproxy&) = delete;
  Tinyproxy& operator=(const Tinyproxy&) = delete;

  // Waits until the proxy accepts connections; false (with the logs) when it died or hung.
  ::testing::AssertionResult WaitReady() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (pid_ <= 0 || waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return ::testing::AssertionFailure() << "tinyproxy exited: " << Logs();
      }
      if (CanConnect(port_)) {
        return ::testing::AssertionSuccess();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ::testing::AssertionFailure() << "tinyproxy did not start: " << Logs();
  }

  // Waits (briefly) until the log contains `text`: tinyproxy writes lines as it handles them.
  bool LogContains(const std::string& text) const {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (ReadFile(dir_ / "tinyproxy.log").find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > until) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  std::string Logs() const {
    return ReadFile(dir_ / "tinyproxy.log") + ReadFile(dir_ / "stderr.log");
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void Spawn(const std::filesystem::path& conf) {
    const std::string out = (dir_ / "stderr.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::string program = kTinyproxy;
    std::string foreground = "-d";
    std::string config_flag = "-c";
    std::string config = conf.string();
    std::vector<char*> argv = {program.data(), foreground.data(), config_flag.data(), config.data(),
                               nullptr};
    if (posix_spawn(&pid_, kTinyproxy, &actions, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
  }

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

class ProxyIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kTinyproxy, X_OK) != 0) {
      GTEST_SKIP() << kTinyproxy << " is not installed";
    }
    certs_ = TestCertificates::Generate();
    tls_server_ = std::make_unique<TestHttpServer>(imgauto::testing::TestServerOptions{
        .cert_pem = certs_.server_cert_pem, .key_pem = certs_.server_key_pem});
    plain_server_ = std::make_unique<TestHttpServer>();
  }

  // Starts tinyproxy allowing CONNECT to the TLS server's port.
  std::unique_ptr<Tinyproxy> StartProxy(const std::string& extra_config = "") {
    auto proxy = std::make_unique<Tinyproxy>(tls_server_->port(), extra_config);
    EXPECT_TRUE(proxy->WaitReady());
    return proxy;
  }

  HttpClientPtr ClientVia(ProxyConfig proxy) {
    Result<HttpClientPtr> client =
        BeastHttpClient::Create({.timeout = std::chrono::seconds(10),
                                 .tls = {.ca_pem = certs_.ca_pem},
                                 .proxy = std::move(proxy),
                                 .proxy_environment = ProxyEnvironment{}});
    EXPECT_TRUE(client) << client.error().message();
    return client ? std::move(*client) : nullptr;
  }

  TestCertificates certs_;
  std::unique_ptr<TestHttpServer> tls_server_;
  std::unique_ptr<TestHttpServer> plain_server_;
};

TEST_F(ProxyIntegrationTest, HttpsGoesThroughConnectTunnel) {
  std::unique_ptr<Tinyproxy> proxy = StartProxy();
  HttpClientPtr client = ClientVia({.url = proxy->url()});

  Result<Response> response = client->Send({.url = tls_server_->Url("/v2/app/tags/list")});

  ASSERT_TRUE(response) << response.error().message() << "\n" << proxy->Logs();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(tls_server_->RequestCount("/v2/app/tags/list"), 1);
  EXPECT_TRUE(proxy->LogContains("CONNECT " + tls_server_->host())) << proxy->Logs();
}

TEST_F(ProxyIntegrationTest, PlainHttpUsesAbsoluteForm) {
  std::unique_ptr<Tinyproxy> proxy = StartProxy();
  HttpClientPtr client = ClientVia({.url = proxy->url()});

  Result<Response> response = client->Send({.url = plain_server_->Url("/v2/?n=5")});

  ASSERT_TRUE(response) << response.error().message() << "\n" << proxy->Logs();
  EXPECT_EQ(response->body, "ok");
  std::vector<imgauto::testing::RecordedRequest> requests = plain_server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v2/?n=5");  // tinyproxy forwards in origin-form
  EXPECT_TRUE(proxy->LogContains("GET " + plain_server_->Url("/v2/?n=5"))) << proxy->Logs();
}

TEST_F(ProxyIntegrationTest, ConnectWithProxyCredentialsSucceeds) {
  std::unique_ptr<Tinyproxy> proxy = StartProxy("BasicAuth proxyuser s3cret\n");
  HttpClientPtr client =
      ClientVia({.url = proxy->url(), .username = "proxyuser", .password = "s3cret"});

  Result<Response> response = client->Send({.url = tls_server_->Url("/v2/")});

  ASSERT_TRUE(response) << response.error().message() << "\n" << proxy->Logs();
  EXPECT_EQ(tls_server_->RequestCount("/v2/"), 1);
}

TEST_F(ProxyIntegrationTest, ConnectWithoutProxyCredentialsIsUnauthorized) {
  std::unique_ptr<Tinyproxy> proxy = StartProxy("BasicAuth proxyuser s3cret\n");
  HttpClientPtr client = ClientVia({.url = proxy->url()});

  Result<Response> response = client->Send({.url = tls_server_->Url("/v2/")});

  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind(), ErrorKind::kUnauthorized) << response.error().message();
  EXPECT_EQ(tls_server_->RequestCount("/v2/"), 0);
}

TEST_F(ProxyIntegrationTest, CredentialsInProxyUrlAuthenticatePlainHttp) {
  std::unique_ptr<Tinyproxy> proxy = StartProxy("BasicAuth proxyuser s3cret\n");
  const std::string address = "http://proxyuser:s3cret@" + proxy->url().substr(7);
  HttpClientPtr client = ClientVia({.url = address});

  Result<Response> response = client->Send({.url = plain_server_->Url("/v2/")});

  ASSERT_TRUE(response) << response.error().message() << "\n" << proxy->Logs();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(plain_server_->RequestCount("/v2/"), 1);
}

}  // namespace
}  // namespace imgauto::http
