"""Role checks on account administration."""

from __future__ import annotations


async def test_admin_creates_staff_and_others_are_forbidden(api):
    _, admin = await api.user("root", "admin")
    _, patient = await api.user("pat", "patient")
    doctor = {"username": "dr.who", "password": "long-enough-pw", "role": "doctor", "speciality": "cardiology"}
    status, body = await api.call("POST", "/api/users/", patient, json=doctor)
    assert status == 403 and body["error"]["code"] == "role_forbidden"
    status, body = await api.call("POST", "/api/users/", None, json=doctor)
    assert status == 401
    status, body = await api.call("POST", "/api/users/", admin, json=doctor)
    assert status == 201 and body["role"] == "doctor" and body["profile"] == {"speciality": "cardiology"}
    tokens = await api.login("dr.who", "long-enough-pw")
    status, me = await api.call("GET", "/api/me", tokens["access"])
    assert me["role"] == "doctor"


async def test_staff_creation_validates_role_and_speciality(api):
    _, admin = await api.user("root", "admin")
    for bad in ({"role": "patient"}, {"role": "doctor"}, {"role": "pharmacist", "speciality": "x" * 5}):
        status, body = await api.call("POST", "/api/users/", admin,
                                      json={"username": "someone", "password": "long-enough-pw", **bad})
        assert status == 400, bad
        assert body["error"]["details"], bad


async def test_list_users_is_admin_only(api):
    _, admin = await api.user("root", "admin")
    _, doctor = await api.user("doc", "doctor")
    assert (await api.call("GET", "/api/users/", doctor))[0] == 403
    status, users = await api.call("GET", "/api/users/?role=doctor", admin)
    assert status == 200 and [u["username"] for u in users] == ["doc"]
