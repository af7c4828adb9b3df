#pragma once
#include "Arduino.h"
class File {
 public:
  explicit operator bool() const;
  size_t size();
  bool seek(uint32_t);
  size_t read(uint8_t*, size_t);
  size_t write(const uint8_t*, size_t);
  void close();
};
struct LittleFSFS {
  bool begin(bool formatOnFail = false);
  bool exists(const char*);
  File open(const char*, const char*);
};
extern LittleFSFS LittleFS;
