"""New passwords: common ones and ones containing the user's own names get a 400 with a field error,
at registration and when an admin creates staff; a good password still works."""

from __future__ import annotations

import pytest

PATIENT = {"birth_date": "1980-05-01", "gender": "female"}


@pytest.mark.parametrize("password", ["12345678", "password", "Password1", "iloveyou", "qwertyuiop"])
async def test_registration_refuses_common_passwords(api, password):
    status, body = await api.call("POST", "/api/register/", json={"username": "amina", "password": password,
                                                                  **PATIENT})
    assert status == 400 and body["error"]["code"] == "weak_password"
    assert body["error"]["details"] == [{"field": "password", "message": "This password is too common",
                                         "type": "password_common"}]


@pytest.mark.parametrize(("extra", "password"), [
    ({}, "amina.sow-2026"),                                   # the username
    ({"first_name": "Aminata"}, "my-aminata-rocks"),          # a name, any case
    ({"last_name": "Ndiaye"}, "NDIAYE-blue-sky"),
    ({"email": "tigress77@example.sn"}, "tigress77-is-me"),    # the e-mail's local part
])
async def test_registration_refuses_passwords_with_the_users_names(api, extra, password):
    status, body = await api.call("POST", "/api/register/", json={"username": "amina.sow", "password": password,
                                                                  **PATIENT, **extra})
    assert status == 400 and body["error"]["details"][0]["type"] == "password_personal"


async def test_admin_created_staff_get_the_same_check_and_good_passwords_pass(api):
    _, admin = await api.user("root1", "admin")
    staff = {"username": "dr.kane", "role": "doctor", "speciality": "cardiology"}
    status, body = await api.call("POST", "/api/users/", admin, json={**staff, "password": "dr.kane-2026!"})
    assert status == 400 and body["error"]["details"][0] == {
        "field": "password", "message": "The password must not contain your username, name or e-mail",
        "type": "password_personal"}
    status, body = await api.call("POST", "/api/users/", admin, json={**staff, "password": "abcd1234"})
    assert status == 400 and body["error"]["details"][0]["type"] == "password_common"
    status, _ = await api.call("POST", "/api/users/", admin, json={**staff, "password": "baobab-at-dawn-77"})
    assert status == 201
    assert (await api.login("dr.kane", "baobab-at-dawn-77"))["access"]
