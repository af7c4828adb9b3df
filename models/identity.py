"""Who is calling: taken only from a verified token (server/auth/tokens.py) or a socket session."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Identity:
    """The caller of a REST route or a socket event."""

    user_id: str
    role: str
    jti: str
    fam: str
    exp: float
