// See sensors.h. Maxim's algorithm wants 100 samples at 25 Hz (4 s): one measurement per interval.
#include "sensors.h"

#include <Adafruit_MLX90614.h>
#include <MAX30105.h>
#include <Wire.h>
#include <spo2_algorithm.h>

#include "config.h"

namespace sensors {

static MAX30105 optical;
static Adafruit_MLX90614 thermometer;
static bool optical_ok = false, thermometer_ok = false, finger_off = false;
static constexpr int kSamples = 100;
static uint32_t ir[kSamples], red[kSamples];

bool begin() {
  Wire.begin(FADJMA_PIN_SDA, FADJMA_PIN_SCL);
  optical_ok = optical.begin(Wire, I2C_SPEED_FAST);
  if (optical_ok) optical.setup(60, 4, 2, 100, 411, 4096);  // brightness, average 4, red+IR, 100 Hz → 25 Hz
  thermometer_ok = thermometer.begin();
  return optical_ok || thermometer_ok;
}

bool probe_off() { return finger_off; }

void measure(fadjma::Reading* r) {
  if (thermometer_ok) {
    double c = thermometer.readObjectTempC();
    if (!isnan(c) && c > 20 && c < 46) r->temperature_centi = static_cast<int16_t>(lround(c * 100));
  }
  if (!optical_ok) return;
  for (int i = 0; i < kSamples; ++i) {
    uint32_t started = millis();
    while (!optical.available()) {
      optical.check();
      if (millis() - started > 200) return;  // the sensor stopped answering: no optical values
    }
    red[i] = optical.getRed();
    ir[i] = optical.getIR();
    optical.nextSample();
  }
  finger_off = ir[kSamples - 1] < FADJMA_PROBE_OFF_IR;
  if (finger_off) return;  // probe off: report no heart rate or SpO2 rather than noise
  int32_t spo2, hr;
  int8_t spo2_valid, hr_valid;
  maxim_heart_rate_and_oxygen_saturation(ir, kSamples, red, &spo2, &spo2_valid, &hr, &hr_valid);
  if (hr_valid && hr >= 20 && hr <= 300) r->heart_rate = static_cast<uint16_t>(hr);
  if (spo2_valid && spo2 >= 50 && spo2 <= 100) r->spo2 = static_cast<uint8_t>(spo2);
}

}  // namespace sensors
