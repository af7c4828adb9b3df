"""The symptom checker: who may ask, for whom, and the answer with its model's figures.

A patient checks for themselves; a doctor for a patient who granted them `records` access
(the answer is built from the patient's profile, which is record data). Others are refused
by the handler's role check. The model is loaded (or trained when missing, see
server/symptoms/train.py) in a thread at start by `run()`; until it is ready the checker
answers 503 `model_not_ready`.

Nothing is stored and nothing is logged about a check beyond its model version: a
prediction next to a patient id in a log would be health data in the wrong place.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from models.errors import DomainError, Forbidden, Invalid, NotFound
from models.symptoms import Bilingual, CvAccuracy, Ranked, SymptomCheckIn, SymptomCheckOut
from server.symptoms import predict
from server.symptoms.evaluation import TrainConfig, TrainingCancelled
from server.symptoms.store import LoadedModel
from server.symptoms.train import ensure_model

if TYPE_CHECKING:
    from models.identity import Identity
    from server.clock import Clock

log = logging.getLogger(__name__)
SCOPE = "records"
DISCLAIMER = Bilingual(
    fr="Ceci n'est pas un diagnostic. Cette estimation statistique, issue d'un petit jeu de données, peut se "
       "tromper ; consultez un médecin. En cas de difficulté respiratoire importante, de douleur thoracique ou de "
       "malaise, appelez immédiatement les urgences.",
    en="This is not a diagnosis. This statistical estimate, from a small dataset, can be wrong; see a doctor. "
       "If you have severe difficulty breathing, chest pain or feel faint, call emergency services now.",
)


class ModelNotReady(DomainError):
    status = 503
    code = "model_not_ready"


class UserDirectory(Protocol):
    async def get(self, user_id: str) -> dict: ...


MayAccess = Callable[["Identity", str, str], Awaitable[bool]]


class SymptomChecker:
    def __init__(self, model_dir: Path, users: UserDirectory, may_access: MayAccess, clock: Clock,
                 config: TrainConfig | None = None) -> None:
        self.model_dir, self.users, self.may_access, self.clock = model_dir, users, may_access, clock
        self.config = config or TrainConfig()
        self._model: LoadedModel | None = None
        self._failure: str | None = None
        self._stop = threading.Event()

    @property
    def model(self) -> LoadedModel | None:
        return self._model

    async def run(self) -> None:
        """Load or train the model off the event loop (a task for the app's life: see server/app.py)."""
        # A thread of its own, not the shared executor: training lowers its thread's priority.
        executor = ThreadPoolExecutor(1, thread_name_prefix="symptom-model")
        try:
            self._model = await asyncio.get_running_loop().run_in_executor(
                executor, ensure_model, self.model_dir, self.config, self.clock.now(), self._stop)
        except asyncio.CancelledError:
            self._stop.set()  # the thread stops training at its next fold
            raise
        except TrainingCancelled:
            return
        except Exception as exc:  # a task boundary: the server runs on without the checker
            log.exception("the symptom model could not be loaded or trained")
            self._failure = type(exc).__name__
            return
        finally:
            executor.shutdown(wait=False)
        log.info("symptom checker ready: model %s from %s", self._model.card["model_version"], self.model_dir)

    def _ready(self) -> LoadedModel:
        if self._model is None:
            state = "failed to load" if self._failure else "still loading"
            raise ModelNotReady(f"The symptom model is {state}; try again shortly")
        return self._model

    def card(self) -> dict:
        """The served model's card (data, features, figures, limitations), for clients to show."""
        return self._ready().card

    async def _patient_for(self, who: Identity, patient_id: str | None) -> str:
        if who.role == "patient":
            if patient_id not in (None, who.user_id):
                raise Forbidden("A patient checks their own symptoms only", code="not_own_patient")
            return who.user_id
        if who.role != "doctor":
            raise Forbidden("This action is for: patient, doctor", code="role_forbidden")
        if patient_id is None:
            raise Invalid("A doctor names the patient", details=[
                {"field": "patient_id", "message": "required for a doctor", "type": "missing"}])
        # Access before existence: an unknown id and a patient without a grant look the same.
        if not await self.may_access(who, patient_id, SCOPE):
            raise Forbidden("No active records grant from this patient", code="no_grant")
        return patient_id

    async def check(self, who: Identity, body: SymptomCheckIn) -> SymptomCheckOut:
        patient_id = await self._patient_for(who, body.patient_id)
        model = self._ready()
        user = await self.users.get(patient_id)
        if user.get("role") != "patient":
            raise NotFound("No such patient", code="patient_not_found")
        card = model.card
        used = predict.resolve_inputs(body, user.get("profile") or {}, self.clock.now().date(),
                                      tuple(card["data"]["age_range"]))
        ranking = await asyncio.to_thread(predict.rank, model.forest, used)
        ev = card["evaluation"]
        top = [Ranked(disease=d, probability=round(p, 4)) for d, p in ranking[:3]]
        log.debug("symptom check answered by model %s", card["model_version"])
        return SymptomCheckOut(
            prediction=top[0].disease, confidence=top[0].probability, top=top,
            model_version=card["model_version"],
            cv_accuracy=CvAccuracy(mean=ev["accuracy"]["mean"], std=ev["accuracy"]["std"],
                                   unseen_profiles_mean=ev["accuracy_duplicates_grouped"]["mean"],
                                   majority_baseline=ev["majority_baseline"]["mean"], scheme=ev["scheme"]),
            inputs=used, disclaimer=DISCLAIMER)
