"""Realtime: the Socket.IO server, the socket handshake and the event catalogue."""
