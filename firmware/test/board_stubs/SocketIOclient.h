#pragma once
#include "WebSocketsClient.h"
typedef enum { sIOtype_CONNECT = '0', sIOtype_DISCONNECT = '1', sIOtype_EVENT = '2', sIOtype_ACK = '3',
               sIOtype_ERROR = '4', sIOtype_BINARY_EVENT = '5', sIOtype_BINARY_ACK = '6' } socketIOmessageType_t;
class SocketIOclient {
 public:
  typedef std::function<void(socketIOmessageType_t, uint8_t*, size_t)> SocketIOclientEvent;
  void begin(const char* host, uint16_t port, const char* url = "/socket.io/?EIO=3", const char* protocol = "arduino");
  bool isConnected();
  void onEvent(SocketIOclientEvent);
  bool sendEVENT(const char* payload, size_t length = 0);
  bool send(socketIOmessageType_t type, const char* payload, size_t length = 0);
  void loop();
};
