// See backoff.h.
#include "backoff.h"

namespace fadjma {

uint32_t Backoff::ceiling_ms() const {
  uint64_t d = base_;
  for (uint32_t i = 0; i < attempt_ && d < max_; ++i) d *= 2;
  return d > max_ ? max_ : static_cast<uint32_t>(d);
}

uint32_t Backoff::next_delay_ms() {
  uint32_t ceiling = ceiling_ms();
  if (attempt_ < 32) ++attempt_;
  uint32_t half = ceiling / 2;
  uint32_t spread = ceiling - half;
  return half + (spread ? random_() % (spread + 1) : 0);
}

}  // namespace fadjma
