"""The client's real address behind a reverse proxy (aiohttp-remotes), for audit and rate limits.

Behind the shipped nginx every peer is 127.0.0.1. When the peer of a request is a trusted
proxy (TRUSTED_PROXIES: addresses or networks), `X-Forwarded-For` is read right to left and
the first address that is not a trusted proxy becomes `request.remote` (and `X-Forwarded-Proto`
/ `-Host` the scheme and host), so everything downstream (the records audit, device sessions,
Socket.IO's environ, rate limits) sees the client. A peer that is not a trusted proxy is the
client itself: its forwarding headers are ignored, so nobody can choose the address recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from aiohttp import web
from aiohttp_remotes import XForwardedFiltered

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TrustedProxies(XForwardedFiltered):
    """XForwardedFiltered, applied only to requests whose peer is a trusted proxy."""

    def __init__(self, trusted: tuple[str, ...]) -> None:
        self._networks: list[IPv4Network | IPv6Network] = [ip_network(t) for t in trusted]
        super().__init__(self._networks)

    def _from_proxy(self, request: web.Request) -> bool:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if not peer:
            return False
        try:
            ip = ip_address(peer[0])
        except ValueError:  # a Unix socket
            return False
        return any(ip in net for net in self._networks)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._networks or not self._from_proxy(request):
            return await handler(request)
        return await super().middleware(request, handler)
