#pragma once
#include "Arduino.h"
typedef enum { WStype_ERROR, WStype_DISCONNECTED, WStype_CONNECTED, WStype_TEXT, WStype_BIN } WStype_t;
class WebSocketsClient {
 public:
  typedef std::function<void(WStype_t, uint8_t*, size_t)> WebSocketClientEvent;
  void begin(const char* host, uint16_t port, const char* url = "/", const char* protocol = "arduino");
  void onEvent(WebSocketClientEvent);
  void setAuthorization(const char* user, const char* password);
  void setAuthorization(const char* auth);
  void setReconnectInterval(unsigned long);
  void enableHeartbeat(uint32_t, uint32_t, uint8_t);
  bool sendTXT(const char* payload, size_t length = 0);
  bool isConnected();
  void loop();
};
