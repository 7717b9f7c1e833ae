// NotificationForwarder: sends controller events to Flux's notification-controller
// (`--events-addr`), in the payload of fluxcd/pkg's event/v1beta1 Event (§6 of the Flux
// reference): involvedObject, severity (Normal → info, Warning → error), timestamp, message,
// reason, metadata (object annotations prefixed `event.toolkit.fluxcd.io/`, prefix removed),
// reportingController, reportingInstance. Trace events are never forwarded. A 429 from the
// receiver means "duplicate, already seen" and is not an error.
//
//   NotificationForwarder forwarder(http, {.address = events_addr,
//                                          .controller = "image-automation-controller"}, clock);
//   forwarder.Forward({.object = ref, .type = "Normal", .reason = "Succeeded", .message = m});
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/http/client.h"

namespace imgauto::events {

struct ObjectReference {
  std::string api_version;  // "image.toolkit.fluxcd.io/v1"
  std::string kind;
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;
};

struct EventRecord {
  ObjectReference object;
  std::string type;  // Normal, Warning, Trace
  std::string reason;
  std::string message;
  // The object's annotations; those prefixed event.toolkit.fluxcd.io/ become metadata.
  std::vector<std::pair<std::string, std::string>> annotations;
  // Extra metadata (e.g. revision); wins over annotations with the same key.
  std::map<std::string, std::string> metadata;
};

struct ForwarderOptions {
  std::string address;     // the notification-controller URL, e.g. http://nc.flux-system.svc./
  std::string controller;  // reportingController
  std::string instance{};  // reportingInstance (pod name); defaults to the controller name
};

// Returns the JSON payload for `event` at `now` (RFC 3339 timestamp).
std::string EventPayload(const EventRecord& event, const ForwarderOptions& options,
                         std::string_view timestamp);

// Thread-safe when the HttpClient is.
class NotificationForwarder {
 public:
  NotificationForwarder(http::HttpClient& http, ForwarderOptions options, const Clock& clock);

  // POSTs the event (not Trace). Returns kTransient for transport failures and unexpected
  // statuses; success for 2xx and 429.
  Result<void> Forward(const EventRecord& event);

 private:
  http::HttpClient& http_;
  ForwarderOptions options_;
  const Clock& clock_;
};

}  // namespace imgauto::events
