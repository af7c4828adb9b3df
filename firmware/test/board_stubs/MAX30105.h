#pragma once
#include "Wire.h"
#define I2C_SPEED_FAST 400000
class MAX30105 {
 public:
  bool begin(TwoWire& port, uint32_t speed = 100000, uint8_t addr = 0x57);
  void setup(uint8_t powerLevel = 0x1F, uint8_t sampleAverage = 4, uint8_t ledMode = 3, int sampleRate = 400,
             int pulseWidth = 411, int adcRange = 4096);
  uint8_t available();
  uint16_t check();
  uint32_t getRed();
  uint32_t getIR();
  void nextSample();
};
