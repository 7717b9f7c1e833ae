// Internal to imgauto_webhook (included only by payload_parser.cc and payload_formats.cc): the
// per-registry payload shapes. Each function receives an already authenticated, parsed JSON body
// and returns the push events it describes, or kInvalidSpec naming the field that has the wrong
// shape. See payload_parser.h for the formats.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"
#include "reflector/webhook/push_event.h"

namespace imgauto::reflector::webhook::internal {

Result<ParsedWebhook> ParseDistribution(const nlohmann::json& body);
Result<ParsedWebhook> ParseDockerHub(const nlohmann::json& body);
Result<ParsedWebhook> ParseHarbor(const nlohmann::json& body);
Result<ParsedWebhook> ParseQuay(const nlohmann::json& body);
// `event` is the X-GitHub-Event header.
Result<ParsedWebhook> ParseGitHub(std::string_view event, const nlohmann::json& body);
// Decodes a GitHub delivery body: JSON, or (content type application/x-www-form-urlencoded) a
// form whose `payload` field holds the JSON.
Result<nlohmann::json> GitHubBody(std::string_view content_type, std::string_view body);
// `body` is the raw body: anything is accepted; see payload_parser.h.
Result<ParsedWebhook> ParseGeneric(std::string_view body);

// Returns the registry host of "host/path…" or "scheme://host/path…" when the first component
// names a host (contains '.' or ':' or is "localhost", Docker's rule), lower-cased; "" otherwise.
std::string RegistryHostOf(std::string_view reference);

// Returns `text` quoted for a message, cut to `max` bytes ("…" appended when cut).
std::string Clip(std::string_view text, std::size_t max = 64);

// Returns false when `body` nests arrays/objects deeper than `max_depth` (strings are skipped).
bool JsonDepthWithin(std::string_view body, int max_depth);

// Parses JSON; kInvalidSpec "<what>: malformed JSON at byte N" (the input is not quoted) or
// "<what>: JSON nested too deeply".
Result<nlohmann::json> ParseJson(std::string_view body, std::string_view what);

}  // namespace imgauto::reflector::webhook::internal
