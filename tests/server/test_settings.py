"""Settings: defaults, and a clear message for each bad value."""

from __future__ import annotations

import stat

import pytest

from server.settings import SettingsError, load_settings


def test_defaults(tmp_path):
    s = load_settings({"DATA_DIR": str(tmp_path)})
    assert (s.port, s.access_token_ttl, s.refresh_token_ttl, s.mongodb_db) == (8000, 300, 86400, "fadjma")
    assert s.embedded_db and s.socket_auth_grace == 30
    assert "jwt_secret" not in repr(s) or s.jwt_secret not in repr(s)


def test_generated_secret_is_kept_owner_only_and_reused(tmp_path, caplog):
    first = load_settings({"DATA_DIR": str(tmp_path)})
    path = tmp_path / "jwt_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.jwt_secret) >= 32
    assert "JWT_SECRET is not set" in caplog.text
    assert load_settings({"DATA_DIR": str(tmp_path)}).jwt_secret == first.jwt_secret
    assert first.jwt_secret not in caplog.text


@pytest.mark.parametrize("env, fragment", [
    ({"PORT": "eighty"}, "PORT='eighty' is not a whole number"),
    ({"PORT": "70000"}, "PORT=70000 is out of range"),
    ({"ACCESS_TOKEN_TTL": "0"}, "ACCESS_TOKEN_TTL=0 is out of range"),
    ({"ACCESS_TOKEN_TTL": "600", "REFRESH_TOKEN_TTL": "300"}, "REFRESH_TOKEN_TTL must be longer"),
    ({"JWT_SECRET": "short"}, "JWT_SECRET is 5 bytes"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not one of"),
    ({"MONGODB_URI": "postgres://x"}, "MONGODB_URI must start with mongodb://"),
    ({"MONGODB_DB": "a.b"}, "MONGODB_DB='a.b' is not a valid database name"),
    ({"CORS_ORIGINS": "example.com"}, "CORS_ORIGINS entry 'example.com' must start with http"),
    ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must start with redis://"),
])
def test_bad_values_fail_fast_with_a_clear_message(tmp_path, env, fragment):
    with pytest.raises(SettingsError) as err:
        load_settings({"DATA_DIR": str(tmp_path), **env})
    assert fragment in str(err.value)


def test_cli_exits_2_with_the_message(tmp_path):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "server"], env={"DATA_DIR": str(tmp_path), "PORT": "x",
                                                                "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "PORT='x' is not a whole number" in proc.stderr
