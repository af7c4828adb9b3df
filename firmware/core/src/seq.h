// Reading sequence numbers that only increase, across reboots and deep sleep, with few flash
// writes: the counter reserves a block of numbers and persists the block's end; after a reboot
// it starts from the persisted end. Gaps are harmless (the server keys readings by device and seq);
// a repeated seq would be stored as a duplicate, which is what must never happen.
#pragma once
#include <cstdint>

namespace fadjma {

class SeqStore {
 public:
  virtual ~SeqStore() = default;
  virtual bool load(uint64_t* value) = 0;  // false when nothing was ever saved
  virtual bool save(uint64_t value) = 0;
};

class SeqCounter {
 public:
  explicit SeqCounter(SeqStore& store, uint32_t block = 64) : store_(store), block_(block ? block : 1) {}
  bool begin();
  bool next(uint64_t* seq);  // false if the reservation could not be persisted (then no seq is issued)
  uint64_t peek() const { return next_; }

 private:
  SeqStore& store_;
  uint32_t block_;
  uint64_t next_ = 0, reserved_ = 0;
};

class MemorySeqStore : public SeqStore {  // host tests; RTC memory on the board
 public:
  bool load(uint64_t* v) override { if (!has_) return false; *v = value; return true; }
  bool save(uint64_t v) override { if (fail) return false; value = v; has_ = true; ++writes; return true; }
  uint64_t value = 0;
  unsigned writes = 0;
  bool fail = false;
 private:
  bool has_ = false;
};

}  // namespace fadjma
