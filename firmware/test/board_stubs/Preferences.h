#pragma once
#include "Arduino.h"
class Preferences {
 public:
  bool begin(const char*, bool readOnly = false);
  void end();
  bool isKey(const char*);
  uint64_t getULong64(const char*, uint64_t);
  size_t putULong64(const char*, uint64_t);
  uint16_t getUShort(const char*, uint16_t);
  size_t putUShort(const char*, uint16_t);
  uint32_t getUInt(const char*, uint32_t);
  size_t putUInt(const char*, uint32_t);
};
