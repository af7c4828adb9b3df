// Reconnection delays: exponential, capped, with "equal jitter" (half fixed, half random), so a
// ward of devices that lost WiFi together does not reconnect in lock-step, and no delay is ~0.
#pragma once
#include <cstdint>
#include <functional>

namespace fadjma {

class Backoff {
 public:
  using Random = std::function<uint32_t()>;
  Backoff(uint32_t base_ms, uint32_t max_ms, Random random) : base_(base_ms), max_(max_ms), random_(random) {}
  uint32_t next_delay_ms();   // the delay before the next attempt
  void reset() { attempt_ = 0; }
  uint32_t attempts() const { return attempt_; }
  uint32_t ceiling_ms() const;  // the current un-jittered delay

 private:
  uint32_t base_, max_;
  Random random_;
  uint32_t attempt_ = 0;
};

}  // namespace fadjma
