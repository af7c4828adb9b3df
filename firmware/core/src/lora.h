// The LoRaWAN payloads the server decodes (server/lorawan.py), big-endian:
// v0 (8 bytes, earlier firmware): temperature int16 ×100, heart rate uint16, uptime uint32 s;
// v2 (11 bytes; server/lorawan.py and the README say 12, its struct is 11): 0x02, temperature int16 ×100 (0x7FFF none), heart rate uint16 (0 none),
// SpO2 uint8 (0xFF none), battery uint8 % (0xFF none), uptime uint32 s.
#pragma once
#include <cstddef>
#include <cstdint>

#include "reading.h"

namespace fadjma {

constexpr size_t kLoraV0Size = 8;
constexpr size_t kLoraV2Size = 11;  // the server's struct ">BhHBBI" (its docstring says 12)
size_t encode_lora_v0(const Reading& r, uint32_t uptime_s, uint8_t out[kLoraV0Size]);
size_t encode_lora_v2(const Reading& r, uint8_t battery, uint32_t uptime_s, uint8_t out[kLoraV2Size]);

}  // namespace fadjma
