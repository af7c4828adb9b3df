"""The causes of a clinical episode: pure functions (no clock, no database), tested as tables.

One open clinical alert per patient carries every condition currently explaining it: the
threshold rules that fired (`{kind: "rule", rule: "spo2_low", reading: "spo2", severity}`)
and the NEWS2 parameters that score while the NEWS2 rule is active (`{kind: "news2",
parameter: "spo2", score: 3, total, severity}`, each with the aggregate's severity: NEWS2's
clinical response is for the sum, the parameters say why). SpO2 ≤ 91 % is then one alert with
two causes instead of two alerts.

A cause is `active` from the transition that raised it until its rule cleared (after the
rule's hysteresis and clear time); cleared causes stay listed (`active: false`) as the
episode's record. The alert's severity is the highest of its active causes; the episode ends
when no cause is active.
"""

from __future__ import annotations

from typing import Any

from server.alerting.rules import Rule, rank

NEWS2_SCOPE = "news2:"


def rule_cause(rule: Rule, severity: str, value: Any) -> dict[str, Any]:
    return {"key": f"rule:{rule.key}", "kind": "rule", "rule": rule.key, "reading": rule.kind,
            "severity": severity, "value": value}


def news2_causes(result: dict, severity: str) -> list[dict[str, Any]]:
    """One cause per NEWS2 parameter that scores (≥ 1) in `result`, in chart order."""
    return [{"key": f"{NEWS2_SCOPE}{name}", "kind": "news2", "parameter": name, "score": p["score"],
             "total": result["score"], "severity": severity, "value": p.get("value")}
            for name, p in result["parameters"].items() if p.get("score")]


def signature(causes: list[dict]) -> tuple:
    """What a stored set of causes says clinically (no times): unchanged signature, no write."""
    return tuple(sorted((c["key"], c["severity"], c.get("score")) for c in causes))


def severity(causes: list[dict]) -> str | None:
    """The highest severity of the active causes (None: the episode is over)."""
    best = None
    for c in causes:
        if c["active"] and rank(c["severity"]) > rank(best):
            best = c["severity"]
    return best


def merge(causes: list[dict], upserts: list[dict], cleared: list[str], at: Any,
          scope: str | None = None) -> tuple[list[dict], list[str], list[str]]:
    """Fold changes into a copy of `causes`: `upserts` set or (re)activate causes, `cleared` keys end
    theirs, and with `scope` every active cause of that prefix not among `upserts` ends too (NEWS2's
    parameter set is replaced as a whole). Returns (causes, keys added, keys ended)."""
    out = [dict(c) for c in causes]
    by_key = {c["key"]: c for c in out}
    added: list[str] = []
    for new in upserts:
        old = by_key.get(new["key"])
        if old is None:
            cause = {**new, "active": True, "since": at, "cleared_at": None}
            out.append(cause)
            by_key[new["key"]] = cause
            added.append(new["key"])
        elif not old["active"]:
            old.update(new, active=True, since=at, cleared_at=None)
            added.append(new["key"])
        else:
            old.update(new)
    keep = {u["key"] for u in upserts}
    ends = set(cleared) | ({c["key"] for c in out if scope and c["key"].startswith(scope)} - keep)
    ended = []
    for c in out:
        if c["key"] in ends and c["active"]:
            c["active"], c["cleared_at"] = False, at
            ended.append(c["key"])
    return out, added, ended


def leading(causes: list[dict]) -> dict | None:
    """The active cause of the highest severity, the earliest among equals (the alert's headline)."""
    active = [c for c in causes if c["active"]]
    if not active:
        return None
    return max(active, key=lambda c: (rank(c["severity"]), -active.index(c)))


def type_of(cause: dict) -> str:
    """The alert type a cause opens an episode as (the labels the apps know): the rule, or `news2`."""
    return cause["rule"] if cause["kind"] == "rule" else "news2"


def merge_past(causes: list[dict], more: list[dict]) -> tuple[list[dict], list[str]]:
    """For retrospective episodes (late data, server/alerting/retrospective.py): `causes` with `more`
    folded in. A known cause keeps its worst severity and value and the union of the measured periods
    (`measured_from`/`measured_to`); a new one is appended, already ended (`active` false, `since` and
    `cleared_at` its measured period: it describes the past). Returns (causes, keys added)."""
    out, added = [dict(c) for c in causes], []
    by_key = {c["key"]: c for c in out}
    for new in more:
        old = by_key.get(new["key"])
        if old is None:
            cause = {**new, "active": False, "since": new["measured_from"], "cleared_at": new["measured_to"]}
            out.append(cause)
            by_key[cause["key"]] = cause
            added.append(cause["key"])
            continue
        if rank(new["severity"]) > rank(old["severity"]):
            old.update(severity=new["severity"], value=new.get("value"), score=new.get("score", old.get("score")),
                       total=new.get("total", old.get("total")))
        old["measured_from"] = old["since"] = min(old["measured_from"], new["measured_from"])
        old["measured_to"] = old["cleared_at"] = max(old["measured_to"], new["measured_to"])
    return out, added
