// Declarations only, as the Arduino-ESP32 core and the pinned libraries declare them (to our
// reading of their headers): lets g++ type-check the board layer on a host. Never linked or run.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
using std::isnan;
typedef uint8_t byte;
#define HIGH 1
#define LOW 0
#define OUTPUT 3
class String {
 public:
  String(const char* s = "");
  String(int v);
  String operator+(const String& o) const;
  friend String operator+(const char* a, const String& b);
  const char* c_str() const;
  unsigned length() const;
};
struct HardwareSerial {
  void begin(unsigned long);
  int printf(const char*, ...);
  size_t println(const char*);
};
extern HardwareSerial Serial;
unsigned long millis();
void delay(unsigned long);
void pinMode(uint8_t, uint8_t);
void digitalWrite(uint8_t, uint8_t);
uint32_t analogReadMilliVolts(uint8_t);
long map(long, long, long, long, long);
template <class T> T constrain(T x, T a, T b) { return x < a ? a : x > b ? b : x; }
template <class T> T min(T a, T b) { return a < b ? a : b; }
uint32_t esp_random();
struct EspClass { uint32_t getFreeHeap(); void restart(); };
extern EspClass ESP;
void configTime(long gmtOffset_sec, int daylightOffset_sec, const char* server1, const char* server2 = nullptr, const char* server3 = nullptr);
