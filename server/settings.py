"""Settings read once from the environment into one frozen object.

Every value is validated at start (pydantic-settings: `server.environment.Environment`,
one field per variable); a bad value stops the server with a message that names the variable, what was
wrong and what is expected. The app gets `Settings`, a frozen dataclass of typed values.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from server.environment import (
    DEFAULT_CORS,
    SettingsError,
    cors_origins,
    parse_networks,
    parse_trusted,
    read_environment,
)

log = logging.getLogger(__name__)

MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key must be at least 256 bits
# server/ops/throttle.py: variable -> default, in `limits` notation ("N/period", several joined by ";"; "off").
RATE_LIMITS = {
    "LOGIN_FAILURES_PER_ACCOUNT": "10/15minutes",   # then the account is locked until the window frees a slot
    "LOGIN_FAILURES_PER_ADDRESS": "100/15minutes",
    "RATE_LIMIT_REST_WRITES": "30/second;600/minute",     # per user (per address without a token)
    "RATE_LIMIT_SOCKET_EVENTS": "100/second;1200/minute",  # per user (a wall watches 50 patients at once)
    "RATE_LIMIT_DEVICE_DATA": "100/second;3000/minute",   # per device (a replayed buffer comes fast)
    "RATE_LIMIT_CONNECTIONS": "30/minute",                # socket connections per token family / device
}


LOOPBACK = ("127.0.0.1/32", "::1/128")  # TRUSTED_PROXIES default: a proxy on this machine (deploy/nginx.conf)


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
    mqtt_shared_group: str | None = None       # several processes: `$share/<group>/…`, each message to one
    lorawan_webhook_secret: str | None = field(default=None, repr=False)
    vitals_retention_days: int = 30
    derived_flush_ms: int = 1000               # server/storage/write_behind.py: derived state written this often
    derived_statements_per_s: int = 1000       # ... but no faster than this many statements per second
    device_heartbeat_timeout: int = 60
    # Alerting (server/alerting/escalation.py, server/alerting/device_alerts.py, server/care/units.py); seconds.
    alert_escalation_warning_s: int = 0        # 0: warnings are never escalated
    alert_escalation_critical_s: int = 300
    alert_escalation_emergency_s: int = 60
    alert_escalation_min_repeat_s: int = 60    # bounded rate: one escalation per alert per this
    alert_tick_s: float = 5.0                  # how often escalation and offline checks run
    news2_window_s: int = 900                  # readings older than this do not count in NEWS2
    late_reading_s: int = 900                  # measured longer than this before arrival: late (retrospective only)
    device_offline_min_s: int = 300            # offline after max(2 x interval, this)
    unit_summary_s: int = 60
    sio_fast_path: bool = True                 # server/realtime/fastpath: direct WebSocket writes (0: stock emits)
    symptoms_model_dir: Path | None = None     # server/symptoms: None = DATA_DIR/symptoms
    # Chatbot and chat between people (server/chatbot/, server/chat/).
    google_api_key: str | None = field(default=None, repr=False)  # unset: the offline assistant answers
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None         # another endpoint (a proxy; the tests' stub server)
    chatbot_timeout_s: float = 20.0            # Gemini's whole answer within this, else the offline assistant
    chatbot_rate_limit: str = "10/minute"      # per user, `limits` notation ("10/minute", "100/day")
    chatbot_history_turns: int = 10            # past exchanges sent to Gemini as context
    chat_presence_ttl_s: int = 60              # a process that stops refreshing its sockets' presence: offline
    # Scheduling and treatments (server/scheduling, server/treatments).
    appointment_reminder_s: int = 86400        # reminder this long before an appointment (0: none)
    reminder_tick_s: float = 30.0              # how often appointment and intake reminders are claimed
    default_timezone: str = "Africa/Dakar"     # a profile without `timezone`
    trusted_proxies: tuple[str, ...] = LOOPBACK  # server/http/remotes.py
    shutdown_grace_s: float = 3.0               # server/__main__.py: open requests get this long at SIGTERM
    rate_limits: dict[str, str] = field(default_factory=lambda: dict(RATE_LIMITS))  # "" = no limit
    # Observability (server/ops/metrics.py, server/logs.py): /metrics is 404 unless a token or an allow-list is set.
    metrics_token: str | None = field(default=None, repr=False)
    metrics_allow: tuple[str, ...] = ()
    log_format: str = "text"                   # "json": one JSON object per line
    allow_http_attachments: bool = False       # server/care/records.py: http: attachment links (development)

    @property
    def embedded_db(self) -> bool:
        """True when the server starts its own SecantusDB child process."""
        return not self.mongodb_uri


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


def load_settings(env: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
    """Build Settings from the environment (pydantic-settings), raising SettingsError on a bad value."""
    e = read_environment(env)
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
        cors_origins=cors_origins(e.CORS_ORIGINS),
        log_level=pick(e.LOG_LEVEL, "INFO"),
        redis_url=e.REDIS_URL,
        redis_manager=pick(e.REDIS_MANAGER, "rooms"),
        demo=demo,
        mqtt_url=e.MQTT_URL,
        mqtt_client_id=e.MQTT_CLIENT_ID,
        mqtt_shared_group=e.MQTT_SHARED_GROUP,
        lorawan_webhook_secret=e.LORAWAN_WEBHOOK_SECRET,
        vitals_retention_days=pick(e.VITALS_RETENTION_DAYS, 30),
        derived_flush_ms=pick(e.DERIVED_FLUSH_MS, 1000),
        derived_statements_per_s=pick(e.DERIVED_STATEMENTS_PER_S, 1000),
        device_heartbeat_timeout=pick(e.DEVICE_HEARTBEAT_TIMEOUT, 60),
        alert_escalation_warning_s=pick(e.ALERT_ESCALATION_WARNING_S, 0),
        alert_escalation_critical_s=pick(e.ALERT_ESCALATION_CRITICAL_S, 300),
        alert_escalation_emergency_s=pick(e.ALERT_ESCALATION_EMERGENCY_S, 60),
        alert_escalation_min_repeat_s=pick(e.ALERT_ESCALATION_MIN_REPEAT_S, 60),
        alert_tick_s=float(pick(e.ALERT_TICK_S, 5)),
        news2_window_s=pick(e.NEWS2_WINDOW_S, 900),
        late_reading_s=pick(e.LATE_READING_S, 900),
        device_offline_min_s=pick(e.DEVICE_OFFLINE_MIN_S, 300),
        unit_summary_s=pick(e.UNIT_SUMMARY_S, 60),
        sio_fast_path=pick(e.SIO_FAST_PATH, 1) == 1,
        rate_limits={name: pick(getattr(e, name), default) for name, default in RATE_LIMITS.items()},
        symptoms_model_dir=Path(e.SYMPTOMS_MODEL_DIR.strip()) if (e.SYMPTOMS_MODEL_DIR or "").strip() else None,
        google_api_key=(e.GOOGLE_API_KEY or "").strip() or None,
        gemini_model=(e.GEMINI_MODEL or "").strip() or "gemini-2.5-flash",
        gemini_base_url=e.GEMINI_BASE_URL,
        chatbot_timeout_s=float(pick(e.CHATBOT_TIMEOUT_S, 20)),
        chatbot_rate_limit=pick(e.CHATBOT_RATE_LIMIT, "10/minute"),
        chatbot_history_turns=pick(e.CHATBOT_HISTORY_TURNS, 10),
        chat_presence_ttl_s=pick(e.CHAT_PRESENCE_TTL_S, 60),
        appointment_reminder_s=pick(e.APPOINTMENT_REMINDER_S, 86400),
        reminder_tick_s=float(pick(e.REMINDER_TICK_S, 30)),
        default_timezone=pick(e.DEFAULT_TIMEZONE, "Africa/Dakar"),
        trusted_proxies=LOOPBACK if e.TRUSTED_PROXIES is None else parse_trusted(e.TRUSTED_PROXIES),
        metrics_token=e.METRICS_TOKEN,
        metrics_allow=parse_networks(e.METRICS_ALLOW, "METRICS_ALLOW") if e.METRICS_ALLOW else (),
        log_format=pick(e.LOG_FORMAT, "text"),
        allow_http_attachments=pick(e.ALLOW_HTTP_ATTACHMENTS, 0) == 1,
        shutdown_grace_s=float(pick(e.SHUTDOWN_GRACE_S, 3)),
    )

