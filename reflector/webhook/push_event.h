// PushEvent and ParsedWebhook: what a registry webhook says was pushed, in registry-neutral
// form. The matcher (repository_matcher.h) turns them into ImageRepository scans; the lead-time
// metrics use `pushed_at`.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace imgauto::reflector::webhook {

// One pushed image. Fields are as the registry reported them, lower-cased where the registry
// grammar is case-insensitive (host) or must be lower case (repository).
struct PushEvent {
  std::string registry;    // "ghcr.io", "localhost:5000", "docker.io"; empty: unknown (any host)
  std::string repository;  // "acme/app"; Docker Hub official images may read "nginx"
  std::string tag;         // empty when the push had no tag (a digest-only push)
  std::string digest;      // "sha256:…", empty when not reported
  std::optional<std::chrono::system_clock::time_point> pushed_at;

  bool operator==(const PushEvent&) const = default;
};

// The outcome of parsing an accepted (authenticated, well-formed) webhook request.
struct ParsedWebhook {
  // Pushed images; scans are limited to the receiver's resources whose image matches one.
  std::vector<PushEvent> events;
  // True when the payload names no image (generic receivers): scan every resource of the
  // receiver.
  bool all_resources = false;
  // Why nothing is to be scanned, when events is empty and all_resources false (a GitHub ping,
  // a Harbor PULL_ARTIFACT, a Distribution pull): for logs and the HTTP answer.
  std::string ignored_reason;
};

}  // namespace imgauto::reflector::webhook
