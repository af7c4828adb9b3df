"""The chatbot's transports: Socket.IO namespace `/chatbot`, the earlier raw WebSocket `/ws/chatbot/`,
and its history over REST. Every one authenticates with the same access token.

Socket.IO: connect to `/chatbot` with `auth: {token}`; `chatbot:message {message, include_my_data?}`
streams `chatbot:chunk`s then `chatbot:reply` (also the ack's data); `chatbot:clear` forgets the history;
`auth:refresh {token}` extends the session as on `/` (an expired one gets `token_expired` acks).
Raw WebSocket (token as `Authorization: Bearer` or `?token=`, refused with 401 before the upgrade):
`{"type": "connection_established", "message"}` on connect, `{"message": …}` in, `{"type":
"chat_message", "message", mode, red_flags, reply_id}` out, `{"type": "error", "code", "message"}`.
"""

from __future__ import annotations

import dataclasses
import logging

import orjson
import socketio
from aiohttp import WSMsgType, web

from models.chatbot import ChatbotClearIn, ChatbotMessageIn
from models.common import parse
from models.errors import DomainError, Unauthorized
from models.identity import Identity
from server.http.middleware import authenticated, bearer, json_response
from server.http.openapi import operation
from server.keys import AUTH, CHATBOT, CLOCK, SIO
from server.realtime import events
from server.realtime.socket_auth import RefreshIn
from server.realtime.sockets import on, users

log = logging.getLogger(__name__)
NS = events.CHATBOT_NAMESPACE
WELCOME = "Connexion établie avec le chatbot"


@operation("Get history")
@authenticated()
async def get_history(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[CHATBOT].list_history(identity))


@operation("Clear history")
@authenticated()
async def clear_history(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[CHATBOT].clear(identity))


async def raw_ws(request: web.Request) -> web.StreamResponse:
    app = request.app
    identity = await app[AUTH].authenticate(bearer(request) or request.query.get("token"))  # 401 JSON if bad
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64 * 1024)
    await ws.prepare(request)

    async def send(event: str, payload: dict) -> None:
        if event == events.CHATBOT_REPLY:
            await ws.send_json({"type": "chat_message", "message": payload["text"], "mode": payload["mode"],
                                "red_flags": payload["red_flags"], "reply_id": payload["reply_id"]})
        elif event == events.CHATBOT_ERROR and payload["code"] != "gemini_unavailable":
            await ws.send_json({"type": "error", "code": payload["code"], "message": payload["message"]})

    await ws.send_json({"type": "connection_established", "message": WELCOME})
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                await ws.send_json({"type": "error", "code": "binary_frame", "message": "Send JSON text frames"})
                continue
            try:
                if identity.exp <= app[CLOCK].timestamp():
                    raise Unauthorized("The token has expired: reconnect with a new one", code="token_expired")
                try:
                    frame = orjson.loads(msg.data)
                except orjson.JSONDecodeError:
                    raise DomainError("The frame is not valid JSON", code="invalid_json") from None
                await app[CHATBOT].answer(identity, parse(ChatbotMessageIn, frame), send, stream=False)
            except DomainError as exc:
                await ws.send_json({"type": "error", "code": exc.code, "message": exc.message})
                if exc.code == "token_expired":
                    break
    except Exception:
        log.exception("chatbot websocket failed")
    return ws


def register(app: web.Application) -> None:
    app.router.add_get("/api/chatbot/history/", get_history)
    app.router.add_delete("/api/chatbot/history/", clear_history)
    app.router.add_get("/ws/chatbot/", raw_ws)
    # The earlier API's example client talks to the chatbot at /ws/chat/ (seed 004): same endpoint.
    app.router.add_get("/ws/chat/", raw_ws)
    sio, clock, bot, auth = app[SIO], app[CLOCK], app[CHATBOT], app[AUTH]

    async def connect(sid: str, environ: dict, data=None) -> None:
        token = data.get("token") if isinstance(data, dict) else None
        try:
            identity = await auth.authenticate(token)
        except DomainError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.code, {"code": exc.code, "message": exc.message}) \
                from None
        await sio.save_session(sid, {"identity": identity}, namespace=NS)

    sio.on("connect", connect, namespace=NS)
    callers = dataclasses.replace(users(clock), namespace=NS)  # the same identity check, in /chatbot

    @on(sio, events.CHATBOT_MESSAGE, ChatbotMessageIn, callers=callers)
    async def on_message(sid: str, identity: Identity, payload: ChatbotMessageIn) -> dict:
        return await bot.answer(identity, payload, bot.to_socket(sid))

    @on(sio, events.CHATBOT_CLEAR, ChatbotClearIn, callers=callers)
    async def on_clear(sid: str, identity: Identity, payload: ChatbotClearIn) -> dict:
        return await bot.clear(identity)

    @on(sio, events.AUTH_REFRESH, RefreshIn, callers=dataclasses.replace(users(clock, allow_expired=True),
                                                                           namespace=NS))
    async def on_refresh(sid: str, identity: Identity, payload: RefreshIn) -> dict:
        """As on `/`: a new access token of the same user keeps a long chatbot session usable."""
        new = await auth.authenticate(payload.token)
        if new.user_id != identity.user_id:
            raise Unauthorized("The new token belongs to another user", code="token_invalid")
        await sio.save_session(sid, {"identity": new}, namespace=NS)
        return {"exp": new.exp}
