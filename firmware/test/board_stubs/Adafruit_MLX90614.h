#pragma once
#include "Wire.h"
class Adafruit_MLX90614 { public: bool begin(uint8_t addr = 0x5A, TwoWire* wire = &Wire); double readObjectTempC(); };
