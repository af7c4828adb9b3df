"""The ESP32 firmware (C++: core/, esp32/, test/), its shared vectors and the Python simulator (sim/)."""
