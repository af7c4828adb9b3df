"""The process environment, read and validated by pydantic-settings (server/settings.py builds Settings from it).

One field per variable, named as the variable; every failure is a SettingsError whose message
names the variable, what was wrong and what is expected (tests/server/test_settings.py pins them).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_CORS = ("http://localhost:5173", "http://127.0.0.1:5173")


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


def cors_origins(raw: str | None) -> tuple[str, ...]:
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


def _mqtt_shared_group(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if raw and not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", raw):
        raise SettingsError("MQTT_SHARED_GROUP must be 1-64 letters, digits, '.', '_' or '-'")
    return raw or None


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


def _timezone(raw: str | None) -> str:
    zone = (raw or "").strip() or "Africa/Dakar"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"DEFAULT_TIMEZONE={zone!r} is not an IANA time zone (e.g. Africa/Dakar)") from None
    return zone


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
    MQTT_SHARED_GROUP: str | None = None
    LORAWAN_WEBHOOK_SECRET: str | None = Field(default=None, repr=False)
    VITALS_RETENTION_DAYS: int | None = None
    DERIVED_FLUSH_MS: int | None = None
    DERIVED_STATEMENTS_PER_S: int | None = None
    DEVICE_HEARTBEAT_TIMEOUT: int | None = None
    ALERT_ESCALATION_WARNING_S: int | None = None
    ALERT_ESCALATION_CRITICAL_S: int | None = None
    ALERT_ESCALATION_EMERGENCY_S: int | None = None
    ALERT_ESCALATION_MIN_REPEAT_S: int | None = None
    ALERT_TICK_S: int | None = None
    NEWS2_WINDOW_S: int | None = None
    LATE_READING_S: int | None = None
    DEVICE_OFFLINE_MIN_S: int | None = None
    UNIT_SUMMARY_S: int | None = None
    SIO_FAST_PATH: int | None = None
    # chatbot and chat between people
    GOOGLE_API_KEY: str | None = Field(default=None, repr=False)
    GEMINI_MODEL: str | None = None
    GEMINI_BASE_URL: str | None = None
    CHATBOT_TIMEOUT_S: int | None = None
    CHATBOT_RATE_LIMIT: str | None = None
    CHATBOT_HISTORY_TURNS: int | None = None
    CHAT_PRESENCE_TTL_S: int | None = None
    SYMPTOMS_MODEL_DIR: str | None = None
    TRUSTED_PROXIES: str | None = None
    # rate limits and lockouts (server/ops/throttle.py), `limits` notation or "off"
    LOGIN_FAILURES_PER_ACCOUNT: str | None = None
    LOGIN_FAILURES_PER_ADDRESS: str | None = None
    RATE_LIMIT_REST_WRITES: str | None = None
    RATE_LIMIT_SOCKET_EVENTS: str | None = None
    RATE_LIMIT_DEVICE_DATA: str | None = None
    RATE_LIMIT_CONNECTIONS: str | None = None
    # scheduling and treatments
    APPOINTMENT_REMINDER_S: int | None = None
    REMINDER_TICK_S: int | None = None
    DEFAULT_TIMEZONE: str | None = None
    # observability (server/ops/metrics.py, server/logs.py)
    METRICS_TOKEN: str | None = Field(default=None, repr=False)
    METRICS_ALLOW: str | None = None
    LOG_FORMAT: str | None = None
    ALLOW_HTTP_ATTACHMENTS: int | None = None
    SHUTDOWN_GRACE_S: int | None = None

    _port = _int_field("PORT", 0, 65535)
    _access = _int_field("ACCESS_TOKEN_TTL", 5, 86400)
    _refresh = _int_field("REFRESH_TOKEN_TTL", 60, 90 * 86400)
    _grace = _int_field("SOCKET_AUTH_GRACE", 1, 3600)
    _retention = _int_field("VITALS_RETENTION_DAYS", 1, 36500)
    _flush = _int_field("DERIVED_FLUSH_MS", 20, 10_000)
    _budget = _int_field("DERIVED_STATEMENTS_PER_S", 50, 1_000_000)
    _heartbeat = _int_field("DEVICE_HEARTBEAT_TIMEOUT", 5, 86400)
    _warning = _int_field("ALERT_ESCALATION_WARNING_S", 0, 86400)
    _critical = _int_field("ALERT_ESCALATION_CRITICAL_S", 0, 86400)
    _emergency = _int_field("ALERT_ESCALATION_EMERGENCY_S", 0, 86400)
    _repeat = _int_field("ALERT_ESCALATION_MIN_REPEAT_S", 10, 86400)
    _tick = _int_field("ALERT_TICK_S", 1, 300)
    _news2 = _int_field("NEWS2_WINDOW_S", 60, 86400)
    _late = _int_field("LATE_READING_S", 30, 86400)
    _offline = _int_field("DEVICE_OFFLINE_MIN_S", 30, 86400)
    _summary = _int_field("UNIT_SUMMARY_S", 5, 3600)
    _fast = _int_field("SIO_FAST_PATH", 0, 1)
    _lim_account = _rate_limit("LOGIN_FAILURES_PER_ACCOUNT")
    _lim_address = _rate_limit("LOGIN_FAILURES_PER_ADDRESS")
    _lim_writes = _rate_limit("RATE_LIMIT_REST_WRITES")
    _lim_events = _rate_limit("RATE_LIMIT_SOCKET_EVENTS")
    _lim_device = _rate_limit("RATE_LIMIT_DEVICE_DATA")
    _lim_connections = _rate_limit("RATE_LIMIT_CONNECTIONS")
    _proxies = _checked("TRUSTED_PROXIES", lambda raw: raw if raw is None else ",".join(parse_trusted(raw)))
    _chatbot_timeout = _int_field("CHATBOT_TIMEOUT_S", 1, 300)
    _chatbot_turns = _int_field("CHATBOT_HISTORY_TURNS", 0, 100)
    _presence_ttl = _int_field("CHAT_PRESENCE_TTL_S", 5, 3600)
    _chatbot_rate = _checked("CHATBOT_RATE_LIMIT", lambda raw: _rate_limit(raw))
    _gemini_url = _checked("GEMINI_BASE_URL", lambda raw: _gemini_base_url(raw))
    _reminder = _int_field("APPOINTMENT_REMINDER_S", 0, 30 * 86400)
    _reminder_tick = _int_field("REMINDER_TICK_S", 1, 3600)
    _shutdown_grace = _int_field("SHUTDOWN_GRACE_S", 0, 300)
    _zone = _checked("DEFAULT_TIMEZONE", _timezone)
    _metrics_token = _checked("METRICS_TOKEN", lambda raw: _metrics_token(raw))
    _metrics_allow = _checked("METRICS_ALLOW", lambda raw: raw if raw is None else ",".join(
        parse_networks(raw, "METRICS_ALLOW")))
    _http_attachments = _int_field("ALLOW_HTTP_ATTACHMENTS", 0, 1)
    _log_format = _choice("LOG_FORMAT", ("text", "json"), "text", upper=False)
    _level = _choice("LOG_LEVEL", LOG_LEVELS, "INFO", upper=True)
    _manager = _choice("REDIS_MANAGER", ("rooms", "broadcast"), "rooms", upper=False)
    _uri = _checked("MONGODB_URI", _mongodb_uri)
    _db = _checked("MONGODB_DB", _mongodb_db)
    _redis = _checked("REDIS_URL", _redis_url)
    _mqtt = _checked("MQTT_URL", _mqtt_url)
    _mqtt_id = _checked("MQTT_CLIENT_ID", _mqtt_client_id)
    _mqtt_share = _checked("MQTT_SHARED_GROUP", _mqtt_shared_group)
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


def read_environment(env: Mapping[str, str] | None) -> Environment:
    try:
        if env is None:
            return Environment()
        return _Given(**{k: v for k, v in env.items() if k in Environment.model_fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        error = (first.get("ctx") or {}).get("error")
        where = ".".join(str(x) for x in first.get("loc", ())) or "settings"
        raise SettingsError(str(error) if error is not None else f"{where}: {first['msg']}") from None


def _rate_limit(raw: str | None) -> str | None:
    """CHATBOT_RATE_LIMIT in the `limits` notation (server/chatbot/ratelimit.py)."""
    from limits import parse as parse_limit

    rate = (raw or "").strip() or None
    if rate is not None:
        try:
            parse_limit(rate)
        except ValueError:
            raise ValueError(f"CHATBOT_RATE_LIMIT={rate!r} is not a rate like 10/minute or 100/day") from None
    return rate


def _gemini_base_url(raw: str | None) -> str | None:
    url = (raw or "").strip() or None
    if url and not url.startswith(("http://", "https://")):
        raise ValueError("GEMINI_BASE_URL must start with http:// or https://")
    return url


def _metrics_token(raw: str | None) -> str | None:
    token = (raw or "").strip() or None
    if token is not None and len(token) < 16:
        raise ValueError("METRICS_TOKEN must be at least 16 characters")
    return token


def parse_trusted(raw: str) -> tuple[str, ...]:
    """TRUSTED_PROXIES `10.0.0.0/8, 127.0.0.1` → normalised networks (server/http/remotes.py); empty: none."""
    return parse_networks(raw, "TRUSTED_PROXIES")


def parse_networks(raw: str, name: str) -> tuple[str, ...]:
    """`10.0.0.0/8, 127.0.0.1` → normalised networks (TRUSTED_PROXIES, METRICS_ALLOW); empty: none."""
    out = []
    for item in (p.strip() for p in raw.split(",")):
        if item:
            try:
                out.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"{name} entry {item!r} is not an IP address or network") from None
    return tuple(out)
