"""Settings of scheduling and treatments: defaults and clear messages for bad values."""

from __future__ import annotations

import pytest

from server.settings import SettingsError, load_settings


def test_defaults_and_values(tmp_path):
    s = load_settings({"DATA_DIR": str(tmp_path)})
    assert (s.appointment_reminder_s, s.reminder_tick_s, s.default_timezone) == (86400, 30.0, "Africa/Dakar")
    s = load_settings({"DATA_DIR": str(tmp_path), "APPOINTMENT_REMINDER_S": "0", "REMINDER_TICK_S": "5",
                       "DEFAULT_TIMEZONE": "Europe/Paris"})
    assert (s.appointment_reminder_s, s.reminder_tick_s, s.default_timezone) == (0, 5.0, "Europe/Paris")


@pytest.mark.parametrize(("env", "fragment"), [
    ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEFAULT_TIMEZONE='Mars/Olympus' is not an IANA time zone"),
    ({"APPOINTMENT_REMINDER_S": "-1"}, "APPOINTMENT_REMINDER_S=-1 is out of range"),
    ({"REMINDER_TICK_S": "0"}, "REMINDER_TICK_S=0 is out of range"),
    ({"REMINDER_TICK_S": "soon"}, "REMINDER_TICK_S='soon' is not a whole number"),
])
def test_bad_values_name_the_variable(tmp_path, env, fragment):
    with pytest.raises(SettingsError, match=fragment.replace("(", r"\(")):
        load_settings({"DATA_DIR": str(tmp_path), **env})
