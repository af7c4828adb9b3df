"""Settings read once from the environment into one frozen object.

Every value is validated at start (pydantic-settings: `Environment`, one field per
variable); a bad value stops the server with a message that names the variable, what was
wrong and what is expected. The app gets `Settings`, a frozen dataclass of typed values.
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
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_CORS = ("http://localhost:5173", "http://127.0.0.1:5173")
MIN_SECRET_BYTES = 32
# server/ops/throttle.py: variable -> default, in `limits` notation ("N/period", several joined by ";"; "off").
RATE_LIMITS = {
    "LOGIN_FAILURES_PER_ACCOUNT": "10/15minutes",   # then the account is locked until the window frees a slot
    "LOGIN_FAILURES_PER_ADDRESS": "100/15minutes",
    "RATE_LIMIT_REST_WRITES": "30/second;600/minute",     # per user (per address without a token)
    "RATE_LIMIT_SOCKET_EVENTS": "100/second;1200/minute",  # per user (a wall watches 50 patients at once)
    "RATE_LIMIT_DEVICE_DATA": "100/second;3000/minute",   # per device (a replayed buffer comes fast)
    "RATE_LIMIT_CONNECTIONS": "30/minute",                # socket connections per token family / device
}  # RFC 7518 §3.2: an HS256 key must be at least 256 bits


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
    sio_fast_path: bool = True                 # server/realtime/fastpath: direct WebSocket writes (0: stock emits)
    symptoms_model_dir: Path | None = None     # server/symptoms: None = DATA_DIR/symptoms
    rate_limits: dict[str, str] = field(default_factory=lambda: dict(RATE_LIMITS))  # "" = no limit

    @property
    def embedded_db(self) -> bool:
        """True when the server starts its own SecantusDB child process."""
        return not self.mongodb_uri


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


def secure_data_dir(data_dir: Path) -> None:
    """Create DATA_DIR owner-only (0700), and make an existing one so: a copy left world-readable by an
    earlier version (database files at 0644) is closed to other users by its directory."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(data_dir.stat().st_mode) != 0o700:
        data_dir.chmod(0o700)
        log.warning("%s was readable by other users: made owner-only (0700)", data_dir)


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
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_urlsafe(48)
    # O_EXCL + 0600: the file is never readable by others, not even for an instant.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret)
    log.warning("JWT_SECRET is not set: generated one and stored it in %s (owner-only)", path)
    return secret


def _rate_limit(name: str):
    def check(raw: Any) -> str | None:
        if raw is None or not str(raw).strip():
            return None  # the default
        spec = str(raw).strip()
        if spec.lower() in ("off", "0"):
            return ""
        from limits import parse_many
        try:
            parse_many(spec)
        except ValueError:
            raise ValueError(f"{name}={spec!r} is not a rate limit (e.g. '20/second;300/minute', or 'off')") from None
        return spec
    return field_validator(name, mode="before")(staticmethod(check))


def _int_field(name: str, lo: int, hi: int):
    def check(raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None  # the default
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{name}={raw!r} is not a whole number (expected {lo}..{hi})") from None
        if not lo <= value <= hi:
            raise ValueError(f"{name}={value} is out of range (expected {lo}..{hi})")
        return value
    return field_validator(name, mode="before")(staticmethod(check))


def _choice(name: str, choices: tuple[str, ...], default: str, upper: bool):
    def check(raw: Any) -> str:
        value = (raw or "").strip()
        value = (value.upper() if upper else value.lower()) or default
        if value not in choices:
            raise ValueError(f"{name}={value!r} is not one of {', '.join(choices)}")
        return value
    return field_validator(name, mode="before")(staticmethod(check))


def _checked(name: str, check):
    return field_validator(name, mode="before")(staticmethod(lambda raw: check(raw if isinstance(raw, str) else None)))


def _mongodb_uri(raw: str | None) -> str | None:
    uri = (raw or "").strip() or None
    if uri and not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise ValueError(f"MONGODB_URI must start with mongodb:// or mongodb+srv:// (got {uri[:20]!r})")
    return uri


def _mongodb_db(raw: str | None) -> str:
    name = (raw or "").strip() or "fadjma"
    if any(c in name for c in '/\\. "$') or len(name) > 63:
        raise ValueError(f"MONGODB_DB={name!r} is not a valid database name")
    return name


def _redis_url(raw: str | None) -> str | None:
    url = (raw or "").strip() or None
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
    return url


class Environment(BaseSettings):
    """The process environment, read and validated by pydantic-settings: one field per variable
    (the names are the variables'), each failure a message that names the variable."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    HOST: str | None = None
    PORT: int | None = None
    MONGODB_URI: str | None = None
    MONGODB_DB: str | None = None
    DATA_DIR: str | None = None
    JWT_SECRET: str | None = Field(default=None, repr=False)
    ACCESS_TOKEN_TTL: int | None = None
    REFRESH_TOKEN_TTL: int | None = None
    SOCKET_AUTH_GRACE: int | None = None
    CORS_ORIGINS: str | None = None
    LOG_LEVEL: str | None = None
    REDIS_URL: str | None = None
    REDIS_MANAGER: str | None = None
    MQTT_URL: str | None = Field(default=None, repr=False)
    MQTT_CLIENT_ID: str | None = None
    LORAWAN_WEBHOOK_SECRET: str | None = Field(default=None, repr=False)
    VITALS_RETENTION_DAYS: int | None = None
    DERIVED_FLUSH_MS: int | None = None
    DEVICE_HEARTBEAT_TIMEOUT: int | None = None
    ALERT_ESCALATION_WARNING_S: int | None = None
    ALERT_ESCALATION_CRITICAL_S: int | None = None
    ALERT_ESCALATION_EMERGENCY_S: int | None = None
    ALERT_ESCALATION_MIN_REPEAT_S: int | None = None
    ALERT_TICK_S: int | None = None
    NEWS2_WINDOW_S: int | None = None
    DEVICE_OFFLINE_MIN_S: int | None = None
    UNIT_SUMMARY_S: int | None = None
    SIO_FAST_PATH: int | None = None
    SYMPTOMS_MODEL_DIR: str | None = None
    LOGIN_FAILURES_PER_ACCOUNT: str | None = None
    LOGIN_FAILURES_PER_ADDRESS: str | None = None
    RATE_LIMIT_REST_WRITES: str | None = None
    RATE_LIMIT_SOCKET_EVENTS: str | None = None
    RATE_LIMIT_DEVICE_DATA: str | None = None
    RATE_LIMIT_CONNECTIONS: str | None = None

    _port = _int_field("PORT", 0, 65535)
    _access = _int_field("ACCESS_TOKEN_TTL", 5, 86400)
    _refresh = _int_field("REFRESH_TOKEN_TTL", 60, 90 * 86400)
    _grace = _int_field("SOCKET_AUTH_GRACE", 1, 3600)
    _retention = _int_field("VITALS_RETENTION_DAYS", 1, 36500)
    _flush = _int_field("DERIVED_FLUSH_MS", 20, 10_000)
    _heartbeat = _int_field("DEVICE_HEARTBEAT_TIMEOUT", 5, 86400)
    _warning = _int_field("ALERT_ESCALATION_WARNING_S", 0, 86400)
    _critical = _int_field("ALERT_ESCALATION_CRITICAL_S", 0, 86400)
    _emergency = _int_field("ALERT_ESCALATION_EMERGENCY_S", 0, 86400)
    _repeat = _int_field("ALERT_ESCALATION_MIN_REPEAT_S", 10, 86400)
    _tick = _int_field("ALERT_TICK_S", 1, 300)
    _news2 = _int_field("NEWS2_WINDOW_S", 60, 86400)
    _offline = _int_field("DEVICE_OFFLINE_MIN_S", 30, 86400)
    _summary = _int_field("UNIT_SUMMARY_S", 5, 3600)
    _fast = _int_field("SIO_FAST_PATH", 0, 1)
    _lim_account = _rate_limit("LOGIN_FAILURES_PER_ACCOUNT")
    _lim_address = _rate_limit("LOGIN_FAILURES_PER_ADDRESS")
    _lim_writes = _rate_limit("RATE_LIMIT_REST_WRITES")
    _lim_events = _rate_limit("RATE_LIMIT_SOCKET_EVENTS")
    _lim_device = _rate_limit("RATE_LIMIT_DEVICE_DATA")
    _lim_connections = _rate_limit("RATE_LIMIT_CONNECTIONS")
    _level = _choice("LOG_LEVEL", LOG_LEVELS, "INFO", upper=True)
    _manager = _choice("REDIS_MANAGER", ("rooms", "broadcast"), "rooms", upper=False)
    _uri = _checked("MONGODB_URI", _mongodb_uri)
    _db = _checked("MONGODB_DB", _mongodb_db)
    _redis = _checked("REDIS_URL", _redis_url)
    _mqtt = _checked("MQTT_URL", _mqtt_url)
    _mqtt_id = _checked("MQTT_CLIENT_ID", _mqtt_client_id)
    _lorawan = _checked("LORAWAN_WEBHOOK_SECRET", _webhook_secret)

    @model_validator(mode="after")
    def _ttls(self) -> Environment:
        if (self.REFRESH_TOKEN_TTL or 86400) <= (self.ACCESS_TOKEN_TTL or 300):
            raise ValueError("REFRESH_TOKEN_TTL must be longer than ACCESS_TOKEN_TTL")
        return self


class _Given(Environment):
    """The same variables from a mapping given by the caller (tests), not from os.environ."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_others):
        return (init_settings,)


def _read(env: Mapping[str, str] | None) -> Environment:
    try:
        if env is None:
            return Environment()
        return _Given(**{k: v for k, v in env.items() if k in Environment.model_fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        error = (first.get("ctx") or {}).get("error")
        where = ".".join(str(x) for x in first.get("loc", ())) or "settings"
        raise SettingsError(str(error) if error is not None else f"{where}: {first['msg']}") from None


def load_settings(env: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
    """Build Settings from the environment (pydantic-settings), raising SettingsError on a bad value."""
    e = _read(env)
    data_dir = Path((e.DATA_DIR or "").strip() or "./data")

    def pick(value, default):
        return default if value is None else value

    return Settings(
        host=(e.HOST or "").strip() or "0.0.0.0",
        port=pick(e.PORT, 8000),
        mongodb_uri=e.MONGODB_URI,
        mongodb_db=pick(e.MONGODB_DB, "fadjma"),
        data_dir=data_dir,
        jwt_secret=resolve_jwt_secret((e.JWT_SECRET or "").strip() or None, data_dir),
        access_token_ttl=pick(e.ACCESS_TOKEN_TTL, 300),
        refresh_token_ttl=pick(e.REFRESH_TOKEN_TTL, 86400),
        socket_auth_grace=float(pick(e.SOCKET_AUTH_GRACE, 30)),
        cors_origins=_origins(e.CORS_ORIGINS),
        log_level=pick(e.LOG_LEVEL, "INFO"),
        redis_url=e.REDIS_URL,
        redis_manager=pick(e.REDIS_MANAGER, "rooms"),
        demo=demo,
        mqtt_url=e.MQTT_URL,
        mqtt_client_id=e.MQTT_CLIENT_ID,
        lorawan_webhook_secret=e.LORAWAN_WEBHOOK_SECRET,
        vitals_retention_days=pick(e.VITALS_RETENTION_DAYS, 30),
        derived_flush_ms=pick(e.DERIVED_FLUSH_MS, 1000),
        device_heartbeat_timeout=pick(e.DEVICE_HEARTBEAT_TIMEOUT, 60),
        alert_escalation_warning_s=pick(e.ALERT_ESCALATION_WARNING_S, 0),
        alert_escalation_critical_s=pick(e.ALERT_ESCALATION_CRITICAL_S, 300),
        alert_escalation_emergency_s=pick(e.ALERT_ESCALATION_EMERGENCY_S, 60),
        alert_escalation_min_repeat_s=pick(e.ALERT_ESCALATION_MIN_REPEAT_S, 60),
        alert_tick_s=float(pick(e.ALERT_TICK_S, 5)),
        news2_window_s=pick(e.NEWS2_WINDOW_S, 900),
        device_offline_min_s=pick(e.DEVICE_OFFLINE_MIN_S, 300),
        unit_summary_s=pick(e.UNIT_SUMMARY_S, 60),
        sio_fast_path=pick(e.SIO_FAST_PATH, 1) == 1,
        rate_limits={name: pick(getattr(e, name), default) for name, default in RATE_LIMITS.items()},
        symptoms_model_dir=Path(e.SYMPTOMS_MODEL_DIR.strip()) if (e.SYMPTOMS_MODEL_DIR or "").strip() else None,
    )
