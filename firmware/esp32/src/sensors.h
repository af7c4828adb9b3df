// MAX30102 (heart rate, SpO2; SparkFun MAX3010x driver and Maxim's algorithm) and MLX90614
// (temperature; Adafruit driver). A value that cannot be measured stays "none" in the Reading.
#pragma once
#include "fadjma_core.h"

namespace sensors {
bool begin();                        // false if neither sensor answers
void measure(fadjma::Reading* r);    // fills heart_rate, spo2, temperature_centi (or leaves them none)
bool probe_off();                    // no finger on the optical sensor at the last measurement
}  // namespace sensors
