#include "reflector/webhook/payload_parser.h"

#include <nlohmann/json.hpp>
#include <string>

#include "reflector/webhook/payload_formats.h"
#include "reflector/webhook/signature.h"

namespace imgauto::reflector::webhook {
namespace {

Error Unauthorized(std::string message) {
  return Error(ErrorKind::kUnauthorized, std::move(message));
}

// GitHub signs with X-Hub-Signature-256 (sha256) and, for older hooks, X-Hub-Signature (sha1);
// the stronger one is checked when both are present (go-github's ValidatePayload does the same).
Result<void> CheckGitHubSignature(const WebhookRequest& request, std::string_view token) {
  std::string signature = request.Header("X-Hub-Signature-256");
  std::string expected_algorithm = "sha256";
  if (signature.empty()) {
    signature = request.Header("X-Hub-Signature");
    expected_algorithm = "sha1";
  }
  if (signature.empty()) {
    return Unauthorized("github: missing X-Hub-Signature-256 header");
  }
  if (!signature.starts_with(expected_algorithm + "=")) {
    return Unauthorized("github: signature header must start with " + expected_algorithm + "=");
  }
  if (!VerifyHmacSignature(signature, request.body, token)) {
    return Unauthorized("github: payload signature does not match");
  }
  return {};
}

Result<void> CheckGenericHmac(const WebhookRequest& request, std::string_view token) {
  const std::string signature = request.Header("X-Signature");
  if (signature.empty()) {
    return Unauthorized("generic-hmac: missing X-Signature header");
  }
  if (!VerifyHmacSignature(signature, request.body, token)) {
    return Unauthorized(
        "generic-hmac: X-Signature does not match (expected sha1=, sha256= or sha512= and the "
        "hex HMAC of the body)");
  }
  return {};
}

Result<void> CheckHarborAuthorization(const WebhookRequest& request, std::string_view token) {
  if (!request.HasHeader("Authorization")) {
    return Unauthorized("harbor: missing Authorization header");
  }
  if (!ConstantTimeEquals(request.Header("Authorization"), token)) {
    return Unauthorized("harbor: Authorization header does not match the receiver token");
  }
  return {};
}

template <typename Fn>
Result<ParsedWebhook> WithJson(const WebhookRequest& request, std::string_view what, Fn&& parse) {
  Result<nlohmann::json> body = internal::ParseJson(request.body, what);
  if (!body) {
    return body.error();
  }
  return parse(*body);
}

}  // namespace

Result<ParsedWebhook> ParsePayload(ReceiverType type, const WebhookRequest& request,
                                   std::string_view token) {
  if (request.body.size() > kMaxPayloadBytes) {
    return Error(ErrorKind::kInvalidSpec, std::string(ReceiverTypeName(type)) +
                                              " payload: body larger than " +
                                              std::to_string(kMaxPayloadBytes) + " bytes");
  }
  // Authentication first: nothing of an unauthenticated body is parsed.
  switch (type) {
    case ReceiverType::kGitHub: {
      if (Result<void> ok = CheckGitHubSignature(request, token); !ok) {
        return ok.error();
      }
      const std::string event = request.Header("X-GitHub-Event");
      if (event == "ping") {
        return internal::ParseGitHub(event, nlohmann::json::object());
      }
      if (event != "registry_package" && event != "package") {
        return internal::ParseGitHub(event, nlohmann::json());
      }
      Result<nlohmann::json> body =
          internal::GitHubBody(request.Header("Content-Type"), request.body);
      if (!body) {
        return body.error();
      }
      return internal::ParseGitHub(event, *body);
    }
    case ReceiverType::kHarbor:
      if (Result<void> ok = CheckHarborAuthorization(request, token); !ok) {
        return ok.error();
      }
      return WithJson(request, "harbor payload", internal::ParseHarbor);
    case ReceiverType::kGenericHmac:
      if (Result<void> ok = CheckGenericHmac(request, token); !ok) {
        return ok.error();
      }
      return internal::ParseGeneric(request.body);
    case ReceiverType::kGeneric:
      return internal::ParseGeneric(request.body);
    case ReceiverType::kDistribution:
      return WithJson(request, "distribution payload", internal::ParseDistribution);
    case ReceiverType::kDockerHub:
      return WithJson(request, "dockerhub payload", internal::ParseDockerHub);
    case ReceiverType::kQuay:
      return WithJson(request, "quay payload", internal::ParseQuay);
  }
  return Error(ErrorKind::kInternal, "unknown receiver type");
}

}  // namespace imgauto::reflector::webhook
