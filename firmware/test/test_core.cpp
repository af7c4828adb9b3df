// Host unit tests of the portable core (doctest from Debian's doctest-dev).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <set>

#include "test_support.h"

using namespace fadjma;

TEST_CASE("json reader: nested values, escapes, malformed input") {
  std::string text = R"({"a":{"b":[1,2,{"c":"x\"y\u00e9"}]},"n":-12,"f":1.5,"t":true,"z":null})";
  json::Value v = json::Value::parse(text);
  REQUIRE(v.type() == json::Value::Object);
  CHECK(v.size() == 5);
  CHECK(v.get("a").get("b").size() == 3);
  CHECK(v.get("a").get("b").at(2).get("c").as_string() == "x\"y\xc3\xa9");
  CHECK(v.get("n").as_int(0) == -12);
  CHECK(v.get("f").as_int(7) == 7);  // not an integer
  CHECK(v.get("t").as_bool());
  CHECK(v.get("z").is_null());
  CHECK_FALSE(v.get("missing").valid());
  for (const char* bad : {"{\"a\":", "{\"a\" 1}", "[1,2", "{\"a\":1}x", "", "tru", "{1:2}"})
    CHECK_MESSAGE(!json::Value::parse(bad).valid(), bad);
}

TEST_CASE("json writer: canonical numbers") {
  json::Writer w;
  w.begin_array().centi(3685).centi(3690).centi(3700).centi(-50).centi(5).value(-3).value(false).value("a\"b\n").end_array();
  CHECK(w.str() == R"([36.85,36.9,37,-0.5,0.05,-3,false,"a\"b\n"])");
}

TEST_CASE("frames: an unsynced reading carries no time and the flag; a reading without values is detected") {
  Reading r = R(9, 0, 100, 1, 70, 255, 0x7FFF, 0);
  CHECK(vitals_json(r) == R"({"seq":9,"readings":{"heart_rate":70},"synced":false})");
  CHECK(R(1, 0, 0, 0, 0, 255, 0x7FFF, 0).has_values() == false);
  CHECK(ws_path("dev-1") == "/ws/iot/dev-1/");
  CHECK(bearer_header("tok") == "Bearer tok");  // one-argument setAuthorization, not HTTP Basic
}

TEST_CASE("frames: answers that are not final keep the reading") {
  CHECK(parse_sio_vitals_ack(json::Value::parse(R"([{"ok":false,"error":{"code":"token_revoked"}}])")).outcome == Outcome::Retry);
  CHECK(parse_ws_reply(R"({"type":"error","code":"invalid_json"})").outcome == Outcome::Retry);
  CHECK(parse_http_data(503, R"({"error":{"code":"unavailable"}})").outcome == Outcome::Retry);
  CHECK(parse_http_data(422, R"({"error":{"code":"out_of_range"}})").outcome == Outcome::Rejected);
  CHECK(parse_http_batch(500, "{}", 2).empty());
  CHECK(parse_http_batch(200, R"({"results":[{"index":0,"status":"accepted"}]})", 2).empty());  // wrong count
  CHECK(parse_sio_payload("/other,1[]", 10).ok == false);
}

TEST_CASE("ring buffer: order, persistence across a reboot, drop oldest with a counter") {
  MemoryStorage flash(RingBuffer::bytes_needed(4));
  {
    RingBuffer buf(flash, 4);
    REQUIRE(buf.begin());
    CHECK(buf.empty());
    for (uint64_t s = 1; s <= 3; ++s) REQUIRE(buf.push(R(s, 0, 0, 0, 60, 255, 0x7FFF, 0)));
  }
  RingBuffer buf(flash, 4);  // reboot
  REQUIRE(buf.begin());
  REQUIRE(buf.size() == 3);
  Reading r;
  REQUIRE(buf.peek(0, &r));
  CHECK(r.seq == 1);
  bool dropped = false;
  for (uint64_t s = 4; s <= 6; ++s) REQUIRE(buf.push(R(s, 0, 0, 0, 60, 255, 0x7FFF, 0), &dropped));
  CHECK(dropped);
  CHECK(buf.size() == 4);
  CHECK(buf.dropped() == 2);
  std::vector<uint64_t> seqs;
  for (uint32_t i = 0; i < buf.size(); ++i) { REQUIRE(buf.peek(i, &r)); seqs.push_back(r.seq); }
  CHECK(seqs == std::vector<uint64_t>{3, 4, 5, 6});
  REQUIRE(buf.pop(3));
  RingBuffer again(flash, 4);
  REQUIRE(again.begin());
  CHECK(again.size() == 1);
  CHECK(again.dropped() == 2);
  REQUIRE(again.peek(0, &r));
  CHECK(r.seq == 6);
}

TEST_CASE("ring buffer: a torn header falls back to the previous one; a corrupt record is detected") {
  MemoryStorage flash(RingBuffer::bytes_needed(8));
  RingBuffer buf(flash, 8);
  REQUIRE(buf.begin());
  REQUIRE(buf.push(R(1, 0, 0, 0, 60, 255, 0x7FFF, 0)));
  REQUIRE(buf.push(R(2, 0, 0, 0, 61, 255, 0x7FFF, 0)));
  // The last header write went to one slot; corrupt it as a power cut mid-write would.
  for (size_t slot = 0; slot < 2; ++slot) {
    MemoryStorage copy = flash;
    copy.bytes[slot * kHeaderSize + 9] ^= 0xFF;
    RingBuffer after(copy, 8);
    REQUIRE(after.begin());
    CHECK(after.size() >= 1);  // either the newest (2) or the previous (1) state, never garbage
    CHECK(after.size() <= 2);
  }
  flash.bytes[2 * kHeaderSize + 3] ^= 0x01;  // first record's seq
  Reading r;
  CHECK_FALSE(buf.peek(0, &r));
  CHECK(buf.peek(1, &r));
  RingBuffer other_capacity(flash, 16);  // a different layout is reformatted, not misread
  REQUIRE(other_capacity.begin());
  CHECK(other_capacity.empty());
}

TEST_CASE("ring buffer: a failing flash is reported") {
  MemoryStorage flash(RingBuffer::bytes_needed(2));
  RingBuffer buf(flash, 2);
  REQUIRE(buf.begin());
  flash.fail_writes = true;
  CHECK_FALSE(buf.push(R(1, 0, 0, 0, 60, 255, 0x7FFF, 0)));
}

TEST_CASE("seq: strictly increasing across reboots, one flash write per block") {
  MemorySeqStore store;
  std::set<uint64_t> issued;
  uint64_t last = 0;
  bool first = true;
  for (int boot = 0; boot < 5; ++boot) {
    SeqCounter seq(store, 10);
    REQUIRE(seq.begin());
    for (int i = 0; i < 7 + boot; ++i) {
      uint64_t s;
      REQUIRE(seq.next(&s));
      if (!first) CHECK(s > last);
      first = false;
      last = s;
      CHECK(issued.insert(s).second);
    }
  }
  CHECK(store.writes <= 10);  // 45 numbers, blocks of 10, one reservation per boot at least
  SeqCounter failing(store, 10);
  REQUIRE(failing.begin());
  store.fail = true;
  uint64_t s;
  CHECK_FALSE(failing.next(&s));  // never issue a number that a reboot could issue again
}

TEST_CASE("clock: ISO 8601, stamping, dating unsynced readings of the same boot") {
  int64_t ms;
  REQUIRE(parse_iso8601_ms("2026-11-28T08:00:10+00:00", &ms));
  CHECK(ms == 1795852810000LL);
  REQUIRE(parse_iso8601_ms("2026-11-28T09:00:10.250+01:00", &ms));
  CHECK(ms == 1795852810250LL);
  REQUIRE(parse_iso8601_ms("1970-01-01T00:00:00Z", &ms));
  CHECK(ms == 0);
  CHECK_FALSE(parse_iso8601_ms("2026-11-28T08:00:10", &ms));
  CHECK_FALSE(parse_iso8601_ms("yesterday", &ms));

  WallClock clock(7);
  Reading before, other_boot;
  clock.stamp(&before, 5000);
  CHECK(before.ts_ms == 0);
  other_boot = before;
  other_boot.boot = 6;
  clock.sync(1795852810000LL, 9000);
  clock.resolve(&before);
  CHECK(before.ts_ms == 1795852806000LL);  // 4 s before the sync
  clock.resolve(&other_boot);
  CHECK(other_boot.ts_ms == 0);  // uptime of another boot says nothing
  Reading after;
  clock.stamp(&after, 10000);
  CHECK(after.ts_ms == 1795852811000LL);
}

static Outbox* make_outbox(MemoryStorage& flash, RingBuffer*& buf, uint32_t capacity, uint32_t window) {
  buf = new RingBuffer(flash, capacity);
  REQUIRE(buf->begin());
  return new Outbox(*buf, window);
}

TEST_CASE("outbox: window, answers out of order, release in order") {
  MemoryStorage flash(RingBuffer::bytes_needed(16));
  RingBuffer* buf;
  Outbox* out = make_outbox(flash, buf, 16, 3);
  for (uint64_t s = 10; s < 15; ++s) REQUIRE(out->add(R(s, 0, 0, 0, 70, 255, 0x7FFF, 0)));
  Reading r;
  std::vector<uint64_t> sent;
  while (out->next(&r)) sent.push_back(r.seq);
  CHECK(sent == std::vector<uint64_t>{10, 11, 12});  // window of 3
  out->settle(11, Outcome::Accepted);
  CHECK(out->pending() == 5);  // 10 still unanswered: nothing leaves out of order
  out->settle(10, Outcome::Duplicate);
  CHECK(out->pending() == 3);
  CHECK(out->in_flight() == 1);
  REQUIRE(out->next(&r));
  CHECK(r.seq == 13);
  out->settle(12, Outcome::Rejected);
  CHECK(out->rejected() == 1);
  out->settle(12, Outcome::Rejected);  // a repeated answer is not counted twice
  CHECK(out->rejected() == 1);
  CHECK(out->pending() == 2);
  delete out;
  delete buf;
}

TEST_CASE("outbox: an outage, then everything replayed in order exactly once per final answer") {
  MemoryStorage flash(RingBuffer::bytes_needed(64));
  RingBuffer* buf;
  Outbox* out = make_outbox(flash, buf, 64, 4);
  for (uint64_t s = 1; s <= 3; ++s) REQUIRE(out->add(R(s, 0, 0, 0, 70, 255, 0x7FFF, 0)));
  Reading r;
  while (out->next(&r)) {}
  out->settle(1, Outcome::Accepted);
  out->reset();  // link lost: 2 and 3 were sent, their acks never came
  for (uint64_t s = 4; s <= 20; ++s) REQUIRE(out->add(R(s, 0, 0, 0, 70, 255, 0x7FFF, 0)));
  // Reboot during the outage: the buffer is in flash.
  delete out;
  delete buf;
  out = make_outbox(flash, buf, 64, 4);
  CHECK(out->pending() == 19);
  std::vector<uint64_t> order;
  while (out->pending()) {
    REQUIRE(out->next(&r));
    order.push_back(r.seq);
    out->settle(r.seq, r.seq <= 3 ? Outcome::Duplicate : Outcome::Accepted);
  }
  std::vector<uint64_t> expected;
  for (uint64_t s = 2; s <= 20; ++s) expected.push_back(s);
  CHECK(order == expected);
  delete out;
  delete buf;
}

TEST_CASE("outbox: batch replay and a retryable failure; overflow while in flight") {
  MemoryStorage flash(RingBuffer::bytes_needed(4));
  RingBuffer* buf;
  Outbox* out = make_outbox(flash, buf, 4, 4);
  for (uint64_t s = 1; s <= 4; ++s) REQUIRE(out->add(R(s, 0, 0, 0, 70, 255, 0x7FFF, 0)));
  std::vector<Reading> batch = out->next_batch(3);
  REQUIRE(batch.size() == 3);
  out->settle(batch[0].seq, Outcome::Retry);  // e.g. HTTP 503: nothing leaves
  CHECK(out->pending() == 4);
  for (const auto& b : batch) out->settle(b.seq, Outcome::Accepted);
  CHECK(out->pending() == 1);
  Reading r;
  REQUIRE(out->next(&r));
  CHECK(r.seq == 4);
  for (uint64_t s = 5; s <= 8; ++s) REQUIRE(out->add(R(s, 0, 0, 0, 70, 255, 0x7FFF, 0)));  // 4 dropped
  CHECK(out->dropped() == 1);
  CHECK(out->in_flight() == 0);
  out->settle(4, Outcome::Accepted);  // the late answer for a dropped reading changes nothing
  CHECK(out->pending() == 4);
  REQUIRE(out->next(&r));
  CHECK(r.seq == 5);
  delete out;
  delete buf;
}

TEST_CASE("backoff: exponential, capped, jittered, never near zero, reset") {
  uint32_t state = 12345;
  Backoff b(1000, 30000, [&] { state = state * 1103515245u + 12345u; return state >> 8; });
  std::vector<uint32_t> ceilings;
  for (int i = 0; i < 8; ++i) {
    uint32_t ceiling = b.ceiling_ms();
    uint32_t d = b.next_delay_ms();
    CHECK(d >= ceiling / 2);
    CHECK(d <= ceiling);
    ceilings.push_back(ceiling);
  }
  CHECK(ceilings == std::vector<uint32_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000});
  std::set<uint32_t> distinct;
  for (int i = 0; i < 20; ++i) distinct.insert(b.next_delay_ms());
  CHECK(distinct.size() > 5);  // devices do not reconnect in lock-step
  b.reset();
  CHECK(b.ceiling_ms() == 1000);
}

TEST_CASE("commands: invalid ones are refused with a reason, never carried out") {
  Command c;
  CHECK_FALSE(parse_command(json::Value::parse(R"({"command":"reboot"})"), &c));  // no id
  REQUIRE(parse_command(json::Value::parse(R"({"id":"c1","command":"set_interval","params":{"interval_s":0}})"), &c));
  CHECK(c.error != "");
  CHECK(command_ack_json(c, false, command_result_json(c)) ==
        R"({"command_id":"c1","ok":false,"result":{"error":"interval_s must be 1..3600"}})");
  REQUIRE(parse_command(json::Value::parse(R"({"id":"c2","command":"self_destruct"})"), &c));
  CHECK(c.kind == CommandKind::Unknown);
  CHECK(c.error == "unknown command");
  REQUIRE(parse_command(json::Value::parse(R"({"id":"c3","command":"identify","params":{}})"), &c));
  CHECK(c.seconds == 10);  // the server's default
}
