// JSON encoding of ImageUpdateAutomation status, and the way back for the standalone store's
// status files. The shape is the same in v1, v1beta2 and v1beta1 (decision 1 of the Flux
// reference). Fields follow Go's `omitempty`: unset times, empty strings, an empty
// observedPolicies map, no conditions and a zero observedGeneration are left out.
//
//   nlohmann::json patch = {{"status", ImageUpdateAutomationStatusToJson(iua.status)}};
//   Result<ImageUpdateAutomationStatus> back =
//   ImageUpdateAutomationStatusFromJson(patch["status"]);
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "automation/api/image_update_automation.h"
#include "core/error.h"

namespace imgauto::automation::api {

// Encodes lastAutomationRunTime, lastPushCommit, lastPushTime, observedPolicies (name →
// {name, tag, digest (omitted when empty)}), observedSourceRevision, observedGeneration,
// conditions and lastHandledReconcileAt.
nlohmann::json ImageUpdateAutomationStatusToJson(const ImageUpdateAutomationStatus& status);

// Decodes what ImageUpdateAutomationStatusToJson wrote (or any status object); null decodes as
// an empty status. Errors are kInvalidSpec with "status." paths. For YAML or JSON text use
// DecodeImageUpdateAutomationStatus.
Result<ImageUpdateAutomationStatus> ImageUpdateAutomationStatusFromJson(
    const nlohmann::json& status);

}  // namespace imgauto::automation::api
