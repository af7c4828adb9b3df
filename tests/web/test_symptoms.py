"""The symptom checker in the browser (patient for themselves; doctor for a granted patient) and
the doctor's NEWS2 breakdown and alert rules in the user's language, against the real server
and the session's small symptom model. Screenshots of the result, fr/en, desktop/phone, axe."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect
from pymongo import MongoClient

from tests.web.flows import ensure_grant, token
from tests.web.test_screens import DESKTOP, PHONE, axe_violations

MISSING_FR = "À renseigner : absent du profil du patient"


def pct(lang: str, v: float) -> str:
    """0.255 -> "25,5" (fr) / "25.5" (en): the number part of the app's Intl percentage."""
    text = f"{v * 100:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


def choose(page: Page, field: str, option: str) -> None:
    page.get_by_test_id(f"sym-{field}").get_by_role("combobox").click()
    page.get_by_role("option", name=option, exact=True).click()


def symptom_posts(page: Page) -> list[str]:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url)
            if r.method == "POST" and r.url.endswith("/api/symptoms/") else None)
    return posts


def assert_result(page: Page, expected: dict, lang: str) -> None:
    result = page.get_by_test_id("symptom-result")
    expect(page.get_by_test_id("symptom-disclaimer")).to_have_text(expected["disclaimer"][lang])
    expect(page.get_by_test_id("symptom-prediction")).to_have_text(expected["prediction"])
    items = page.get_by_test_id("symptom-top-item")
    expect(items).to_have_count(3)
    for i, ranked in enumerate(expected["top"]):
        expect(items.nth(i)).to_contain_text(f"{ranked['disease']} · {pct(lang, ranked['probability'])}")
    cv = expected["cv_accuracy"]
    accuracy = page.get_by_test_id("symptom-accuracy")
    expect(accuracy).to_contain_text(pct(lang, cv["mean"]))
    expect(accuracy).to_contain_text(pct(lang, cv["majority_baseline"]))
    expect(accuracy).to_contain_text("Référence" if lang == "fr" else "Baseline")
    # the disclaimer comes before the prediction on the screen
    assert result.evaluate("(el) => el.firstElementChild.dataset.testid") == "symptom-disclaimer"


def test_patient_checks_symptoms_with_field_errors_then_a_result_in_both_languages(
        login, http, people, server, screenshots):
    patient_t = token(http, people["patient"])
    # An account carried over from the earlier system: no blood pressure or cholesterol in its profile.
    with MongoClient(server.env["MONGODB_URI"]) as client:
        client[server.env["MONGODB_DB"]]["users"].update_one(
            {"_id": people["patient_id"]}, {"$unset": {"profile.blood_pressure": "", "profile.cholesterol_level": ""}})
    page = login(people["patient"], **DESKTOP)
    posts = symptom_posts(page)
    page.get_by_role("tab", name="Symptômes").click()
    page.get_by_label("Fièvre").check()
    page.get_by_label("Toux").check()

    page.get_by_label("Âge (ans)").fill("130")          # the form refuses it, as the API would: no request
    page.get_by_test_id("symptom-submit").click()
    expect(page.get_by_text("Entre 0 et 120 ans")).to_be_visible()
    expect(page.get_by_test_id("symptom-error")).to_have_text("Corrigez les champs signalés.")
    assert posts == []

    page.get_by_label("Âge (ans)").fill("")             # age and sex from the profile; the profile has no
    page.get_by_test_id("symptom-submit").click()        # blood pressure or cholesterol: the API names both
    expect(page.get_by_text(MISSING_FR)).to_have_count(2)
    expect(page.get_by_test_id("sym-blood_pressure")).to_contain_text(MISSING_FR)
    expect(page.get_by_test_id("sym-cholesterol_level")).to_contain_text(MISSING_FR)
    expect(page.get_by_test_id("symptom-result")).to_have_count(0)
    assert len(posts) == 1

    choose(page, "blood_pressure", "Élevée")
    choose(page, "cholesterol_level", "Normale")
    page.get_by_test_id("symptom-submit").click()
    expected = http.call("POST", "/api/symptoms/", patient_t, {
        "symptoms": {"fever": True, "cough": True, "fatigue": False, "difficulty_breathing": False,
                     "blood_pressure": "high"}, "cholesterol_level": "normal"}, expect=200)
    assert_result(page, expected, "fr")
    expect(page.get_by_text(MISSING_FR)).to_have_count(0)
    expect(page.get_by_test_id("symptom-result")).to_contain_text("Pris dans le profil : Âge (ans), Sexe")
    assert len(posts) == 2

    problems = {}
    page.screenshot(path=str(screenshots / "patient-symptoms-fr-desktop.png"), full_page=True)
    problems["fr desktop"] = axe_violations(page)
    page.get_by_test_id("lang-en").click()               # same result, now in English, no new request
    assert_result(page, expected, "en")
    expect(page.get_by_role("tab", name="Symptoms")).to_be_visible()
    page.screenshot(path=str(screenshots / "patient-symptoms-en-desktop.png"), full_page=True)
    problems["en desktop"] = axe_violations(page)
    assert len(posts) == 2
    assert not any(problems.values()), json.dumps(problems, indent=1, ensure_ascii=False)


def test_symptom_result_on_a_phone_in_both_languages(login, http, people, screenshots):
    problems = {}
    for lang in ("fr", "en"):
        page = login(people["patient"], lang=lang, **PHONE)
        page.goto(page.url.split("/patient")[0] + "/patient/symptoms")
        page.get_by_label("Fatigue").check()
        page.get_by_label("Âge (ans)" if lang == "fr" else "Age (years)").fill("95")   # outside the data
        choose(page, "blood_pressure", "Normale" if lang == "fr" else "Normal")
        choose(page, "cholesterol_level", "Basse" if lang == "fr" else "Low")
        page.get_by_test_id("symptom-submit").click()
        expect(page.get_by_test_id("symptom-prediction")).not_to_be_empty()
        expect(page.get_by_test_id("symptom-outside")).to_contain_text("Âge" if lang == "fr" else "Age")
        page.screenshot(path=str(screenshots / f"patient-symptoms-{lang}-phone.png"), full_page=True)
        problems[lang] = axe_violations(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems[lang + " width"] = [width]
    assert not any(problems.values()), json.dumps(problems, indent=1, ensure_ascii=False)


def test_doctor_symptoms_for_a_granted_patient_and_localised_news2_and_rules(login, http, people, server):
    doctor_t, patient_t = token(http, people["doctor"]), token(http, people["patient"])
    pid = people["patient_id"]
    ensure_grant(http, doctor_t, patient_t, pid)
    http.call("POST", f"/api/iot/patients/{pid}/observations", doctor_t,
              {"consciousness": "A", "supplemental_oxygen": True}, expect=201)
    page = login(people["doctor"], **DESKTOP)
    page.goto(f"{server.base}/doctor/patients/{pid}")

    oxygen = page.locator("[data-testid=news2-param][data-param=supplemental_oxygen]")
    expect(oxygen).to_contain_text("Oxygène supplémentaire")
    expect(oxygen).to_contain_text("Oui")
    expect(page.locator("[data-testid=news2-param][data-param=consciousness]")).to_contain_text("Conscience (ACVPU)")
    expect(page.get_by_test_id("news2")).to_contain_text("Fréquence respiratoire")     # named among the missing
    expect(page.locator("[data-testid=rule][data-key=spo2_low] td").first).to_have_text("SpO₂ basse")
    expect(page.locator("[data-testid=rule][data-key=respiratory_rate_high] td").first).to_have_text(
        "Fréquence respiratoire élevée")
    for raw in ("supplemental_oxygen", "respiratory_rate", "spo2_low", "consciousness"):
        expect(page.get_by_test_id("news2")).not_to_contain_text(raw)
        expect(page.locator("[data-testid=rule]").filter(has_text=raw)).to_have_count(0)

    form = page.get_by_test_id("doctor-symptoms")
    form.get_by_label("Difficulté à respirer").check()
    form.get_by_label("Âge (ans)").fill("45")
    choose(page, "gender", "Homme")
    choose(page, "blood_pressure", "Normale")
    choose(page, "cholesterol_level", "Élevée")
    form.get_by_test_id("symptom-submit").click()
    expected = http.call("POST", "/api/symptoms/", doctor_t, {
        "patient_id": pid, "age": 45, "gender": "male", "cholesterol_level": "high",
        "symptoms": {"fever": False, "cough": False, "fatigue": False, "difficulty_breathing": True,
                     "blood_pressure": "normal"}}, expect=200)
    assert_result(page, expected, "fr")

    # a patient who granted nothing: the server's refusal, in words
    page.goto(f"{server.base}/doctor/patients/{people['patient2_id']}")
    page.get_by_test_id("doctor-symptoms").get_by_label("Toux").check()
    page.get_by_test_id("doctor-symptoms").get_by_test_id("symptom-submit").click()
    expect(page.get_by_test_id("symptom-failure")).to_have_text(
        "Ce patient ne vous a pas accordé l'accès à son dossier.")
    expect(page.get_by_test_id("symptom-result")).to_have_count(0)
