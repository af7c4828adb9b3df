"""Response hygiene: security headers on every response, `no-store` on API data, no version banner.

- `Content-Security-Policy` fit for the web app served at `/` (handlers/web.py): scripts only from the
  server itself (Vite emits module files, no inline script); styles also inline (Material UI's emotion
  and uPlot write style elements and attributes at run time); images from the server, `data:` and
  `blob:`; fetch and Socket.IO (WebSocket included: CSP 3 `'self'` covers ws/wss of the same host) only
  to the server; no plugins, no framing (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for
  older browsers), no `<base>` or form posts elsewhere.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (a patient's URL never leaves).
- `Cache-Control: no-store` on `/api/` and `/fhir/` answers (health data must not sit in a browser or
  proxy cache) unless the handler chose otherwise.
- `Server: Fadjma`: aiohttp would announce its and Python's versions.
"""

from __future__ import annotations

from aiohttp import web

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; manifest-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Server": "Fadjma",
}
PRIVATE = ("/api/", "/fhir/")


async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """aiohttp's on_response_prepare signal: runs for every response, errors and WebSockets included."""
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.path.startswith(PRIVATE) and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
