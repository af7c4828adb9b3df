"""The one place the firmware tests import server internals (the `house` restructuring moves
`server/*.py` into subpackages: server imports are gathered here)."""

from __future__ import annotations

from server.app import create_app  # noqa: F401  (re-exported)
from server.clock import FakeClock  # noqa: F401
from server.iot.lorawan import decode as lorawan_decode  # noqa: F401
from server.iot.lorawan import encode_v2 as lorawan_encode_v2  # noqa: F401
from server.keys import CLOCK, DB, INGEST, MQTT_BRIDGE  # noqa: F401
from server.storage.embedded_db import free_port  # noqa: F401
from tests.support.alerting import alerting_settings  # noqa: F401
from tests.support.iot import stored as stored_readings  # noqa: F401  (rows and packs alike)
from tests.support.mqtt import BRIDGE_PASSWORD, Broker, bridge_url, reloaded  # noqa: F401
