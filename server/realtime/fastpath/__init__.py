"""The fenced fast path: direct WebSocket writes that rely on private engineio, socketio and aiohttp internals."""
