// ParsePayload: authenticates a webhook request for a Receiver type and extracts the pushed
// images. Authentication happens before the body is parsed.
//
// Per type (payload formats as the registries document them):
//  * distribution — CNCF Distribution's notification envelope {"events":[…]} (content type
//    application/vnd.docker.distribution.events.v1+json / v2+json or application/json): "push"
//    events of manifests; blobs and pulls are skipped; registry from request.host or the host of
//    target.url. A multi-arch push reports one event per platform manifest: untagged manifest
//    events of a repository that also has a tagged event in the same envelope are dropped.
//    Authentication: the secret webhook path only (as Flux's dockerhub / quay).
//  * dockerhub — push_data.tag, push_data.pushed_at (unix seconds), repository.repo_name;
//    registry docker.io. Authentication: the secret path only (Docker Hub signs nothing).
//  * github — X-GitHub-Event registry_package / package (action published or updated,
//    package_type container); "ping" is accepted with no events; other events are ignored. The
//    body must carry X-Hub-Signature-256 "sha256=<hex>" (or X-Hub-Signature "sha1=<hex>"), the
//    HMAC of the body keyed with the token. Form-encoded deliveries (payload=…) are accepted.
//  * harbor — type PUSH_ARTIFACT (others: no events), occur_at (unix seconds),
//    event_data.repository.repo_full_name, event_data.resources[].tag / digest / resource_url
//    (registry = host of resource_url). The Authorization header must equal the token (Flux's
//    rule), compared in constant time.
//  * quay — repository ("ns/repo"), docker_url ("host/ns/repo"), updated_tags[].
//  * generic — any body; all_resources unless the body is a JSON object with "image"
//    ("registry.example.com/app", a tag or digest allowed) and optional "tag": then one event.
//  * generic-hmac — as generic, plus X-Signature "<sha1|sha256|sha512>=<hex>" HMAC of the body.
//
// Errors: kUnauthorized for a missing or wrong signature / Authorization header; kInvalidSpec for
// malformed JSON or a payload of the wrong shape, the message saying what is wrong (at most
// ~100 bytes of the input are quoted; the token never is).
//
//   Result<ParsedWebhook> parsed = ParsePayload(ReceiverType::kHarbor, request, token);
#pragma once

#include <cstddef>
#include <string_view>

#include "core/error.h"
#include "reflector/webhook/push_event.h"
#include "reflector/webhook/receiver.h"
#include "reflector/webhook/webhook_request.h"

namespace imgauto::reflector::webhook {

// Larger bodies are rejected (kInvalidSpec) before parsing; the HTTP server's own limit is
// usually lower.
inline constexpr std::size_t kMaxPayloadBytes = 4 * 1024 * 1024;
// Deeper JSON nesting is rejected before parsing: no registry payload nests beyond ~6 levels.
inline constexpr int kMaxJsonDepth = 64;

// Authenticates `request` for `type` with `token` and parses its body. See the file comment.
Result<ParsedWebhook> ParsePayload(ReceiverType type, const WebhookRequest& request,
                                   std::string_view token);

}  // namespace imgauto::reflector::webhook
