"""Passwords (argon2) and JWTs: issue, verify, rotate, revoke.

Tokens are HS256 only (the algorithm list is pinned, so `alg: none` and RS/HS key
confusion are refused). Every token carries sub, role, exp, iat, jti, type and fam:
the family id shared by all tokens descending from one login, so that reuse of a
rotated refresh token (a sign it was stolen) revokes the whole family at once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import IndexModel

from models.errors import Unauthorized
from models.identity import Identity
from server.clock import Clock
from server.logs import security_event
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger(__name__)
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "role", "exp", "iat", "jti", "type"]
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False
    return await asyncio.to_thread(check)


class AuthService:
    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        db.declare("refresh_tokens", IndexModel("exp", expireAfterSeconds=0), IndexModel("fam"))
        db.declare("revocations", IndexModel("exp", expireAfterSeconds=0))
        # Called with the family id after a revocation (server/realtime/socket_auth.py: drop its sockets).
        self.on_revoke: list[Callable[[str], Awaitable[None]]] = []

    # -- issuing -------------------------------------------------------------
    def _encode(self, user_id: str, role: str, kind: str, fam: str, ttl: int) -> tuple[str, dict]:
        now = int(self.clock.timestamp())
        claims = {"sub": user_id, "role": role, "iat": now, "exp": now + ttl,
                  "jti": uuid.uuid4().hex, "type": kind, "fam": fam}
        return jwt.encode(claims, self.settings.jwt_secret, algorithm=ALGORITHM), claims

    def issue_access(self, user_id: str, role: str, fam: str) -> str:
        return self._encode(user_id, role, "access", fam, self.settings.access_token_ttl)[0]

    async def issue_pair(self, user_id: str, role: str, fam: str | None = None) -> dict[str, str]:
        fam = fam or uuid.uuid4().hex
        refresh, claims = self._encode(user_id, role, "refresh", fam, self.settings.refresh_token_ttl)
        await self.db["refresh_tokens"].insert_one({
            "_id": claims["jti"], "fam": fam, "user_id": user_id, "issued_at": self.clock.now(),
            "exp": self.clock.now() + timedelta(seconds=self.settings.refresh_token_ttl),
            "rotated_at": None,
        })
        return {"access": self.issue_access(user_id, role, fam), "refresh": refresh}

    # -- verifying -----------------------------------------------------------
    def decode(self, token: str | None, kind: str = "access") -> dict:
        """Verify signature, algorithm, claims and type; raise Unauthorized with a reason code."""
        if not token:
            raise Unauthorized("No token was given", code="token_missing")
        try:
            claims = jwt.decode(
                token, self.settings.jwt_secret, algorithms=[ALGORITHM],
                options={"require": REQUIRED_CLAIMS, "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            # Never the library's exception name in the answer: it tells a prober which check failed and how.
            log.debug("token refused: %s", type(exc).__name__)
            raise Unauthorized("The token is not valid", code="token_invalid") from None
        # exp checked against the injected clock, not the system one
        if claims["exp"] <= self.clock.timestamp():
            raise Unauthorized("The token has expired", code="token_expired")
        if claims["type"] != kind:
            raise Unauthorized(f"A {kind} token is required here", code="token_invalid")
        return claims

    def subject(self, token: str) -> str | None:
        """The user a valid-looking access token names (signature and expiry only, no revocation check)."""
        try:
            return self.decode(token, "access")["sub"]
        except Unauthorized:
            return None

    async def is_revoked(self, claims: dict) -> bool:
        keys = [claims["jti"]] + ([claims["fam"]] if claims.get("fam") else [])
        return await self.db["revocations"].find_one({"_id": {"$in": keys}}, {"_id": 1}) is not None

    async def authenticate(self, token: str | None) -> Identity:
        claims = self.decode(token, "access")
        if await self.is_revoked(claims):
            raise Unauthorized("The token has been revoked", code="token_revoked")
        return Identity(claims["sub"], claims["role"], claims["jti"], claims.get("fam", ""), claims["exp"])

    # -- rotation and revocation --------------------------------------------
    async def refresh(self, token: str, current_role) -> dict[str, str]:
        """Rotate a refresh token. `current_role(user_id)` returns the user's role or None."""
        claims = self.decode(token, "refresh")
        if await self.is_revoked(claims):
            raise Unauthorized("The token has been revoked", code="token_revoked")
        claimed = await self.db["refresh_tokens"].find_one_and_update(
            {"_id": claims["jti"], "rotated_at": None}, {"$set": {"rotated_at": self.clock.now()}})
        if claimed is None:
            if await self.db["refresh_tokens"].find_one({"_id": claims["jti"]}, {"_id": 1}):
                await self.revoke_family(claims["fam"], "token_reuse")
                security_event("token_reuse", "revoked", user_id=claims["sub"], family=claims["fam"])
                raise Unauthorized("This refresh token was already used; the session is revoked",
                                   code="token_reused")
            raise Unauthorized("The token has been revoked", code="token_revoked")
        role = await current_role(claims["sub"])
        if role is None:
            raise Unauthorized("The account no longer exists or is disabled", code="user_inactive")
        return await self.issue_pair(claims["sub"], role, claims["fam"])

    async def revoke_family(self, fam: str, reason: str = "logout") -> None:
        security_event("revoke", reason, family=fam)
        # Outlives every token of the family: refresh tokens live at most refresh_ttl.
        exp = self.clock.now() + timedelta(seconds=self.settings.refresh_token_ttl + self.settings.access_token_ttl)
        await self.db["revocations"].update_one(
            {"_id": fam}, {"$set": {"kind": "family", "exp": exp}}, upsert=True)
        for callback in self.on_revoke:
            await callback(fam)
