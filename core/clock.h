// Clock is the one source of wall and monotonic time. Production code receives a Clock&;
// tests use tests/fakes/fake_clock.h. Implementations are thread-safe.
#pragma once

#include <chrono>

namespace imgauto {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns wall-clock time (for status timestamps such as scanTime).
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Returns monotonic time (for deadlines and durations).
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

// Reads the real system clocks.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace imgauto
