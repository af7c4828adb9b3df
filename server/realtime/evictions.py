"""Leaving a room on every process: when a right ends, access must end everywhere at once.

`leave_where(namespace, member_of, room)`: the sockets of this process that are in `member_of`
(say `user:<doctor>`) leave `room` (say `patient:<id>`). python-socketio has no cross-process
room listing, so with Redis `leave_everywhere` does it here, publishes the same request on the
shared channel, and waits until every other process answered that it has done it (each
pushes its host id on a reply list; PUBLISH returns how many subscribers got the request).
The caller (a revoke, an expiry, a care-unit removal) acknowledges only after that, so no
event emitted after the acknowledgement, on any process, reaches an evicted socket. A process
handles the request inside its pub/sub reader, so emits published after it are handled after
it. A process that does not answer within LEAVE_TIMEOUT_S is logged, not waited for.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

log = logging.getLogger(__name__)
LEAVE_TIMEOUT_S = 3.0
METHOD = "leave_where"


class LocalLeave:
    """`leave_where` on this process's sockets; `leave_everywhere` is the same with one process."""

    async def leave_where(self: Any, namespace: str, member_of: str, room: str) -> int:
        left = 0
        for sid, _eio_sid in list(self.get_participants(namespace, member_of)):
            if room in self.get_rooms(sid, namespace):
                await self.leave_room(sid, namespace, room)
                left += 1
        return left

    async def leave_everywhere(self, namespace: str, member_of: str, room: str) -> int:
        return await self.leave_where(namespace, member_of, room)


class CrossProcessLeave(LocalLeave):
    """For the Redis managers: the request crosses processes and is confirmed by each."""

    async def leave_everywhere(self: Any, namespace: str, member_of: str, room: str) -> int:
        left = await self.leave_where(namespace, member_of, room)
        reply = f"{self.channel}:left:{uuid.uuid4().hex}"
        request = {"method": METHOD, "namespace": namespace, "member_of": member_of, "room": room,
                   "reply": reply, "host_id": self.host_id}
        try:
            if not self.connected:
                self._redis_connect()
            receivers = await self.redis.publish(self.channel, self.json.dumps(request))
            waiting = receivers - 1  # this process's own subscriber got it too, and ignores it
            deadline = time.monotonic() + LEAVE_TIMEOUT_S
            try:
                while waiting > 0 and (left_s := deadline - time.monotonic()) > 0:
                    if await self.redis.blpop([reply], timeout=max(left_s, 0.01)) is None:
                        break
                    waiting -= 1
            finally:
                await self.redis.delete(reply)
        except Exception:  # Redis unreachable: the right already ended in the database; say so loudly
            log.exception("cannot ask other processes to leave %s for %s", room, member_of)
            self.failed_leaves = getattr(self, "failed_leaves", 0) + 1
            return left
        if waiting > 0:
            log.warning("%d process(es) did not confirm leaving %s for %s within %s s",
                        waiting, room, member_of, LEAVE_TIMEOUT_S)
        return left

    async def _listen(self: Any):
        async for message in super()._listen():
            data = message
            if isinstance(message, bytes | str):
                try:
                    data = self.json.loads(message)
                except ValueError:
                    data = None
            if isinstance(data, dict) and data.get("method") == METHOD:
                if data.get("host_id") != self.host_id:
                    await self._leave_for(data)
                continue
            yield message

    async def _leave_for(self: Any, data: dict) -> None:
        try:
            await self.leave_where(data["namespace"], data["member_of"], data["room"])
        except Exception:  # the reader must go on; the requester logs the missing answer
            log.exception("cannot leave %s for %s", data.get("room"), data.get("member_of"))
            return
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(data["reply"], self.host_id)
        pipe.expire(data["reply"], 60)
        await pipe.execute()
