"""REST authentication as a client sees it: tokens, rotation, reuse, expiry, roles."""

from __future__ import annotations

import jwt

from tests.conftest import DEMO_PASSWORD


async def test_login_returns_tokens_with_required_claims(api, settings):
    user = await api.register_patient("alice")
    tokens = await api.login("ALICE")  # usernames are case-insensitive at login too
    claims = jwt.decode(tokens["access"], settings.jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == user["id"] and claims["role"] == "patient" and claims["type"] == "access"
    assert {"exp", "iat", "jti"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl
    status, me = await api.call("GET", "/api/me", tokens["access"])
    assert status == 200 and me["username"] == "alice" and me["profile"]["gender"] == "female"
    assert "password_hash" not in me


async def test_wrong_password_and_unknown_user_look_the_same(api):
    await api.register_patient("bob")
    s1, b1 = await api.call("POST", "/api/token/", json={"username": "bob", "password": "wrong-password"})
    s2, b2 = await api.call("POST", "/api/token/", json={"username": "nobody", "password": "wrong-password"})
    assert s1 == s2 == 401
    assert b1["error"]["code"] == b2["error"]["code"] == "invalid_credentials"


async def test_username_unique_case_insensitively(api):
    await api.register_patient("Carla")
    status, body = await api.call("POST", "/api/register/", json={
        "username": "carla", "password": DEMO_PASSWORD, "birth_date": "1990-01-01", "gender": "male"})
    assert status == 409 and body["error"]["code"] == "username_taken"


async def test_register_reports_each_bad_field(api):
    status, body = await api.call("POST", "/api/register/", json={
        "username": "x", "password": "short", "birth_date": "2999-01-01", "gender": "robot", "role": "admin"})
    assert status == 400
    fields = {d["field"] for d in body["error"]["details"]}
    assert {"username", "password", "birth_date", "gender", "role"} <= fields


async def test_refresh_rotates_and_reuse_revokes_family(api):
    await api.register_patient("dina")
    first = await api.login("dina")
    status, second = await api.call("POST", "/api/token/refresh/", json={"refresh": first["refresh"]})
    assert status == 200 and second["refresh"] != first["refresh"]
    assert (await api.call("GET", "/api/me", second["access"]))[0] == 200
    # The old refresh token is replayed (stolen?): the whole family dies.
    status, body = await api.call("POST", "/api/token/refresh/", json={"refresh": first["refresh"]})
    assert status == 401 and body["error"]["code"] == "token_reused"
    status, body = await api.call("GET", "/api/me", second["access"])
    assert status == 401 and body["error"]["code"] == "token_revoked"
    status, body = await api.call("POST", "/api/token/refresh/", json={"refresh": second["refresh"]})
    assert status == 401 and body["error"]["code"] == "token_revoked"
    # Another login is a new family and works.
    assert (await api.call("GET", "/api/me", (await api.login("dina"))["access"]))[0] == 200


async def test_revoke_ends_the_session(api):
    await api.register_patient("eve")
    tokens = await api.login("eve")
    status, _ = await api.call("POST", "/api/token/revoke/", json={"refresh": tokens["refresh"]})
    assert status == 200
    status, resp = await api.call("GET", "/api/me", tokens["access"])
    assert status == 401 and resp["error"]["code"] == "token_revoked"
    status, resp = await api.call("POST", "/api/token/refresh/", json={"refresh": tokens["refresh"]})
    assert status == 401 and resp["error"]["code"] == "token_revoked"


async def test_missing_malformed_expired_and_forged_tokens(api, settings, clock):
    await api.register_patient("fred")
    tokens = await api.login("fred")
    status, body = await api.call("GET", "/api/me")
    assert status == 401 and body["error"]["code"] == "token_missing"
    status, body = await api.call("GET", "/api/me", "not.a.jwt")
    assert status == 401 and body["error"]["code"] == "token_invalid"
    # alg:none with the same claims must not pass
    claims = jwt.decode(tokens["access"], settings.jwt_secret, algorithms=["HS256"])
    unsigned = jwt.encode(claims, None, algorithm="none")
    status, body = await api.call("GET", "/api/me", unsigned)
    assert status == 401 and body["error"]["code"] == "token_invalid"
    # a refresh token is not an access token
    status, body = await api.call("GET", "/api/me", tokens["refresh"])
    assert status == 401 and body["error"]["code"] == "token_invalid"
    expired = jwt.encode({**claims, "exp": claims["iat"] - 1}, settings.jwt_secret, algorithm="HS256")
    status, body = await api.call("GET", "/api/me", expired)
    assert status == 401 and body["error"]["code"] == "token_expired"


async def test_bad_json_is_a_clear_400(api):
    resp = await api.client.post("/api/token/", data=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "invalid_json"
