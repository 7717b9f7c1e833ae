#include "cmd/cluster/api_lease_store.h"

namespace imgauto::cmd::cluster {
namespace {

const kube::Resource kLeases{"coordination.k8s.io", "v1", "leases", true};

std::string StringAt(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

runtime::LeaseRecord LeaseFromJson(const nlohmann::json& lease) {
  runtime::LeaseRecord r;
  const nlohmann::json spec = lease.value("spec", nlohmann::json::object());
  r.holder_identity = StringAt(spec, "holderIdentity");
  r.lease_duration_seconds = spec.value("leaseDurationSeconds", 0);
  r.acquire_time = StringAt(spec, "acquireTime");
  r.renew_time = StringAt(spec, "renewTime");
  r.lease_transitions = spec.value("leaseTransitions", 0);
  r.resource_version =
      StringAt(lease.value("metadata", nlohmann::json::object()), "resourceVersion");
  return r;
}

nlohmann::json ApiLeaseStore::ToJson(const runtime::LeaseRecord& record) const {
  nlohmann::json spec = {{"holderIdentity", record.holder_identity},
                         {"leaseDurationSeconds", record.lease_duration_seconds},
                         {"leaseTransitions", record.lease_transitions}};
  if (!record.acquire_time.empty()) spec["acquireTime"] = record.acquire_time;
  if (!record.renew_time.empty()) spec["renewTime"] = record.renew_time;
  nlohmann::json meta = {{"name", name_}, {"namespace", ns_}};
  if (!record.resource_version.empty()) meta["resourceVersion"] = record.resource_version;
  return {{"apiVersion", "coordination.k8s.io/v1"},
          {"kind", "Lease"},
          {"metadata", meta},
          {"spec", spec}};
}

Result<std::optional<runtime::LeaseRecord>> ApiLeaseStore::Get() {
  Result<nlohmann::json> lease = client_.Get(kLeases, ns_, name_);
  if (!lease) {
    if (lease.error().kind() == ErrorKind::kNotFound) {
      return std::optional<runtime::LeaseRecord>();
    }
    return lease.error();
  }
  return std::optional<runtime::LeaseRecord>(LeaseFromJson(*lease));
}

Result<runtime::LeaseRecord> ApiLeaseStore::Create(const runtime::LeaseRecord& record) {
  Result<nlohmann::json> created = client_.Create(kLeases, ns_, ToJson(record));
  if (!created) return created.error();
  return LeaseFromJson(*created);
}

Result<runtime::LeaseRecord> ApiLeaseStore::Update(const runtime::LeaseRecord& record) {
  Result<nlohmann::json> updated = client_.Update(kLeases, ns_, ToJson(record));
  if (!updated) return updated.error();
  return LeaseFromJson(*updated);
}

}  // namespace imgauto::cmd::cluster
