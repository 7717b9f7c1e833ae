#include "reflector/controller/access_control.h"

namespace imgauto::reflector::controller {

bool SelectorMatches(const api::NamespaceSelector& selector,
                     const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      return false;
    }
  }
  return true;
}

Result<void> CheckAccessFrom(std::string_view from_namespace, const kube::ObjectKey& ref,
                             const std::optional<std::vector<api::NamespaceSelector>>& access_from,
                             const ImageRepositoryGetter& namespaces) {
  if (ref.ns.empty() || ref.ns == from_namespace) {
    return {};
  }
  const std::string quoted = "'" + ref.String() + "'";
  if (!access_from.has_value()) {
    return Error(ErrorKind::kUnauthorized,
                 quoted + " can't be accessed due to missing ACL labels on 'accessFrom'");
  }
  Result<std::map<std::string, std::string>> labels = namespaces.GetNamespaceLabels(from_namespace);
  if (!labels) {
    return labels.error();
  }
  for (const api::NamespaceSelector& selector : *access_from) {
    if (SelectorMatches(selector, *labels)) {
      return {};
    }
  }
  return Error(ErrorKind::kUnauthorized, quoted +
                                             " can't be accessed due to ACL labels mismatch on "
                                             "namespace '" +
                                             std::string(from_namespace) + "'");
}

}  // namespace imgauto::reflector::controller
