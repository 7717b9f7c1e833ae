// Receiver: Flux's notification.toolkit.fluxcd.io Receiver as imgauto serves it — a webhook
// endpoint that registries call on a push, scanning the ImageRepositories it lists. Only the
// registry types are supported; the path is Flux's `/hook/<sha256(token + name + namespace)>`, so
// a Receiver moved from Flux keeps its URL.
//
//   Result<Receiver> receiver = DecodeReceiver(yaml_text, "flux-system");
//   if (!receiver) return receiver.error();            // kInvalidSpec naming the field
//   std::string path = WebhookPath(*receiver, token);  // "/hook/3f…"
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace imgauto::reflector::webhook {

// spec.type. The names are Flux's ("generic-hmac"); distribution is ours (CNCF Distribution's
// notification envelope).
enum class ReceiverType {
  kDistribution,
  kDockerHub,
  kGitHub,
  kHarbor,
  kQuay,
  kGeneric,
  kGenericHmac,
};

// Returns the spec.type spelling: "distribution", "dockerhub", "github", "harbor", "quay",
// "generic", "generic-hmac".
std::string_view ReceiverTypeName(ReceiverType type);

// Parses a spec.type value (exact, lower-case as Flux's enum); nullopt when unsupported.
std::optional<ReceiverType> ParseReceiverType(std::string_view name);

// Returns "distribution, dockerhub, …, generic-hmac" for messages.
std::string SupportedReceiverTypes();

// One spec.resources entry. kind is always "ImageRepository" after decoding.
struct ResourceRef {
  std::string api_version;  // as written; may be empty
  std::string kind;
  std::string name;  // an ImageRepository name, or "*" with match_labels
  std::string ns;    // empty: the Receiver's namespace
  std::map<std::string, std::string> match_labels;

  bool operator==(const ResourceRef&) const = default;
};

struct Receiver {
  std::string ns;
  std::string name;
  ReceiverType type = ReceiverType::kGeneric;
  std::string secret_name;          // spec.secretRef.name; the Secret's `token` key is the token
  std::vector<std::string> events;  // spec.events; filters X-GitHub-Event for github receivers
  std::vector<ResourceRef> resources;
  bool suspend = false;

  // Returns "<ns>/<name>", the key metrics and logs use.
  std::string Key() const { return ns + "/" + name; }
};

// Decodes one Receiver document (apiVersion notification.toolkit.fluxcd.io/v1, v1beta2 or
// v1beta3). metadata.namespace defaults to `default_namespace`. Errors are kInvalidSpec and name
// the field: an unsupported spec.type (listing the supported ones), a missing
// spec.secretRef.name, an empty spec.resources, a resource whose kind is not ImageRepository, a
// resource named "*" without matchLabels, malformed YAML.
Result<Receiver> DecodeReceiver(std::string_view yaml, std::string_view default_namespace);

// Returns Flux's webhook path for `token`: "/hook/" + lower-case hex
// sha256(token + name + namespace).
std::string WebhookPath(const Receiver& receiver, std::string_view token);

}  // namespace imgauto::reflector::webhook
