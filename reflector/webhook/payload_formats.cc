#include "reflector/webhook/payload_formats.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "reflector/registry/reference.h"
#include "reflector/scan/scanner.h"
#include "reflector/webhook/payload_parser.h"

namespace imgauto::reflector::webhook::internal {
namespace {

using nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

// Unix times past 2100 (or negative) are treated as absent: they are not push times, and the
// nanosecond system_clock would overflow near 2262.
constexpr double kLatestUnixSeconds = 4102444800.0;

Error Invalid(std::string_view what, std::string_view path, std::string_view detail) {
  return Error(ErrorKind::kInvalidSpec,
               std::string(what) + ": " + std::string(path) + ": " + std::string(detail));
}

std::string_view TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

Error WrongType(std::string_view what, std::string_view path, std::string_view want,
                const json& got) {
  return Invalid(what, path,
                 "expected " + std::string(want) + ", got " + std::string(TypeName(got)));
}

// Returns the member `key` of `object` when present and not null.
const json* Member(const json& object, std::string_view key) {
  if (!object.is_object()) {
    return nullptr;
  }
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

// Returns the string member `key` ("" when absent or null); another type is an error.
Result<std::string> OptionalString(const json& object, std::string_view key, std::string_view what,
                                   std::string_view path) {
  const json* value = Member(object, key);
  if (value == nullptr) {
    return std::string();
  }
  if (!value->is_string()) {
    return WrongType(what, path, "a string", *value);
  }
  return value->get<std::string>();
}

// Returns the object member `key`, nullptr when absent or null; another type is an error.
Result<const json*> OptionalObject(const json& object, std::string_view key, std::string_view what,
                                   std::string_view path) {
  const json* value = Member(object, key);
  if (value == nullptr) {
    return static_cast<const json*>(nullptr);
  }
  if (!value->is_object()) {
    return WrongType(what, path, "an object", *value);
  }
  return value;
}

Result<void> RequireObject(const json& body, std::string_view what) {
  if (!body.is_object()) {
    return Error(ErrorKind::kInvalidSpec, std::string(what) + ": expected a JSON object, got " +
                                              std::string(TypeName(body)));
  }
  return {};
}

std::optional<TimePoint> UnixSeconds(const json* value) {
  if (value == nullptr || !value->is_number()) {
    return std::nullopt;
  }
  const double seconds = value->get<double>();
  if (!std::isfinite(seconds) || seconds <= 0 || seconds >= kLatestUnixSeconds) {
    return std::nullopt;
  }
  const auto whole = static_cast<std::int64_t>(seconds);
  const auto nanos = static_cast<std::int64_t>((seconds - static_cast<double>(whole)) * 1e9);
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(whole) + std::chrono::nanoseconds(nanos)));
}

std::optional<TimePoint> Rfc3339(const json* value) {
  if (value == nullptr || !value->is_string()) {
    return std::nullopt;
  }
  return scan::ParseRfc3339(value->get_ref<const std::string&>());
}

// A digest reported in a tag field (Harbor reports untagged pushes so) is not a tag.
bool LooksLikeDigest(std::string_view text) { return text.starts_with("sha256:"); }

// Docker Hub official images are reported without their implicit "library/" namespace.
std::string DockerHubRepository(std::string_view name) {
  std::string out = AsciiLower(name);
  if (out.find('/') == std::string::npos) {
    out = "library/" + out;
  }
  return out;
}

bool IsManifestTarget(std::string_view media_type, std::string_view url) {
  if (media_type.find("manifest") != std::string_view::npos ||
      media_type == "application/vnd.oci.image.index.v1+json") {
    return true;
  }
  // Registries that omit the media type still link manifests under /manifests/.
  return media_type.empty() && url.find("/manifests/") != std::string_view::npos;
}

// Drops exact duplicates and, per registry and repository, the untagged events when a tagged one
// exists (the per-platform manifests of one multi-arch push).
std::vector<PushEvent> Collapse(std::vector<PushEvent> events) {
  std::set<std::pair<std::string, std::string>> tagged;
  for (const PushEvent& e : events) {
    if (!e.tag.empty()) {
      tagged.emplace(e.registry, e.repository);
    }
  }
  std::vector<PushEvent> out;
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
  for (PushEvent& e : events) {
    if (e.tag.empty() && tagged.count({e.registry, e.repository}) > 0) {
      continue;
    }
    if (!seen.emplace(e.registry, e.repository, e.tag, e.digest).second) {
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

ParsedWebhook Ignored(std::string reason) {
  ParsedWebhook out;
  out.ignored_reason = std::move(reason);
  return out;
}

ParsedWebhook WithEvents(std::vector<PushEvent> events, std::string_view none_reason) {
  ParsedWebhook out;
  out.events = std::move(events);
  if (out.events.empty()) {
    out.ignored_reason = std::string(none_reason);
  }
  return out;
}

// One Distribution event, or nullopt when it is not a manifest push. Events of an unexpected
// shape are skipped rather than rejected: the registry retries a rejected envelope forever and
// its queue backs up (Distribution's notifications documentation asks endpoints to be lenient).
std::optional<PushEvent> DistributionEvent(const json& event) {
  if (!event.is_object()) {
    return std::nullopt;
  }
  const json* action = Member(event, "action");
  if (action == nullptr || !action->is_string() ||
      action->get_ref<const std::string&>() != "push") {
    return std::nullopt;
  }
  const json* target = Member(event, "target");
  if (target == nullptr || !target->is_object()) {
    return std::nullopt;
  }
  auto text = [](const json& object, std::string_view key) -> std::string {
    const json* value = Member(object, key);
    return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
  };
  const std::string media_type = text(*target, "mediaType");
  const std::string url = text(*target, "url");
  if (!IsManifestTarget(media_type, url)) {
    return std::nullopt;
  }
  PushEvent out;
  out.repository = AsciiLower(text(*target, "repository"));
  if (out.repository.empty()) {
    return std::nullopt;
  }
  out.tag = text(*target, "tag");
  out.digest = text(*target, "digest");
  if (const json* request = Member(event, "request"); request != nullptr && request->is_object()) {
    out.registry = AsciiLower(text(*request, "host"));
  }
  if (out.registry.empty()) {
    out.registry = RegistryHostOf(url);
  }
  out.pushed_at = Rfc3339(Member(event, "timestamp"));
  return out;
}

Result<std::string> GitHubOwner(const json& package, std::string_view what, std::string_view path) {
  Result<std::string> ns =
      OptionalString(package, "namespace", what, std::string(path) + ".namespace");
  if (!ns) {
    return ns.error();
  }
  if (!ns->empty()) {
    return *ns;
  }
  Result<const json*> owner = OptionalObject(package, "owner", what, std::string(path) + ".owner");
  if (!owner) {
    return owner.error();
  }
  if (*owner == nullptr) {
    return std::string();
  }
  return OptionalString(**owner, "login", what, std::string(path) + ".owner.login");
}

// Parses application/x-www-form-urlencoded and returns the decoded `payload` field.
std::optional<std::string> FormPayload(std::string_view body) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (const std::string& pair : Split(body, "&")) {
    if (!pair.starts_with("payload=")) {
      continue;
    }
    std::string out;
    std::string_view value = std::string_view(pair).substr(8);
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '+') {
        out += ' ';
      } else if (value[i] == '%' && i + 2 < value.size() && hex(value[i + 1]) >= 0 &&
                 hex(value[i + 2]) >= 0) {
        out += static_cast<char>(hex(value[i + 1]) * 16 + hex(value[i + 2]));
        i += 2;
      } else {
        out += value[i];
      }
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::string RegistryHostOf(std::string_view reference) {
  if (std::size_t scheme = reference.find("://"); scheme != std::string_view::npos) {
    reference.remove_prefix(scheme + 3);
  }
  const std::size_t slash = reference.find('/');
  if (slash == std::string_view::npos) {
    return "";
  }
  std::string_view host = reference.substr(0, slash);
  if (std::size_t at = host.rfind('@'); at != std::string_view::npos) {
    host.remove_prefix(at + 1);  // user info of a URL
  }
  if (host.empty() || (host.find('.') == std::string_view::npos &&
                       host.find(':') == std::string_view::npos && host != "localhost")) {
    return "";
  }
  return AsciiLower(host);
}

std::string Clip(std::string_view text, std::size_t max) {
  if (text.size() <= max) {
    return Quote(text);
  }
  return Quote(text.substr(0, max)) + "…";
}

bool JsonDepthWithin(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return false;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

Result<json> ParseJson(std::string_view body, std::string_view what) {
  if (!JsonDepthWithin(body, kMaxJsonDepth)) {
    return Error(ErrorKind::kInvalidSpec, std::string(what) + ": JSON nested too deeply");
  }
  if (TrimSpace(body).empty()) {
    return Error(ErrorKind::kInvalidSpec, std::string(what) + ": empty body, expected JSON");
  }
  try {
    return json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const json::parse_error& e) {
    // e.what() quotes the offending token, which may be long: only the position is reported.
    return Error(ErrorKind::kInvalidSpec,
                 std::string(what) + ": malformed JSON at byte " + std::to_string(e.byte));
  } catch (const json::out_of_range&) {
    // A number too large for a double ("1e999"); what() quotes it.
    return Error(ErrorKind::kInvalidSpec,
                 std::string(what) + ": malformed JSON: number out of range");
  }
}

Result<ParsedWebhook> ParseDistribution(const json& body) {
  constexpr std::string_view kWhat = "distribution payload";
  if (Result<void> ok = RequireObject(body, kWhat); !ok) {
    return ok.error();
  }
  const json* events = Member(body, "events");
  if (events == nullptr) {
    return Invalid(kWhat, "events", "required field is missing");
  }
  if (!events->is_array()) {
    return WrongType(kWhat, "events", "a list", *events);
  }
  std::vector<PushEvent> out;
  for (const json& event : *events) {
    if (std::optional<PushEvent> push = DistributionEvent(event); push.has_value()) {
      out.push_back(std::move(*push));
    }
  }
  return WithEvents(Collapse(std::move(out)), "no manifest push in the envelope");
}

Result<ParsedWebhook> ParseDockerHub(const json& body) {
  constexpr std::string_view kWhat = "dockerhub payload";
  if (Result<void> ok = RequireObject(body, kWhat); !ok) {
    return ok.error();
  }
  Result<const json*> repository = OptionalObject(body, "repository", kWhat, "repository");
  if (!repository) {
    return repository.error();
  }
  if (*repository == nullptr) {
    return Invalid(kWhat, "repository", "required field is missing");
  }
  Result<std::string> repo_name =
      OptionalString(**repository, "repo_name", kWhat, "repository.repo_name");
  if (!repo_name) {
    return repo_name.error();
  }
  std::string name = *repo_name;
  if (name.empty()) {
    Result<std::string> ns =
        OptionalString(**repository, "namespace", kWhat, "repository.namespace");
    Result<std::string> short_name = OptionalString(**repository, "name", kWhat, "repository.name");
    if (!ns) {
      return ns.error();
    }
    if (!short_name) {
      return short_name.error();
    }
    if (!short_name->empty()) {
      name = ns->empty() ? *short_name : *ns + "/" + *short_name;
    }
  }
  if (name.empty()) {
    return Invalid(kWhat, "repository.repo_name", "required field is missing");
  }
  Result<const json*> push_data = OptionalObject(body, "push_data", kWhat, "push_data");
  if (!push_data) {
    return push_data.error();
  }
  PushEvent event;
  event.registry = "docker.io";
  event.repository = DockerHubRepository(name);
  if (*push_data != nullptr) {
    Result<std::string> tag = OptionalString(**push_data, "tag", kWhat, "push_data.tag");
    if (!tag) {
      return tag.error();
    }
    event.tag = *tag;
    event.pushed_at = UnixSeconds(Member(**push_data, "pushed_at"));
  }
  return WithEvents({std::move(event)}, "");
}

Result<ParsedWebhook> ParseHarbor(const json& body) {
  constexpr std::string_view kWhat = "harbor payload";
  if (Result<void> ok = RequireObject(body, kWhat); !ok) {
    return ok.error();
  }
  Result<std::string> type = OptionalString(body, "type", kWhat, "type");
  if (!type) {
    return type.error();
  }
  if (type->empty()) {
    return Invalid(kWhat, "type", "required field is missing");
  }
  if (*type != "PUSH_ARTIFACT") {
    return Ignored("harbor event " + Clip(*type) + " is not a push");
  }
  Result<const json*> data = OptionalObject(body, "event_data", kWhat, "event_data");
  if (!data) {
    return data.error();
  }
  if (*data == nullptr) {
    return Invalid(kWhat, "event_data", "required field is missing");
  }
  Result<const json*> repository =
      OptionalObject(**data, "repository", kWhat, "event_data.repository");
  if (!repository) {
    return repository.error();
  }
  if (*repository == nullptr) {
    return Invalid(kWhat, "event_data.repository", "required field is missing");
  }
  Result<std::string> full_name =
      OptionalString(**repository, "repo_full_name", kWhat, "event_data.repository.repo_full_name");
  if (!full_name) {
    return full_name.error();
  }
  if (full_name->empty()) {
    return Invalid(kWhat, "event_data.repository.repo_full_name", "required field is missing");
  }
  const std::optional<TimePoint> occurred = UnixSeconds(Member(body, "occur_at"));
  const json* resources = Member(**data, "resources");
  if (resources != nullptr && !resources->is_array()) {
    return WrongType(kWhat, "event_data.resources", "a list", *resources);
  }
  std::vector<PushEvent> events;
  const std::size_t count = resources == nullptr ? 0 : resources->size();
  for (std::size_t i = 0; i < count; ++i) {
    const std::string path = "event_data.resources[" + std::to_string(i) + "]";
    const json& resource = (*resources)[i];
    if (!resource.is_object()) {
      return WrongType(kWhat, path, "an object", resource);
    }
    Result<std::string> tag = OptionalString(resource, "tag", kWhat, path + ".tag");
    Result<std::string> digest = OptionalString(resource, "digest", kWhat, path + ".digest");
    Result<std::string> url =
        OptionalString(resource, "resource_url", kWhat, path + ".resource_url");
    if (!tag) {
      return tag.error();
    }
    if (!digest) {
      return digest.error();
    }
    if (!url) {
      return url.error();
    }
    PushEvent event;
    event.registry = RegistryHostOf(*url);
    event.repository = AsciiLower(*full_name);
    event.digest = *digest;
    if (LooksLikeDigest(*tag)) {
      if (event.digest.empty()) {
        event.digest = *tag;
      }
    } else {
      event.tag = *tag;
    }
    event.pushed_at = occurred;
    events.push_back(std::move(event));
  }
  if (events.empty()) {
    // A push without resource details still names the repository: scan it.
    PushEvent event;
    event.repository = AsciiLower(*full_name);
    event.pushed_at = occurred;
    events.push_back(std::move(event));
  }
  return WithEvents(Collapse(std::move(events)), "");
}

Result<ParsedWebhook> ParseQuay(const json& body) {
  constexpr std::string_view kWhat = "quay payload";
  if (Result<void> ok = RequireObject(body, kWhat); !ok) {
    return ok.error();
  }
  Result<std::string> repository = OptionalString(body, "repository", kWhat, "repository");
  Result<std::string> docker_url = OptionalString(body, "docker_url", kWhat, "docker_url");
  if (!repository) {
    return repository.error();
  }
  if (!docker_url) {
    return docker_url.error();
  }
  std::string repo = *repository;
  const std::string registry = RegistryHostOf(*docker_url);
  if (repo.empty() && !registry.empty()) {
    std::string_view rest(*docker_url);
    if (std::size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
      rest.remove_prefix(scheme + 3);
    }
    repo = std::string(rest.substr(rest.find('/') + 1));
  }
  if (repo.empty()) {
    return Invalid(kWhat, "repository", "required field is missing");
  }
  std::vector<std::string> tags;
  if (const json* updated = Member(body, "updated_tags"); updated != nullptr) {
    if (updated->is_array()) {
      for (std::size_t i = 0; i < updated->size(); ++i) {
        const json& tag = (*updated)[i];
        if (!tag.is_string()) {
          return WrongType(kWhat, "updated_tags[" + std::to_string(i) + "]", "a string", tag);
        }
        tags.push_back(tag.get<std::string>());
      }
    } else if (updated->is_object()) {
      // Early Quay payloads mapped each tag to its image id.
      for (const auto& [tag, ignored] : updated->items()) {
        tags.push_back(tag);
      }
    } else {
      return WrongType(kWhat, "updated_tags", "a list", *updated);
    }
  }
  if (tags.empty()) {
    tags.emplace_back();
  }
  std::vector<PushEvent> events;
  for (std::string& tag : tags) {
    PushEvent event;
    event.registry = registry;
    event.repository = AsciiLower(repo);
    event.tag = std::move(tag);
    events.push_back(std::move(event));
  }
  return WithEvents(Collapse(std::move(events)), "");
}

Result<ParsedWebhook> ParseGitHub(std::string_view event, const json& body) {
  constexpr std::string_view kWhat = "github payload";
  if (event == "ping") {
    return Ignored("github ping");
  }
  if (event != "registry_package" && event != "package") {
    return Ignored("github event " + Clip(event) + " carries no container push");
  }
  if (Result<void> ok = RequireObject(body, kWhat); !ok) {
    return ok.error();
  }
  const std::string key(event);
  Result<std::string> action = OptionalString(body, "action", kWhat, "action");
  if (!action) {
    return action.error();
  }
  if (*action != "published" && *action != "updated") {
    return Ignored("github " + key + " action " + Clip(*action) + " is not a publication");
  }
  Result<const json*> package = OptionalObject(body, key, kWhat, key);
  if (!package) {
    return package.error();
  }
  if (*package == nullptr) {
    return Invalid(kWhat, key, "required field is missing");
  }
  Result<std::string> package_type =
      OptionalString(**package, "package_type", kWhat, key + ".package_type");
  if (!package_type) {
    return package_type.error();
  }
  if (AsciiLower(*package_type) != "container") {
    return Ignored("github package type " + Clip(*package_type) + " is not a container");
  }
  Result<std::string> name = OptionalString(**package, "name", kWhat, key + ".name");
  if (!name) {
    return name.error();
  }
  if (name->empty()) {
    return Invalid(kWhat, key + ".name", "required field is missing");
  }
  Result<std::string> owner = GitHubOwner(**package, kWhat, key);
  if (!owner) {
    return owner.error();
  }
  if (owner->empty()) {
    return Invalid(kWhat, key + ".namespace", "required field is missing (also no owner.login)");
  }
  PushEvent out;
  out.registry = "ghcr.io";
  out.repository = AsciiLower(*owner + "/" + *name);
  Result<const json*> version =
      OptionalObject(**package, "package_version", kWhat, key + ".package_version");
  if (!version) {
    return version.error();
  }
  if (*version != nullptr) {
    const std::string vpath = key + ".package_version";
    Result<std::string> package_url =
        OptionalString(**version, "package_url", kWhat, vpath + ".package_url");
    if (!package_url) {
      return package_url.error();
    }
    // GitHub Enterprise Server serves containers from its own host.
    if (std::string host = RegistryHostOf(*package_url); !host.empty()) {
      out.registry = host;
    }
    Result<const json*> metadata =
        OptionalObject(**version, "container_metadata", kWhat, vpath + ".container_metadata");
    if (!metadata) {
      return metadata.error();
    }
    const json* tag = *metadata == nullptr ? nullptr : Member(**metadata, "tag");
    if (tag != nullptr && tag->is_object()) {
      Result<std::string> tag_name =
          OptionalString(*tag, "name", kWhat, vpath + ".container_metadata.tag.name");
      Result<std::string> digest =
          OptionalString(*tag, "digest", kWhat, vpath + ".container_metadata.tag.digest");
      if (!tag_name) {
        return tag_name.error();
      }
      if (!digest) {
        return digest.error();
      }
      out.tag = *tag_name;
      out.digest = *digest;
    }
    if (out.digest.empty()) {
      Result<std::string> version_name =
          OptionalString(**version, "version", kWhat, vpath + ".version");
      if (version_name && LooksLikeDigest(*version_name)) {
        out.digest = *version_name;
      }
    }
    out.pushed_at = Rfc3339(Member(**version, "created_at"));
  }
  if (!out.pushed_at.has_value()) {
    out.pushed_at = Rfc3339(Member(**package, "updated_at"));
  }
  return WithEvents({std::move(out)}, "");
}

Result<ParsedWebhook> ParseGeneric(std::string_view body) {
  constexpr std::string_view kWhat = "generic payload";
  ParsedWebhook all;
  all.all_resources = true;
  if (!JsonDepthWithin(body, kMaxJsonDepth)) {
    return all;
  }
  json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return all;
  }
  const json* image = Member(parsed, "image");
  if (image == nullptr) {
    return all;
  }
  if (!image->is_string()) {
    return WrongType(kWhat, "image", "a string", *image);
  }
  Result<registry::ImageReference> ref =
      registry::ParseReference(image->get_ref<const std::string&>());
  if (!ref) {
    return Invalid(kWhat, "image",
                   "not an image reference: " + Clip(image->get_ref<const std::string&>()));
  }
  Result<std::string> tag = OptionalString(parsed, "tag", kWhat, "tag");
  if (!tag) {
    return tag.error();
  }
  PushEvent event;
  event.registry = ref->registry;
  event.repository = ref->repository;
  event.tag = tag->empty() ? ref->tag : *tag;
  event.digest = ref->digest;
  if (!event.tag.empty()) {
    if (Result<void> ok = registry::ValidateTag(event.tag); !ok) {
      return Invalid(kWhat, "tag", "invalid tag " + Clip(event.tag));
    }
  }
  return WithEvents({std::move(event)}, "");
}

// Decodes the GitHub body: JSON, or a form with the JSON in `payload`.
Result<json> GitHubBody(std::string_view content_type, std::string_view body) {
  constexpr std::string_view kWhat = "github payload";
  if (AsciiLower(content_type).starts_with("application/x-www-form-urlencoded")) {
    std::optional<std::string> payload = FormPayload(body);
    if (!payload.has_value()) {
      return Error(ErrorKind::kInvalidSpec,
                   std::string(kWhat) + ": form body without a payload field");
    }
    return ParseJson(*payload, kWhat);
  }
  return ParseJson(body, kWhat);
}

}  // namespace imgauto::reflector::webhook::internal
