"""Collection names: the stored documents' catalogue, shared by the owner and its readers.

Each collection is written by one owner module (tests/test_house.py holds the table);
readers import the name from here, so a reader never needs to import the owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

USERS = "users"
GRANTS = "grants"
CARE_UNITS = "care_units"
ONCALL = "oncall_shifts"  # per care unit on-call rota (server/care/oncall.py)
DEVICES = "devices"
ALERTS = "alerts"
# Chatbot and chat between people (server/chatbot/, server/chat/); prescriptions read for care relations.
PRESCRIPTIONS = "prescriptions"
CHATBOT_HISTORY = "chatbot_history"
CONVERSATIONS = "chat_conversations"
CHAT_MESSAGES = "chat_messages"
CHAT_PRESENCE = "chat_presence"


def public(doc: Mapping[str, Any] | None, *, fields: Iterable[str] | None = None, omit: Iterable[str] = (),
           id_as: str = "id") -> dict[str, Any] | None:
    """A stored document as clients get it (REST bodies and socket events): `_id` → `id` (or `id_as`),
    only `fields` (missing ones as null) or everything but `omit`. Datetimes stay datetimes: orjson,
    which writes every response and event, turns them into ISO 8601 exactly as `isoformat()` does.
    The one serializer of stored documents; response models (models/*) shape what is not stored."""
    if doc is None:
        return None
    if fields is not None:
        body = {key: doc.get(key) for key in fields}
    else:
        dropped = {"_id", *omit}
        body = {key: value for key, value in doc.items() if key not in dropped}
    return {id_as: doc["_id"], **body}


# -- scheduling and treatments (server/scheduling, server/treatments) --
SLOTS, APPOINTMENTS = "slots", "appointments"
TREATMENTS, INTAKES = "treatments", "treatment_intakes"
