"""Logs an operator can ship and trust: JSON lines (LOG_FORMAT=json) with the request and socket ids,
the security audit stream (`fadjma.security`: sign-ins, lockouts, grants, revocations, accounts), and
what never reaches a log or an answer: the JWT library's exception names, an oversized header's value."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging

import orjson
import pytest

from server.app import create_app
from server.clock import FakeClock
from server.logs import SECURITY, JsonFormatter, _RequestIdFilter, configure_logging
from server.settings import load_settings
from tests.conftest import DEMO_PASSWORD, Api
from tests.support.helpers import Recorder
from tests.support.throttle import drive_limits


@pytest.fixture
def json_lines():
    """Root-logger output as JSON lines, as `configure_logging(level, "json")` writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [orjson.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def security(caplog) -> list[dict]:
    return [r.security for r in caplog.records if r.name == SECURITY]


def test_log_format_is_a_validated_setting(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "JWT_SECRET": "x" * 40}
    assert load_settings(env).log_format == "text"
    assert load_settings({**env, "LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT='xml' is not one of text, json"):
        load_settings({**env, "LOG_FORMAT": "xml"})
    root = logging.getLogger()
    before = root.handlers[:], root.level
    configure_logging("WARNING", "json")  # installs the JSON formatter on the root handler
    try:
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        assert logging.getLogger(SECURITY).isEnabledFor(logging.INFO)  # the audit whatever LOG_LEVEL says
    finally:
        root.handlers[:], root.level = before


async def test_json_lines_carry_the_request_id_in_and_out(api, json_lines):
    resp = await api.client.get("/api/me", headers={"X-Request-ID": "req-from-proxy-42"})
    assert resp.status == 401 and resp.headers["X-Request-ID"] == "req-from-proxy-42"
    mine = [line for line in json_lines() if line["request_id"] == "req-from-proxy-42"]
    assert mine and mine[0]["logger"] == "server.http.middleware" and "401" in mine[0]["message"]
    assert {"ts", "level", "logger", "message"} <= set(mine[0])


async def test_json_lines_of_a_socket_event_carry_the_socket_id(api, json_lines):
    _, token = await api.user("sara", "patient")
    sara = await Recorder(api, token).connect()
    assert (await sara.call("no:such_event", {}))["ok"] is False
    assert (await sara.call("notification:mark_read", {"id": "nope"}))["ok"] is False
    refused = [line for line in json_lines() if "refused" in line["message"] and line.get("socket_id")]
    assert len(refused) == 1 and refused[0]["request_id"] == f"sio:{refused[0]['socket_id'][:8]}"
    await sara.disconnect()


async def test_sign_ins_lockouts_and_revocations_are_security_events(aiohttp_client, settings, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY)
    clock = FakeClock()
    drive_limits(monkeypatch, clock)
    limits = {**settings.rate_limits, "LOGIN_FAILURES_PER_ACCOUNT": "2/minute"}
    api = Api(await aiohttp_client(create_app(dataclasses.replace(settings, rate_limits=limits), clock)))
    user = await api.register_patient("moussa")
    for password in ("wrong-1", "wrong-2", DEMO_PASSWORD):
        await api.client.post("/api/token/", json={"username": "moussa", "password": password})
    clock.advance(61)
    tokens = await api.login("moussa")
    assert (await api.call("POST", "/api/token/revoke/", json={"refresh": tokens["refresh"]}))[0] == 200
    events = security(caplog)
    assert [(e["action"], e["outcome"]) for e in events] == [
        ("account_created", "ok"), ("login", "failed"), ("login", "failed"), ("lockout", "account"),
        ("login", "ok"), ("revoke", "logout")]
    assert events[1]["username"] == "moussa" and events[1]["address"] == "127.0.0.1"
    assert events[4]["user_id"] == user["id"] and events[4]["role"] == "patient"
    assert all("password" not in str(e) for e in events)


async def test_grant_decisions_and_admin_actions_are_security_events(api, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY)
    admin, admin_token = await api.user("root", "admin")
    doc, doc_token = await api.user("dr.sy", "doctor")
    pat, pat_token = await api.user("awa", "patient")
    status, req = await api.call("POST", "/api/access-requests", doc_token, json={
        "patient_id": pat["id"], "reason": "follow-up", "scopes": ["vitals"], "duration_days": 3})
    assert status == 201
    status, decided = await api.call("POST", f"/api/access-requests/{req['id']}/approve", pat_token)
    assert status == 200
    assert (await api.call("POST", f"/api/grants/{decided['grant_id']}/revoke", pat_token))[0] == 200
    status, staff = await api.call("POST", "/api/users/", admin_token, json={
        "username": "ph.ndiaye", "password": "a-long-enough-passphrase-2026", "role": "pharmacist"})
    assert status == 201, staff
    events = security(caplog)
    grants = [e for e in events if e["action"] == "grant"]
    assert [(g["outcome"], g["doctor_id"], g["patient_id"]) for g in grants] == [
        ("approved", doc["id"], pat["id"]), ("revoked", doc["id"], pat["id"])]
    assert grants[0]["grant_id"] == decided["grant_id"] and grants[0]["scopes"] == "vitals"
    created = [e for e in events if e["action"] == "account_created" and e["user_id"] == staff["id"]]
    assert created == [{"action": "account_created", "outcome": "ok", "user_id": staff["id"], "role": "pharmacist",
                        "by": admin["id"]}]


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
async def test_a_refused_token_does_not_name_the_jwt_library(api, token):
    status, body = await api.call("GET", "/api/me", token)
    assert status == 401 and body["error"] == {"code": "token_invalid", "message": "The token is not valid",
                                               "details": None}


async def test_an_oversized_header_is_not_logged_with_its_value(client, caplog):
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    secret = "S3CRET-TOKEN-PART" * 1000
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(f"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\n\r\n".encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), 10)
    writer.close()
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    logged = "\n".join(r.getMessage() + (caplog.text if r.exc_info else "") for r in caplog.records)
    assert "S3CRET" not in logged and "S3CRET" not in caplog.text
    assert any("bad HTTP request refused: LineTooLong" in r.getMessage() for r in caplog.records)
