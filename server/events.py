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


# -- devices and live vital signs (branch iot) ------------------------------------
DEVICES_NAMESPACE = "/devices"
VITALS_SEND = event(
    "vitals:send", IN, "namespace `/devices` (ack)",
    "`{seq, ts?, readings: {heart_rate, spo2, temperature, systolic, diastolic, glucose, respiratory_rate}}`",
    "A device sends one reading set; the ack `{ok, data: {status: accepted|duplicate, id, seq}}` comes "
    "after the durable write; a rejected set is `{ok: false, error: {code: rejected, message}}`.")
DEVICE_HEARTBEAT = event(
    "device:heartbeat", IN, "namespace `/devices` (ack)", "`{battery?, rssi?, uptime?, free_heap?, firmware?}`",
    "A device reports its health; stored on the device record.")
DEVICE_ALERT = event(
    "device:alert", IN, "namespace `/devices` (ack)", "`{code, message, severity?}`",
    "A device reports a fault or an on-device alarm; stored, then passed to the alert engine.")
COMMAND_ACK = event(
    "command:ack", IN, "namespace `/devices` (ack)", "`{command_id, ok, result?}`",
    "A device acknowledges a command it received; recorded on the command.")
DEVICE_COMMAND = event(
    "device:command", OUT, "the device's socket (`/devices`)", "`{id, command, params}`",
    "A command for the device (`set_interval`, `identify`, `reboot`, `sync_time`); queued while it is "
    "offline and sent when it connects.")
VITALS_WATCH = event(
    "vitals:watch", IN, "(ack)", "`{patient_id}`",
    "Start watching a patient's vitals (the patient, or a doctor with a `vitals` grant): the socket gets "
    "`vitals:snapshot`, then every `vitals:new`, with no gap. Ack data: the same snapshot.")
VITALS_UNWATCH = event(
    "vitals:unwatch", IN, "(ack)", "`{patient_id}`", "Stop watching a patient's vitals.")
VITALS_SNAPSHOT = event(
    "vitals:snapshot", OUT, "the watching socket", "`{patient_id, readings: {kind: {value, unit, loinc, ts, "
    "received_at, device_id}}}`", "The latest value of each vital, sent once when watching starts.")
VITALS_NEW = event(
    "vitals:new", OUT, "`patient:<id>`", "`{id, device_id, patient_id, seq, ts, received_at, clock_suspect, "
    "readings: {kind: {value, unit, loinc}}}`", "A reading set was stored (any transport).")
DEVICE_STATUS = event(
    "device:status", OUT, "`role:admin`, `patient:<id>`",
    "`{device_id, patient_id, online, link, at}`",
    "A device came online or went offline (connection state, or no message within "
    "DEVICE_HEARTBEAT_TIMEOUT on the server clock).")


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
