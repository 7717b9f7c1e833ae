// Registry access flags shared by `imgauto scan` and `imgauto digest`, and the client stack they
// build: a BeastHttpClient (TLS material, proxy, timeout) under an HttpRegistryClient
// (credentials from a Docker config file).
//
//   --docker-config FILE   Docker config JSON (~/.docker/config.json or a dockerconfigjson)
//   --ca-file FILE         extra trusted CA certificates (PEM)
//   --cert-file FILE       client certificate (PEM), with --key-file
//   --key-file FILE        client key (PEM), with --cert-file
//   --insecure             allow plain HTTP (https is tried first)
//   --proxy URL            HTTP proxy for every request (default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY)
//   --timeout DUR          deadline for the whole operation (Go duration, default 1m)
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cmd/flags.h"
#include "core/error.h"
#include "core/http/client.h"
#include "core/log.h"
#include "core/redact.h"
#include "reflector/registry/reference.h"
#include "reflector/registry/registry_client.h"

namespace imgauto::cmd {

struct RegistryFlagValues {
  std::string docker_config;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string proxy;
  bool insecure = false;
  std::chrono::nanoseconds timeout = std::chrono::minutes(1);
};

// Registers the flags above on `flags`.
void AddRegistryFlags(FlagSet& flags);

// Reads and checks the flag values. Usage errors (kInvalidSpec): a bad or non-positive
// --timeout, --cert-file without --key-file or the reverse.
Result<RegistryFlagValues> ReadRegistryFlags(const ParsedFlags& flags);

// Owns the HTTP client and the registry client that borrows it.
struct RegistryStack {
  http::HttpClientPtr http;
  reflector::registry::RegistryClientPtr client;
};

// Reads the files named by `values`, looks up credentials for `ref` and builds the clients.
// Every literal secret (passwords, tokens, proxy password) is added to `secrets` so callers can
// scrub any text they print. Errors: unreadable files, invalid Docker config or PEM material
// (messages never contain secret values).
Result<RegistryStack> BuildRegistryStack(const RegistryFlagValues& values,
                                         const reflector::registry::ImageReference& ref,
                                         SecretRegistry& secrets, const Logger* logger);

}  // namespace imgauto::cmd
