"""Fixtures for the browser tests: one real server for the module, Debian's Chromium, people.

Skipped never: a missing Chromium or an unbuilt app is a failure with the command to fix it
(scripts/system-deps.sh installs Chromium, scripts/test.sh builds the app).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pymongo import MongoClient

from tests.web.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    DIST,
    PASSWORD,
    SCREENSHOTS,
    Http,
    ServerProcess,
)


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Extra environment for the module's server (a module overrides it, e.g. short token lives)."""
    return {}


@pytest.fixture(scope="module")
def server(mongo_uri, tmp_path_factory, server_env, symptoms_model_dir):
    assert (DIST / "index.html").is_file(), "web app not built: run scripts/test.sh (or scripts/build-web.sh)"
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    tmp = tmp_path_factory.mktemp("e2e")
    # The session's small symptom model: a fresh DATA_DIR would otherwise train the full one (25 s of CPU).
    proc = ServerProcess(mongo_uri, name, tmp / "data", tmp / "server.log",
                         **{"SYMPTOMS_MODEL_DIR": str(symptoms_model_dir), **server_env})
    proc.start()
    yield proc
    proc.stop()
    with MongoClient(mongo_uri) as client:
        client.drop_database(name)


@pytest.fixture(scope="module")
def http(server) -> Http:
    return Http(server.base)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian chromium missing: run scripts/system-deps.sh"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def people(http):
    """A fresh doctor (created by the demo admin), two fresh patients; the demo pharmacist and admin."""
    admin = http.login("admin", DEMO_PASSWORD)
    tag = uuid.uuid4().hex[:6]
    doctor = f"dr.e2e{tag}"
    http.call("POST", "/api/users/", admin, {"username": doctor, "password": PASSWORD, "role": "doctor",
                                             "first_name": "Awa", "last_name": "Test", "speciality": "cardiology"},
              expect=201)
    out = {"admin": ("admin", DEMO_PASSWORD), "doctor": (doctor, PASSWORD), "pharmacist": ("pharma.sow", DEMO_PASSWORD)}
    for role in ("patient", "patient2"):
        user = http.call("POST", "/api/register/", body={
            "username": f"{role}.e2e{tag}", "password": PASSWORD, "birth_date": "1970-02-03", "gender": "female",
            "first_name": "Mariama", "last_name": role.title()}, expect=201)
        out[role] = (user["username"], PASSWORD)
        out[role + "_id"] = user["id"]
    return out


class Login:
    """Opens a browser context for one person, signed in through the login form."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.browser, self.base, self.contexts = browser, base, []

    def __call__(self, creds: tuple[str, str], *, width: int = 1280, height: int = 900, lang: str = "fr") -> Page:
        ctx = self.browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
        ctx.set_default_timeout(20_000)
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.goto(self.base + "/")
        if lang == "en":
            page.get_by_test_id("lang-en").click()
        page.locator("input[name=username]").fill(creds[0])
        page.locator("input[name=password]").fill(creds[1])
        page.locator("button[type=submit]").click()
        page.wait_for_selector("[data-testid=conn][data-status=connected]")
        return page

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def login(browser, server):
    opener = Login(browser, server.base)
    yield opener
    opener.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
