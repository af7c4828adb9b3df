// See seq.h.
#include "seq.h"

namespace fadjma {

bool SeqCounter::begin() {
  uint64_t saved = 0;
  if (!store_.load(&saved)) saved = 0;
  next_ = reserved_ = saved;  // everything below `saved` may have been issued before the reboot
  return true;
}

bool SeqCounter::next(uint64_t* seq) {
  if (next_ >= reserved_) {
    uint64_t end = next_ + block_;
    if (!store_.save(end)) return false;
    reserved_ = end;
  }
  *seq = next_++;
  return true;
}

}  // namespace fadjma
