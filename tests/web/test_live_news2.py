"""NEWS2 live in the browser: a patient's score changes with their readings and the doctor's wall
tile and patient view follow within seconds through `news2:updated`, not the minute-long fallback
poll."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.flows import NORMAL, ensure_grant, provision_device, send, token


def test_wall_and_patient_view_follow_news2_live(login, people, http, server):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient2"])
    pid = people["patient2_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    _, device = provision_device(http, token(http, people["admin"]), pid)
    send(http, device, **NORMAL)
    doctor = login(people["doctor"])
    tile = doctor.locator(f"[data-testid=wall-tile][data-patient='{pid}']")
    expect(tile).to_have_attribute("data-news2", "0")
    expect(tile).to_contain_text("Mariama Patient2")                        # a name, not a short id

    send(http, device, **{**NORMAL, "heart_rate": 135})                    # +3
    expect(tile).to_have_attribute("data-news2", "3", timeout=5_000)
    expect(tile.get_by_test_id("wall-news2")).to_contain_text("3")

    tile.click()
    news2 = doctor.get_by_test_id("news2")
    expect(news2).to_have_attribute("data-score", "3")
    send(http, device, **{**NORMAL, "heart_rate": 135, "temperature": 39.4})  # +2
    expect(news2).to_have_attribute("data-score", "5", timeout=5_000)
    expect(doctor.locator("[data-testid=news2-param][data-param=temperature]")).to_contain_text("2")
    send(http, device, **NORMAL)
    expect(news2).to_have_attribute("data-score", "0", timeout=5_000)
