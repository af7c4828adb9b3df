"""Schemathesis against the generated OpenAPI document, over real HTTP into the test server.

Every operation, valid (positive) and invalid (negative) inputs, as each role (anonymous, the
patient, another patient, the granted doctor, a doctor without grant, a pharmacist, an admin; the
device token for device routes, the webhook secret for LoRaWAN), with path parameters drawn from
real objects (own, granted, ungranted) or generated. Checks: no 5xx, status codes, content types,
headers and bodies as the document says, invalid data rejected. Bounded: examples per operation
below, derandomized (the same cases on every run: CI must not flip), all failures gathered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from server.http.openapi import document
from tests.contract.cast import WEBHOOK_SECRET, Cast, cast

log = logging.getLogger(__name__)

EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4}
USERS = (None, "pat", "other", "doc", "stranger", "ph1", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
# Path parameter name -> names of real objects in the cast (the generated value is the other choice).
KNOWN = {"id": ("rx", "record", "note", "treatment", "conversation"), "patient_id": ("pat", "other"),
         "unit_id": ("unit",), "device_id": ("device",), "user_id": ("doc", "pat"), "alert_id": ()}


def callers(op: dict, the: Cast) -> list[tuple[str, dict]]:
    scheme = next(iter(op["security"][0]), None) if op["security"] else None
    if scheme == "device":
        return [("device", {"Authorization": f"Bearer {the.device_token}"}), ("anonymous", {})]
    if scheme == "webhook":
        return [("webhook", {"X-Webhook-Secret": WEBHOOK_SECRET}), ("anonymous", {})]
    return [(role or "anonymous", {"Authorization": f"Bearer {the.token(role)}"} if role else {}) for role in USERS]


def fuzz(doc: dict, base_url: str, the: Cast) -> tuple[Counter, list[str]]:
    schema = schemathesis.openapi.from_dict(doc)
    counts: Counter = Counter()
    failures: dict[tuple, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            try:
                _fuzz_one(operation, mode, examples, doc, base_url, the, counts, failures)
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                counts["unsatisfiable"] += 1
    return counts, list(failures.values())


def _fuzz_one(operation, mode, examples: int, doc: dict, base_url: str, the: Cast, counts: Counter,
              failures: dict) -> None:
    raw = doc["paths"][operation.path][operation.method.lower()]
    params = [p["name"] for p in raw["parameters"] if p["in"] == "path"]
    real = st.fixed_dictionaries({p: st.sampled_from([None, *(the.ids[k] for k in KNOWN.get(p, ()))])
                                  for p in params})

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), caller=st.sampled_from(callers(raw, the)), ids=real)
    def one(case, caller, ids):
        name, headers = caller
        if mode.value == "negative" and "authorization" not in {h.lower() for h in (case.headers or {})}:
            # a case made invalid by leaving out the token must go out without it: adding the caller's
            # token would make it valid, and "schema-violating request accepted" would blame the server
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        case.path_parameters = {**(case.path_parameters or {}), **{k: v for k, v in ids.items() if v is not None}}
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        counts[mode.value] += 1
        counts[f"{response.status_code // 100}xx"] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, FailureGroup) as exc:  # gather every failure, one per operation and kind
            title = str(exc).strip().split("\n")[0][:160]
            failures.setdefault((operation.label, type(exc).__name__, title),
                                f"{operation.label} as {name} ({mode.value}): {str(exc)[:1500]}\n"
                                f"  {case.as_curl_command(headers=headers)}")

    one()


async def test_no_5xx_and_every_answer_as_documented(api, app):
    the = await cast(api)
    started = time.monotonic()
    counts, failures = await asyncio.to_thread(fuzz, document(app), api.base_url, the)
    log.warning("schemathesis: %s in %.1f s", dict(counts), time.monotonic() - started)
    assert counts["5xx"] == 0 or failures
    assert counts["positive"] + counts["negative"] >= 5 * len(document(app)["paths"])  # it really ran
    assert not failures, f"{len(failures)} contract failures:\n\n" + "\n\n".join(failures)


NATURAL = {"doctor": "doc", "patient": "pat", "pharmacist": "ph1", "admin": "admin"}


def natural_headers(op: dict, the: Cast) -> dict:
    """The caller an operation is for (the first role it names), so a created object can be followed."""
    scheme = next(iter(op["security"][0]), None) if op["security"] else None
    if scheme != "user":
        return dict(callers(op, the)[0][1]) if scheme else {}
    roles = op.get("description", "").removeprefix("For: ").rstrip(".").split(", ")
    return {"Authorization": f"Bearer {the.token(NATURAL.get(roles[0], 'pat'))}"}


def stateful(doc: dict, base_url: str, the: Cast) -> tuple[Counter, list[str]]:
    schema = schemathesis.openapi.from_dict(doc)
    counts: Counter = Counter()
    failures: dict[tuple, str] = {}

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            op = doc["paths"][case.operation.path][case.method.lower()]
            return {"base_url": base_url, "headers": natural_headers(op, the), "timeout": 30}

        def after_call(self, response, case):
            counts[f"{response.status_code // 100}xx"] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:  # gathered, not raised: a replay of a stateful scenario is not deterministic (a live server)
                case.validate_response(response, checks=CHECKS[:-1], headers=kwargs.get("headers"))
            except (Exception, FailureGroup) as exc:
                title = str(exc).strip().split("\n")[0][:160]
                failures.setdefault((case.operation.label, title), f"{case.operation.label}: {str(exc)[:1500]}")

    try:
        Workflow.run(settings=settings(max_examples=STATEFUL_SCENARIOS, stateful_step_count=6, deadline=None,
                                       database=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
                                       suppress_health_check=list(HealthCheck)))
    except FlakyStrategyDefinition as exc:
        # Hypothesis replays a scenario after an exception and expects the same draws; against a live
        # server whose state moved on it cannot (seen on loaded CI machines). What the scenarios checked
        # until then is kept in `failures` and `counts`; the replay itself proves nothing either way.
        log.warning("schemathesis stateful: Hypothesis could not replay a scenario (%s)", str(exc).split("\n")[0])
    return counts, list(failures.values())


STATEFUL_SCENARIOS = 25


async def test_stateful_links_create_then_use(api, app):
    the = await cast(api)
    started = time.monotonic()
    counts, failures = await asyncio.to_thread(stateful, document(app), api.base_url, the)
    log.warning("schemathesis stateful: %s in %.1f s", dict(counts), time.monotonic() - started)
    assert not failures, f"{len(failures)} contract failures:\n\n" + "\n\n".join(failures)
    assert counts["2xx"] > 0 and counts["5xx"] == 0
