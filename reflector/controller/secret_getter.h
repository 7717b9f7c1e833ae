// SecretGetter: how the reflector reads the Kubernetes objects that hold registry access
// material, Secrets and the imagePullSecrets of ServiceAccounts. The in-cluster mode reads them
// from the API server, the standalone mode from the manifests directory; tests use
// tests/fakes/fake_secret_getter.h.
//
//   Result<SecretData> data = secrets.GetSecret({"apps", "regcred"});
//   if (!data) return data.error();  // kNotFound: `secrets "regcred" not found`
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/kube/object.h"

namespace imgauto::reflector::controller {

// Decoded Secret data: `data` base64-decoded, merged with `stringData`. Values are bytes.
using SecretData = std::map<std::string, std::string>;

// Implementations are thread-safe: several reconciles read concurrently.
class SecretGetter {
 public:
  virtual ~SecretGetter() = default;

  // Returns the decoded data of the Secret `key`. A missing Secret is kNotFound with the API
  // server's wording, `secrets "<name>" not found`; other failures keep their kind. Messages
  // never contain Secret values.
  virtual Result<SecretData> GetSecret(const kube::ObjectKey& key) const = 0;

  // Returns the names listed in `imagePullSecrets` of the ServiceAccount `key` (empty when it
  // lists none). A missing ServiceAccount is kNotFound, `serviceaccounts "<name>" not found`.
  virtual Result<std::vector<std::string>> GetImagePullSecretNames(
      const kube::ObjectKey& key) const = 0;
};

}  // namespace imgauto::reflector::controller
