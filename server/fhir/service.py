"""What the FHIR handler calls: reads through the owning services, authorised through rooms.access.

Visibility follows rooms.access: a patient sees their own Patient and Observations; a doctor sees
the Observations of patients who granted `vitals` or are in one of their care units, and the
Patient of anyone they hold any active grant for or share a care unit with. Anything else is a
404 (not a 403): an id that exists and one that does not answer the same, so ids do not leak.

Observation paging: the search range is walked in time slices from the page's start (5 minutes,
then doubling), each one whole indexed (patient, time) range query: SecantusDB reads the whole
range it is given whatever the limit or sort, so a page costs about what its slices hold, not the
whole day (`python -m bench fhir`, a day of 1 Hz readings: 91 ms a page, 15.6 s the day whole). Within
a slice Observations are ordered by (measurement time, id); a page is the first `_count` after the
cursor (the last id given), so nothing is skipped or given twice between pages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.errors import Invalid, NotFound
from models.identity import Identity
from rooms.access import SCOPES, Rights
from server.accounts.users import Users
from server.alerting.store import Alerts
from server.clock import Clock
from server.fhir import resources as res
from server.fhir.issues import detected_issue, exported
from server.fhir.search import ObservationQuery, Token, token_match
from server.iot.history import VitalsHistory

ALERT_DAYS = 7  # closed alerts searched back this far, as GET /api/iot/alerts
DEFAULT_SPAN = timedelta(days=1)  # no lower `date` bound: the day before the upper one (or now)
FIRST_SLICE, MS = timedelta(minutes=5), timedelta(milliseconds=1)


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


class Fhir:
    def __init__(self, history: VitalsHistory, users: Users, alerts: Alerts, rights: Rights, clock: Clock) -> None:
        self.history, self.users, self.alerts, self.rights, self.clock = history, users, alerts, rights, clock

    async def _sees_patient(self, identity: Identity, patient_id: str) -> bool:
        for scope in SCOPES:
            if await self.rights.may(identity, patient_id, scope):
                return True
        return False

    # -- Patient -------------------------------------------------------------------------
    async def patient(self, identity: Identity, patient_id: str) -> dict:
        if await self._sees_patient(identity, patient_id):
            try:
                doc = await self.users.get(patient_id)
            except NotFound:
                doc = None
            if doc is not None and doc.get("role") == "patient":
                return res.patient(doc)
        raise NotFound(f"Patient/{patient_id} is not known to you", code="not_found")

    async def patients(self, identity: Identity, identifiers: list[set[Token]], ids: set[str] | None) -> list[dict]:
        """The caller's visible patients matching every identifier list (and `_id`), by id."""
        seen: list[str] = []
        for scope in SCOPES:
            seen += [p for p in await self.rights.visible(identity, scope) if p not in seen]
        out = []
        for pid in sorted(seen if ids is None else [p for p in seen if p in ids]):
            try:
                doc = await self.users.get(pid)
            except NotFound:
                continue
            if doc.get("role") != "patient":
                continue
            resource = res.patient(doc)
            have = {(i["system"], i["value"]) for i in resource["identifier"]}
            if all(token_match(wanted, have) for wanted in identifiers):
                out.append(resource)
        return out

    # -- DetectedIssue (clinical alerts) -----------------------------------------------------
    async def detected_issue(self, identity: Identity, alert_id: str) -> dict:
        try:
            doc = await self.alerts.get(alert_id)
        except NotFound:
            doc = None
        if doc is not None and exported(doc) and await self.rights.may(identity, doc["patient_id"], "vitals"):
            return detected_issue(doc)
        raise NotFound(f"DetectedIssue/{alert_id} is not known to you", code="not_found")

    async def detected_issues(self, identity: Identity, patient_id: str | None, limit: int) -> tuple[list[dict], bool]:
        """A patient's open clinical alerts and those closed in the last ALERT_DAYS, newest first
        (at most `limit`; True when more were left out)."""
        pid = await self._patient_of_search(identity, patient_id)
        docs = [d for d in await self.alerts.search(patient_ids=[pid], since_days=ALERT_DAYS, limit=10 * limit)
                if exported(d)]
        docs.sort(key=lambda d: d["first_at"], reverse=True)
        return [detected_issue(d) for d in docs[:limit]], len(docs) > limit

    async def _patient_of_search(self, identity: Identity, patient_id: str | None) -> str:
        pid = patient_id or (identity.user_id if identity.role == "patient" else None)
        if pid is None:
            raise Invalid("`patient` is required", details=[{"field": "patient", "message": "required"}])
        if not await self.rights.may(identity, pid, "vitals"):
            raise NotFound(f"Patient/{pid} is not known to you", code="not_found")
        return pid

    # -- Observation ---------------------------------------------------------------------
    async def observation(self, identity: Identity, obs_id: str) -> dict:
        parsed = res.parse_observation_id(obs_id)
        if parsed is not None and await self.rights.may(identity, parsed[0], "vitals"):
            pid, ts, _kind = parsed
            for doc in await self.history.reading_sets(pid, {"$gte": ts, "$lte": ts}):
                for obs in res.observations(doc):
                    if obs["id"] == obs_id:
                        return obs
        raise NotFound(f"Observation/{obs_id} is not known to you", code="not_found")

    async def observations(self, identity: Identity, q: ObservationQuery) -> tuple[list[dict], str | None, int | None]:
        """(one page of Observations, the cursor of the next page or None, the total when known)."""
        pid = await self._patient_of_search(identity, q.patient)
        now = self.clock.now()
        start, end, after = q.start or (q.end or now) - DEFAULT_SPAN, q.end, None
        if q.cursor is not None:  # the cursor's millisecond again: ids decide within it
            after = (_aware(q.cursor[0]), q.cursor[1])
            if q.newest_first:
                end = min(t for t in (end, after[0] + MS) if t is not None)
            else:
                start = max(start, after[0])
        got: list[tuple[tuple[datetime, str], dict]] = []
        step = FIRST_SLICE
        if q.newest_first:
            hi, first = end or max(now, start + step), True
            while len(got) <= q.count and hi > start:
                lo = max(start, hi - step)
                # no upper `date` bound: the first slice is open, so device times ahead of ours are included
                got += await self._slice(pid, {"$gte": lo} if first and end is None else {"$gte": lo, "$lt": hi},
                                         q, after)
                hi, first, step = lo, False, step * 2
        else:
            lo = start
            while len(got) <= q.count:
                hi = lo + step
                last = hi >= (end or now)
                got += await self._slice(pid, {"$gte": lo, **({"$lt": end} if end else {})} if last
                                         else {"$gte": lo, "$lt": hi}, q, after)
                if last:
                    break
                lo, step = hi, step * 2
        page = [o for _, o in got[:q.count]]
        more = len(got) > q.count
        return page, (page[-1]["id"] if more else None), (len(got) if q.cursor is None and not more else None)

    async def _slice(self, pid: str, rng: dict, q: ObservationQuery,
                     after: tuple[datetime, str] | None) -> list[tuple[tuple[datetime, str], dict]]:
        """The matching Observations of one time slice, in page order, past the cursor."""
        found = [((_aware(d["ts"]), o["id"]), o) for d in await self.history.reading_sets(pid, rng)
                 for o in res.observations(d) if self._match(q, o)]
        if after is not None:
            found = [f for f in found if (f[0] < after if q.newest_first else f[0] > after)]
        return sorted(found, key=lambda f: f[0], reverse=q.newest_first)

    @staticmethod
    def _match(q: ObservationQuery, obs: dict) -> bool:
        codes = res.codes_of(obs)
        cats = {(c["system"], c["code"]) for cat in obs["category"] for c in cat["coding"]}
        return all(token_match(w, codes) for w in q.codes) and all(token_match(w, cats) for w in q.categories)
