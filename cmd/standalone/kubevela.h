// KubeVela Applications in standalone mode: derives, from a `core.oam.dev/v1beta1` Application,
// the Flux objects that KubeVela's fluxcd addon renders for its `kustomize` components (peers.md
// §2.1), so a directory written for a KubeVela cluster drives `imgauto run` unchanged.
//
// For each component of type `kustomize` (other types are ignored), in the Application's
// namespace and named after the component:
//   - GitRepository (source.toolkit.fluxcd.io/v1), when repoType is "git" (the default) and no
//     sourceName is set: url, ref.branch (git.branch, default "main"), secretRef.name,
//     interval (pullInterval, default "5m"), timeout;
//   - when imageRepository is set:
//     ImageRepository (image.toolkit.fluxcd.io/v1beta2): image, interval (imageRepository.interval,
//       default "5m"), secretRef.name;
//     ImagePolicy (v1beta2): imageRepositoryRef.name = component, policy, filterTags;
//     ImageUpdateAutomation (v1beta1): interval, sourceRef GitRepository <sourceName or component>,
//       git.checkout.ref.branch and git.push.branch = git.branch, author kubevelabot
//       <kubevelabot@users.noreply.github.com>, messageTemplate "Update image automatically."
//       (plus "\n" + commitMessage when set), update {path, strategy: Setters}.
// The Kustomization the addon also renders is not derived: imgauto does not apply manifests.
// Derived objects carry the labels app.oam.dev/name and app.oam.dev/component.
//
//   if (IsKubeVelaApplication(doc)) {
//     Result<std::vector<ManifestDocument>> objects = DeriveFromApplication(doc);
//     if (!objects) report(objects.error().message());  // names the application and component
//   }
#pragma once

#include <vector>

#include "cmd/standalone/manifest_dir.h"
#include "core/error.h"

namespace imgauto::cmd::standalone {

// Returns true for documents of apiVersion core.oam.dev/v1beta1 and kind Application.
bool IsKubeVelaApplication(const ManifestDocument& doc);

// Returns the objects the fluxcd addon renders for `app` (see above), in component order, each
// with `file` set to the application's file. kInvalidSpec, with a message naming the
// application and the component ("Application apps/web, component web:
// properties.imageRepository.policy: exactly one of semver, alphabetical, numerical is
// required"), when the document is not an Application or a kustomize component's properties are
// invalid. Property values are never echoed in messages (URLs may carry credentials).
Result<std::vector<ManifestDocument>> DeriveFromApplication(const ManifestDocument& app);

}  // namespace imgauto::cmd::standalone
