"""orjson behind the `json` interface python-socketio and python-engineio expect.

Passed as `socketio.AsyncServer(json=...)`: they call `dumps(obj, separators=...)` and
expect a str, and `loads(str)`. orjson is several times faster than the standard module;
OPT_NON_STR_KEYS keeps the standard module's acceptance of int keys, and datetimes are
written as ISO 8601 (the standard module would refuse them).
"""

from __future__ import annotations

from typing import Any

import orjson
from socketio import packet as sio_packet

_OPTIONS = orjson.OPT_NON_STR_KEYS


def _default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def dumps(obj: Any, **_ignored: Any) -> str:
    """Compact JSON text (the separators argument is what orjson always does)."""
    return orjson.dumps(obj, default=_default, option=_OPTIONS).decode()


def loads(text: str | bytes, **_ignored: Any) -> Any:
    return orjson.loads(text)


# The event name a Socket.IO packet whose JSON cannot be read is delivered as: server/realtime/sockets.py
# answers it (and any unknown event) with an error envelope instead of a traceback and no ack.
MALFORMED = "\x00malformed"


class packets:
    """What Socket.IO packets are read with (Engine.IO keeps the strict `loads`: it relies on the
    ValueError to tell text from JSON). Bad JSON (NaN and Infinity included, which orjson refuses)
    and an empty event list become the MALFORMED event, so the packet's id still gets its ack."""

    dumps = staticmethod(dumps)

    @staticmethod
    def loads(text: str | bytes, **_ignored: Any) -> Any:
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            return [MALFORMED, "The packet is not valid JSON (NaN and Infinity are not JSON either)"]
        return data if data != [] else [MALFORMED, "An event packet needs an event name"]


NOT_AN_EVENT = "An event packet is a list whose first item is the event name (a string)"


class EventPacket(sio_packet.Packet):
    """The server's Socket.IO packet (`AsyncServer(serializer=...)`, python-socketio's way to bring
    one's own): an EVENT whose data is not `[name: str, ...]` (`42{}`, `42[1]`, `42"x"`, `42` alone)
    becomes the MALFORMED event, answered `invalid_packet` on its ack id. python-socketio would index
    `data[0]` and raise (KeyError, TypeError) inside its packet loop: a traceback and no answer.
    Declared on this subclass only, so Socket.IO clients in the same process keep the stock packet."""

    json = packets

    def decode(self, encoded_packet: str | bytes) -> int:
        attachments = super().decode(encoded_packet)
        if self.packet_type in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            data = self.data
            if not isinstance(data, list) or not data or not isinstance(data[0], str):
                self.data = [MALFORMED, NOT_AN_EVENT, "invalid_packet"]
        return attachments
