"""Record attachments link only to https: (http: with ALLOW_HTTP_ATTACHMENTS=1, for development), never to
javascript:, data: or file:; record text is stored as the doctor typed it and the web app renders every
user text as text (no dangerouslySetInnerHTML, no innerHTML anywhere in web/src)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from server.app import create_app
from server.settings import load_settings
from tests.conftest import Api
from tests.support.helpers import world

WEB = Path(__file__).resolve().parents[2] / "web" / "src"


def entry(*urls: str) -> dict:
    return {"diagnosis": "<b>Hypertension</b>", "notes": "<script>alert(1)</script> & BP 150/95",
            "visit_date": "2026-03-02",
            "attachments": [{"name": f"f{i}.pdf", "content_type": "application/pdf", "size": 1, "url": u}
                            for i, u in enumerate(urls)]}


async def doctor_with_grant(api):
    w = await world(api)
    await w.grant("doc", "pat", scopes=("records",))
    return w, f"/api/patients/{w.ids['pat']}/records"


async def test_https_links_and_text_are_stored_as_given(api):
    w, records = await doctor_with_grant(api)
    status, record = await w.call("doc", "POST", records, entry("https://files.example.org/ecg.pdf?v=2"))
    assert status == 201, record
    assert record["attachments"][0]["url"] == "https://files.example.org/ecg.pdf?v=2"
    assert record["diagnosis"] == "<b>Hypertension</b>"                    # text, neither escaped nor stripped
    assert record["notes"] == "<script>alert(1)</script> & BP 150/95"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "file:///etc/passwd", "https://", "//evil.example/x", "ftp://files.example/x",
                                 "https://user:pw@files.example/x", "https://files.example/a b"])
async def test_other_links_are_refused_with_a_field_error(api, url):
    w, records = await doctor_with_grant(api)
    status, body = await w.call("doc", "POST", records, entry("https://ok.example/a", url))
    assert status == 400 and body["error"]["code"] == "invalid"
    assert [d["field"] for d in body["error"]["details"]] == ["attachments.1.url"]


async def test_plain_http_only_when_development_allows_it(api, aiohttp_client, settings, clock):
    w, records = await doctor_with_grant(api)
    status, body = await w.call("doc", "POST", records, entry("http://files.example/ecg.pdf"))
    assert status == 400 and body["error"]["details"] == [
        {"field": "attachments.0.url", "message": "must be an https: URL"}]
    status, record = await w.call("doc", "POST", records, entry("https://files.example/ecg.pdf"))
    assert status == 201
    status, body = await w.call("doc", "PATCH", f"/api/records/{record['id']}",
                                {"attachments": entry("http://files.example/x")["attachments"]})
    assert status == 400 and body["error"]["details"][0]["field"] == "attachments.0.url"

    dev = Api(await aiohttp_client(create_app(dataclasses.replace(settings, allow_http_attachments=True), clock)))
    status, req = await dev.call("POST", "/api/access-requests", w.tokens["doc"], json={
        "patient_id": w.ids["other"], "reason": "follow-up", "scopes": ["records"], "duration_days": 3})
    assert (await dev.call("POST", f"/api/access-requests/{req['id']}/approve", w.tokens["other"]))[0] == 200
    other_records = f"/api/patients/{w.ids['other']}/records"
    assert (await dev.call("POST", other_records, w.tokens["doc"], json=entry("http://files.example/x")))[0] == 201


def test_the_setting_is_read_from_the_environment(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "JWT_SECRET": "x" * 40}
    assert load_settings(env).allow_http_attachments is False
    assert load_settings({**env, "ALLOW_HTTP_ATTACHMENTS": "1"}).allow_http_attachments is True
    with pytest.raises(ValueError, match="ALLOW_HTTP_ATTACHMENTS"):
        load_settings({**env, "ALLOW_HTTP_ATTACHMENTS": "yes"})


def test_the_web_app_never_renders_user_text_as_html():
    sources = [p for p in WEB.rglob("*") if p.suffix in (".ts", ".tsx")]
    assert len(sources) > 20
    offending = [str(p.relative_to(WEB)) for p in sources
                 if any(s in p.read_text() for s in ("dangerouslySetInnerHTML", "innerHTML", "outerHTML",
                                                     "insertAdjacentHTML", "document.write"))]
    assert offending == []
