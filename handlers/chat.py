"""Chat between people over REST and Socket.IO: open a conversation, list, page history, send,
read receipts, typing. Doctors, patients and pharmacists; the care relation is checked by the
service through `rooms.access.may_chat`, participation on every call (another person's
conversation is a 404).
"""

from __future__ import annotations

from aiohttp import web

from models.chat import MessagesQuery, OpenIn, ReadBody, ReadIn, SendBody, SendIn, TypingIn
from models.common import parse
from models.identity import Identity
from server.chat.service import CHAT_ROLES
from server.http.middleware import authenticated, json_response, read_body
from server.http.openapi import operation
from server.keys import CHAT, CLOCK, SIO
from server.realtime import events
from server.realtime.sockets import on


@operation("Open a conversation (201; 200 when it exists)", body=OpenIn, status=201, also=(200,))
@authenticated(*CHAT_ROLES)
async def open_conversation(request: web.Request, identity: Identity) -> web.Response:
    doc, created = await request.app[CHAT].open(identity, await read_body(request, OpenIn))
    return json_response(doc, status=201 if created else 200)


@operation("List conversations")
@authenticated(*CHAT_ROLES)
async def list_conversations(request: web.Request, identity: Identity) -> web.Response:
    return json_response(await request.app[CHAT].conversations(identity))


@operation("List messages", query=MessagesQuery)
@authenticated(*CHAT_ROLES)
async def list_messages(request: web.Request, identity: Identity) -> web.Response:
    query = parse(MessagesQuery, dict(request.query))
    return json_response(await request.app[CHAT].messages(identity, request.match_info["id"], query.before_seq,
                                                          query.limit))


@operation("Send message", body=SendBody, status=201)
@authenticated(*CHAT_ROLES)
async def send_message(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, SendBody)
    msg = await request.app[CHAT].send(identity, request.match_info["id"], body.text, body.client_id)
    return json_response(msg, status=201)


@operation("Mark read", body=ReadBody)
@authenticated(*CHAT_ROLES)
async def mark_read(request: web.Request, identity: Identity) -> web.Response:
    body = await read_body(request, ReadBody)
    return json_response(await request.app[CHAT].mark_read(identity, request.match_info["id"], body.seq))


def register(app: web.Application) -> None:
    app.router.add_post("/api/chat/conversations/", open_conversation)
    app.router.add_get("/api/chat/conversations/", list_conversations)
    app.router.add_get("/api/chat/conversations/{id}/messages/", list_messages)
    app.router.add_post("/api/chat/conversations/{id}/messages/", send_message)
    app.router.add_post("/api/chat/conversations/{id}/read/", mark_read)
    sio, clock, chat = app[SIO], app[CLOCK], app[CHAT]

    @on(sio, events.CHAT_SEND, SendIn, clock, roles=CHAT_ROLES)
    async def on_send(sid: str, identity: Identity, payload: SendIn) -> dict:
        return await chat.send(identity, payload.conversation_id, payload.text, payload.client_id)

    @on(sio, events.CHAT_MARK_READ, ReadIn, clock, roles=CHAT_ROLES)
    async def on_mark_read(sid: str, identity: Identity, payload: ReadIn) -> dict:
        return await chat.mark_read(identity, payload.conversation_id, payload.seq)

    @on(sio, events.CHAT_TYPING, TypingIn, clock, roles=CHAT_ROLES)
    async def on_typing(sid: str, identity: Identity, payload: TypingIn) -> dict:
        return await chat.typing(identity, payload.conversation_id, payload.typing)
