"""orjson behind the `json` interface python-socketio and python-engineio expect.

Passed as `socketio.AsyncServer(json=...)`: they call `dumps(obj, separators=...)` and
expect a str, and `loads(str)`. orjson is several times faster than the standard module;
OPT_NON_STR_KEYS keeps the standard module's acceptance of int keys, and datetimes are
written as ISO 8601 (the standard module would refuse them).
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def _default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def dumps(obj: Any, **_ignored: Any) -> str:
    """Compact JSON text (the separators argument is what orjson always does)."""
    return orjson.dumps(obj, default=_default, option=_OPTIONS).decode()


def loads(text: str | bytes, **_ignored: Any) -> Any:
    return orjson.loads(text)
