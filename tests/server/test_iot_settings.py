"""The IoT settings: MQTT_URL, MQTT_SHARED_GROUP, LORAWAN_WEBHOOK_SECRET, VITALS_RETENTION_DAYS,
DEVICE_HEARTBEAT_TIMEOUT."""

from __future__ import annotations

import pytest

from server.settings import SettingsError, load_settings


def test_iot_defaults_and_values(tmp_path):
    s = load_settings({"DATA_DIR": str(tmp_path)})
    assert (s.mqtt_url, s.lorawan_webhook_secret, s.vitals_retention_days, s.device_heartbeat_timeout) == \
        (None, None, 30, 60)
    s = load_settings({"DATA_DIR": str(tmp_path), "MQTT_URL": "mqtt://fadjma-server:pw@broker:1883",
                       "LORAWAN_WEBHOOK_SECRET": "0123456789abcdef", "VITALS_RETENTION_DAYS": "90",
                       "DEVICE_HEARTBEAT_TIMEOUT": "120"})
    assert (s.vitals_retention_days, s.device_heartbeat_timeout) == (90, 120)
    assert s.mqtt_shared_group is None
    assert load_settings({"DATA_DIR": str(tmp_path), "MQTT_SHARED_GROUP": " fadjma "}).mqtt_shared_group == "fadjma"
    assert "pw" not in repr(s) and "0123456789abcdef" not in repr(s)


@pytest.mark.parametrize("env, fragment", [
    ({"MQTT_URL": "http://broker"}, "MQTT_URL must look like mqtt://"),
    ({"MQTT_URL": "mqtt://broker:99999"}, "MQTT_URL has an invalid port"),
    ({"MQTT_SHARED_GROUP": "a/b"}, "MQTT_SHARED_GROUP must be 1-64 letters"),
    ({"MQTT_SHARED_GROUP": "+"}, "MQTT_SHARED_GROUP must be 1-64 letters"),
    ({"LORAWAN_WEBHOOK_SECRET": "short"}, "LORAWAN_WEBHOOK_SECRET must be at least 16"),
    ({"VITALS_RETENTION_DAYS": "0"}, "VITALS_RETENTION_DAYS=0 is out of range"),
    ({"DEVICE_HEARTBEAT_TIMEOUT": "1"}, "DEVICE_HEARTBEAT_TIMEOUT=1 is out of range"),
])
def test_bad_iot_values_name_the_variable(tmp_path, env, fragment):
    with pytest.raises(SettingsError, match=fragment):
        load_settings({"DATA_DIR": str(tmp_path), **env})
