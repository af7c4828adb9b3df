"""The initial-load budget: the JavaScript of the first screen (the login page, or a role's
home right after it) is at most 300 KB gzipped, and each role's screens are a separate lazy
chunk. Measured on the built files through Vite's manifest (sizes, not timings)."""

from __future__ import annotations

import gzip
import json

from tests.web.support import DIST

BUDGET = 300 * 1024
ROLES = ("patient", "doctor", "pharmacist", "admin")


def manifest() -> dict:
    path = DIST / ".vite" / "manifest.json"
    assert path.is_file(), "web app not built: run scripts/test.sh (or scripts/build-web.sh)"
    return json.loads(path.read_text())


def static_closure(m: dict, key: str) -> set[str]:
    """Every chunk loaded with `key` before it can run (its static imports, transitively)."""
    seen, todo = set(), [key]
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(m[k].get("imports", []))
    return seen


def gz(m: dict, keys: set[str]) -> int:
    return sum(len(gzip.compress((DIST / m[k]["file"]).read_bytes(), 9)) for k in keys if m[k]["file"].endswith(".js"))


def sizes() -> dict[str, int]:
    m = manifest()
    entry = next(k for k, v in m.items() if v.get("isEntry"))
    first = static_closure(m, entry)
    out = {"entry": gz(m, first)}
    for role in ROLES:
        key = f"src/roles/{role}/routes.tsx"
        out[role] = gz(m, static_closure(m, key) - first)
    return out


def test_first_screen_within_budget_and_roles_are_lazy():
    m = manifest()
    entry = next(k for k, v in m.items() if v.get("isEntry"))
    first = static_closure(m, entry)
    for role in ROLES:
        key = f"src/roles/{role}/routes.tsx"
        assert key in m[entry].get("dynamicImports", []), f"{role} is not a lazy import of the entry"
        assert key not in first, f"{role} screens load with the first screen"
    measured = sizes()
    print("gzipped JS bytes:", measured)
    assert measured["entry"] <= BUDGET, measured
    for role in ROLES:
        assert measured["entry"] + measured[role] <= BUDGET, (role, measured)
        assert measured[role] > 0, (role, measured)
