#include "core/events/notification_forwarder.h"

#include <nlohmann/json.hpp>

#include "core/duration.h"

namespace imgauto::events {
namespace {

constexpr std::string_view kAnnotationPrefix = "event.toolkit.fluxcd.io/";

std::string Severity(std::string_view type) { return type == "Warning" ? "error" : "info"; }

}  // namespace

std::string EventPayload(const EventRecord& event, const ForwarderOptions& options,
                         std::string_view timestamp) {
  nlohmann::json object = {{"kind", event.object.kind},
                           {"namespace", event.object.ns},
                           {"name", event.object.name}};
  if (!event.object.api_version.empty()) object["apiVersion"] = event.object.api_version;
  if (!event.object.uid.empty()) object["uid"] = event.object.uid;
  if (!event.object.resource_version.empty()) {
    object["resourceVersion"] = event.object.resource_version;
  }
  nlohmann::json metadata = nlohmann::json::object();
  for (const auto& [key, value] : event.annotations) {
    if (key.starts_with(kAnnotationPrefix) && key.size() > kAnnotationPrefix.size()) {
      metadata[key.substr(kAnnotationPrefix.size())] = value;
    }
  }
  for (const auto& [key, value] : event.metadata) {
    metadata[key] = value;
  }
  nlohmann::json payload = {
      {"involvedObject", object},
      {"severity", Severity(event.type)},
      {"timestamp", std::string(timestamp)},
      {"message", event.message},
      {"reason", event.reason},
      {"reportingController", options.controller},
      {"reportingInstance", options.instance.empty() ? options.controller : options.instance}};
  if (!metadata.empty()) {
    payload["metadata"] = metadata;
  }
  return payload.dump();
}

NotificationForwarder::NotificationForwarder(http::HttpClient& http, ForwarderOptions options,
                                             const Clock& clock)
    : http_(http), options_(std::move(options)), clock_(clock) {}

Result<void> NotificationForwarder::Forward(const EventRecord& event) {
  if (event.type == "Trace" || options_.address.empty()) {
    return {};
  }
  http::Request request;
  request.method = "POST";
  request.url = options_.address;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = EventPayload(event, options_, FormatRfc3339(clock_.Now()));
  request.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  Result<http::Response> response = http_.Send(request);
  if (!response) {
    return response.error().Wrap("posting event to " + options_.address);
  }
  if ((response->status >= 200 && response->status < 300) || response->status == 429) {
    return {};
  }
  return Error(ErrorKind::kTransient, "posting event to " + options_.address + ": " +
                                          std::to_string(response->status) + " " +
                                          response->reason);
}

}  // namespace imgauto::events
