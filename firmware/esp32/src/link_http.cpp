// HTTP with the device token as Bearer: the buffer replayed in batches while the socket is down.
#include <HTTPClient.h>

#include "config.h"
#include "links.h"
#include "secrets.h"

static int post(const char* path, const std::string& body, std::string* answer) {
  HTTPClient http;
  String url = String(FADJMA_USE_TLS ? "https://" : "http://") + SECRET_SERVER_HOST + ":" + FADJMA_SERVER_PORT + path;
  http.setTimeout(15000);
  if (!http.begin(url)) return -1;
  http.addHeader("Content-Type", "application/json");
  http.addHeader("Authorization", fadjma::bearer_header(SECRET_DEVICE_TOKEN).c_str());
  int status = http.POST(reinterpret_cast<uint8_t*>(const_cast<char*>(body.data())), body.size());
  if (status > 0) *answer = http.getString().c_str();
  http.end();
  return status;
}

bool http_replay(fadjma::Outbox& outbox, const fadjma::WallClock& clock, uint32_t max_readings) {
  std::vector<fadjma::Reading> batch = outbox.next_batch(max_readings);
  if (batch.empty()) return true;
  for (auto& r : batch) clock.resolve(&r);  // date what was measured before SNTP answered
  std::string answer;
  int status = post("/api/iot/batch", fadjma::batch_json(batch), &answer);
  std::vector<fadjma::Answer> answers = fadjma::parse_http_batch(status, answer, batch.size());
  if (answers.empty()) {  // network error, 5xx, 401: everything stays buffered
    outbox.reset();
    return false;
  }
  for (size_t i = 0; i < batch.size(); ++i) outbox.settle(batch[i].seq, answers[i].outcome);
  return true;
}

bool http_heartbeat(const fadjma::Health& h) {
  std::string answer;
  return post("/api/iot/heartbeat", fadjma::heartbeat_json(h), &answer) == 200;
}
