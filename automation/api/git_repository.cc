#include "automation/api/git_repository.h"

#include <exception>
#include <utility>

#include "automation/api/fields_yaml.h"
#include "reflector/api/object_yaml.h"

namespace imgauto::automation::api {
namespace {

namespace ryaml = reflector::api::yaml;

constexpr std::string_view kKind = "GitRepository";

Error Invalid(std::string_view path, std::string_view detail) {
  return Error(ErrorKind::kInvalidSpec, std::string(path) + ": " + std::string(detail));
}

// The CRD pattern ^(http|https|ssh)://.*$.
bool HasSupportedScheme(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://", "ssh://"}) {
    if (url.substr(0, scheme.size()) == scheme) {
      return true;
    }
  }
  return false;
}

Result<void> DecodeUrlAndProvider(const YAML::Node& spec, GitRepositorySpec& out) {
  Result<std::string> url = ryaml::RequiredString(spec, "url", "spec");
  if (!url) {
    return url.error();
  }
  if (!HasSupportedScheme(*url)) {
    return Invalid("spec.url", "must start with http://, https:// or ssh://");
  }
  out.url = *url;
  Result<std::optional<std::string>> provider = ryaml::OptionalString(spec, "provider", "spec");
  if (!provider) {
    return provider.error();
  }
  out.provider = provider->value_or("generic");
  if (out.provider.empty()) {
    out.provider = "generic";
  }
  if (out.provider != "generic" && out.provider != "azure" && out.provider != "aws" &&
      out.provider != "github") {
    return Invalid("spec.provider", "unsupported value \"" + out.provider +
                                        "\": must be generic, azure, aws or github");
  }
  return {};
}

Result<void> DecodeRefs(const YAML::Node& spec, GitRepositorySpec& out) {
  Result<std::optional<GitRepositoryRef>> ref = yaml::OptionalGitRef(spec, "ref", "spec");
  if (!ref) {
    return ref.error();
  }
  out.ref = std::move(*ref);
  const std::pair<std::string_view, std::string*> secrets[] = {
      {"secretRef", &out.secret_ref}, {"proxySecretRef", &out.proxy_secret_ref}};
  for (const auto& [key, target] : secrets) {
    Result<std::string> name = yaml::OptionalObjectRefName(spec, key, "spec");
    if (!name) {
      return name.error();
    }
    *target = *name;
  }
  return {};
}

Result<void> DecodeDurations(const YAML::Node& spec, GitRepositorySpec& out) {
  Result<std::optional<std::chrono::nanoseconds>> interval =
      ryaml::OptionalDuration(spec, "interval", "spec");
  if (!interval) {
    return interval.error();
  }
  if (!interval->has_value()) {
    return Invalid("spec.interval", "required field is missing");
  }
  out.interval = **interval;
  Result<std::optional<std::chrono::nanoseconds>> timeout =
      ryaml::OptionalDuration(spec, "timeout", "spec", /*allow_hours=*/false);
  if (!timeout) {
    return timeout.error();
  }
  out.timeout = timeout->value_or(kDefaultGitTimeout);
  return {};
}

Result<GitRepository> Decode(std::string_view text) {
  Result<YAML::Node> root = ryaml::ParseDocument(text);
  if (!root) {
    return root.error();
  }
  const std::string v1 = std::string(kSourceGroup) + "/v1";
  const std::string v1beta2 = std::string(kSourceGroup) + "/v1beta2";
  const std::string_view versions[] = {v1, v1beta2};
  Result<ObjectMeta> meta = ryaml::DecodeTypeAndMetadata(*root, kKind, versions);
  if (!meta) {
    return meta.error();
  }
  GitRepository repo;
  repo.metadata = std::move(*meta);
  Result<YAML::Node> spec = ryaml::RequiredMap(*root, "spec", "");
  if (!spec) {
    return spec.error();
  }
  for (auto* stage : {&DecodeUrlAndProvider, &DecodeRefs, &DecodeDurations}) {
    if (Result<void> ok = stage(*spec, repo.spec); !ok) {
      return ok.error();
    }
  }
  return repo;
}

}  // namespace

Result<GitRepository> DecodeGitRepository(std::string_view yaml) {
  try {
    return Decode(yaml);
  } catch (const YAML::Exception& e) {
    return Error(ErrorKind::kInvalidSpec, "invalid yaml: " + e.msg);
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInvalidSpec, std::string("decoding GitRepository: ") + e.what());
  }
}

}  // namespace imgauto::automation::api
