// ApiLeaseStore: runtime::LeaseStore over a coordination.k8s.io/v1 Lease on the API server.
//
//   ApiLeaseStore store(client, "flux-system", "image-reflector-controller-leader-election");
//   runtime::LeaderElector elector(store, {.identity = id}, clock);
#pragma once

#include <optional>
#include <string>

#include "core/kube/api_client.h"
#include "core/runtime/leader_elector.h"

namespace imgauto::cmd::cluster {

class ApiLeaseStore final : public runtime::LeaseStore {
 public:
  ApiLeaseStore(kube::ApiClient& client, std::string ns, std::string name)
      : client_(client), ns_(std::move(ns)), name_(std::move(name)) {}

  Result<std::optional<runtime::LeaseRecord>> Get() override;
  Result<runtime::LeaseRecord> Create(const runtime::LeaseRecord& record) override;
  Result<runtime::LeaseRecord> Update(const runtime::LeaseRecord& record) override;

 private:
  nlohmann::json ToJson(const runtime::LeaseRecord& record) const;

  kube::ApiClient& client_;
  std::string ns_;
  std::string name_;
};

// Converts a Lease object to a record; missing fields read as empty/zero.
runtime::LeaseRecord LeaseFromJson(const nlohmann::json& lease);

}  // namespace imgauto::cmd::cluster
