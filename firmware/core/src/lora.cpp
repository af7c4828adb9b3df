// See lora.h.
#include "lora.h"

namespace fadjma {

static void be16(uint8_t* p, uint16_t v) { p[0] = static_cast<uint8_t>(v >> 8); p[1] = static_cast<uint8_t>(v); }
static void be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

size_t encode_lora_v0(const Reading& r, uint32_t uptime_s, uint8_t out[kLoraV0Size]) {
  be16(out, static_cast<uint16_t>(r.temperature_centi));
  be16(out + 2, r.heart_rate);
  be32(out + 4, uptime_s);
  return kLoraV0Size;
}

size_t encode_lora_v2(const Reading& r, uint8_t battery, uint32_t uptime_s, uint8_t out[kLoraV2Size]) {
  out[0] = 0x02;
  be16(out + 1, static_cast<uint16_t>(r.temperature_centi));
  be16(out + 3, r.heart_rate);
  out[5] = r.spo2;
  out[6] = battery > 100 ? kNone8 : battery;
  be32(out + 7, uptime_s);
  return kLoraV2Size;
}

}  // namespace fadjma
