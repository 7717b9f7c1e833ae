// Cross-namespace access from an ImagePolicy to an ImageRepository (reference §2.3 step 2,
// fluxcd/pkg runtime/acl): the same namespace is always allowed; otherwise the repository's
// `spec.accessFrom.namespaceSelectors` must match the labels of the policy's namespace (selectors
// ORed, labels within one selector ANDed, empty `matchLabels` matching every namespace).
// `--no-cross-namespace-refs` is checked by the caller before the repository is read.
//
//   Result<void> ok = CheckAccessFrom("tenant-a", {"flux-system", "app"}, repo.spec.access_from,
//                                     getter);
//   if (!ok) MarkAccessDenied("access denied: " + ok.error().message());
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/api/image_repository.h"
#include "reflector/controller/image_repository_getter.h"

namespace imgauto::reflector::controller {

// Returns true when `labels` carries every label of `selector` (an empty selector matches all).
bool SelectorMatches(const api::NamespaceSelector& selector,
                     const std::map<std::string, std::string>& labels);

// Returns success when an object in `from_namespace` may use `ref`. Denials are kUnauthorized:
// `'<ns>/<name>' can't be accessed due to missing ACL labels on 'accessFrom'` (no accessFrom)
// or `'<ns>/<name>' can't be accessed due to ACL labels mismatch on namespace '<from>'`; a
// failure reading the namespace labels is returned as is.
Result<void> CheckAccessFrom(std::string_view from_namespace, const kube::ObjectKey& ref,
                             const std::optional<std::vector<api::NamespaceSelector>>& access_from,
                             const ImageRepositoryGetter& namespaces);

}  // namespace imgauto::reflector::controller
