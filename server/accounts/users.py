"""User accounts: creation with unique case-insensitive usernames, look-ups, login."""

from __future__ import annotations

from pymongo import IndexModel
from pymongo.errors import DuplicateKeyError

from models.common import new_id
from models.errors import Conflict, NotFound, Unauthorized
from models.identity import Identity
from rooms.relations import related_ids
from server.accounts.passwords import check_new_password
from server.auth.tokens import hash_password, verify_password
from server.clock import Clock
from server.logs import security_event
from server.storage import paging
from server.storage.db import Database

COLLECTION = "users"


def full_name(doc: dict) -> str:
    return f"{doc.get('first_name', '')} {doc.get('last_name', '')}".strip() or doc["username"]


class Users:
    """The `users` collection's owner: accounts, passwords, listing."""

    def __init__(self, db: Database, clock: Clock, login_guard=None) -> None:
        self.db = db
        self.clock = clock
        # server.ops.throttle.LoginGuard (before/failed/succeeded); None: sign-ins are not throttled.
        self.login_guard = login_guard
        # The unique index on the lowercased name is what makes "Alice" and "alice" one user,
        # even when two registrations race.
        db.declare(COLLECTION, IndexModel("username_lower", unique=True), IndexModel("role"))

    async def create(self, *, username: str, password: str, role: str, profile: dict,
                     email: str | None = None, first_name: str = "", last_name: str = "",
                     by: str | None = None) -> dict:
        """A new account; `by` the admin who created it (a security event), None for self-registration."""
        check_new_password(password, username=username, first_name=first_name, last_name=last_name, email=email)
        doc = {
            "_id": new_id(), "username": username, "username_lower": username.lower(),
            "password_hash": await hash_password(password), "role": role, "email": email,
            "first_name": first_name, "last_name": last_name, "profile": profile,
            "is_active": True, "created_at": self.clock.now(),
        }
        try:
            await self.db[COLLECTION].insert_one(doc)
        except DuplicateKeyError:
            raise Conflict("This username is already taken", code="username_taken",
                           details=[{"field": "username", "message": "already taken"}]) from None
        security_event("account_created", "ok", user_id=doc["_id"], role=role, by=by)
        return doc

    async def get(self, user_id: str) -> dict:
        doc = await self.db[COLLECTION].find_one({"_id": user_id})
        if doc is None:
            raise NotFound("No such user")
        return doc

    async def names_for(self, identity: Identity, ids: list[str]) -> dict[str, str]:
        """{id: display name} for those of `ids` the caller has a relation with (rooms/relations.py);
        the others are left out, whether or not they exist."""
        allowed = await related_ids(self.db, self.clock, identity, ids)
        docs = await self.db[COLLECTION].find({"_id": {"$in": sorted(allowed)}},
                                              {"first_name": 1, "last_name": 1, "username": 1}).to_list(None)
        return {d["_id"]: full_name(d) for d in docs}

    async def active_role(self, user_id: str) -> str | None:
        doc = await self.db[COLLECTION].find_one({"_id": user_id, "is_active": True}, {"role": 1})
        return doc["role"] if doc else None

    async def doctors(self, speciality: str | None = None) -> list[dict]:
        """Active doctors, by name; `speciality` matches whole and case-insensitively.

        Filtered here rather than by a regex query: there are tens of doctors, not millions."""
        docs = await self.db[COLLECTION].find({"role": "doctor", "is_active": True}, {"password_hash": 0}) \
            .to_list(None)
        if speciality is not None:
            wanted = speciality.strip().casefold()
            docs = [d for d in docs if str((d.get("profile") or {}).get("speciality", "")).casefold() == wanted]
        return sorted(docs, key=lambda d: (full_name(d).casefold(), d["_id"]))
    async def set_timezone(self, user_id: str, zone: str) -> dict:
        """The profile's IANA time zone (treatment reminders and slot dates are local to it)."""
        doc = await self.db[COLLECTION].find_one_and_update(
            {"_id": user_id}, {"$set": {"profile.timezone": zone}}, return_document=True)
        if doc is None:
            raise NotFound("No such user")
        return doc

    async def check_login(self, username: str, password: str, address: str | None = None) -> dict:
        """The account for these credentials, or 401 `invalid_credentials` (429 when throttled)."""
        account = username.lower()
        if self.login_guard is not None:
            await self.login_guard.before(account, address)
        doc = await self.db[COLLECTION].find_one({"username_lower": account})
        ok = await verify_password(doc["password_hash"] if doc else None, password)
        if not ok or not doc.get("is_active", True):
            if self.login_guard is not None:
                await self.login_guard.failed(address)
            security_event("login", "failed", username=username[:64], address=address)
            raise Unauthorized("Wrong username or password", code="invalid_credentials")
        if self.login_guard is not None:
            await self.login_guard.succeeded(account)
        security_event("login", "ok", user_id=doc["_id"], role=doc["role"], address=address)
        return doc

    async def list(self, role: str | None = None, *, cursor: str | None = None,
                   limit: int = 500) -> tuple[list[dict], str | None]:
        """One page of accounts (without password hashes) by username (unique index), and the next cursor."""
        return await paging.page(self.db[COLLECTION], {"role": role} if role else {}, [("username_lower", 1)],
                                 cursor, limit, {"password_hash": 0})
