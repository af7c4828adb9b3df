#pragma once
#include "WiFi.h"
class PubSubClient {
 public:
  explicit PubSubClient(WiFiClient&);
  PubSubClient& setServer(const char*, uint16_t);
  PubSubClient& setCallback(std::function<void(char*, uint8_t*, unsigned int)>);
  bool setBufferSize(uint16_t);
  bool connect(const char* id, const char* user, const char* pass);
  bool connected();
  bool subscribe(const char*, uint8_t qos);
  bool publish(const char* topic, const uint8_t* payload, unsigned int plength, bool retained);
  bool loop();
};
