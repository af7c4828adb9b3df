"""The fenced fast path: its private symbols, packet order under concurrency, the switch and the fall-back."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import types

import socketio

from rooms import user_room
from server.app import create_app
from server.keys import SIO
from server.realtime import fastpath
from server.realtime.fastpath import direct as deliver_module
from server.realtime.fastpath import private
from server.settings import SettingsError, load_settings
from tests.support.helpers import Recorder, until


def test_private_symbols_are_as_recorded():
    """Fails after an upgrade of python-engineio, python-socketio, aiohttp or Python that changes any of them."""
    assert private.changed() == {}, "re-read these against private.PRIVATE's assumptions, then update"
    assert private.missing() == []


def test_a_changed_symbol_is_reported(monkeypatch):
    entry = private.PRIVATE[0]
    monkeypatch.setattr(private, "PRIVATE", (dataclasses.replace(entry, fingerprint="0" * 16),
                                             private.Private("engineio.async_socket:AsyncSocket.gone", "", "")))
    changed = private.changed()
    assert set(changed) == {entry.path, "engineio.async_socket:AsyncSocket.gone"}
    assert private.missing() == ["engineio.async_socket:AsyncSocket.gone"]


async def _connected(api, app, name: str):
    user, token = await api.user(name, "patient")
    recorder = await Recorder(api, token).connect()
    sio = app[SIO]
    (sid, eio_sid), = sio.manager.get_participants("/", user_room(user["id"]))
    return sio, sid, sio.eio.sockets[eio_sid], recorder


async def test_order_holds_when_direct_writes_and_queued_packets_interleave(api, app, monkeypatch):
    """Python 3.11: engineio's writer takes a queued packet in a separate task and writes it a turn later;
    a direct write in between would overtake it. Stock (queued) and fast emits alternate here, with
    varying numbers of loop turns between them, so every phase of the writer is hit."""
    sio, sid, sock, recorder = await _connected(api, app, "ann.fast")
    assert sock.fast_ws is not None and isinstance(sock.queue, fastpath.hooks.OrderedQueue)
    direct = 0
    real_frame = deliver_module.frame

    def counting_frame(text: str) -> bytes:
        nonlocal direct
        direct += 1
        return real_frame(text)

    monkeypatch.setattr(deliver_module, "frame", counting_frame)
    n = 900
    for i in range(n):
        if i % 3 == 0:  # python-socketio's stock emit: through the socket's queue and writer task
            await socketio.AsyncManager.emit(sio.manager, "seq", i, "/", room=sid)
        else:
            await sio.emit("seq", i, to=sid)
        for _ in range(i % 5):
            await asyncio.sleep(0)
    await until(lambda: len(recorder.of("seq")) >= n, 30)
    await asyncio.sleep(0.2)  # settle: a duplicate would arrive now
    assert recorder.of("seq") == list(range(n))
    assert direct > n // 10, "the direct write was hardly exercised"
    assert sock.queue.in_flight == 0
    await recorder.disconnect()


async def test_sio_fast_path_0_gives_stock_emits(api, settings, clock, aiohttp_client):
    app = create_app(dataclasses.replace(settings, sio_fast_path=False), clock)
    client = await aiohttp_client(app)
    from tests.conftest import Api
    api = Api(client)
    sio, sid, sock, recorder = await _connected(api, app, "bob.stock")
    assert not fastpath.enabled(sio.manager) and getattr(sock, "fast_ws", None) is None
    assert deliver_module.deliver(sio.manager, "seq", 1, "/", sid) is None
    for i in range(5):
        await sio.emit("seq", i, to=sid)
    await until(lambda: len(recorder.of("seq")) == 5)
    assert recorder.of("seq") == [0, 1, 2, 3, 4]
    await recorder.disconnect()


def test_sio_fast_path_setting():
    base = {"JWT_SECRET": "x" * 40}
    assert load_settings(base).sio_fast_path is True
    assert load_settings({**base, "SIO_FAST_PATH": "0"}).sio_fast_path is False
    try:
        load_settings({**base, "SIO_FAST_PATH": "yes"})
    except SettingsError as exc:
        assert "SIO_FAST_PATH" in str(exc)
    else:
        raise AssertionError("SIO_FAST_PATH=yes was accepted")


async def test_a_missing_internal_falls_back_to_stock_emits_logged_once(api, app, caplog):
    sio, sid, sock, recorder = await _connected(api, app, "cy.fallback")
    real_ws = sock.fast_ws
    sock.fast_ws = types.SimpleNamespace(closed=False)  # an aiohttp without `_writer`
    with caplog.at_level(logging.WARNING, logger="server.realtime.fastpath.hooks"):
        for i in range(6):
            await sio.emit("seq", i, to=sid)
    sock.fast_ws = real_ws
    await until(lambda: len(recorder.of("seq")) == 6)
    await asyncio.sleep(0.2)
    assert recorder.of("seq") == list(range(6))  # none lost, none twice
    assert not fastpath.enabled(sio.manager)
    assert len([r for r in caplog.records if "fast path off" in r.getMessage()]) == 1
    await recorder.disconnect()
