"""The Python protocol layer with no database: what `bench reference` compares to Node.

It is our real socket stack — `server.realtime.sockets.create_sio` (same manager, JSON module and
transports as `python -m server`), the `on()` envelope with pydantic validation, and
`SocketAuth` for the JWT handshake — minus the database: the revocation look-up is
skipped. It speaks the protocol of bench/reference/server.js:
  vitals:send {patient_id, seq, ts, readings} -> vitals:reading to patient:<id>, ack {ok, data: {seq}}
  vitals:watch {patient_id} -> join patient:<id>, ack {ok}
Environment: PORT, JWT_SECRET, REDIS_URL and REDIS_MANAGER (optional), REUSE_PORT=1 to share a port
between processes, and the levers BENCH_UVLOOP=0, BENCH_SIO_JSON=std, BENCH_MANAGER=stock, BENCH_FASTPATH=0.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import socketio
from aiohttp import web
from pydantic import BaseModel, ConfigDict

from models.identity import Identity
from rooms.names import patient_room
from server.__main__ import install_event_loop, raise_open_files_limit
from server.auth.tokens import AuthService
from server.clock import Clock
from server.logs import configure_logging
from server.realtime import sio_json
from server.realtime.socket_auth import SocketAuth
from server.realtime.sockets import create_sio, on
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger(__name__)


class VitalsIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    patient_id: str
    seq: int
    ts: float | str
    readings: dict[str, Any]


class WatchIn(BaseModel):
    patient_id: str


class NoDbAuth(AuthService):
    async def is_revoked(self, claims: dict) -> bool:
        return False


def build(settings: Settings) -> web.Application:
    app = web.Application()
    clock = Clock()
    # levers, one at a time: BENCH_SIO_JSON=std, BENCH_MANAGER=stock (python-socketio's own emit)
    json_module = None if os.environ.get("BENCH_SIO_JSON") == "std" else sio_json
    manager = socketio.AsyncManager() if os.environ.get("BENCH_MANAGER") == "stock" else None
    if json_module is None:
        import json as json_module
    fast_path = os.environ.get("BENCH_FASTPATH", "1") == "1"
    sio = create_sio(settings, json_module=json_module, manager=manager, fast_path=fast_path)
    sio.attach(app)
    SocketAuth(sio, NoDbAuth(settings, Database(), clock), settings, clock)

    @on(sio, "vitals:send", VitalsIn, clock)
    async def send(sid: str, identity: Identity, msg: VitalsIn) -> dict:
        await sio.emit("vitals:reading", msg.model_dump(), room=patient_room(msg.patient_id))
        return {"seq": msg.seq}

    @on(sio, "vitals:watch", WatchIn, clock)
    async def watch(sid: str, identity: Identity, msg: WatchIn) -> None:
        await sio.enter_room(sid, patient_room(msg.patient_id))

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/health", health)
    if os.environ.get("BENCH_TRACEMALLOC") == "1":
        app.router.add_get("/debug/memory", memory_top)
    return app


async def memory_top(request: web.Request) -> web.Response:
    """Where the live Python memory was allocated, by source line (bench connections --tracemalloc)."""
    import gc
    import tracemalloc
    gc.collect()
    stats = tracemalloc.take_snapshot().statistics("lineno")
    total = sum(s.size for s in stats)
    lines = [f"total {total / 2**20:.1f} MiB in {sum(s.count for s in stats)} blocks"]
    lines += [f"{s.size / 1024:10.1f} KiB {s.count:8d} blocks  {s.traceback[0]}" for s in stats[:40]]
    return web.Response(text="\n".join(lines))


def main() -> None:
    configure_logging(os.environ.get("LOG_LEVEL", "WARNING"))
    raise_open_files_limit()
    if os.environ.get("BENCH_TRACEMALLOC") == "1":
        import tracemalloc
        tracemalloc.start(1)
    if os.environ.get("BENCH_UVLOOP", "1") == "1":  # lever measured one at a time
        install_event_loop()
    settings = Settings(host="127.0.0.1", port=int(os.environ["PORT"]), jwt_secret=os.environ["JWT_SECRET"],
                        cors_origins=("*",), redis_url=os.environ.get("REDIS_URL") or None,
                        redis_manager=os.environ.get("REDIS_MANAGER", "rooms"))
    web.run_app(build(settings), host=settings.host, port=settings.port, access_log=None, print=None,
                reuse_port=os.environ.get("REUSE_PORT") == "1")


if __name__ == "__main__":
    main()
