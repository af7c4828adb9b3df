"""Prometheus metrics: one registry per app, the metric objects, and the `/metrics` gate.

`Metrics` owns every metric object; `create_app` builds one and hands it to the services that count
(ingest, alerting, the inbox) through their constructors. Each app has its own
`CollectorRegistry`, never prometheus-client's global one, so several apps in one process (the
tests) do not collide. Labels are bounded sets (namespace, role, event name, error code, state,
logger name): never a patient, user or device id.

Gauges that describe a state (sockets, buffer depths) are read at scrape time from their owner
(`Scraped`), so they cost nothing per event. Every exception logged with a traceback
(`log.exception`, or any record with `exc_info` at ERROR) is counted by `ExceptionCounter`, a
logging handler: the counter the house asks beside each `except Exception` cannot be forgotten.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from models.errors import DomainError

log = logging.getLogger(__name__)

LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
READ_DELAY = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    """The metric objects of one app (see README "Observability" for what each one means)."""

    def __init__(self, gate: Gate | None = None) -> None:
        self.gate = gate or Gate(None, ())
        r = self.registry = CollectorRegistry()
        self.events_in = Counter("fadjma_socket_events_in_total", "Socket.IO events received, by outcome",
                                 ["namespace", "event", "outcome"], registry=r)
        self.events_out = Counter("fadjma_socket_emits_total", "Socket.IO emits (one per emit call, any audience)",
                                  ["event"], registry=r)
        self.connections = Counter("fadjma_socket_connections_total",
                                   "Accepted user sockets; kind=reconnect when the client says what it last saw",
                                   ["kind"], registry=r)
        self.http = Counter("fadjma_http_responses_total", "HTTP responses by method and status class",
                            ["method", "status"], registry=r)
        self.errors = Counter("fadjma_errors_total", "Error envelopes sent, by transport and code",
                              ["transport", "code"], registry=r)
        self.exceptions = Counter("fadjma_exceptions_total", "Exceptions caught and logged with a traceback",
                                  ["logger"], registry=r)
        self.readings = Counter("fadjma_readings_stored_total", "Readings stored by the group commit", registry=r)
        self.rejected = Counter("fadjma_readings_rejected_total", "Readings rejected, by code", ["code"], registry=r)
        self.write_seconds = Histogram("fadjma_ingest_write_seconds", "Group-commit write latency (insert_many)",
                                       buckets=LATENCY, registry=r)
        self.batch_size = Histogram("fadjma_ingest_batch_size", "Readings per group commit", buckets=SIZES,
                                    registry=r)
        self.alerts = Counter("fadjma_alerts_total", "Alert transitions, by the state entered", ["state"], registry=r)
        self.escalations = Counter("fadjma_alert_escalations_total", "Alert escalations sent", registry=r)
        self.notifications = Counter("fadjma_notifications_total", "Inbox items stored and emitted", registry=r)
        self.replayed = Counter("fadjma_notifications_replayed_total", "Inbox items replayed at a reconnection",
                                registry=r)
        self.read_seconds = Histogram("fadjma_notification_read_seconds",
                                      "Inbox item stored -> marked read by its recipient", buckets=READ_DELAY,
                                      registry=r)
        self._ok: dict[tuple[str, str], Any] = {}  # events_in children for the hot path (ok outcomes)
        self.scraped = Scraped()
        r.register(self.scraped)

    def render(self) -> tuple[bytes, str]:
        """The text exposition format (what `GET /metrics` answers)."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    # -- small helpers the wiring uses -------------------------------------------------
    def count_emits(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap `sio.emit`: every way out (inbox, vitals, device commands) is counted by event name."""
        counter, children = self.events_out, {}  # labels() takes a lock and builds a tuple: cache the children

        async def emit(event: str, *args: Any, **kwargs: Any) -> Any:
            child = children.get(event)
            if child is None:
                child = children[event] = counter.labels(event)
            child.inc()
            return await original(event, *args, **kwargs)

        return emit

    def observe_event(self, namespace: str, event: str, envelope: dict) -> None:
        """Called by server/realtime/sockets.py after each event's ack envelope is built."""
        if envelope.get("ok"):
            child = self._ok.get((namespace, event))
            if child is None:
                child = self._ok[(namespace, event)] = self.events_in.labels(namespace, event, "ok")
            child.inc()
            return
        code = str((envelope.get("error") or {}).get("code", "internal"))
        self.events_in.labels(namespace, event, "error").inc()
        self.errors.labels("socket", code).inc()


    def middleware(self):
        """Counts HTTP responses by method and status, and error envelopes by code. Placed just inside
        `error_middleware`, so it sees the DomainError (its code) before it becomes a response."""
        http, errors = self.http, self.errors

        @web.middleware
        async def count(request: web.Request, handler):
            method = request.method if request.method in METHODS else "other"
            try:
                response = await handler(request)
            except DomainError as exc:
                http.labels(method, str(exc.status)).inc()
                errors.labels("http", exc.code).inc()
                raise
            except web.HTTPException as exc:
                http.labels(method, str(exc.status)).inc()
                raise
            except Exception:
                http.labels(method, "500").inc()
                errors.labels("http", "internal").inc()
                raise
            http.labels(method, str(response.status)).inc()
            return response

        return count


class Scraped(Collector):
    """Gauges computed when Prometheus scrapes: sockets by namespace and role, buffer depths."""

    def __init__(self) -> None:
        self.sockets: Callable[[], Iterable[tuple[str, str, int]]] | None = None
        self.depths: dict[str, Callable[[], int]] = {}

    def collect(self):
        sockets = GaugeMetricFamily("fadjma_sockets", "Connected sockets on this process, by namespace and role",
                                    labels=["namespace", "role"])
        for namespace, role, count in (self.sockets() if self.sockets else ()):
            sockets.add_metric([namespace, role], count)
        yield sockets
        depth = GaugeMetricFamily("fadjma_buffer_depth", "Items waiting in a write buffer", labels=["buffer"])
        for name, read in self.depths.items():
            depth.add_metric([name], read())
        yield depth


def sockets_by_role(manager: Any, roles: Iterable[str], role_room: Callable[[str], str]) -> Callable[[], list]:
    """Counts read from python-socketio's room table: every socket is in its namespace's `None`
    room, every user socket in `role:<role>` (rooms/watch.join_role). This process's sockets only."""
    roles = tuple(roles)

    def read() -> list[tuple[str, str, int]]:
        out = []
        for namespace, table in list(manager.rooms.items()):
            total = len(table.get(None, ()))
            if namespace == "/":
                counted = 0
                for role in roles:
                    n = len(table.get(role_room(role), ()))
                    counted += n
                    out.append((namespace, role, n))
                out.append((namespace, "none", max(0, total - counted)))
            else:
                out.append((namespace, "device" if namespace == "/devices" else "user", total))
        return out

    return read


class ExceptionCounter(logging.Handler):
    """Counts log records carrying a traceback, by logger name (a bounded set: the modules)."""

    def __init__(self, counter: Counter) -> None:
        super().__init__(level=logging.ERROR)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.counter.labels(record.name).inc()


def exceptions_ctx(metrics: Metrics):
    """cleanup_ctx: the exception counter on the root logger for the app's life."""

    async def ctx(_app):
        handler = ExceptionCounter(metrics.exceptions)
        logging.getLogger().addHandler(handler)
        yield
        logging.getLogger().removeHandler(handler)

    return ctx


class Gate:
    """Who may read /metrics: METRICS_TOKEN (`Authorization: Bearer <token>`) and/or METRICS_ALLOW
    (client networks). Neither set: /metrics answers 404, as if it did not exist."""

    def __init__(self, token: str | None, allow: tuple[str, ...]) -> None:
        self.token = token
        self.networks = tuple(ipaddress.ip_network(n) for n in allow)

    @property
    def enabled(self) -> bool:
        return bool(self.token or self.networks)

    def admits_address(self, remote: str | None) -> bool:
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(remote or "")
        except ValueError:
            return False
        return any(address in net for net in self.networks)

    def admits_token(self, authorization: str) -> bool:
        if not self.token:
            return True
        scheme, _, given = authorization.partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), self.token.encode())
