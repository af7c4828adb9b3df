"""The fenced fast path: one encoded packet per emit, written straight to idle WebSockets.

It relies on private python-engineio, python-socketio and aiohttp internals, every one of
them listed in `private.py` with a fingerprint of the code it relies on; the contract test
(tests/server/realtime/test_fastpath.py) fails when an upgrade changes any of them.
`SIO_FAST_PATH=0` turns it off (stock python-socketio emits). If an internal is found
missing at run time, the emit falls back to the stock path and this is logged once.
"""

from server.realtime.fastpath.direct import deliver, frame, rooms_of
from server.realtime.fastpath.hooks import enabled, install

__all__ = ["deliver", "enabled", "frame", "install", "rooms_of"]
