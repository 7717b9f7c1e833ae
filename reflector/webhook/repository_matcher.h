// SelectRepositories: which ImageRepositories a webhook should scan. Candidates are the
// receiver's spec.resources (by name, or "*" with matchLabels; namespace defaults to the
// receiver's). With push events, a candidate is kept only when its image is one of the pushed
// images; a generic webhook without an image (all_resources) keeps every candidate.
//
// Images compare after normalisation: docker.io, index.docker.io and registry-1.docker.io are one
// registry and single-component Docker Hub names get "library/"; hosts compare case-insensitively;
// the loopback names localhost, 127.0.0.1 and [::1] are one host when the ports are equal; an event
// without a registry matches any host.
//
//   std::vector<std::pair<std::string, std::string>> scan =
//       SelectRepositories(receiver, result.parsed, repositories);  // {{"apps", "podinfo"}}
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reflector/webhook/push_event.h"
#include "reflector/webhook/receiver.h"

namespace imgauto::reflector::webhook {

// What the matcher needs to know about an ImageRepository.
struct RepositoryInfo {
  std::string ns;
  std::string name;
  std::string image;  // spec.image, e.g. "ghcr.io/acme/app" or "nginx"
  std::map<std::string, std::string> labels;
};

// Returns the (namespace, name) keys to scan, in the order of `repositories`, without
// duplicates. Empty when the payload named nothing to scan.
std::vector<std::pair<std::string, std::string>> SelectRepositories(
    const Receiver& receiver, const ParsedWebhook& parsed,
    const std::vector<RepositoryInfo>& repositories);

// Returns true when `image` (an ImageRepository spec.image) names the repository `event`
// reports. False when `image` is not a valid repository address.
bool ImageMatchesEvent(std::string_view image, const PushEvent& event);

}  // namespace imgauto::reflector::webhook
