// libFuzzer target for registry webhooks. The first byte picks what is fuzzed: 0xFF decodes a
// Receiver document from the rest; any other value picks the receiver type (byte % 7) and request
// variant (byte / 7: bit 0 leaves the request unauthenticated, bits 1-2 the X-GitHub-Event, bit 3
// a form-encoded GitHub delivery), and the rest is the body. Authenticated variants sign the body
// with the fuzzer's token so the parsers behind authentication are reached.
//
// Invariants: errors are kInvalidSpec or kUnauthorized (unauthenticated variants of github,
// harbor and generic-hmac are always kUnauthorized, authenticated ones never), messages are short
// and never contain the token unless the input does; accepted payloads are consistent and the
// matcher copes with them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "reflector/webhook/payload_parser.h"
#include "reflector/webhook/receiver.h"
#include "reflector/webhook/repository_matcher.h"
#include "reflector/webhook/signature.h"

namespace {

using imgauto::ErrorKind;
using imgauto::Result;
namespace webhook = imgauto::reflector::webhook;

constexpr std::string_view kToken = "fuzz-token-7f3a9c";

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void FuzzReceiver(std::string_view text) {
  Result<webhook::Receiver> receiver = webhook::DecodeReceiver(text, "default");
  if (!receiver) {
    Require(receiver.error().kind() == ErrorKind::kInvalidSpec);
    return;
  }
  Require(!receiver->name.empty() && !receiver->ns.empty() && !receiver->resources.empty());
  for (const webhook::ResourceRef& resource : receiver->resources) {
    Require(resource.kind == "ImageRepository");
    Require(resource.name != "*" || !resource.match_labels.empty());
  }
  Require(webhook::WebhookPath(*receiver, kToken).size() == 6 + 64);
}

webhook::WebhookRequest MakeRequest(webhook::ReceiverType type, unsigned flags,
                                    std::string_view body) {
  static constexpr std::string_view kEvents[] = {"registry_package", "package", "ping", "push"};
  const bool authenticate = (flags & 1u) == 0;
  webhook::WebhookRequest request{"POST", {}, std::string(body)};
  switch (type) {
    case webhook::ReceiverType::kGitHub:
      request.headers.emplace_back("X-GitHub-Event", std::string(kEvents[(flags >> 1) & 3u]));
      if ((flags & 8u) != 0) {
        request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      }
      if (authenticate) {
        request.headers.emplace_back("X-Hub-Signature-256",
                                     "sha256=" + webhook::HmacHex("sha256", kToken, body));
      }
      break;
    case webhook::ReceiverType::kGenericHmac:
      if (authenticate) {
        request.headers.emplace_back("X-Signature",
                                     "sha512=" + webhook::HmacHex("sha512", kToken, body));
      }
      break;
    case webhook::ReceiverType::kHarbor:
      if (authenticate) {
        request.headers.emplace_back("Authorization", std::string(kToken));
      }
      break;
    default:
      break;
  }
  return request;
}

void CheckMatcher(const webhook::ParsedWebhook& parsed) {
  webhook::Receiver receiver;
  receiver.ns = "apps";
  receiver.name = "hooks";
  receiver.resources = {{"", "ImageRepository", "a", "", {}},
                        {"", "ImageRepository", "*", "", {{"scan", "webhook"}}}};
  static const std::vector<webhook::RepositoryInfo> kRepositories = {
      {"apps", "a", "ghcr.io/acme/app", {}},
      {"apps", "b", "nginx", {{"scan", "webhook"}}},
      {"apps", "c", "localhost:5000/team/app", {{"scan", "webhook"}}},
      {"apps", "d", "not a valid image", {{"scan", "webhook"}}},
  };
  std::vector<std::pair<std::string, std::string>> keys =
      webhook::SelectRepositories(receiver, parsed, kRepositories);
  // Every candidate when all resources are scanned; "d" (an invalid image) matches no event.
  Require(parsed.all_resources ? keys.size() == 4 : keys.size() <= 3);
  for (const webhook::PushEvent& event : parsed.events) {
    for (const webhook::RepositoryInfo& repository : kRepositories) {
      (void)webhook::ImageMatchesEvent(repository.image, event);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] == 0xFF) {
    FuzzReceiver(rest);
    return 0;
  }
  const auto type = static_cast<webhook::ReceiverType>(data[0] % 7);
  const unsigned flags = data[0] / 7u;
  const bool authenticated = (flags & 1u) == 0;
  const bool needs_auth = type == webhook::ReceiverType::kGitHub ||
                          type == webhook::ReceiverType::kHarbor ||
                          type == webhook::ReceiverType::kGenericHmac;
  Result<webhook::ParsedWebhook> parsed =
      webhook::ParsePayload(type, MakeRequest(type, flags, rest), kToken);
  if (!parsed) {
    const imgauto::Error& error = parsed.error();
    Require(error.kind() == ErrorKind::kInvalidSpec || error.kind() == ErrorKind::kUnauthorized);
    if (rest.size() <= webhook::kMaxPayloadBytes) {  // larger bodies are refused first
      Require((error.kind() == ErrorKind::kUnauthorized) == (needs_auth && !authenticated));
    }
    // Input bytes may be quoted (clipped), so only a token the input does not carry counts.
    Require(rest.find(kToken) != std::string_view::npos ||
            error.message().find(kToken) == std::string::npos);
    Require(error.message().size() <= 400);
    return 0;
  }
  Require(!needs_auth || authenticated);
  Require(parsed->ignored_reason.size() <= 400);
  Require(!parsed->all_resources || parsed->events.empty());
  Require(parsed->all_resources || !parsed->events.empty() || !parsed->ignored_reason.empty());
  for (const webhook::PushEvent& event : parsed->events) {
    Require(!event.repository.empty());
  }
  CheckMatcher(*parsed);
  return 0;
}
