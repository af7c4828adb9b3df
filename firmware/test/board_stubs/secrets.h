// Host type-check only: secrets.h.example's names with placeholder values.
#include "../../esp32/include/secrets.h.example"
