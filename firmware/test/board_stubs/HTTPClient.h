#pragma once
#include "Arduino.h"
class HTTPClient {
 public:
  bool begin(String url);
  void setTimeout(uint16_t);
  void addHeader(const String& name, const String& value);
  int POST(uint8_t* payload, size_t size);
  String getString();
  void end();
};
