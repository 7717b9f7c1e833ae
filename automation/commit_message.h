// Commit message data and rendering for ImageUpdateAutomation (§3.5, §3.6 of the Flux
// reference), plus the JSON form of a change set that `imgauto setters --json` prints and
// `imgauto template --changes` reads.
//
//   gotemplate::Value data = BuildTemplateData({"flux-system", "apps"}, result.changes, values);
//   Result<std::string> message = RenderMessage(spec.message_template, data);
//   if (!message && IsRemovedTemplateField(message.error())) { /* Stalled RemovedTemplateField */ }
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "automation/template/value.h"
#include "core/error.h"
#include "core/kube/object.h"
#include "setters/change_set.h"
#include "setters/tree_updater.h"

namespace imgauto::automation {

// Flux's RemovedTemplateField message for templates using `.Changed.ImageResult`.
inline constexpr std::string_view kRemovedImageResultMessage =
    "template uses removed '.Changed.ImageResult' field. Please use '.Changed.FileChanges' or "
    "'.Changed.Objects' instead. See: "
    "https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template";

// Builds the template data (Go type `update.TemplateData`):
//  * .AutomationObject — prints "ns/name"; fields Namespace, Name;
//  * .Changed — Flux's update.ResultV2: FileChanges (file → ObjectIdentifier → []Change),
//    Objects (merged across files), Changes (de-duplicated); identifiers and changes print
//    like Go structs (`{{{apps/v1 Deployment} {test }}}`, `{old new setter}`);
//  * .Updated — v1beta1's update.Result (decision 3): Files (file → FileResult{Objects:
//    ObjectIdentifier → []ImageRef}), Objects, Images. An ImageRef prints its full reference
//    and has Repository, Identifier, Registry, Name, String and Policy (ns/name). Each changed
//    setter contributes the full reference of its policy, taken from `policies` when given,
//    else rebuilt from the change set (the `ns:name` change, or `:name` + `:tag` + `:digest`);
//    a policy whose reference cannot be rebuilt or parsed is left out of .Updated;
//  * .Values — map[string]string; missing keys print `<no value>`.
// Pure and deterministic.
gotemplate::Value BuildTemplateData(const kube::ObjectKey& automation,
                                    const setters::ChangeSet& changes,
                                    const std::map<std::string, std::string>& values,
                                    std::span<const setters::PolicyValue> policies = {});

// Renders `tmpl` (gotemplate::RenderCommitMessage: empty → the default message, output
// verbatim). Errors are kInvalidSpec: a template reading `.Changed.ImageResult` gets
// kRemovedImageResultMessage; parse and execution errors keep RenderCommitMessage's text.
Result<std::string> RenderMessage(std::string_view tmpl, const gotemplate::Value& data);

// True when `error` came from RenderMessage for a removed template field (Flux stalls the
// automation with reason RemovedTemplateField instead of failing the git operation).
bool IsRemovedTemplateField(const Error& error);

// A change set with the problem files of the run, as exchanged in JSON.
struct ChangeSetDocument {
  setters::ChangeSet changes;
  std::vector<setters::FileIssue> problems;
};

// Serialises to (pretty-printed with 2 spaces, no trailing newline):
//   {"files":[{"file":"deploy.yaml","objects":[{"apiVersion":"apps/v1","kind":"Deployment",
//     "name":"test","namespace":"","changes":[{"oldValue":"a:1","newValue":"a:2",
//     "setter":"flux-system:a"}]}]}],"problems":[{"file":"bad.yaml","reason":"..."}]}
// Files and objects in ChangeSet order, changes in walk order.
std::string ChangeSetToJson(const setters::ChangeSet& changes,
                            std::span<const setters::FileIssue> problems = {});

// Parses the format above. "files" is required; "problems", object fields absent from an
// object and unknown keys are tolerated (absent strings read as ""). Errors are kInvalidSpec
// naming the offending element ("invalid change set: files[0].objects[1].changes: ...").
Result<ChangeSetDocument> ChangeSetFromJson(std::string_view json);

}  // namespace imgauto::automation
