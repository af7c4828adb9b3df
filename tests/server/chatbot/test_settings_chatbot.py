"""The chatbot's and chat's environment variables: defaults, and bad values refused by name."""

from __future__ import annotations

import pytest

from server.settings import SettingsError, load_settings


def test_defaults_and_values(tmp_path):
    s = load_settings({"DATA_DIR": str(tmp_path)})
    assert (s.google_api_key, s.gemini_model, s.gemini_base_url) == (None, "gemini-2.5-flash", None)
    assert (s.chatbot_timeout_s, s.chatbot_rate_limit, s.chatbot_history_turns, s.chat_presence_ttl_s) == (
        20.0, "10/minute", 10, 60)
    s = load_settings({"DATA_DIR": str(tmp_path), "GOOGLE_API_KEY": " AIza-secret ", "CHATBOT_RATE_LIMIT": "5/hour",
                       "GEMINI_BASE_URL": "http://127.0.0.1:9999", "CHATBOT_TIMEOUT_S": "3"})
    assert (s.google_api_key, s.chatbot_rate_limit, s.gemini_base_url, s.chatbot_timeout_s) == (
        "AIza-secret", "5/hour", "http://127.0.0.1:9999", 3.0)
    assert "AIza-secret" not in repr(s)  # the key is never printed


@pytest.mark.parametrize("env, fragment", [
    ({"CHATBOT_RATE_LIMIT": "lots"}, "CHATBOT_RATE_LIMIT='lots' is not a rate"),
    ({"GEMINI_BASE_URL": "127.0.0.1:80"}, "GEMINI_BASE_URL must start with http"),
    ({"CHATBOT_TIMEOUT_S": "0"}, "CHATBOT_TIMEOUT_S=0 is out of range"),
    ({"CHAT_PRESENCE_TTL_S": "1"}, "CHAT_PRESENCE_TTL_S=1 is out of range"),
])
def test_bad_values_fail_fast(tmp_path, env, fragment):
    with pytest.raises(SettingsError) as err:
        load_settings({"DATA_DIR": str(tmp_path), **env})
    assert fragment in str(err.value)
