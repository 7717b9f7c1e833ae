// WebhookRequest: the parts of an HTTP request a webhook parser reads. Kept free of the HTTP
// server's types so the webhook library does not depend on metrics/ (cmd converts).
//
//   WebhookRequest request{.method = "POST", .headers = {{"X-GitHub-Event", "ping"}}, .body =
//   "{}"}; request.Header("x-github-event");  // "ping"
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgauto::reflector::webhook {

struct WebhookRequest {
  std::string method;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Returns the first value of header `name` (ASCII case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
  // Returns true when header `name` is present (possibly with an empty value).
  bool HasHeader(std::string_view name) const;
};

}  // namespace imgauto::reflector::webhook
