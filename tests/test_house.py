"""The rules of the house that import contracts cannot say (.importlinter says the rest).

Read from the source with `ast`, so a rule breaks the build the day it is broken:
- only `create_app` (server/app.py) wires `app[KEY]`; domains and platform get their
  dependencies in their constructors (handlers may read a service off `request.app`);
- each collection is written by one owner module (table below); others call the owner;
- handlers parse, authorise, call one service and return: no `emit`, no room joins, no
  database access;
- rooms are joined and left only in `rooms/`.
Known violations are listed as named exceptions with the reason; the test fails when one
is fixed and still listed, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "rooms", "handlers", "models")
WRITES = {"insert_one", "insert_many", "update_one", "update_many", "delete_one", "delete_many", "replace_one",
          "find_one_and_update", "find_one_and_delete", "find_one_and_replace", "bulk_write", "stage"}
READS = {"find", "find_one", "aggregate", "count_documents", "distinct", "estimated_document_count"}
ROOM_CALLS = {"enter_room", "leave_room", "close_room"}
MANAGER_MODULES = {"server.realtime.sio_manager", "server.realtime.evictions"}

# Collection -> the one module that writes it (write-behind's `stage` counts as its caller's write).
OWNERS = {
    "users": "server.accounts.users",
    "refresh_tokens": "server.auth.tokens",
    "revocations": "server.auth.tokens",
    "grants": "server.care.access_requests",
    "access_requests": "server.care.access_requests",
    "prescriptions": "server.care.prescriptions",
    "inventory": "server.care.inventory",
    "records": "server.care.records",
    "audit": "server.care.audit",
    "care_units": "server.care.units",
    "oncall_shifts": "server.care.oncall",
    "notifications": "server.inbox.notifier",
    "counters": "server.inbox.notifier",
    "devices": "server.iot.registry",
    "device_commands": "server.iot.links",
    "presence_leases": "server.iot.links",
    "device_alerts": "server.iot.links",
    "vitals": "server.iot.vitals_store",
    "vitals_packs": "server.iot.vitals_store",
    "vitals_seen": "server.iot.vitals_store",
    "vitals_latest": "server.iot.ingest",
    "vitals_rejected": "server.iot.ingest",
    "vitals_hours": "server.iot.history",
    "alerts": "server.alerting.store",
    "alert_states": "server.alerting.engine",
    "alert_configs": "server.alerting.config",
    "alert_config_audit": "server.alerting.config",
    "news2_latest": "server.alerting.news2_service",
    "news2_observations": "server.alerting.news2_service",
    # scheduling and treatments
    "slots": "server.scheduling.slots",
    "appointments": "server.scheduling.appointments",
    "treatments": "server.treatments.service",
    "treatment_intakes": "server.treatments.intakes",
    # chatbot and chat between people
    "chatbot_history": "server.chatbot.history",
    "chat_conversations": "server.chat.service",
    "chat_messages": "server.chat.service",
    "chat_presence": "server.chat.presence",
}

# rule -> {module: why it is still an exception}
EXCEPTIONS: dict[str, dict[str, str]] = {
    "app_outside_create_app": {
        "server.http.middleware": "HTTP adapter: `authenticated` reads the token service off the request's app, "
                                  "as handlers read theirs",
    },
    "foreign_collection_write": {
        "server.alerting.unit_summary": "claims next_summary_at on care_units (care owns the document; alerting "
                                        "may not import care)",
        "server.demo.scenario": "seeds the demo ward directly",
    },
    "handler_does_work": {
        "handlers.device_socket": "the /devices transport's own send (a command to its socket) and disconnect",
        "handlers.health": "readiness is a database ping",
    },
    "room_join_outside_rooms": {},
}


def modules() -> dict[str, ast.Module]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
            out[name] = ast.parse(path.read_text(), filename=str(path))
    return out


MODULES = modules()


def constants() -> dict[str, dict[str, str]]:
    """module -> {name: string} for module-level string constants, following imports and aliases."""
    local: dict[str, dict[str, ast.expr]] = {}
    imported: dict[str, dict[str, tuple[str, str]]] = {}
    for mod, tree in MODULES.items():
        local[mod], imported[mod] = {}, {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
                if isinstance(target, ast.Name):
                    local[mod][target.id] = value
                elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):  # A, B = "a", "b"
                    local[mod].update({t.id: v for t, v in zip(target.elts, value.elts, strict=True)
                                       if isinstance(t, ast.Name)})
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    imported[mod][a.asname or a.name] = (node.module, a.name)

    def resolve(mod: str, name: str, depth: int = 0) -> str | None:
        if depth > 5 or mod not in local:
            return None
        value = local[mod].get(name)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
        if isinstance(value, ast.Name):
            return resolve(mod, value.id, depth + 1)
        if name in imported[mod]:
            src, orig = imported[mod][name]
            return resolve(src, orig, depth + 1)
        return None

    return {mod: {n: v for n in set(local[mod]) | set(imported[mod]) if (v := resolve(mod, n))} for mod in MODULES}


CONSTANTS = constants()


def collection_of(mod: str, expr: ast.expr, attrs: dict[str, str]) -> str | None:
    """The collection a receiver expression stands for: db[NAME], db["name"], self.coll (a property/attribute)."""
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return key.value
        if isinstance(key, ast.Name):
            return CONSTANTS[mod].get(key.id)
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        return attrs.get(expr.attr)
    return None


def class_collections(mod: str, cls: ast.ClassDef) -> dict[str, str]:
    """self.<attr> -> collection, from `self.x = db[...]` and `@property def x: return self.db[...]`."""
    found: dict[str, str] = {}
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute):
            if (coll := collection_of(mod, node.value, {})) is not None:
                found[node.targets[0].attr] = coll
        if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list):
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and ret.value is not None:
                    if (coll := collection_of(mod, ret.value, {})) is not None:
                        found[node.name] = coll
    return found


def writes(mod: str) -> set[str]:
    tree, out = MODULES[mod], set()
    scopes: list[tuple[ast.AST, dict[str, str]]] = [(tree, {})]
    scopes += [(c, class_collections(mod, c)) for c in ast.walk(tree) if isinstance(c, ast.ClassDef)]
    for scope, attrs in scopes:
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "claim_due":
                if node.args and (coll := collection_of(mod, node.args[0], attrs)) is not None:
                    out.add(coll)  # server.jobs.claim_due(db[COLLECTION], due, update)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
                if node.func.attr == "stage":  # write_behind.stage(COLLECTION, _id, update)
                    arg = node.args[0] if node.args else None
                    coll = collection_of(mod, ast.Subscript(value=ast.Name("db"), slice=arg), {}) if arg else None
                else:
                    coll = collection_of(mod, node.func.value, attrs)
                if coll is not None:
                    out.add(coll)
    return out


def calls(tree: ast.AST, names: set[str]) -> list[int]:
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in names]


def app_subscripts(tree: ast.AST) -> list[int]:
    """Lines with `app[...]` or `<x>.app[...]` (reading or writing a key of the aiohttp app)."""
    lines = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Subscript):
            v = n.value
            if (isinstance(v, ast.Name) and v.id == "app") or (isinstance(v, ast.Attribute) and v.attr == "app"):
                lines.append(n.lineno)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get":
            v = n.func.value
            if (isinstance(v, ast.Name) and v.id == "app") or (isinstance(v, ast.Attribute) and v.attr == "app"):
                lines.append(n.lineno)
    return lines


def violations(rule: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for mod, tree in MODULES.items():
        if rule == "app_outside_create_app":
            if mod.startswith("server.") and mod not in ("server.app", "server.__main__", "server.keys"):
                if lines := app_subscripts(tree):
                    found[mod] = f"app[...] at lines {lines}"
        elif rule == "foreign_collection_write":
            foreign = sorted(c for c in writes(mod) if OWNERS.get(c, "?") != mod)
            if foreign and not mod.startswith("server.storage"):
                found[mod] = f"writes {foreign}"
        elif rule == "handler_does_work":
            if mod.startswith("handlers."):
                what = []
                if lines := calls(tree, {"emit"} | ROOM_CALLS):
                    what.append(f"emits or joins at {lines}")
                if lines := calls(tree, READS | WRITES - {"stage"}):
                    what.append(f"queries at {lines}")
                db = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "DB"]
                if db:
                    what.append(f"uses app[DB] at {db}")
                if what:
                    found[mod] = "; ".join(what)
        elif rule == "room_join_outside_rooms":
            # sio_manager (and its evictions mixin) is the Socket.IO manager: it implements rooms
            # rather than joining them.
            if not mod.startswith("rooms") and mod not in MANAGER_MODULES and (
                    lines := calls(tree, ROOM_CALLS)):
                found[mod] = f"joins or leaves at {lines}"
    return found


@pytest.mark.parametrize("rule", sorted(EXCEPTIONS))
def test_rule_holds_except_for_listed_exceptions(rule):
    found = violations(rule)
    listed = EXCEPTIONS[rule]
    new = {m: why for m, why in found.items() if m not in listed}
    fixed = sorted(m for m in listed if m not in found)
    assert not new, f"{rule}: new violations (fix them, or list them with a reason): {new}"
    assert not fixed, f"{rule}: fixed, remove from EXCEPTIONS: {fixed}"


def test_every_written_collection_has_an_owner():
    written = {c for mod in MODULES for c in writes(mod)}
    assert written - set(OWNERS) == set(), "a collection nobody owns is written"
    assert set(OWNERS) - written == set(), "an owner listed for a collection nobody writes"


def test_the_checker_sees_writes_through_names_properties_and_write_behind():
    """The detector itself: a rule that sees nothing would pass for ever."""
    assert "users" in writes("server.accounts.users")  # self.coll property over db[COLLECTION]
    assert "vitals_latest" in writes("server.iot.ingest")  # write_behind.stage(LATEST, ...)
    assert "care_units" in writes("server.care.units")  # COLLECTION = CARE_UNITS from models.documents
