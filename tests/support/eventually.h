// Eventually: polls a condition in integration tests (servers and child processes work
// asynchronously). A timeout bounds the wait; it never asserts how fast anything is.
//
//   ASSERT_TRUE(Eventually([&] { return !holder().empty(); }, std::chrono::seconds(20)));
#pragma once

#include <chrono>
#include <thread>

namespace imgauto::testing {

// Polls `condition` every 100 ms until it holds or `timeout` passes; returns its last value.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

}  // namespace imgauto::testing
