#pragma once
#include "Arduino.h"
class TwoWire { public: bool begin(int sda, int scl); };
extern TwoWire Wire;
