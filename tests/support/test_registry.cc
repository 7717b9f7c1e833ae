#include "tests/support/test_registry.h"

#include <openssl/evp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "core/sha256.h"
#include "core/strings.h"

namespace imgauto::testing {

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kCommandTimeout = std::chrono::seconds(20);
constexpr int kStartAttempts = 5;

constexpr const char* kOpensslConfig = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = imgauto test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
)";

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Runs a command that must succeed; the error carries its stderr.
Result<std::string> MustRun(const std::vector<std::string>& args) {
  Result<CommandResult> r = RunCommand(args, "", kCommandTimeout);
  if (!r) {
    return r.error();
  }
  if (r->exit_code != 0) {
    return Error(ErrorKind::kInternal, args[0] + " " + args[1] + " exited " +
                                           std::to_string(r->exit_code) + ": " + r->stderr_text);
  }
  return r->stdout_text;
}

std::string RandomSerial() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> dist(1, (std::uint64_t{1} << 62));
  return std::to_string(dist(rd));
}

struct CurlResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) {
        return value;
      }
    }
    return "";
  }
};

// Where and how curl talks to the registry.
struct CurlTarget {
  std::string base_url;
  std::filesystem::path ca_file;  // empty: plain HTTP
  std::string user;               // empty: no Basic auth
  std::string password;
};

Result<CurlResponse> ParseCurlOutput(const std::string& out) {
  std::size_t end = out.find("\r\n\r\n");
  if (end == std::string::npos || out.compare(0, 5, "HTTP/") != 0) {
    return Error(ErrorKind::kInternal, "curl: unexpected output: " + out.substr(0, 200));
  }
  std::vector<std::string> lines = Split(std::string_view(out).substr(0, end), "\r\n");
  CurlResponse response;
  std::vector<std::string> status_parts = Split(lines[0], " ");
  if (status_parts.size() < 2) {
    return Error(ErrorKind::kInternal, "curl: bad status line: " + lines[0]);
  }
  response.status = std::atoi(status_parts[1].c_str());
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::size_t colon = lines[i].find(':');
    if (colon == std::string::npos) {
      continue;
    }
    response.headers.emplace_back(AsciiLower(lines[i].substr(0, colon)),
                                  std::string(TrimSpace(lines[i].substr(colon + 1))));
  }
  response.body = out.substr(end + 4);
  return response;
}

// Sends one request with the curl CLI. `url` is absolute or a path under target.base_url.
Result<CurlResponse> Curl(const CurlTarget& target, std::string_view method, std::string url,
                          const std::vector<std::string>& headers,
                          const std::filesystem::path& body_file = {}) {
  if (url.rfind("http", 0) != 0) {
    url = target.base_url + url;
  }
  std::vector<std::string> args = {
      "curl", "-sS",     "-i",         "--http1.1", "--noproxy", "*",
      "-H",   "Expect:", "--max-time", "15",        "-X",        std::string(method)};
  if (!target.ca_file.empty()) {
    args.insert(args.end(), {"--cacert", target.ca_file.string()});
  }
  if (!target.user.empty()) {
    args.insert(args.end(), {"-u", target.user + ":" + target.password});
  }
  for (const std::string& header : headers) {
    args.insert(args.end(), {"-H", header});
  }
  if (!body_file.empty()) {
    args.insert(args.end(), {"--data-binary", "@" + body_file.string()});
  }
  args.push_back(url);
  Result<CommandResult> r = RunCommand(args, "", kCommandTimeout);
  if (!r) {
    return r.error();
  }
  if (r->exit_code != 0) {
    return Error(ErrorKind::kTransient, std::string(method) + " " + url + ": curl exited " +
                                            std::to_string(r->exit_code) + ": " +
                                            std::string(TrimSpace(r->stderr_text)));
  }
  return ParseCurlOutput(r->stdout_text);
}

Error HttpFailure(std::string_view what, const CurlResponse& response) {
  return Error(ErrorKind::kInternal, std::string(what) + ": HTTP " +
                                         std::to_string(response.status) + ": " +
                                         response.body.substr(0, 300));
}

// Uploads `content` as a blob of `repo` (monolithic POST + PUT) and returns its digest.
Result<std::string> UploadBlob(const CurlTarget& target, const TempDir& scratch, int counter,
                               std::string_view repo, std::string_view content) {
  std::string digest = "sha256:" + Sha256Hex(content);
  Result<CurlResponse> started =
      Curl(target, "POST", "/v2/" + std::string(repo) + "/blobs/uploads/", {});
  if (!started) {
    return started.error();
  }
  if (started->status != 202) {
    return HttpFailure("starting blob upload", *started);
  }
  std::string location = started->Header("location");
  if (location.empty()) {
    return Error(ErrorKind::kInternal, "blob upload: no Location header");
  }
  location += (location.find('?') == std::string::npos ? "?" : "&");
  location += "digest=sha256%3A" + digest.substr(7);
  std::filesystem::path file = scratch.Write("blobs/" + std::to_string(counter), content);
  Result<CurlResponse> put =
      Curl(target, "PUT", location, {"Content-Type: application/octet-stream"}, file);
  if (!put) {
    return put.error();
  }
  if (put->status != 201) {
    return HttpFailure("completing blob upload", *put);
  }
  return digest;
}

nlohmann::json Descriptor(std::string_view media_type, std::string_view digest, std::size_t size) {
  return {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

}  // namespace

Result<TestPki> GenerateTestPki(const std::filesystem::path& dir) {
  if (!FindProgram("openssl")) {
    return Error(ErrorKind::kNotFound, "openssl CLI not found");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  TestPki pki;
  std::filesystem::path config = dir / "openssl.cnf";
  {
    std::ofstream out(config);
    out << kOpensslConfig;
  }
  pki.ca_cert = dir / "ca.crt";
  pki.ca_key = dir / "ca.key";
  pki.server_cert = dir / "server.crt";
  pki.server_key = dir / "server.key";
  pki.client_cert = dir / "client.crt";
  pki.client_key = dir / "client.key";
  const std::vector<std::string> ec_key = {"-newkey", "ec", "-pkeyopt",
                                           "ec_paramgen_curve:prime256v1", "-nodes"};
  auto with = [](std::vector<std::string> base, const std::vector<std::string>& more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
  };
  Result<std::string> ca =
      MustRun(with({"openssl", "req", "-x509", "-config", config.string(), "-extensions", "ca_ext",
                    "-days", "2", "-subj", "/CN=imgauto test CA", "-keyout", pki.ca_key.string(),
                    "-out", pki.ca_cert.string()},
                   ec_key));
  if (!ca) {
    return ca.error();
  }
  struct Leaf {
    std::string name;
    std::string subject;
    std::string extensions;
    std::filesystem::path cert;
    std::filesystem::path key;
  };
  for (const Leaf& leaf :
       {Leaf{"server", "/CN=localhost", "server_ext", pki.server_cert, pki.server_key},
        Leaf{"client", "/CN=imgauto test client", "client_ext", pki.client_cert, pki.client_key}}) {
    std::filesystem::path csr = dir / (leaf.name + ".csr");
    Result<std::string> req =
        MustRun(with({"openssl", "req", "-new", "-config", config.string(), "-subj", leaf.subject,
                      "-keyout", leaf.key.string(), "-out", csr.string()},
                     ec_key));
    if (!req) {
      return req.error();
    }
    Result<std::string> sign = MustRun(
        {"openssl", "x509", "-req", "-in", csr.string(), "-CA", pki.ca_cert.string(), "-CAkey",
         pki.ca_key.string(), "-set_serial", RandomSerial(), "-days", "2", "-extfile",
         config.string(), "-extensions", leaf.extensions, "-out", leaf.cert.string()});
    if (!sign) {
      return sign.error();
    }
  }
  std::ifstream in(pki.ca_cert);
  std::ostringstream pem;
  pem << in.rdbuf();
  pki.ca_pem = pem.str();
  if (pki.ca_pem.find("BEGIN CERTIFICATE") == std::string::npos) {
    return Error(ErrorKind::kInternal, "openssl wrote no CA certificate");
  }
  return pki;
}

std::string TestRegistry::MissingTools() {
  std::vector<std::string> missing;
  if (!FindProgram(kRegistryBinary)) {
    missing.emplace_back(kRegistryBinary);
  }
  for (const char* tool : {"htpasswd", "openssl", "curl"}) {
    if (!FindProgram(tool)) {
      missing.emplace_back(tool);
    }
  }
  return missing.empty() ? "" : "missing " + Join(missing, ", ");
}

Result<std::unique_ptr<TestRegistry>> TestRegistry::Start(TestRegistryOptions options) {
  if (std::string missing = MissingTools(); !missing.empty()) {
    return Error(ErrorKind::kNotFound, missing);
  }
  std::unique_ptr<TestRegistry> registry(new TestRegistry());
  registry->options_ = std::move(options);
  registry->dir_ = std::make_unique<TempDir>("registry");
  const TempDir& dir = *registry->dir_;
  if (registry->options_.tls) {
    Result<TestPki> pki = GenerateTestPki(dir.Path("pki"));
    if (!pki) {
      return pki.error().Wrap("generating the test CA");
    }
    registry->pki_ = std::move(*pki);
  }
  if (registry->options_.basic_auth) {
    Result<std::string> line =
        MustRun({"htpasswd", "-Bbn", registry->options_.user, registry->options_.password});
    if (!line) {
      return line.error().Wrap("creating the htpasswd file");
    }
    dir.Write("htpasswd", std::string(TrimSpace(*line)) + "\n");
  }
  Result<void> launched = registry->Launch();
  if (!launched) {
    return launched.error();
  }
  return registry;
}

Result<void> TestRegistry::Launch() {
  std::string last_error = "no attempt made";
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    Result<int> port = FreeLoopbackPort();
    if (!port) {
      return port.error();
    }
    port_ = *port;
    host_ = "127.0.0.1:" + std::to_string(port_);
    std::string config =
        "version: 0.1\n"
        "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
        "storage:\n  filesystem:\n    rootdirectory: " +
        dir_->Path("storage").string() +
        "\n  delete:\n    enabled: true\n"
        "  maintenance:\n    uploadpurging:\n      enabled: false\n"
        "http:\n  addr: " +
        host_ + "\n  secret: imgauto-test-secret\n";
    if (options_.tls) {
      config += "  tls:\n    certificate: " + pki_.server_cert.string() +
                "\n    key: " + pki_.server_key.string() + "\n";
    }
    if (options_.basic_auth) {
      config += "auth:\n  htpasswd:\n    realm: imgauto-test\n    path: " +
                dir_->Path("htpasswd").string() + "\n";
    }
    if (!options_.notify_url.empty()) {
      // Manifest pushes only (pulls would be noise); short timeouts so a test sees failures.
      config += "notifications:\n  endpoints:\n    - name: imgauto\n      url: " +
                options_.notify_url +
                "\n      timeout: 2s\n      threshold: 3\n      backoff: 1s\n"
                "      ignore:\n        actions:\n          - pull\n";
    }
    std::filesystem::path config_path = dir_->Write("config.yml", config);

    ProcessOptions process_options;
    process_options.args = {kRegistryBinary, "serve", config_path.string()};
    process_options.cwd = dir_->path();
    process_options.unset_env = {"REGISTRY_HTTP_ADDR", "REGISTRY_HTTP_TLS_CERTIFICATE",
                                 "REGISTRY_HTTP_TLS_KEY", "REGISTRY_AUTH",
                                 "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY"};
    Result<std::unique_ptr<Process>> process = Process::Start(process_options);
    if (!process) {
      return process.error();
    }
    process_ = std::move(*process);

    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    bool bind_conflict = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process_->Running()) {
        last_error = "docker-registry exited: " + process_->Stderr();
        bind_conflict = last_error.find("address already in use") != std::string::npos;
        break;
      }
      if (WaitForTcp(port_, std::chrono::milliseconds(100))) {
        CurlTarget target{base_url(), options_.tls ? pki_.ca_cert : std::filesystem::path{}, "",
                          ""};
        Result<CurlResponse> probe = Curl(target, "GET", "/v2/", {});
        if (probe && (probe->status == 200 || probe->status == 401) && process_->Running()) {
          return {};
        }
        last_error = probe ? "GET /v2/ answered HTTP " + std::to_string(probe->status)
                           : probe.error().message();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    process_->Stop();
    process_.reset();
    if (!bind_conflict) {
      break;
    }
  }
  return Error(ErrorKind::kTransient, "docker-registry did not start: " + last_error);
}

TestRegistry::~TestRegistry() {
  if (process_) {
    process_->Stop();
  }
}

std::string TestRegistry::DockerConfigJson(std::string_view user, std::string_view password) const {
  nlohmann::json entry = {{"username", user},
                          {"password", password},
                          {"auth", Base64(std::string(user) + ":" + std::string(password))}};
  nlohmann::json config = {{"auths", {{host_, entry}}}};
  return config.dump();
}

Result<std::string> TestRegistry::PushImage(std::string_view repo, std::string_view tag,
                                            ManifestFormat format) {
  const bool oci = format == ManifestFormat::kOci;
  CurlTarget target{base_url(), options_.tls ? pki_.ca_cert : std::filesystem::path{},
                    options_.basic_auth ? options_.user : "", options_.password};
  std::string name = std::string(repo) + ":" + std::string(tag);
  // One layer per repository (uploaded once); the config blob makes each tag's digest unique.
  std::string layer = "imgauto test layer for " + std::string(repo) + "\n";
  std::string layer_digest = "sha256:" + Sha256Hex(layer);
  if (pushed_layers_.count(std::string(repo)) == 0) {
    Result<std::string> uploaded = UploadBlob(target, *dir_, ++blob_counter_, repo, layer);
    if (!uploaded) {
      return uploaded.error().Wrap("pushing layer of " + name);
    }
    pushed_layers_.insert(std::string(repo));
  }
  nlohmann::json config_json = {{"architecture", "amd64"},
                                {"os", "linux"},
                                {"config", {{"Labels", {{"org.imgauto.test", name}}}}},
                                {"rootfs", {{"type", "layers"}, {"diff_ids", {layer_digest}}}}};
  std::string config = config_json.dump();
  Result<std::string> config_digest = UploadBlob(target, *dir_, ++blob_counter_, repo, config);
  if (!config_digest) {
    return config_digest.error().Wrap("pushing config of " + name);
  }
  std::string media_type = oci ? "application/vnd.oci.image.manifest.v1+json"
                               : "application/vnd.docker.distribution.manifest.v2+json";
  nlohmann::json manifest_json = {
      {"schemaVersion", 2},
      {"mediaType", media_type},
      {"config", Descriptor(oci ? "application/vnd.oci.image.config.v1+json"
                                : "application/vnd.docker.container.image.v1+json",
                            *config_digest, config.size())},
      {"layers",
       {Descriptor(oci ? "application/vnd.oci.image.layer.v1.tar+gzip"
                       : "application/vnd.docker.image.rootfs.diff.tar.gzip",
                   layer_digest, layer.size())}}};
  std::string manifest = manifest_json.dump();
  std::filesystem::path file = dir_->Write("blobs/" + std::to_string(++blob_counter_), manifest);
  Result<CurlResponse> put =
      Curl(target, "PUT", "/v2/" + std::string(repo) + "/manifests/" + std::string(tag),
           {"Content-Type: " + media_type}, file);
  if (!put) {
    return put.error().Wrap("pushing manifest of " + name);
  }
  if (put->status != 201) {
    return HttpFailure("pushing manifest of " + name, *put);
  }
  std::string digest = put->Header("docker-content-digest");
  std::string expected = "sha256:" + Sha256Hex(manifest);
  if (digest != expected) {
    return Error(ErrorKind::kInternal, "registry reported digest '" + digest + "' for " + name +
                                           ", expected " + expected);
  }
  return digest;
}

Result<void> TestRegistry::DeleteManifest(std::string_view repo, std::string_view digest) {
  CurlTarget target{base_url(), options_.tls ? pki_.ca_cert : std::filesystem::path{},
                    options_.basic_auth ? options_.user : "", options_.password};
  Result<CurlResponse> del =
      Curl(target, "DELETE", "/v2/" + std::string(repo) + "/manifests/" + std::string(digest), {});
  if (!del) {
    return del.error();
  }
  if (del->status != 202) {
    return HttpFailure("deleting manifest", *del);
  }
  return {};
}

std::string TestRegistry::Logs() const { return process_ ? process_->Stderr() : ""; }

}  // namespace imgauto::testing
