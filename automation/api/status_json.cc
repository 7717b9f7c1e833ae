#include "automation/api/status_json.h"

#include <string>

#include <nlohmann/json.hpp>

#include "reflector/api/status_json.h"

namespace imgauto::automation::api {
namespace {

using nlohmann::json;

void PutIfNotEmpty(json& out, const char* key, const std::string& value) {
  if (!value.empty()) {
    out[key] = value;
  }
}

}  // namespace

json ImageUpdateAutomationStatusToJson(const ImageUpdateAutomationStatus& status) {
  json out = json::object();
  PutIfNotEmpty(out, "lastAutomationRunTime", status.last_automation_run_time);
  PutIfNotEmpty(out, "lastPushCommit", status.last_push_commit);
  PutIfNotEmpty(out, "lastPushTime", status.last_push_time);
  if (!status.observed_policies.empty()) {
    json policies = json::object();
    for (const auto& [name, ref] : status.observed_policies) {
      policies[name] = reflector::api::ImageRefToJson(ref);
    }
    out["observedPolicies"] = std::move(policies);
  }
  PutIfNotEmpty(out, "observedSourceRevision", status.observed_source_revision);
  if (status.observed_generation != 0) {
    out["observedGeneration"] = status.observed_generation;
  }
  if (!status.conditions.empty()) {
    out["conditions"] = reflector::api::ConditionsToJson(status.conditions);
  }
  PutIfNotEmpty(out, "lastHandledReconcileAt", status.last_handled_reconcile_at);
  return out;
}

Result<ImageUpdateAutomationStatus> ImageUpdateAutomationStatusFromJson(const json& status) {
  if (status.is_null()) {
    return DecodeImageUpdateAutomationStatus("{}");
  }
  if (!status.is_object()) {
    return Error(ErrorKind::kInvalidSpec,
                 std::string("status: expected a mapping, got ") + status.type_name());
  }
  return DecodeImageUpdateAutomationStatus(
      status.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace imgauto::automation::api
