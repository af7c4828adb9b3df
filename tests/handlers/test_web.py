"""The web app served at `/` (handlers/web.py): client routes fall back to index.html, hashed
assets are cached for a year, index.html is not cached, the API's prefixes are never shadowed,
and an unbuilt app answers with how to build it."""

from __future__ import annotations

import pytest

import handlers.web
from server.app import create_app

INDEX = '<!doctype html><html><script type="module" src="/assets/index-abc123.js"></script></html>'


@pytest.fixture
def dist(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root / "robots.txt").write_text("User-agent: *")
    return root


@pytest.fixture
async def web_client(aiohttp_client, settings, clock, dist, monkeypatch):
    monkeypatch.setattr(handlers.web, "DIST", dist)
    return await aiohttp_client(create_app(settings, clock))


@pytest.mark.parametrize("path", ["/", "/patient", "/doctor/patients/abc-123", "/admin/users?x=1"])
async def test_client_routes_get_index_uncached(web_client, path):
    resp = await web_client.get(path)
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.content_type == "text/html"
    assert await resp.text() == INDEX


async def test_hashed_assets_are_immutable(web_client):
    resp = await web_client.get("/assets/index-abc123.js")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert await resp.text() == "console.log('app')"


async def test_root_files_served_uncached(web_client):
    resp = await web_client.get("/robots.txt")
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-cache"
    assert await resp.text() == "User-agent: *"


@pytest.mark.parametrize("path", ["/assets/missing-000.js", "/assets/..%2Findex.html", "/assets/.hidden"])
async def test_missing_or_unsafe_asset_is_404(web_client, path):
    resp = await web_client.get(path)
    assert resp.status == 404


@pytest.mark.parametrize("path", ["/api/nothing-here", "/api", "/socket.io/x", "/ws/nope", "/fhir",
                                  "/health/x", "/ready/x", "/metrics", "/metrics/x"])
async def test_server_prefixes_never_get_the_app(web_client, path):
    resp = await web_client.get(path)
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert (await resp.json())["error"]["code"] == "not_found"


async def test_unknown_fhir_paths_are_operation_outcomes_not_the_app(web_client):
    resp = await web_client.get("/fhir/Encounter")
    assert resp.status == 404 and resp.content_type == "application/fhir+json"
    assert (await resp.json(content_type=None))["resourceType"] == "OperationOutcome"


async def test_api_routes_still_answer(web_client):
    assert (await web_client.get("/health")).status == 200
    resp = await web_client.get("/api/me")
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "token_missing"
    resp = await web_client.post("/api/token/", json={"username": "nobody", "password": "x" * 12})
    assert resp.status == 401


async def test_unknown_post_stays_a_json_404(web_client):
    resp = await web_client.post("/api/unknown", json={})
    assert resp.status == 404 and resp.content_type == "application/json"
    resp = await web_client.post("/patient", json={})
    assert resp.status == 404


async def test_not_built_says_how_to_build(aiohttp_client, settings, clock, tmp_path, monkeypatch):
    monkeypatch.setattr(handlers.web, "DIST", tmp_path / "nothing")
    client = await aiohttp_client(create_app(settings, clock))
    resp = await client.get("/doctor")
    assert resp.status == 503
    text = await resp.text()
    assert "not built" in text and "scripts/run.sh" in text and "npm run build" in text
    assert (await client.get("/health")).status == 200
