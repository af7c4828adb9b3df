"""FHIR search parameters → a query, with the FHIR meaning of each (R4 §3.1.1.4 "Search").

- `date`: eq (default), ge, gt, le, lt, sa, eb on a year, month, day or dateTime; the value is a
  range at its own precision (`gt2026-11-28` is after that whole day); a dateTime without a zone
  is UTC. Repeated `date` parameters are ANDed. `ne` and `ap` are refused (400).
- tokens (`code`, `category`): `system|code`, `code` (any system) or `|code` (no system);
  a comma is OR, a repeated parameter AND.
- `_sort`: `-date` (default, newest first) or `date`; `_count`: 1..∞, capped at MAX_COUNT.
- `_cursor`: the id of the last Observation of the previous page (given in `next` links).
Unknown parameters are ignored and left out of the `self` link, unless the client sends
`Prefer: handling=strict`, which makes them a 400 (R4 §3.1.1.4.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from models.errors import Invalid
from server.fhir.resources import parse_observation_id

DEFAULT_COUNT, MAX_COUNT = 100, 1000
OBSERVATION_PARAMS = ("patient", "subject", "code", "date", "category", "_count", "_sort", "_cursor")
PATIENT_PARAMS = ("identifier", "_id")
ISSUE_PARAMS = ("patient", "_count")
MAX_ISSUES = 200
GENERAL = ("_format", "_pretty")
DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
                     r"(Z|[+-]\d{2}:\d{2})?)?)?)?")
Token = tuple[str | None, str]  # (system; None = any, "" = none), code


def bad(param: str, message: str) -> Invalid:
    return Invalid(message, details=[{"field": param, "message": message}])


def tokens(param: str, raw: str) -> set[Token]:
    out: set[Token] = set()
    for part in raw.split(","):
        system, sep, code = part.strip().rpartition("|")
        if not code:
            raise bad(param, f"{param}={raw!r}: each token is system|code, code or |code")
        out.add((system if sep else None, code))
    return out


def token_match(wanted: set[Token], have: set[tuple[str, str]]) -> bool:
    return any((s, c) in have if s is not None else any(hc == c for _, hc in have) for s, c in wanted)


def date_range(raw: str) -> tuple[datetime, datetime]:
    """A FHIR date/dateTime as the half-open range it stands for at its precision."""
    m = DATE_RE.fullmatch(raw.replace(" ", "+"))  # an unescaped "+" in a query string arrives as a space
    if m is None:
        raise bad("date", f"date={raw!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)")
    y, mo, d, h, mi, s, frac, zone = m.groups()
    try:
        start = datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0), int(s or 0),
                         int(float(frac or 0) * 1_000_000), tzinfo=UTC)
        if zone and zone != "Z":
            start = datetime.fromisoformat(start.replace(tzinfo=None).isoformat() + zone)
    except ValueError:
        raise bad("date", f"date={raw!r} is not a valid date") from None
    if mo is None:
        end = start.replace(year=start.year + 1)
    elif d is None:
        end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
    elif h is None:
        end = start + timedelta(days=1)
    elif s is None:
        end = start + timedelta(minutes=1)
    elif frac is None:
        end = start + timedelta(seconds=1)
    else:
        end = start + timedelta(milliseconds=1)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class ObservationQuery:
    patient: str | None = None
    codes: list[set[Token]] = field(default_factory=list)
    categories: list[set[Token]] = field(default_factory=list)
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    count: int = DEFAULT_COUNT
    newest_first: bool = True
    cursor: tuple[datetime, str] | None = None  # (measurement time, id) of the last one already given
    used: list[tuple[str, str]] = field(default_factory=list)  # the parameters applied, for `self`/`next`

    def narrow(self, lo: datetime | None, hi: datetime | None) -> None:
        if lo is not None and (self.start is None or lo > self.start):
            self.start = lo
        if hi is not None and (self.end is None or hi < self.end):
            self.end = hi


def unknown(params: list[tuple[str, str]], known: tuple[str, ...], strict: bool) -> list[tuple[str, str]]:
    """The parameters this server applies; with `strict`, an unknown one is a 400."""
    kept = []
    for k, v in params:
        if k in known:
            kept.append((k, v))
        elif strict and k not in GENERAL:
            raise bad(k, f"unknown search parameter {k!r} (this server supports {', '.join(known)})")
    return kept


def observation_query(params: list[tuple[str, str]], strict: bool = False) -> ObservationQuery:
    q = ObservationQuery()
    for k, v in unknown(params, OBSERVATION_PARAMS, strict):
        if k in ("patient", "subject"):
            q.patient = _patient_ref(k, v, q.patient)
        elif k == "code":
            q.codes.append(tokens(k, v))
        elif k == "category":
            q.categories.append(tokens(k, v))
        elif k == "date":
            prefix, value = (v[:2], v[2:]) if v[:2].isalpha() else ("eq", v)
            if prefix not in ("eq", "ge", "gt", "le", "lt", "sa", "eb"):
                raise bad(k, f"date prefix {prefix!r} is not supported (eq, ge, gt, le, lt, sa, eb)")
            lo, hi = date_range(value)
            q.narrow(*{"eq": (lo, hi), "ge": (lo, None), "gt": (hi, None), "sa": (hi, None),
                       "le": (None, hi), "lt": (None, lo), "eb": (None, lo)}[prefix])
        elif k == "_count":
            if not v.isdigit() or int(v) < 1:
                raise bad(k, "_count must be a whole number from 1")
            q.count = min(int(v), MAX_COUNT)
            v = str(q.count)
        elif k == "_sort":
            if v not in ("date", "-date"):
                raise bad(k, "_sort must be date or -date")
            q.newest_first = v == "-date"
        elif k == "_cursor":
            parsed = parse_observation_id(v)
            if parsed is None:
                raise bad(k, "_cursor is not a cursor this server gave")
            q.cursor = (parsed[1], v)
            continue  # not part of `self`: each page's link says its own cursor
        q.used.append((k, v))
    return q


def _patient_ref(k: str, v: str, have: str | None) -> str:
    pid = v.rsplit("Patient/", 1)[-1] if "/" in v else v
    if not pid or (have is not None and have != pid):
        raise bad(k, f"{k}={v!r}: one patient per search")
    return pid


def issue_query(params: list[tuple[str, str]], strict: bool = False) -> tuple[str | None, int, list[tuple[str, str]]]:
    """(patient, count, parameters applied) of a DetectedIssue search."""
    pid, count, used = None, DEFAULT_COUNT, []
    for k, v in unknown(params, ISSUE_PARAMS, strict):
        if k == "patient":
            pid = _patient_ref(k, v, pid)
        else:
            if not v.isdigit() or int(v) < 1:
                raise bad(k, "_count must be a whole number from 1")
            count = min(int(v), MAX_ISSUES)
            v = str(count)
        used.append((k, v))
    return pid, count, used


def patient_query(params: list[tuple[str, str]], strict: bool = False) -> tuple[list[set[Token]], set[str] | None]:
    """(identifier token lists, ids) of a Patient search."""
    identifiers, ids = [], None
    for k, v in unknown(params, PATIENT_PARAMS, strict):
        if k == "identifier":
            identifiers.append(tokens(k, v))
        else:
            wanted = {i.strip() for i in v.split(",") if i.strip()}
            ids = wanted if ids is None else ids & wanted
    return identifiers, ids
