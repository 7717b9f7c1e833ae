// Kubernetes object identity and conditions shared by every component.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace imgauto::kube {

struct ObjectKey {
  std::string ns;
  std::string name;

  bool operator==(const ObjectKey&) const = default;
  auto operator<=>(const ObjectKey&) const = default;
  // Returns "ns/name".
  std::string String() const { return ns + "/" + name; }
};

// A metav1.Condition. Times are RFC 3339 strings as written in status.
struct Condition {
  std::string type;    // Ready, Reconciling, Stalled
  std::string status;  // True, False, Unknown
  std::string reason;
  std::string message;
  std::int64_t observed_generation = 0;
  std::string last_transition_time;

  bool operator==(const Condition&) const = default;
};

}  // namespace imgauto::kube
