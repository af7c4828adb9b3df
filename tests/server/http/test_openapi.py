"""The OpenAPI document: every route has an operation, and the document says what the handlers do."""

from __future__ import annotations

from aiohttp import web

from server.http.openapi import NOT_OPENAPI, document, undeclared


def test_every_route_has_an_operation_or_a_reason(app):
    missing = undeclared(app)
    assert not missing, "routes without an OpenAPI operation:\n" + "\n".join(missing)


def test_a_new_route_without_operation_is_named_with_what_to_add(app):
    async def on_call_rota(request: web.Request) -> web.Response:
        return web.json_response({})

    app.router.add_get("/api/care-units/{unit_id}/rota", on_call_rota)
    [line] = undeclared(app)
    assert line.startswith("GET /api/care-units/{unit_id}/rota (tests/server/http/test_openapi.py: ")
    assert "on_call_rota" in line and "@operation(" in line and "NOT_OPENAPI" in line


def test_document_describes_models_roles_and_errors(app):
    doc = document(app)
    assert doc["openapi"] == "3.1.0"
    served = {(r.method.lower(), r.resource.canonical) for r in app.router.routes()
              if r.method not in ("HEAD", "OPTIONS") and not r.resource.canonical.startswith(tuple(NOT_OPENAPI))}
    listed = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert listed == served
    create = doc["paths"]["/api/prescriptions"]["post"]
    assert create["security"] == [{"user": []}] and create["description"] == "For: doctor."
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PrescriptionIn"}
    assert set(create["responses"]) == {"201", "400", "401", "403", "404", "409", "429", "503"}
    assert "medications" in doc["components"]["schemas"]["PrescriptionIn"]["required"]
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]
    rx = doc["paths"]["/api/prescriptions/{id}"]["get"]
    assert rx["parameters"][0] == {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    listing = doc["paths"]["/api/prescriptions"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"status", "cursor", "limit"}
    assert doc["paths"]["/api/iot/data"]["post"]["security"] == [{"device": []}]
    assert doc["paths"]["/api/iot/lorawan/tts"]["post"]["security"] == [{"webhook": []}]
    assert doc["paths"]["/api/token/"]["post"]["security"] == []
    assert set(doc["components"]["securitySchemes"]) == {"user", "device", "webhook"}


async def test_served_with_a_docs_page(api):
    status, doc = await api.call("GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"] == "3.1.0" and "/api/prescriptions" in doc["paths"]
    resp = await api.client.get("/api/docs")
    page = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html"
    assert "<code>/api/prescriptions/{id}/status</code>" in page and "For: doctor, pharmacist." in page
    assert "<script" not in page  # the CSP allows no inline script
