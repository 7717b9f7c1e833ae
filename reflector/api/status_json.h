// JSON encoding of ImageRepository and ImagePolicy status in the shape of the served API version
// (decision 1 of the Flux reference), and the way back for the standalone store's status files.
// Fields follow Go's `omitempty`: empty strings, empty lists and maps, unset references and a
// zero observedGeneration are left out; fields without omitempty upstream (tagCount, a
// reference's name and tag, a condition's reason and message) are always written.
//
//   nlohmann::json patch = {{"status", ImagePolicyStatusToJson(policy.status,
//                                                              ServedVersion::kV1Beta2)}};
//   Result<ImagePolicyStatus> back = DecodeImagePolicyStatus(file_text);
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/api/image_policy.h"
#include "reflector/api/image_repository.h"

namespace imgauto::reflector::api {

// The image.toolkit.fluxcd.io version whose status shape is written.
enum class ServedVersion { kV1, kV1Beta2 };

// Returns the served version for "image.toolkit.fluxcd.io/v1" or "/v1beta2"; nullopt otherwise.
std::optional<ServedVersion> ServedVersionOf(std::string_view api_version);

// Encodes metav1.Conditions: type, status, observedGeneration (omitted when 0),
// lastTransitionTime (omitted when empty), reason, message.
nlohmann::json ConditionsToJson(const std::vector<kube::Condition>& conditions);

// Encodes an ImageRef as {name, tag, digest (omitted when empty)}.
nlohmann::json ImageRefToJson(const ImageRef& ref);

// Encodes ImageRepository status. lastScanResult.revision is always written in v1 (as Flux does)
// and only when non-empty in v1beta2, which predates it.
nlohmann::json ImageRepositoryStatusToJson(const ImageRepositoryStatus& status,
                                           ServedVersion version);

// Encodes ImagePolicy status. v1 writes latestRef / observedPreviousRef; v1beta2 writes those and
// also latestImage / observedPreviousImage as "name:tag" (+ "@digest" when set).
nlohmann::json ImagePolicyStatusToJson(const ImagePolicyStatus& status, ServedVersion version);

// Decodes a status mapping on its own, from YAML or JSON text. Errors are kInvalidSpec with
// "status." paths. The ImagePolicy decoder accepts both shapes: latestRef wins, latestImage
// fills in when latestRef is absent.
Result<ImageRepositoryStatus> DecodeImageRepositoryStatus(std::string_view text);
Result<ImagePolicyStatus> DecodeImagePolicyStatus(std::string_view text);

// Like the text decoders, from a JSON value; null decodes as an empty status.
Result<ImageRepositoryStatus> ImageRepositoryStatusFromJson(const nlohmann::json& status);
Result<ImagePolicyStatus> ImagePolicyStatusFromJson(const nlohmann::json& status);

}  // namespace imgauto::reflector::api
