"""User schemas: roles, profiles, registration and admin creation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from models.common import Input, Output

Role = Literal["patient", "doctor", "pharmacist", "admin"]
ROLES: tuple[str, ...] = ("patient", "doctor", "pharmacist", "admin")
Level = Literal["low", "normal", "high"]
Gender = Literal["male", "female", "other"]

USERNAME = Field(min_length=3, max_length=150, pattern=r"^[\w.@+-]+$",
                 description="letters, digits and @ . + - _ (as in the earlier system)")
PASSWORD = Field(min_length=8, max_length=128)


class _Lowercase(Input):
    @field_validator("gender", "blood_pressure", "cholesterol_level", mode="before", check_fields=False)
    @classmethod
    def _lower(cls, v):
        return v.strip().lower() if isinstance(v, str) else v


class PatientProfile(_Lowercase):
    birth_date: date
    gender: Gender
    blood_pressure: Level = "normal"
    cholesterol_level: Level = "normal"
    timezone: str | None = Field(default=None, min_length=1, max_length=64,
                                 description="IANA zone; unset: DEFAULT_TIMEZONE")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            if v is not None:
                ZoneInfo(v)
            return v
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone (e.g. Africa/Dakar, Europe/Paris)") from None

    @field_validator("birth_date")
    @classmethod
    def _past(cls, v: date) -> date:
        if v > date.today() or v.year < 1900:
            raise ValueError("birth_date must be a past date after 1900")
        return v


class RegisterIn(PatientProfile):
    """A patient registering themselves: account fields plus the patient profile."""

    username: str = USERNAME
    password: str = PASSWORD
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)

    def profile(self) -> dict:
        return self.model_dump(mode="json", include=set(PatientProfile.model_fields))


class StaffCreateIn(Input):
    """An admin creating a doctor, pharmacist or admin account."""

    username: str = USERNAME
    password: str = PASSWORD
    role: Literal["doctor", "pharmacist", "admin"]
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    speciality: str | None = Field(default=None, min_length=2, max_length=100)

    @model_validator(mode="after")
    def _doctor_needs_speciality(self):
        if self.role == "doctor" and not self.speciality:
            raise ValueError("a doctor needs a speciality")
        if self.role != "doctor" and self.speciality:
            raise ValueError("only doctors have a speciality")
        return self

    def profile(self) -> dict:
        return {"speciality": self.speciality} if self.role == "doctor" else {}


class LoginIn(Input):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=128)


class RefreshIn(Input):
    refresh: str = Field(min_length=1, max_length=4096)


class RevokeIn(Input):
    refresh: str | None = Field(default=None, max_length=4096)


class UserOut(Output):
    id: str
    username: str
    role: Role
    email: str | None = None
    first_name: str = ""
    last_name: str = ""
    profile: dict = {}
    created_at: datetime

    @classmethod
    def from_doc(cls, doc: dict) -> UserOut:
        return cls(id=doc["_id"], **{k: doc.get(k) for k in ("username", "role", "created_at")},
                   email=doc.get("email"), first_name=doc.get("first_name", ""),
                   last_name=doc.get("last_name", ""), profile=doc.get("profile", {}))


class DoctorsQuery(Input):
    speciality: str | None = Field(default=None, min_length=1, max_length=100)


class DoctorOut(Output):
    """One doctor as the earlier API's `GET /api/doctors/` listed them."""

    id: str
    name: str
    email: str | None = None
    speciality: str | None = None


class UsersQuery(Input):
    """`GET /api/users/`: one page by username (server/storage/paging.py)."""

    role: str | None = None
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=500, ge=1, le=1000)


class NamesQuery(Input):
    """`GET /api/people/names?ids=a,b,c`: up to 200 user ids, comma-separated."""

    ids: str = Field(min_length=1, max_length=200 * 65)

    def id_list(self) -> list[str]:
        return [i for i in (x.strip() for x in self.ids.split(",")) if i][:200]


class NamesOut(Output):
    """{user id: display name}, only for the asked ids the caller has a care relation with."""

    names: dict[str, str]
