// ImageRepository (image.toolkit.fluxcd.io v1 and v1beta2): spec and status as plain data, and
// the YAML decoder. No I/O.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/kube/object.h"
#include "reflector/api/image_policy.h"

namespace imgauto::reflector::api {

inline constexpr std::string_view kDefaultExclusion = "^.*\\.sig$";

struct NamespaceSelector {
  std::map<std::string, std::string> match_labels;
};

struct ImageRepositorySpec {
  std::string image;
  std::chrono::nanoseconds interval{0};
  std::optional<std::chrono::nanoseconds> timeout;
  std::string secret_ref;        // dockerconfigjson Secret name
  std::string cert_secret_ref;   // ca.crt / tls.crt + tls.key
  std::string proxy_secret_ref;  // address, username, password
  std::string service_account_name;
  std::string provider = "generic";
  bool suspend = false;
  bool insecure = false;
  std::optional<std::vector<NamespaceSelector>> access_from;
  std::vector<std::string> exclusion_list;  // empty → {kDefaultExclusion}

  // Returns the exclusion list with Flux's default applied.
  std::vector<std::string> EffectiveExclusionList() const;
  // Returns spec.timeout, else the interval, floored to one second.
  std::chrono::nanoseconds EffectiveTimeout() const;
};

struct ScanResult {
  std::string revision;  // "sha256:…"
  std::int64_t tag_count = 0;
  std::string scan_time;  // RFC 3339
  std::vector<std::string> latest_tags;  // first 10 of the stored (descending) list
};

struct ImageRepositoryStatus {
  std::string canonical_image_name;
  std::optional<ScanResult> last_scan_result;
  std::vector<std::string> observed_exclusion_list;
  std::int64_t observed_generation = -1;
  std::vector<kube::Condition> conditions;
  std::string last_handled_reconcile_at;
};

struct ImageRepository {
  ObjectMeta metadata;
  ImageRepositorySpec spec;
  ImageRepositoryStatus status;
};

// Decodes one ImageRepository document (v1 or v1beta2). Errors are kInvalidSpec with the field
// path.
Result<ImageRepository> DecodeImageRepository(std::string_view yaml);

}  // namespace imgauto::reflector::api
