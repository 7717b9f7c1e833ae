#include "reflector/webhook/repository_matcher.h"

#include <algorithm>
#include <optional>
#include <set>

#include "core/strings.h"
#include "reflector/registry/reference.h"

namespace imgauto::reflector::webhook {
namespace {

using Key = std::pair<std::string, std::string>;

bool IsDockerHub(std::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

struct HostPort {
  std::string host;  // lower case, IPv6 without brackets
  std::string port;  // "" when absent
};

HostPort SplitHostPort(std::string_view text) {
  HostPort out;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close != std::string_view::npos) {
      out.host = AsciiLower(text.substr(1, close - 1));
      std::string_view rest = text.substr(close + 1);
      if (rest.starts_with(':')) {
        out.port = std::string(rest.substr(1));
      }
      return out;
    }
  }
  const std::size_t colon = text.rfind(':');
  // More than one colon without brackets is a bare IPv6 address, not host:port.
  if (colon != std::string_view::npos && text.find(':') == colon) {
    out.host = AsciiLower(text.substr(0, colon));
    out.port = std::string(text.substr(colon + 1));
  } else {
    out.host = AsciiLower(text);
  }
  return out;
}

bool IsLoopbackName(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1";
}

bool SameRegistry(std::string_view a, std::string_view b) {
  const std::string la = AsciiLower(a);
  const std::string lb = AsciiLower(b);
  if (la == lb) {
    return true;
  }
  if (IsDockerHub(la) && IsDockerHub(lb)) {
    return true;
  }
  const HostPort ha = SplitHostPort(la);
  const HostPort hb = SplitHostPort(lb);
  return IsLoopbackName(ha.host) && IsLoopbackName(hb.host) && ha.port == hb.port;
}

bool LabelsMatch(const std::map<std::string, std::string>& selector,
                 const std::map<std::string, std::string>& labels) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& entry) {
    auto it = labels.find(entry.first);
    return it != labels.end() && it->second == entry.second;
  });
}

bool IsCandidate(const Receiver& receiver, const RepositoryInfo& repository) {
  for (const ResourceRef& resource : receiver.resources) {
    const std::string& ns = resource.ns.empty() ? receiver.ns : resource.ns;
    if (repository.ns != ns) {
      continue;
    }
    if (resource.name == "*") {
      if (!resource.match_labels.empty() && LabelsMatch(resource.match_labels, repository.labels)) {
        return true;
      }
    } else if (resource.name == repository.name) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool ImageMatchesEvent(std::string_view image, const PushEvent& event) {
  Result<registry::ImageReference> ref = registry::ParseRepository(image);
  if (!ref || event.repository.empty()) {
    return false;
  }
  const std::string event_repository = AsciiLower(event.repository);
  const bool image_on_hub = IsDockerHub(ref->registry);
  if (event.registry.empty()) {
    // The host is unknown: compare the path, allowing Docker Hub's implicit "library/".
    return ref->repository == event_repository ||
           (image_on_hub && ref->repository == "library/" + event_repository);
  }
  if (!SameRegistry(ref->registry, event.registry)) {
    return false;
  }
  if (IsDockerHub(AsciiLower(event.registry)) && event_repository.find('/') == std::string::npos) {
    return ref->repository == "library/" + event_repository;
  }
  return ref->repository == event_repository;
}

std::vector<Key> SelectRepositories(const Receiver& receiver, const ParsedWebhook& parsed,
                                    const std::vector<RepositoryInfo>& repositories) {
  std::vector<Key> out;
  if (!parsed.all_resources && parsed.events.empty()) {
    return out;
  }
  std::set<Key> seen;
  for (const RepositoryInfo& repository : repositories) {
    if (!IsCandidate(receiver, repository)) {
      continue;
    }
    if (!parsed.all_resources &&
        std::none_of(parsed.events.begin(), parsed.events.end(), [&](const PushEvent& event) {
          return ImageMatchesEvent(repository.image, event);
        })) {
      continue;
    }
    if (seen.emplace(repository.ns, repository.name).second) {
      out.emplace_back(repository.ns, repository.name);
    }
  }
  return out;
}

}  // namespace imgauto::reflector::webhook
