#pragma once
#include "Arduino.h"
enum wl_status_t { WL_CONNECTED = 3, WL_DISCONNECTED = 6 };
#define WIFI_STA 1
struct WiFiClass {
  bool mode(int);
  bool setAutoReconnect(bool);
  wl_status_t begin(const char*, const char*);
  bool disconnect(bool = false);
  wl_status_t status();
  int8_t RSSI();
};
extern WiFiClass WiFi;
class WiFiClient {};
