"""Socket.IO client managers: a cheaper local emit, and Redis scale-out that crosses processes
only when a room has members elsewhere.

python-socketio's stock emit encodes the packet even for an empty room and creates one
asyncio task per recipient; `deliver()` encodes once and writes the same WebSocket frame to
each idle recipient (server/realtime/fastpath/direct.py), or queues the same Engine.IO packet on it.

The stock `AsyncRedisManager` publishes every emit, even to an empty room, to every
process (bench measured it halving a single server's throughput). `RoomAwareRedisManager`
keeps, per room, the set of processes that have members in Redis (`<channel>:room:<ns>:<room>`);
each process caches those sets and is told to drop a cached entry over pub/sub when the set
changes. An emit is delivered locally, then published once per *other* process with members,
on that process's own channel, batched per event-loop turn and not awaited by the emitter.
Rooms without a ':' (socket ids) and emits with callbacks use the stock broadcast path.
Known window: a member joining on B is seen by A once B's invalidation reached A
(sub-millisecond on loopback); a crashed process leaves its id in room sets until the rooms
are emptied by the others' churn, costing a publish nobody reads.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

from server.realtime import events
from server.realtime.evictions import METHOD as LEAVE_WHERE
from server.realtime.evictions import CrossProcessLeave, LocalLeave
from server.realtime.fastpath import deliver, rooms_of

log = logging.getLogger(__name__)


class RevokedSessions:
    """Mixin: an `auth:revoked` emit to a `session:<family>` room also disconnects that room's sockets on
    each process it reaches (locally after the emit; elsewhere when the pub/sub message arrives), so a
    revoked session keeps no live socket anywhere. Above the manager in the MRO: it sees every path."""

    async def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        await super().emit(event, data, namespace=namespace, room=to or room, skip_sid=skip_sid, callback=callback,
                           **kwargs)
        await self._drop_revoked(event, namespace, to or room)

    async def _handle_emit(self, message: dict) -> None:  # pub/sub managers only
        await super()._handle_emit(message)
        await self._drop_revoked(message.get("event"), message.get("namespace"), message.get("room"))

    async def _drop_revoked(self, event: Any, namespace: str | None, room: Any) -> None:
        if event != events.AUTH_REVOKED or not isinstance(room, str) or not room.startswith("session:"):
            return
        namespace = namespace or "/"
        for sid, _eio_sid in list(self.get_participants(namespace, room)):
            await self.server.disconnect(sid, namespace=namespace)


class FastManager(LocalLeave, socketio.AsyncManager):
    """The in-process manager with `deliver()` as its emit."""

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        room = to or room
        if callback is None and deliver(self, event, data, namespace, room, skip_sid) is not None:
            return
        await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)


def _directory_room(room: Any) -> bool:
    return isinstance(room, str) and ":" in room


class RedisRecovery:
    """Mixin for both Redis managers: Redis lost and back.

    While Redis is away, emits from other processes do not arrive here (they are not queued
    anywhere). When the subscription is back, the manager re-advertises its rooms (a restarted
    Redis lost the room directory) and closes the Engine.IO transport of every local socket, as at
    shutdown: clients reconnect at once with their `last_seq` and the inbox replay sends what live
    delivery missed (stored first, so nothing is lost). The loss is logged once, not per retry."""

    RETRY_MAX_S = 5.0

    def _channels(self: Any) -> list[str]:
        return [self.channel]

    async def _redis_back(self: Any) -> None:
        """Subclasses re-advertise what Redis forgot."""

    def _redis_failed(self: Any, what: str, exc: Exception) -> None:
        """An emit-side Redis failure: reconnect next time; logged once a minute, not per emit."""
        self.connected = False
        now = asyncio.get_running_loop().time()
        if now - getattr(self, "_failure_logged_at", -60.0) >= 60.0:
            self._failure_logged_at = now
            log.warning("cannot %s on redis (%s): other processes miss these live events meanwhile", what, exc)

    async def _redis_listen_with_retries(self: Any):
        retry, lost_at = 0.5, None
        while True:
            try:
                self._redis_connect()
                await self.pubsub.subscribe(*self._channels())
                if lost_at is not None:
                    await self._redis_back()
                    sockets = list(self.server.eio.sockets.values())
                    for sock in sockets:  # ends engineio's writer: the transport closes, the client reconnects
                        sock.queue.put_nowait(None)
                    log.warning("redis is back after %.0f s: rooms re-advertised, %d local socket(s) asked to "
                                "reconnect for their inbox replay", asyncio.get_running_loop().time() - lost_at,
                                len(sockets))
                retry, lost_at = 0.5, None
                async for message in self.pubsub.listen():
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if lost_at is None:
                    lost_at = asyncio.get_running_loop().time()
                    log.error("lost redis (%s): events from other processes are missed until it is back "
                              "(then replayed from the inbox); retrying", exc)
                await asyncio.sleep(retry)
                retry = min(retry * 2, self.RETRY_MAX_S)


class BroadcastRedisManager(RedisRecovery, CrossProcessLeave, socketio.AsyncRedisManager):
    """python-socketio's stock Redis manager (every emit to every process), plus leave_everywhere."""


class RoomAwareRedisManager(RedisRecovery, CrossProcessLeave, socketio.AsyncRedisManager):
    def __init__(self, url: str, channel: str = "fadjma-sio", **kwargs) -> None:
        super().__init__(url, channel=channel, **kwargs)
        self.host_channel = f"{channel}:host:{self.host_id}"
        self._hosts: dict[tuple[str, str], frozenset[str]] = {}  # cached members-elsewhere per room
        self._advertised: set[tuple[str, str]] = set()
        self._lock = asyncio.Lock()
        self._outbox: dict[str, list[dict]] = {}  # other process -> emits not yet published
        self._flusher: asyncio.Task | None = None
        self._lookups: dict[tuple[str, str], asyncio.Future] = {}
        self._lookup_slots = asyncio.Semaphore(8)

    def _key(self, namespace: str, room: str) -> str:
        return f"{self.channel}:room:{namespace}:{room}"

    # -- emitting -------------------------------------------------------------------------
    async def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        room = to or room
        namespace = namespace or "/"
        rooms = rooms_of(room)
        if kwargs.get("ignore_queue"):
            if callback is None and deliver(self, event, data, namespace, room, skip_sid) is not None:
                return
            return await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                      callback=callback, **kwargs)
        if callback is None and isinstance(room, str) and (
                self.is_connected(room, namespace) or self.is_pre_connected(room, namespace)):
            # a local socket id (even mid-handshake)
            if deliver(self, event, data, namespace, room, skip_sid) is not None:
                return
            return await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                      callback=callback, **kwargs)
        if callback is not None or not all(_directory_room(r) for r in rooms) \
                or deliver(self, event, data, namespace, room, skip_sid) is None:
            return await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                      callback=callback, **kwargs)
        try:
            hosts = await self._remote_hosts(namespace, rooms)
        except Exception as exc:  # Redis away: delivered locally above; the others replay from the inbox
            self._redis_failed("look up the rooms' processes", exc)
            return
        if hosts:
            args = list(data) if isinstance(data, tuple) else [data]
            message = {"method": "emit", "event": event, "data": args, "binary": False, "namespace": namespace,
                       "room": room, "skip_sid": skip_sid, "callback": None, "host_id": self.host_id}
            for host in hosts:
                self._outbox.setdefault(host, []).append(message)
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Publish what emits queued for other processes: one message per process per loop turn.

        Emits do not wait for Redis (python-socketio's manager awaits a round trip per emit);
        one flusher at a time keeps each process's messages in emit order."""
        while self._outbox:
            await asyncio.sleep(0)  # let the emits of this loop turn join the batch
            outbox, self._outbox = self._outbox, {}
            try:
                if not self.connected:
                    self._redis_connect()
                pipe = self.redis.pipeline(transaction=False)
                for host, messages in outbox.items():
                    pipe.publish(f"{self.channel}:host:{host}", self.json.dumps(
                        messages[0] if len(messages) == 1 else {"method": "emit_batch", "messages": messages}))
                await pipe.execute()
            except Exception as exc:
                self._redis_failed(f"publish {sum(len(m) for m in outbox.values())} emits", exc)

    async def _handle_emit(self, message: dict) -> None:
        if message.get("callback") is None and not message.get("binary"):
            data = message["data"]
            data = data[0] if len(data) == 1 else tuple(data)
            if deliver(self, message["event"], data, message.get("namespace") or "/", message.get("room"),
                       message.get("skip_sid")) is not None:
                return
        await super()._handle_emit(message)

    async def _remote_hosts(self, namespace: str, rooms: list[str]) -> set[str]:
        missing = [r for r in rooms if (namespace, r) not in self._hosts]
        if missing:
            await self._look_up(namespace, missing)
        out: set[str] = set()
        for r in rooms:
            out |= self._hosts.get((namespace, r), frozenset())
        out.discard(self.host_id)
        return out

    async def _look_up(self, namespace: str, rooms: list[str]) -> None:
        """Fill the cache for `rooms`. Concurrent misses of one room share one look-up, and at
        most a few run at once (a cold start under load would otherwise open a Redis connection
        per emit and exhaust the pool)."""
        waits, mine = [], []
        for r in rooms:
            fut = self._lookups.get((namespace, r))
            if fut is None:
                self._lookups[(namespace, r)] = asyncio.get_running_loop().create_future()
                mine.append(r)
            else:
                waits.append(fut)
        try:
            if mine:
                async with self._lookup_slots:
                    if not self.connected:
                        self._redis_connect()
                    pipe = self.redis.pipeline(transaction=False)
                    for r in mine:
                        pipe.smembers(self._key(namespace, r))
                    for r, members in zip(mine, await pipe.execute(), strict=True):
                        self._hosts[(namespace, r)] = frozenset(m.decode() if isinstance(m, bytes) else m
                                                                for m in members)
                if len(self._hosts) > 100_000:  # a cache, not a registry: start over rather than grow forever
                    self._hosts.clear()
        finally:
            for r in mine:
                fut = self._lookups.pop((namespace, r))
                if not fut.done():
                    fut.set_result(None)
        for fut in waits:
            await fut

    # -- the room directory ---------------------------------------------------------------
    async def enter_room(self, sid, namespace, room, eio_sid=None):
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        await self._reconcile(namespace, [room])

    async def leave_room(self, sid, namespace, room):
        await super().leave_room(sid, namespace, room)
        await self._reconcile(namespace, [room])

    async def disconnect(self, sid, namespace, **kwargs):
        rooms = list(self.get_rooms(sid, namespace)) if namespace in self.rooms else []
        await super().disconnect(sid, namespace, **kwargs)
        await self._reconcile(namespace, rooms)

    async def _reconcile(self, namespace: str, rooms: list) -> None:
        """Advertise rooms that gained their first local member; withdraw those that lost the last."""
        namespace = namespace or "/"
        async with self._lock:
            ns = self.rooms.get(namespace, {})
            add = [r for r in rooms if _directory_room(r) and r in ns and (namespace, r) not in self._advertised]
            drop = [r for r in rooms if _directory_room(r) and r not in ns and (namespace, r) in self._advertised]
            if not add and not drop:
                return
            try:
                if not self.connected:
                    self._redis_connect()
                pipe = self.redis.pipeline(transaction=False)
                for r in add:
                    pipe.sadd(self._key(namespace, r), self.host_id)
                for r in drop:
                    pipe.srem(self._key(namespace, r), self.host_id)
                pipe.publish(self.channel, self.json.dumps({"method": "room_hosts", "namespace": namespace,
                                                            "rooms": add + drop, "host_id": self.host_id}))
                await pipe.execute()
            except Exception as exc:  # Redis away: the local room works; _redis_back advertises it later
                self._redis_failed("advertise rooms", exc)
                return
            self._advertised.update((namespace, r) for r in add)
            self._advertised.difference_update((namespace, r) for r in drop)

    # -- listening: the shared channel and this process's own ------------------------------
    def _channels(self) -> list[str]:
        self._hosts.clear()  # (re)subscribing: invalidations may have been missed while unsubscribed
        return [self.channel, self.host_channel]

    async def _redis_back(self) -> None:
        """A restarted Redis forgot which process has members in which room: advertise ours again."""
        self._advertised.clear()
        for namespace, rooms in list(self.rooms.items()):
            await self._reconcile(namespace, [r for r in rooms if r is not None])

    async def _listen(self):
        channels = {self.channel.encode(), self.host_channel.encode()}
        async for message in self._redis_listen_with_retries():
            if message.get("type") != "message" or message.get("channel") not in channels:
                continue
            try:
                data = self.json.loads(message["data"])
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("method") == LEAVE_WHERE:  # in order with the emits
                if data.get("host_id") != self.host_id:
                    await self._leave_for(data)
                continue
            if isinstance(data, dict) and data.get("method") == "emit_batch":
                for item in data.get("messages", []):
                    yield item
                continue
            if isinstance(data, dict) and data.get("method") == "room_hosts":
                if data.get("host_id") != self.host_id:
                    ns = data.get("namespace") or "/"
                    for r in data.get("rooms", []):
                        self._hosts.pop((ns, r), None)
                continue
            yield data


class SessionFastManager(RevokedSessions, FastManager):
    """One process (the default)."""


class SessionRoomAwareRedisManager(RevokedSessions, RoomAwareRedisManager):
    """REDIS_URL with REDIS_MANAGER=rooms."""


class SessionRedisManager(RevokedSessions, BroadcastRedisManager):
    """REDIS_URL with REDIS_MANAGER=broadcast (python-socketio's own manager)."""
