"""Shared pydantic bases and helpers for request and response schemas."""

from __future__ import annotations

import uuid
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from models.errors import invalid_from

M = TypeVar("M", bound=BaseModel)
INT64 = 2**63 - 1  # MongoDB keeps 64-bit integers: a larger one is a field error, not an OverflowError (500)


class Input(BaseModel):
    """A request body: unknown fields are refused so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def parse(model: type[M], data: object) -> M:
    """Validate `data` into `model`, turning pydantic's error into a domain `Invalid`."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise invalid_from(exc) from None


def new_id() -> str:
    return uuid.uuid4().hex
