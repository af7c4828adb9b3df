// The portable core of the Fadjma bedside firmware (no Arduino): include this one header.
#pragma once
#include "backoff.h"
#include "clock.h"
#include "commands.h"
#include "frames.h"
#include "json.h"
#include "lora.h"
#include "outbox.h"
#include "reading.h"
#include "ring_buffer.h"
#include "seq.h"
