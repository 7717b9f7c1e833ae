#include "reflector/webhook/webhook_request.h"

#include "core/strings.h"

namespace imgauto::reflector::webhook {

std::string WebhookRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return {};
}

bool WebhookRequest::HasHeader(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return true;
    }
  }
  return false;
}

}  // namespace imgauto::reflector::webhook
