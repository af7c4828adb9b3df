"""Every Socket.IO event the server accepts or emits, in one place.

Handlers use these constants (never string literals), and the README's event catalogue
is generated from CATALOGUE: `python -m server.events` prints it as Markdown and
`python -m server.events --update-readme` rewrites the README's table.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

IN = "client → server"
OUT = "server → client"


@dataclass(frozen=True)
class Event:
    name: str
    direction: str
    room: str
    payload: str
    description: str


CATALOGUE: list[Event] = []


def event(name: str, direction: str, room: str, payload: str, description: str) -> str:
    CATALOGUE.append(Event(name, direction, room, payload, description))
    return name


# -- session -----------------------------------------------------------------
AUTH_REFRESH = event(
    "auth:refresh", IN, "(ack)", "`{token}` a new access token of the same user",
    "Extends a long-lived socket's authentication; ack `{ok, data: {exp}}`.")
AUTH_EXPIRED = event(
    "auth:expired", OUT, "the socket only", "`{code: \"token_expired\", message}`",
    "Sent just before the server drops a socket whose token expired and was not refreshed "
    "within the grace period (SOCKET_AUTH_GRACE).")


def markdown() -> str:
    lines = ["| Event | Direction | Room | Payload | Meaning |", "|---|---|---|---|---|"]
    for e in CATALOGUE:
        lines.append(f"| `{e.name}` | {e.direction} | {e.room} | {e.payload} | {e.description} |")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- events:begin -->", "<!-- events:end -->"


def update_readme(path: Path) -> bool:
    """Rewrite the catalogue between the README's markers; True if it changed."""
    text = path.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    new = f"{head}{BEGIN}\n{markdown()}{END}{tail}"
    path.write_text(new)
    return new != text


if __name__ == "__main__":
    if "--update-readme" in sys.argv:
        update_readme(Path(__file__).resolve().parent.parent / "README.md")
    else:
        sys.stdout.write(markdown())
