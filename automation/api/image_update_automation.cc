#include "automation/api/image_update_automation.h"

#include <exception>
#include <map>
#include <string>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "automation/api/fields_yaml.h"
#include "reflector/api/object_yaml.h"

namespace imgauto::automation::api {
namespace {

namespace ryaml = reflector::api::yaml;

constexpr std::string_view kKind = "ImageUpdateAutomation";

Error Invalid(std::string_view path, std::string_view detail) {
  return Error(ErrorKind::kInvalidSpec, std::string(path) + ": " + std::string(detail));
}

Result<SourceReference> DecodeSourceRef(const YAML::Node& spec) {
  const std::string path = "spec.sourceRef";
  Result<YAML::Node> node = ryaml::RequiredMap(spec, "sourceRef", "spec");
  if (!node) {
    return node.error();
  }
  SourceReference ref;
  if (Result<void> ok = yaml::ReadStrings(
          *node, path,
          {{"kind", &ref.kind}, {"namespace", &ref.ns}, {"apiVersion", &ref.api_version}});
      !ok) {
    return ok.error();
  }
  if (ref.kind.empty()) {
    ref.kind = "GitRepository";
  }
  if (ref.kind != "GitRepository") {
    return Invalid(path + ".kind", "unsupported value \"" + ref.kind + "\": must be GitRepository");
  }
  Result<std::string> name = ryaml::RequiredString(*node, "name", path);
  if (!name) {
    return name.error();
  }
  ref.name = *name;
  return ref;
}

Result<std::optional<SigningKey>> DecodeSigningKey(const YAML::Node& commit) {
  const std::string path = "spec.git.commit.signingKey";
  Result<std::optional<YAML::Node>> node =
      ryaml::OptionalMap(commit, "signingKey", "spec.git.commit");
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return std::optional<SigningKey>();
  }
  Result<YAML::Node> secret = ryaml::RequiredMap(**node, "secretRef", path);
  if (!secret) {
    return secret.error();
  }
  Result<std::string> name = ryaml::RequiredString(*secret, "name", path + ".secretRef");
  if (!name) {
    return name.error();
  }
  Result<std::optional<std::string>> type = ryaml::OptionalString(**node, "type", path);
  if (!type) {
    return type.error();
  }
  SigningKey key{*name, SigningKeyType::kGpg};
  const std::string type_text = type->value_or("");
  if (type_text == "ssh") {
    key.type = SigningKeyType::kSsh;
  } else if (!type_text.empty() && type_text != "gpg") {
    return Invalid(path + ".type", "unsupported value \"" + type_text + "\": must be gpg or ssh");
  }
  return std::optional<SigningKey>(std::move(key));
}

Result<CommitSpec> DecodeCommit(const YAML::Node& git) {
  const std::string path = "spec.git.commit";
  Result<YAML::Node> commit = ryaml::RequiredMap(git, "commit", "spec.git");
  if (!commit) {
    return commit.error();
  }
  CommitSpec out;
  Result<YAML::Node> author = ryaml::RequiredMap(*commit, "author", path);
  if (!author) {
    return author.error();
  }
  Result<std::string> email = ryaml::RequiredString(*author, "email", path + ".author");
  if (!email) {
    return email.error();
  }
  out.author.email = *email;
  if (Result<void> ok = yaml::ReadStrings(*author, path + ".author", {{"name", &out.author.name}});
      !ok) {
    return ok.error();
  }
  Result<std::optional<SigningKey>> key = DecodeSigningKey(*commit);
  if (!key) {
    return key.error();
  }
  out.signing_key = std::move(*key);
  if (Result<void> ok =
          yaml::ReadStrings(*commit, path, {{"messageTemplate", &out.message_template}});
      !ok) {
    return ok.error();
  }
  Result<std::map<std::string, std::string>> values =
      yaml::StringMapOrEmpty(*commit, "messageTemplateValues", path);
  if (!values) {
    return values.error();
  }
  out.message_template_values = std::move(*values);
  return out;
}

Result<std::optional<PushSpec>> DecodePush(const YAML::Node& git) {
  const std::string path = "spec.git.push";
  Result<std::optional<YAML::Node>> node = ryaml::OptionalMap(git, "push", "spec.git");
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return std::optional<PushSpec>();
  }
  PushSpec push;
  if (Result<void> ok =
          yaml::ReadStrings(**node, path, {{"branch", &push.branch}, {"refspec", &push.refspec}});
      !ok) {
    return ok.error();
  }
  Result<std::map<std::string, std::string>> options =
      yaml::StringMapOrEmpty(**node, "options", path);
  if (!options) {
    return options.error();
  }
  push.options = std::move(*options);
  return std::optional<PushSpec>(std::move(push));
}

Result<std::optional<GitSpec>> DecodeGit(const YAML::Node& spec) {
  Result<std::optional<YAML::Node>> node = ryaml::OptionalMap(spec, "git", "spec");
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return std::optional<GitSpec>();
  }
  GitSpec git;
  Result<std::optional<YAML::Node>> checkout = ryaml::OptionalMap(**node, "checkout", "spec.git");
  if (!checkout) {
    return checkout.error();
  }
  if (checkout->has_value()) {
    // `ref` is required inside checkout; an empty mapping is a valid (empty) reference.
    if (Result<YAML::Node> ref = ryaml::RequiredMap(**checkout, "ref", "spec.git.checkout"); !ref) {
      return ref.error();
    }
    Result<std::optional<GitRepositoryRef>> ref =
        yaml::OptionalGitRef(**checkout, "ref", "spec.git.checkout");
    if (!ref) {
      return ref.error();
    }
    git.checkout = std::move(*ref);
  }
  Result<CommitSpec> commit = DecodeCommit(**node);
  if (!commit) {
    return commit.error();
  }
  git.commit = std::move(*commit);
  Result<std::optional<PushSpec>> push = DecodePush(**node);
  if (!push) {
    return push.error();
  }
  git.push = std::move(*push);
  return std::optional<GitSpec>(std::move(git));
}

Result<UpdateSpec> DecodeUpdate(const YAML::Node& spec) {
  UpdateSpec update;
  Result<std::optional<YAML::Node>> node = ryaml::OptionalMap(spec, "update", "spec");
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return update;
  }
  std::string strategy;
  if (Result<void> ok = yaml::ReadStrings(**node, "spec.update",
                                          {{"strategy", &strategy}, {"path", &update.path}});
      !ok) {
    return ok.error();
  }
  if (!strategy.empty() && strategy != "Setters") {
    return Invalid("spec.update.strategy",
                   "unsupported value \"" + strategy + "\": must be Setters");
  }
  if (update.path.empty()) {
    update.path = std::string(kDefaultUpdatePath);
  }
  return update;
}

Result<void> DecodeScalars(const YAML::Node& spec, ImageUpdateAutomationSpec& out) {
  Result<std::optional<std::chrono::nanoseconds>> interval =
      ryaml::OptionalDuration(spec, "interval", "spec");
  if (!interval) {
    return interval.error();
  }
  if (!interval->has_value()) {
    return Invalid("spec.interval", "required field is missing");
  }
  out.interval = **interval;
  Result<std::optional<bool>> suspend = ryaml::OptionalBool(spec, "suspend", "spec");
  if (!suspend) {
    return suspend.error();
  }
  out.suspend = suspend->value_or(false);
  Result<LabelSelector> selector = yaml::OptionalLabelSelector(spec, "policySelector", "spec");
  if (!selector) {
    return selector.error();
  }
  out.policy_selector = std::move(*selector);
  return {};
}

Result<ImageUpdateAutomationSpec> DecodeSpec(const YAML::Node& root) {
  Result<YAML::Node> spec = ryaml::RequiredMap(root, "spec", "");
  if (!spec) {
    return spec.error();
  }
  ImageUpdateAutomationSpec out;
  Result<SourceReference> source = DecodeSourceRef(*spec);
  if (!source) {
    return source.error();
  }
  out.source_ref = std::move(*source);
  Result<std::optional<GitSpec>> git = DecodeGit(*spec);
  if (!git) {
    return git.error();
  }
  out.git = std::move(*git);
  if (Result<void> ok = DecodeScalars(*spec, out); !ok) {
    return ok.error();
  }
  Result<UpdateSpec> update = DecodeUpdate(*spec);
  if (!update) {
    return update.error();
  }
  out.update = std::move(*update);
  return out;
}

Result<std::map<std::string, ImageRef>> DecodeObservedPolicies(const YAML::Node& status) {
  const std::string path = "status.observedPolicies";
  std::map<std::string, ImageRef> out;
  Result<std::optional<YAML::Node>> node = ryaml::OptionalMap(status, "observedPolicies", "status");
  if (!node) {
    return node.error();
  }
  if (!node->has_value()) {
    return out;
  }
  for (const auto& entry : **node) {
    if (!entry.first.IsScalar()) {
      return Invalid(path, "keys must be strings");
    }
    const std::string& name = entry.first.Scalar();
    const std::string item_path = ryaml::JoinPath(path, name);
    if (!entry.second.IsMap()) {
      return Invalid(item_path, "expected a mapping");
    }
    ImageRef ref;
    if (Result<void> ok =
            yaml::ReadStrings(entry.second, item_path,
                              {{"name", &ref.name}, {"tag", &ref.tag}, {"digest", &ref.digest}});
        !ok) {
      return ok.error();
    }
    out[name] = std::move(ref);
  }
  return out;
}

Result<ImageUpdateAutomationStatus> DecodeStatusMap(const YAML::Node& s) {
  ImageUpdateAutomationStatus out;
  if (Result<void> ok =
          yaml::ReadStrings(s, "status",
                            {{"lastAutomationRunTime", &out.last_automation_run_time},
                             {"lastPushCommit", &out.last_push_commit},
                             {"lastPushTime", &out.last_push_time},
                             {"observedSourceRevision", &out.observed_source_revision},
                             {"lastHandledReconcileAt", &out.last_handled_reconcile_at}});
      !ok) {
    return ok.error();
  }
  Result<std::map<std::string, ImageRef>> policies = DecodeObservedPolicies(s);
  if (!policies) {
    return policies.error();
  }
  out.observed_policies = std::move(*policies);
  Result<std::optional<std::int64_t>> generation =
      ryaml::OptionalInt64(s, "observedGeneration", "status");
  if (!generation) {
    return generation.error();
  }
  out.observed_generation = generation->value_or(-1);
  Result<std::vector<kube::Condition>> conditions = ryaml::DecodeConditions(s, "status");
  if (!conditions) {
    return conditions.error();
  }
  out.conditions = std::move(*conditions);
  return out;
}

Result<ImageUpdateAutomation> Decode(std::string_view text) {
  Result<YAML::Node> root = ryaml::ParseDocument(text);
  if (!root) {
    return root.error();
  }
  const std::string group(ryaml::kGroup);
  const std::string v1 = group + "/v1";
  const std::string v1beta2 = group + "/v1beta2";
  const std::string v1beta1 = group + "/v1beta1";
  const std::string_view versions[] = {v1, v1beta2, v1beta1};
  Result<ObjectMeta> meta = ryaml::DecodeTypeAndMetadata(*root, kKind, versions);
  if (!meta) {
    return meta.error();
  }
  ImageUpdateAutomation iua;
  iua.metadata = std::move(*meta);
  Result<ImageUpdateAutomationSpec> spec = DecodeSpec(*root);
  if (!spec) {
    return spec.error();
  }
  iua.spec = std::move(*spec);
  Result<std::optional<YAML::Node>> status = ryaml::OptionalMap(*root, "status", "");
  if (!status) {
    return status.error();
  }
  if (status->has_value()) {
    Result<ImageUpdateAutomationStatus> decoded = DecodeStatusMap(**status);
    if (!decoded) {
      return decoded.error();
    }
    iua.status = std::move(*decoded);
  }
  return iua;
}

// Runs `decode`, turning any exception that escapes the helpers into kInvalidSpec.
template <typename Fn>
auto Guarded(std::string_view what, Fn&& decode) -> decltype(decode()) {
  try {
    return decode();
  } catch (const YAML::Exception& e) {
    return Error(ErrorKind::kInvalidSpec, "invalid yaml: " + e.msg);
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInvalidSpec, "decoding " + std::string(what) + ": " + e.what());
  }
}

}  // namespace

Result<ImageUpdateAutomation> DecodeImageUpdateAutomation(std::string_view yaml) {
  return Guarded(kKind, [&] { return Decode(yaml); });
}

Result<ImageUpdateAutomationStatus> DecodeImageUpdateAutomationStatus(std::string_view yaml) {
  return Guarded("ImageUpdateAutomation status", [&]() -> Result<ImageUpdateAutomationStatus> {
    Result<YAML::Node> root = ryaml::ParseDocument(yaml);
    if (!root) {
      return root.error();
    }
    return DecodeStatusMap(*root);
  });
}

}  // namespace imgauto::automation::api
