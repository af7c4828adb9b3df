"""Keyset paging: every list is read in pages along an indexed key, never loaded whole or cut silently.

A page is `limit` documents in the order of `keys` (the last key is unique, usually `_id`),
read as `key > the last one seen` with the sort and `limit + 1`: the extra document says
whether there is more. The cursor is the last document's key values, opaque to clients
(base64url of JSON; dates tagged). `next` is None on the last page; otherwise the list was
truncated and `next` fetches the rest. Over HTTP (server/http/middleware.paged) the cursor
goes in `X-Next-Cursor` and `Link: <…>; rel="next"`, or in a `next` field of an object body.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import orjson

from models.errors import Invalid

Keys = list[tuple[str, int]]  # (field, 1 ascending | -1 descending), the last one unique


def encode(values: list[Any]) -> str:
    tagged = [{"$d": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(orjson.dumps(tagged)).decode().rstrip("=")


def decode(cursor: str, n: int) -> list[Any]:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != n:
            raise ValueError("wrong length")
        return [datetime.fromisoformat(v["$d"]) if isinstance(v, dict) else v for v in raw]
    except (ValueError, TypeError, KeyError):
        raise Invalid("`cursor` is not a cursor this list gave",
                      details=[{"field": "cursor", "message": "invalid cursor"}]) from None


def after(keys: Keys, values: list[Any]) -> dict:
    """The filter for documents strictly after `values` in the order of `keys`."""
    ors = []
    for i, (name, direction) in enumerate(keys):
        clause = {k: v for (k, _), v in zip(keys[:i], values[:i], strict=True)}
        clause[name] = {"$gt" if direction > 0 else "$lt": values[i]}
        ors.append(clause)
    return ors[0] if len(ors) == 1 else {"$or": ors}


def _value(doc: dict, name: str) -> Any:
    for part in name.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


async def page(coll, query: dict, keys: Keys, cursor: str | None, limit: int,
               projection: dict | None = None) -> tuple[list[dict], str | None]:
    """One page of `query` along `keys`: (documents, next cursor or None)."""
    if cursor:
        query = {"$and": [query, after(keys, decode(cursor, len(keys)))]}
    docs = await coll.find(query, projection).sort(keys).limit(limit + 1).to_list(limit + 1)
    if len(docs) <= limit:
        return docs, None
    docs = docs[:limit]
    return docs, encode([_value(docs[-1], name) for name, _ in keys])
