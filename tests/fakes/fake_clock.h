// FakeClock: a Clock that moves only when the test says so.
#pragma once

#include <chrono>
#include <mutex>

#include "core/clock.h"

namespace imgauto::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start =
                         std::chrono::system_clock::time_point(std::chrono::seconds(1714557600)))
      : wall_(start) {}

  std::chrono::system_clock::time_point Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_;
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return steady_;
  }
  // Moves both clocks forward.
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point steady_{};
};

}  // namespace imgauto::testing
