"""POST /api/symptoms/ against the real app: inputs, answers, and who may ask for whom."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date

import numpy as np
import pytest

from server.app import create_app
from server.keys import CLOCK, SYMPTOMS, USERS
from server.symptoms import service
from server.symptoms import train as training
from server.symptoms.dataset import encode
from server.symptoms.predict import age_on
from tests.conftest import DEMO_PASSWORD, Api
from tests.server.symptoms.support import SMALL
from tests.support.helpers import until, world

EARLIER = {"symptoms": {"fever": True, "cough": False, "fatigue": True, "difficulty_breathing": False}}


def body(**extra) -> dict:
    return {"symptoms": {**EARLIER["symptoms"], "blood_pressure": "normal"}, **extra}


@pytest.fixture
async def ready(app, client):
    """The app with its symptom model loaded (the session's small model: tests/conftest.py)."""
    await until(lambda: app[SYMPTOMS].model is not None, within=30)
    return app[SYMPTOMS].model


def expected_top(model, **features) -> list[tuple[str, float]]:
    """The forest's own ranking for these features, computed here without the service."""
    proba = model.forest.predict_proba(np.array([encode(**features)]))[0]
    order = np.argsort(-proba, kind="stable")[:3]
    return [(model.forest.classes_[i], round(float(proba[i]), 4)) for i in order]


async def test_patient_features_come_from_the_profile(api, app, ready):
    await api.register_patient("awa", birth_date="1960-03-15", gender="male", blood_pressure="high",
                               cholesterol_level="low")
    token = (await api.login("awa"))["access"]
    status, out = await api.call("POST", "/api/symptoms/", token, json=EARLIER)
    assert status == 200, out
    age = age_on(date(1960, 3, 15), app[CLOCK].now().date())
    assert out["inputs"] == {"fever": True, "cough": False, "fatigue": True, "difficulty_breathing": False,
                             "age": age, "gender": "male", "blood_pressure": "high", "cholesterol_level": "low",
                             "from_profile": ["age", "gender", "blood_pressure", "cholesterol_level"],
                             "outside_training_range": []}
    top = expected_top(ready, fever=True, cough=False, fatigue=True, difficulty_breathing=False, age=age,
                       gender="male", blood_pressure="high", cholesterol_level="low")
    assert [(t["disease"], t["probability"]) for t in out["top"]] == top
    assert (out["prediction"], out["confidence"]) == top[0]
    card = ready.card
    assert out["model_version"] == card["model_version"]
    assert out["cv_accuracy"]["mean"] == card["evaluation"]["accuracy"]["mean"]
    assert out["cv_accuracy"]["majority_baseline"] == card["evaluation"]["majority_baseline"]["mean"]
    assert out["cv_accuracy"]["unseen_profiles_mean"] == card["evaluation"]["accuracy_duplicates_grouped"]["mean"]
    assert "diagnostic" in out["disclaimer"]["fr"] and "diagnosis" in out["disclaimer"]["en"]


async def test_body_values_win_over_the_profile(api, ready):
    _, token = await api.user("binta", "patient")  # profile: born 1980-05-01, female, normal, normal
    status, out = await api.call("POST", "/api/symptoms/", token, json={
        "symptoms": {**EARLIER["symptoms"], "blood_pressure": "Low"}, "age": 34, "gender": "MALE",
        "cholesterol_level": "High"})
    assert status == 200, out
    assert {k: out["inputs"][k] for k in ("age", "gender", "blood_pressure", "cholesterol_level", "from_profile")} \
        == {"age": 34, "gender": "male", "blood_pressure": "low", "cholesterol_level": "high", "from_profile": []}
    top = expected_top(ready, fever=True, cough=False, fatigue=True, difficulty_breathing=False, age=34,
                       gender="male", blood_pressure="low", cholesterol_level="high")
    assert [(t["disease"], t["probability"]) for t in out["top"]] == top


async def test_other_gender_and_unseen_age_are_flagged(api, ready):
    _, token = await api.user("coumba", "patient")
    status, out = await api.call("POST", "/api/symptoms/", token, json=body(age=7, gender="other"))
    assert status == 200, out
    assert out["inputs"]["outside_training_range"] == ["age", "gender"]
    features = dict(fever=True, cough=False, fatigue=True, difficulty_breathing=False, age=7,
                    blood_pressure="normal", cholesterol_level="normal")
    rows = np.array([encode(**features, gender="male"), encode(**features, gender="female")])
    mean = ready.forest.predict_proba(rows).mean(axis=0)
    assert out["confidence"] == round(float(mean.max()), 4)
    assert sum(t["probability"] for t in out["top"]) <= 1.0001


async def test_a_profile_without_the_values_is_a_400_naming_each(api, app, ready):
    await app[USERS].create(username="legacy", password=DEMO_PASSWORD, role="patient", profile={})
    token = (await api.login("legacy"))["access"]
    status, out = await api.call("POST", "/api/symptoms/", token, json=EARLIER)
    assert status == 400, out
    assert [d["field"] for d in out["error"]["details"]] == ["age", "gender", "symptoms.blood_pressure",
                                                             "cholesterol_level"]
    status, out = await api.call("POST", "/api/symptoms/", token, json=body(age=50, gender="female",
                                                                             cholesterol_level="normal"))
    assert status == 200, out


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "symptoms"),
    ({"symptoms": {"fever": True, "cough": False, "fatigue": True}}, "symptoms.difficulty_breathing"),
    ({"symptoms": {**EARLIER["symptoms"], "fever": "yes"}}, "symptoms.fever"),
    ({"symptoms": {**EARLIER["symptoms"], "blood_pressure": "very high"}}, "symptoms.blood_pressure"),
    ({**EARLIER, "age": -1}, "age"),
    ({**EARLIER, "age": 300}, "age"),
    ({**EARLIER, "gender": "x"}, "gender"),
    ({**EARLIER, "cholesterol_level": 3}, "cholesterol_level"),
    ({**EARLIER, "temperature": 39}, "temperature"),
    ({"symptoms": [True, False]}, "symptoms"),
])
async def test_bad_input_is_a_400_with_field_errors(api, ready, payload, field):
    _, token = await api.user("dior", "patient")
    status, out = await api.call("POST", "/api/symptoms/", token, json=payload)
    assert status == 400, out
    assert out["error"]["code"] == "invalid"
    assert [d["field"] for d in out["error"]["details"]] == [field]


async def test_not_json_is_a_400(api, ready):
    _, token = await api.user("ely", "patient")
    status, out = await api.call("POST", "/api/symptoms/", token, data=b"{fever",
                                 headers={"Content-Type": "application/json"})
    assert (status, out["error"]["code"]) == (400, "invalid_json")


@pytest.mark.parametrize("token", [None, "not-a-token"])
async def test_without_a_valid_token_401(api, ready, token):
    status, out = await api.call("POST", "/api/symptoms/", token, json=EARLIER)
    assert status == 401
    assert out["error"]["code"] in ("token_missing", "token_invalid")


async def test_who_may_ask_for_whom(api, app, ready):
    w = await world(api)
    await w.grant("doc", "pat", scopes=("records",))
    pat, other = w.ids["pat"], w.ids["other"]

    async def ask(who, patient_id=None):
        status, out = await w.call(who, "POST", "/api/symptoms/",
                                   body(**({"patient_id": patient_id} if patient_id else {})))
        return status, out

    assert (await ask("pat"))[0] == 200
    assert (await ask("pat", pat))[0] == 200
    status, out = await ask("pat", other)
    assert (status, out["error"]["code"]) == (403, "not_own_patient")
    for who in ("ph1", "admin"):
        status, out = await ask(who, pat)
        assert (status, out["error"]["code"]) == (403, "role_forbidden")
    status, out = await ask("doc")
    assert status == 400 and out["error"]["details"][0]["field"] == "patient_id"
    for who, patient in (("stranger", pat), ("doc", other), ("doc", "no-such-patient")):
        status, out = await ask(who, patient)
        assert (status, out["error"]["code"]) == (403, "no_grant"), (who, patient)
    status, out = await ask("doc", pat)
    assert status == 200, out
    # pat's profile (tests/conftest.py register_patient), blood pressure from the body
    assert out["inputs"]["from_profile"] == ["age", "gender", "cholesterol_level"]
    assert {k: out["inputs"][k] for k in ("age", "gender", "cholesterol_level")} == {
        "age": age_on(date(1980, 5, 1), app[CLOCK].now().date()), "gender": "female", "cholesterol_level": "normal"}


async def test_a_vitals_grant_or_a_revoked_grant_is_not_enough(api, ready):
    w = await world(api)
    await w.grant("doc", "pat", scopes=("vitals",))
    status, out = await w.call("doc", "POST", "/api/symptoms/", body(patient_id=w.ids["pat"]))
    assert (status, out["error"]["code"]) == (403, "no_grant")
    grant = await w.grant("stranger", "pat", scopes=("records",))
    assert (await w.call("stranger", "POST", "/api/symptoms/", body(patient_id=w.ids["pat"])))[0] == 200
    status, _ = await w.call("pat", "POST", f"/api/grants/{grant['grant_id']}/revoke")
    assert status == 200
    status, out = await w.call("stranger", "POST", "/api/symptoms/", body(patient_id=w.ids["pat"]))
    assert (status, out["error"]["code"]) == (403, "no_grant")


async def test_no_patient_id_is_logged_beside_a_result(api, ready, caplog):
    user, token = await api.user("fatou", "patient")
    with caplog.at_level("DEBUG"):
        status, out = await api.call("POST", "/api/symptoms/", token, json=body())
    assert status == 200
    results = [r.getMessage() for r in caplog.records if out["prediction"] in r.getMessage()
               or "symptom" in r.getMessage()]
    assert results  # the check is logged (model version), so the next line tests something
    assert not [m for m in results if user["id"] in m or "fatou" in m]


async def test_model_card_for_any_signed_in_user(api, ready):
    _, token = await api.user("gora", "pharmacist")
    status, card = await api.call("GET", "/api/symptoms/model", token)
    assert status == 200
    assert card["model_version"] == ready.card["model_version"]
    assert card["evaluation"]["majority_baseline"]["predicts"] == "Asthma"
    assert (await api.call("GET", "/api/symptoms/model"))[0] == 401


async def test_trains_at_start_when_missing_answering_503_meanwhile(aiohttp_client, settings, clock, tmp_path,
                                                                     monkeypatch):
    """An empty model directory: the app starts at once, answers 503 while it trains, then answers."""
    release, real_train = threading.Event(), training.train

    def held_train(*args, **kw):
        assert release.wait(60), "never released"
        return real_train(*args, **kw)

    monkeypatch.setattr(training, "train", held_train)
    monkeypatch.setattr(service, "TrainConfig", lambda: SMALL)
    model_dir = tmp_path / "fresh-model"
    app = create_app(dataclasses.replace(settings, symptoms_model_dir=model_dir), clock)
    api = Api(await aiohttp_client(app))
    _, token = await api.user("hawa", "patient")
    status, out = await api.call("POST", "/api/symptoms/", token, json=body())
    assert (status, out["error"]["code"]) == (503, "model_not_ready")
    assert (await api.call("GET", "/health"))[0] == 200  # the event loop serves while the model trains
    release.set()
    await until(lambda: app[SYMPTOMS].model is not None, within=60)
    status, out = await api.call("POST", "/api/symptoms/", token, json=body())
    assert status == 200, out
    card = app[SYMPTOMS].model.card
    assert out["model_version"] == card["model_version"]
    assert card["training"] == SMALL.as_dict()
    assert sorted(p.name for p in model_dir.iterdir() if not p.name.startswith(".")) == [
        "MODEL_CARD.md", "card.json", card["model"]["file"]]
