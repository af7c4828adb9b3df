"""Settings read once from the environment into one frozen object.

Every value is validated at start; a bad value stops the server with a message
that names the variable, what was wrong and what is expected.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_CORS = ("http://localhost:5173", "http://127.0.0.1:5173")
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key must be at least 256 bits


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "0.0.0.0"
    port: int = 8000
    mongodb_uri: str | None = None
    mongodb_db: str = "fadjma"
    data_dir: Path = Path("./data")
    jwt_secret: str = field(default="", repr=False)
    access_token_ttl: int = 300
    refresh_token_ttl: int = 86400
    socket_auth_grace: float = 30.0
    cors_origins: tuple[str, ...] = DEFAULT_CORS
    log_level: str = "INFO"
    redis_url: str | None = None
    redis_manager: str = "rooms"
    demo: bool = False
    mqtt_url: str | None = field(default=None, repr=False)
    mqtt_client_id: str | None = None          # the bridge's persistent-session id (server/iot/mqtt_bridge.py)
    lorawan_webhook_secret: str | None = field(default=None, repr=False)
    vitals_retention_days: int = 30
    derived_flush_ms: int = 1000               # server/storage/write_behind.py: derived state written this often
    device_heartbeat_timeout: int = 60
    # Alerting (server/alerting/escalation.py, server/alerting/device_alerts.py, server/care/units.py); seconds.
    alert_escalation_warning_s: int = 0        # 0: warnings are never escalated
    alert_escalation_critical_s: int = 300
    alert_escalation_emergency_s: int = 60
    alert_escalation_min_repeat_s: int = 60    # bounded rate: one escalation per alert per this
    alert_tick_s: float = 5.0                  # how often escalation and offline checks run
    news2_window_s: int = 900                  # readings older than this do not count in NEWS2
    device_offline_min_s: int = 300            # offline after max(2 x interval, this)
    unit_summary_s: int = 60
    # Scheduling and treatments (server/scheduling, server/treatments).
    appointment_reminder_s: int = 86400        # reminder this long before an appointment (0: none)
    reminder_tick_s: float = 30.0              # how often appointment and intake reminders are claimed
    default_timezone: str = "Africa/Dakar"     # a profile without `timezone`
    sio_fast_path: bool = True                 # server/realtime/fastpath: direct WebSocket writes (0: stock emits)

    @property
    def embedded_db(self) -> bool:
        """True when the server starts its own SecantusDB child process."""
        return not self.mongodb_uri


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number (expected {lo}..{hi})") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name}={value} is out of range (expected {lo}..{hi})")
    return value


def _origins(raw: str | None) -> tuple[str, ...]:
    if raw is None or not raw.strip():
        return DEFAULT_CORS
    if raw.strip() == "*":
        return ("*",)
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if not origin.startswith(("http://", "https://")):
            raise SettingsError(
                f"CORS_ORIGINS entry {origin!r} must start with http:// or https:// "
                "(comma-separated list, or * for any origin)"
            )
    return origins


def _mqtt_url(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    parsed = urlsplit(raw)
    try:
        parsed.port  # noqa: B018 - validates the port
    except ValueError:
        raise SettingsError("MQTT_URL has an invalid port") from None
    if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
        raise SettingsError("MQTT_URL must look like mqtt://user:password@host:1883 (or mqtts://)")
    return raw


def _mqtt_client_id(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if raw and not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", raw):
        raise SettingsError("MQTT_CLIENT_ID must be 1-64 letters, digits, '.', '_' or '-'")
    return raw or None


def _webhook_secret(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if raw and len(raw) < 16:
        raise SettingsError("LORAWAN_WEBHOOK_SECRET must be at least 16 characters")
    return raw or None


def _zone(raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    raw = raw.strip() or "Africa/Dakar"
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"DEFAULT_TIMEZONE={raw!r} is not an IANA time zone (e.g. Africa/Dakar)") from None
    return raw


def resolve_jwt_secret(raw: str | None, data_dir: Path) -> str:
    """Use JWT_SECRET if given; otherwise create one under DATA_DIR once and reuse it."""
    if raw:
        if len(raw.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(
                f"JWT_SECRET is {len(raw.encode())} bytes; use at least {MIN_SECRET_BYTES} "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return raw
    path = data_dir / "jwt_secret"
    if path.exists():
        secret = path.read_text().strip()
        if len(secret.encode()) >= MIN_SECRET_BYTES:
            return secret
        raise SettingsError(f"{path} holds a secret shorter than {MIN_SECRET_BYTES} bytes")
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL + 0600: the file is never readable by others, not even for an instant.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    log.warning("JWT_SECRET is not set: generated one and stored it in %s (owner-only)", path)
    return secret


def load_settings(env: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
    """Build Settings from the environment, raising SettingsError on the first bad value."""
    env = os.environ if env is None else env
    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL={level!r} is not one of {', '.join(LOG_LEVELS)}")
    uri = env.get("MONGODB_URI", "").strip() or None
    if uri and not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise SettingsError(f"MONGODB_URI must start with mongodb:// or mongodb+srv:// (got {uri[:20]!r})")
    db_name = env.get("MONGODB_DB", "fadjma").strip() or "fadjma"
    if any(c in db_name for c in '/\\. "$') or len(db_name) > 63:
        raise SettingsError(f"MONGODB_DB={db_name!r} is not a valid database name")
    redis_url = env.get("REDIS_URL", "").strip() or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("REDIS_URL must start with redis://, rediss:// or unix://")
    redis_manager = env.get("REDIS_MANAGER", "rooms").strip().lower() or "rooms"
    if redis_manager not in ("rooms", "broadcast"):
        raise SettingsError(f"REDIS_MANAGER={redis_manager!r} is not one of rooms, broadcast")
    data_dir = Path(env.get("DATA_DIR", "./data").strip() or "./data")
    access_ttl = _int(env, "ACCESS_TOKEN_TTL", 300, 5, 86400)
    refresh_ttl = _int(env, "REFRESH_TOKEN_TTL", 86400, 60, 90 * 86400)
    if refresh_ttl <= access_ttl:
        raise SettingsError("REFRESH_TOKEN_TTL must be longer than ACCESS_TOKEN_TTL")
    return Settings(
        host=env.get("HOST", "0.0.0.0").strip() or "0.0.0.0",
        port=_int(env, "PORT", 8000, 0, 65535),
        mongodb_uri=uri,
        mongodb_db=db_name,
        data_dir=data_dir,
        jwt_secret=resolve_jwt_secret(env.get("JWT_SECRET", "").strip() or None, data_dir),
        access_token_ttl=access_ttl,
        refresh_token_ttl=refresh_ttl,
        socket_auth_grace=float(_int(env, "SOCKET_AUTH_GRACE", 30, 1, 3600)),
        cors_origins=_origins(env.get("CORS_ORIGINS")),
        log_level=level,
        redis_url=redis_url,
        redis_manager=redis_manager,
        demo=demo,
        mqtt_url=_mqtt_url(env.get("MQTT_URL")),
        mqtt_client_id=_mqtt_client_id(env.get("MQTT_CLIENT_ID")),
        lorawan_webhook_secret=_webhook_secret(env.get("LORAWAN_WEBHOOK_SECRET")),
        vitals_retention_days=_int(env, "VITALS_RETENTION_DAYS", 30, 1, 36500),
        derived_flush_ms=_int(env, "DERIVED_FLUSH_MS", 1000, 20, 10_000),
        device_heartbeat_timeout=_int(env, "DEVICE_HEARTBEAT_TIMEOUT", 60, 5, 86400),
        alert_escalation_warning_s=_int(env, "ALERT_ESCALATION_WARNING_S", 0, 0, 86400),
        alert_escalation_critical_s=_int(env, "ALERT_ESCALATION_CRITICAL_S", 300, 0, 86400),
        alert_escalation_emergency_s=_int(env, "ALERT_ESCALATION_EMERGENCY_S", 60, 0, 86400),
        alert_escalation_min_repeat_s=_int(env, "ALERT_ESCALATION_MIN_REPEAT_S", 60, 10, 86400),
        alert_tick_s=float(_int(env, "ALERT_TICK_S", 5, 1, 300)),
        news2_window_s=_int(env, "NEWS2_WINDOW_S", 900, 60, 86400),
        device_offline_min_s=_int(env, "DEVICE_OFFLINE_MIN_S", 300, 30, 86400),
        unit_summary_s=_int(env, "UNIT_SUMMARY_S", 60, 5, 3600),
        appointment_reminder_s=_int(env, "APPOINTMENT_REMINDER_S", 86400, 0, 30 * 86400),
        reminder_tick_s=float(_int(env, "REMINDER_TICK_S", 30, 1, 3600)),
        default_timezone=_zone(env.get("DEFAULT_TIMEZONE", "Africa/Dakar")),
        sio_fast_path=_int(env, "SIO_FAST_PATH", 1, 0, 1) == 1,
    )
