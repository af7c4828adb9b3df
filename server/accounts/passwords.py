"""New passwords: refused when common or when they contain the user's own names.

`common_passwords.txt.gz` holds the 8,351 passwords of 8 to 128 characters (shorter ones are
refused by length already) from Django 5.2.8's `django/contrib/auth/common-passwords.txt.gz`
(BSD-3-Clause, © Django Software Foundation), itself Royce Williams' list of the 20,000 most
common passwords from public breach corpora, lowercased. Compared lowercased, so `Password1`
is `password1`. Checked when an account is created (registration, an admin creating staff).
"""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path

from models.errors import Invalid

LIST = Path(__file__).with_name("common_passwords.txt.gz")
MIN_NAME = 3  # shorter names ("al", "li") would refuse too many honest passwords


@functools.cache
def common() -> frozenset[str]:
    with gzip.open(LIST, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def _names(username: str, first_name: str, last_name: str, email: str | None) -> set[str]:
    parts = {username, first_name, last_name, (email or "").partition("@")[0]}
    # "dr.diop" and "jean-pierre" also contain "diop" and "pierre"
    parts |= {p for whole in list(parts) for p in re.split(r"[\W_]+", whole)}
    return {p.casefold() for p in parts if len(p) >= MIN_NAME}


def check_new_password(password: str, *, username: str, first_name: str = "", last_name: str = "",
                       email: str | None = None) -> None:
    """Raise a 400 with a `password` field error when the password is too easy to guess."""
    lowered = password.casefold()
    if lowered.strip() in common():
        why, kind = "This password is too common", "password_common"
    elif any(name in lowered for name in _names(username, first_name, last_name, email)):
        why, kind = "The password must not contain your username, name or e-mail", "password_personal"
    else:
        return
    raise Invalid(why, code="weak_password", details=[{"field": "password", "message": why, "type": kind}])
