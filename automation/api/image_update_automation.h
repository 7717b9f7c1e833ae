// ImageUpdateAutomation (image.toolkit.fluxcd.io v1, v1beta2 and v1beta1): spec and status as
// plain data, and the YAML decoders. No I/O.
//
// Every version decodes into the same structures with the same defaults; fields a version did
// not have (policySelector and messageTemplateValues in v1beta1, signingKey.type before v1) are
// read when present. Checks the CRD schema makes (required fields, enums, duration patterns) are
// decode errors; checks Flux makes while reconciling stay with the reconciler, so that it can
// report them with Flux's reasons: a missing spec.git (InvalidSourceConfiguration) and a bad
// policySelector (InvalidPolicySelector, see ValidateLabelSelector).
//
//   Result<ImageUpdateAutomation> iua = DecodeImageUpdateAutomation(text);
//   if (!iua) return iua.error();  // kInvalidSpec "spec.git.commit.author.email: required ..."
//   if (!iua->spec.git) Stall("InvalidSourceConfiguration", ...);
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "automation/api/git_repository.h"
#include "automation/api/label_selector.h"
#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/api/image_policy.h"

namespace imgauto::automation::api {

using reflector::api::ImageRef;

inline constexpr std::string_view kDefaultUpdatePath = "./";

struct SourceReference {
  std::string api_version;  // informational; Flux ignores it
  std::string kind = "GitRepository";
  std::string name;
  std::string ns;  // empty → the automation's namespace
};

struct CommitUser {
  std::string name;
  std::string email;
};

enum class SigningKeyType { kGpg, kSsh };

struct SigningKey {
  std::string secret_ref;  // Secret in the automation's namespace
  SigningKeyType type = SigningKeyType::kGpg;
};

struct CommitSpec {
  CommitUser author;
  std::optional<SigningKey> signing_key;
  std::string message_template;  // empty → "Update from image update automation" when rendered
  std::map<std::string, std::string> message_template_values;
};

struct PushSpec {
  std::string branch;  // empty → the checkout branch
  std::string refspec;
  std::map<std::string, std::string> options;
};

struct GitSpec {
  std::optional<GitRepositoryRef> checkout;  // spec.git.checkout.ref
  CommitSpec commit;
  std::optional<PushSpec> push;
};

enum class UpdateStrategy { kSetters };

// Flux's CRD defaults an omitted `update` to {strategy: Setters}; the path defaults to the
// repository root.
struct UpdateSpec {
  UpdateStrategy strategy = UpdateStrategy::kSetters;
  std::string path = std::string(kDefaultUpdatePath);
};

struct ImageUpdateAutomationSpec {
  SourceReference source_ref;
  std::optional<GitSpec> git;  // optional in the schema; the reconciler stalls without it
  std::chrono::nanoseconds interval{0};
  UpdateSpec update;
  LabelSelector policy_selector;  // empty: every ImagePolicy in the automation's namespace
  bool suspend = false;
};

// Times are RFC 3339 strings as written in status; empty means unset.
struct ImageUpdateAutomationStatus {
  std::string last_automation_run_time;
  std::string last_push_commit;
  std::string last_push_time;
  std::map<std::string, ImageRef> observed_policies;  // ImagePolicy name → latest reference
  std::string observed_source_revision;               // "<branch>@sha1:<hex>"
  std::int64_t observed_generation = -1;
  std::vector<kube::Condition> conditions;
  std::string last_handled_reconcile_at;

  bool operator==(const ImageUpdateAutomationStatus&) const = default;
};

struct ImageUpdateAutomation {
  ObjectMeta metadata;
  ImageUpdateAutomationSpec spec;
  ImageUpdateAutomationStatus status;
};

// Decodes one ImageUpdateAutomation document. Errors are kInvalidSpec with the field path:
// "spec.sourceRef.name: required field is missing".
Result<ImageUpdateAutomation> DecodeImageUpdateAutomation(std::string_view yaml);

// Decodes a status mapping on its own (YAML, or JSON as status_json.h writes it), as the
// standalone store reads it back. Errors are kInvalidSpec with "status." paths.
Result<ImageUpdateAutomationStatus> DecodeImageUpdateAutomationStatus(std::string_view yaml);

}  // namespace imgauto::automation::api
