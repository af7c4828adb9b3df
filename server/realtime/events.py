"""Every Socket.IO event the server accepts or emits, in one place.

Handlers use these constants (never string literals), and the README's event catalogue
is generated from CATALOGUE: `python -m server.realtime.events` prints it as Markdown and
`python -m server.realtime.events --update-readme` rewrites the README's table.
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
AUTH_REVOKED = event(
    "auth:revoked", OUT, "`session:<token family>` (every socket of the session)",
    "`{code: \"token_revoked\", message}`",
    "The session was revoked (logout, or a refresh token used twice): sent to each of its sockets, on every "
    "process, just before the server disconnects them.")

# -- clinical alerts and care units (branch alerts: server/alerting/store.py, server/care/units.py) --
_ALERT = ("`{alert: {id, patient_id, group, type, source, category, kind, severity, state, causes, first_at, "
          "last_at, last_value, count, stale, escalation_level, next_escalation_at, acknowledged_by, "
          "acknowledged_at, ack_comment, cleared_at, cleared_by, clear_reason, retrospective, measured_from, "
          "measured_to, data, history}, change}`")
_ALERT_ROOMS = "`user:<patient>`, `patient:<id>`, `user:<doctor with vitals grant>`, `unit:<id>`"
ALERT_RAISED = event(
    "alert:raised", OUT, _ALERT_ROOMS, _ALERT,
    "A rule's condition held long enough (or NEWS2, a device fault): a new open alert, one clinical episode "
    "per patient (its `causes`: rules and NEWS2 parameters), one per device and type for device alerts. Also "
    "an inbox item for the patient, the granted doctors and the unit's staff. A *retrospective* alert "
    "(`retrospective: true`, `measured_from`/`measured_to`) is raised already closed for late data, one "
    "episode with its causes in `group: \"retrospective\"`: the patient was in that state then, not now.")
ALERT_UPDATED = event(
    "alert:updated", OUT, _ALERT_ROOMS, _ALERT,
    "`change` = `cause_added` (a rule or NEWS2 parameter joined the open episode; live only, unless it lifts "
    "the severity of an acknowledged alert: then an inbox item and unacknowledged again), `severity_rose` "
    "(a cause worsened: also an inbox item; an acknowledged alert becomes unacknowledged again), "
    "`severity_fell` (the patient partly improved past the rule's hysteresis and clear time; live only, in "
    "`history`; escalation follows the lower severity), `cause_cleared` (live only), "
    "`repeat` (one more bad reading: count/last value; live only, at most every 10 s per alert), "
    "`stale`/`fresh` (the patient's device went offline / came back).")
ALERT_ACKNOWLEDGED = event(
    "alert:acknowledged", OUT, _ALERT_ROOMS, _ALERT,
    "Someone acknowledged (`acknowledged_by`, `ack_comment`); escalation stops. Also an inbox item.")
ALERT_CLEARED = event(
    "alert:cleared", OUT, _ALERT_ROOMS, _ALERT,
    "Cleared automatically (values back in range for the rule's time, device back, battery charged; "
    "`clear_reason: auto`) or by hand (`cleared_by`). Also an inbox item.")
ALERT_ESCALATED = event(
    "alert:escalated", OUT, _ALERT_ROOMS, _ALERT,
    "Still unacknowledged after ALERT_ESCALATION_<SEVERITY>_S: escalated one level along the chain (responsible "
    "doctor, the unit's on-call doctors, its seniors, every doctor; `history[-1]` says which and why), at most "
    "once per ALERT_ESCALATION_MIN_REPEAT_S per alert. The people paged get an `urgent` inbox item; doctors "
    "with no relation to the patient (the all-doctors level) get only a minimal inbox item, never this event.")
UNIT_WATCH = event(
    "unit:watch", IN, "(ack)", "`{unit_id}`",
    "Staff of a care unit join `unit:<id>`; ack data: the unit's summary (as `unit:summary`).")
UNIT_UNWATCH = event("unit:unwatch", IN, "(ack)", "`{unit_id}`", "Leave `unit:<id>`.")
UNIT_SUMMARY = event(
    "unit:summary", OUT, "`unit:<id>`",
    "`{unit: {id, name, kind}, at, patients: [{id, name, news2, open_alerts: [alert]}], "
    "devices: {active: [..], offline: [..]}}`",
    "Every UNIT_SUMMARY_S: the unit's patients with their latest NEWS2 and open alerts, its devices.")
ONCALL_CHANGED = event(
    "oncall:changed", OUT, "`unit:<id>`, `user:<staff of the unit>`",
    "`{unit_id, change: added|removed, entry: {id, unit_id, doctor_id, from, to, created_by, created_at}}`",
    "An admin or a senior of the unit added or removed an on-call rota entry (server/care/oncall.py).")

NEWS2_UPDATED = event(
    "news2:updated", OUT, "`patient:<id>` (its `vitals:watch`ers), `unit:<id>` of the patient's units",
    "`{patient_id, score, partial, risk, alert_severity, missing, parameters, at, window_s}`",
    "A patient's NEWS2 changed (score, partial, risk, level or missing parameters); computed from the readings "
    "and clinician observations (server/alerting/news2_live.py). Not sent for an unchanged score.")

# -- inbox (server/inbox/notifier.py) ----------------------------------------------
NOTIFICATION_NEW = event(
    "notification:new", OUT, "`user:<id>` (every device of the recipient)",
    "the stored notification `{id, user_id, seq, type, title: {fr, en}, body: {fr, en}, link: {type, id}, "
    "data, urgency, created_at, read_at}`",
    "A new inbox item, stored before it is sent. `seq` is per user and strictly increasing. On connect with "
    "`auth: {token, last_seq}` every stored item with seq > last_seq is sent first, in order, then live ones: "
    "no gap, no duplicate.")
NOTIFICATION_UNREAD_COUNT = event(
    "notification:unread_count", OUT, "`user:<id>`", "`{unread}`",
    "The badge: sent after each new notification, after each read, and at the end of the connect replay.")
NOTIFICATION_READ = event(
    "notification:read", OUT, "`user:<id>`", "`{ids: [id], all: bool, read_at}`",
    "Items were marked read (on any device), so the user's other devices update too.")
NOTIFICATION_SYNCED = event(
    "notification:synced", OUT, "the connecting socket only", "`{last_seq, replayed}`",
    "End of the connect replay: everything up to `last_seq` has been delivered to this socket.")
NOTIFICATION_MARK_READ = event(
    "notification:mark_read", IN, "(ack)", "`{id}`",
    "Same as POST /api/notifications/{id}/read; ack `{ok, data: notification}`.")
NOTIFICATION_MARK_ALL_READ = event(
    "notification:mark_all_read", IN, "(ack)", "`{}`",
    "Same as POST /api/notifications/read-all; ack `{ok, data: {marked}}`.")

# -- access to a patient's data (server/care/access_requests.py) ------------------
ACCESS_REQUEST_NEW = event(
    "access_request:new", OUT, "`user:<patient>`",
    "`{id, doctor_id, patient_id, reason, scopes, duration_days, status: \"pending\", created_at}`",
    "A doctor asked the patient for access (also an inbox item of the same type).")
ACCESS_REQUEST_STATUS_CHANGED = event(
    "access_request:status_changed", OUT, "`user:<doctor>`, `user:<patient>`",
    "the request `{…, status: approved|rejected, decided_at, grant_id?}`",
    "The patient approved or rejected; both dashboards update (inbox item for the doctor).")
GRANT_REVOKED = event(
    "grant:revoked", OUT, "`user:<doctor>`, `user:<patient>`", "the grant `{id, doctor_id, patient_id, "
    "scopes, expires_at, revoked_at}`",
    "The patient revoked a grant: access stops at once and the doctor leaves `patient:<id>` "
    "(inbox item for the doctor).")
GRANT_EXPIRED = event(
    "grant:expired", OUT, "`user:<doctor>`, `user:<patient>`", "the grant `{…, ended_at}`",
    "A grant reached its expiry; the sweeper evicts the doctor's sockets from `patient:<id>` "
    "(inbox item for the doctor).")

# -- prescriptions and pharmacy stock (server/care/prescriptions.py, server/care/inventory.py) --
PRESCRIPTION_NEW = event(
    "prescription:new", OUT, "`role:pharmacist`, `user:<patient>`",
    "the prescription `{id, patient_id, doctor_id, medications: [{name, dose, frequency, duration, quantity, "
    "notes}], notes, status: \"created\", history, created_at}`",
    "A doctor with a `prescriptions` grant prescribed (inbox item for the patient and each pharmacist).")
PRESCRIPTION_STATUS_CHANGED = event(
    "prescription:status_changed", OUT, "`role:pharmacist`, `user:<patient>`, `user:<doctor>`",
    "the prescription, whose last `history` entry is `{from, to, by, role, at, reason}`",
    "created → validated → prepared → ready → delivered, or rejected / cancelled "
    "(inbox item for the patient and the prescribing doctor).")
PRESCRIPTION_SET_STATUS = event(
    "prescription:set_status", IN, "(ack)", "`{id, status, reason?}`",
    "Same as POST /api/prescriptions/{id}/status; ack `{ok, data: prescription}` or 409 `invalid_transition`.")
INVENTORY_UPDATED = event(
    "inventory:updated", OUT, "`role:pharmacist`", "`{name, quantity, threshold, updated_at}`",
    "Stock changed (restock, preparation, return on cancellation).")
INVENTORY_LOW_STOCK = event(
    "inventory:low_stock", OUT, "`role:pharmacist`", "`{name, quantity, threshold}`",
    "Stock fell below its threshold (sent when it crosses it).")

# -- medical records (server/care/records.py) -------------------------------------
RECORD_CREATED = event(
    "record:created", OUT, "`user:<patient>`",
    "the entry `{id, patient_id, doctor_id, diagnosis, notes, visit_date, attachments, created_at, updated_at}`",
    "A doctor with a `records` grant added an entry (inbox item for the patient).")
RECORD_UPDATED = event(
    "record:updated", OUT, "`user:<patient>`", "the updated entry",
    "A doctor with a `records` grant changed an entry (inbox item for the patient).")


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
DEVICE_COMMAND_ACKED = event(
    "device:command_acked", OUT, "`role:admin`",
    "the stored command `{id, device_id, command, params, status: acked|failed, via, sent_at, acked_at, result}`",
    "A device answered a command (over Socket.IO, WebSocket or MQTT); stored before it is sent.")
DEVICE_STATUS = event(
    "device:status", OUT, "`role:admin`, `patient:<id>`",
    "`{device_id, patient_id, online, link, at}`",
    "A device came online or went offline (connection state, or no message within "
    "DEVICE_HEARTBEAT_TIMEOUT on the server clock).")

# -- appointments and treatments (server/scheduling, server/treatments) -----------
_APPT = ("the appointment `{id, slot_id, doctor_id, patient_id, start_time, end_time, status, created_at, "
         "cancelled_at, cancelled_by, cancel_reason, reminded_at}`")
APPOINTMENT_BOOKED = event(
    "appointment:booked", OUT, "`user:<doctor>`, `user:<patient>`", _APPT,
    "A patient reserved a slot (inbox item for the doctor; the patient's other devices update).")
APPOINTMENT_CANCELLED = event(
    "appointment:cancelled", OUT, "`user:<doctor>`, `user:<patient>`", _APPT,
    "The patient or the doctor cancelled, with a reason (inbox item for the other party).")
APPOINTMENT_REMINDER = event(
    "appointment:reminder", OUT, "`user:<doctor>`, `user:<patient>`", _APPT,
    "APPOINTMENT_REMINDER_S before the start (inbox item for both; once, whatever the number of processes).")
_TREATMENT_ROOMS = "`user:<patient>`, `user:<doctor with prescriptions grant>`"
_TREATMENT = ("the treatment `{id, patient_id, medocs_name, frequency, duration_days, started_at, end, "
              "jours_restants, timezone, intakes_total, next_intake_at, created_by, prescription_id, created_at}`")
TREATMENT_CREATED = event(
    "treatment:created", OUT, _TREATMENT_ROOMS, _TREATMENT,
    "A treatment was added (inbox item for the patient when a doctor added it, or a delivered prescription "
    "did).")
TREATMENT_UPDATED = event(
    "treatment:updated", OUT, _TREATMENT_ROOMS, _TREATMENT,
    "A treatment was changed (or rescheduled after a time zone change).")
TREATMENT_DELETED = event(
    "treatment:deleted", OUT, _TREATMENT_ROOMS, "`{id, patient_id}`", "A treatment was deleted.")
TREATMENT_INTAKE_DUE = event(
    "treatment:intake_due", OUT, "`user:<patient>`",
    "`{treatment_id, medocs_name, due_at, local_time, timezone}`",
    "Time to take a medication (inbox item too), at the treatment's local times of day in the patient's "
    "time zone; once per intake across processes. Answer with POST /api/treatments/{id}/intakes/.")
TREATMENT_INTAKE_RECORDED = event(
    "treatment:intake_recorded", OUT, _TREATMENT_ROOMS,
    "`{id, treatment_id, patient_id, due_at, status: taken|skipped, answered_at, note}`",
    "The patient confirmed or skipped an intake (their other devices and their granted doctors' screens update).")


# -- chatbot (server/chatbot/) and chat between people (server/chat/) --------------
CHATBOT_NAMESPACE = "/chatbot"
CHATBOT_MESSAGE = event(
    "chatbot:message", IN, "namespace `/chatbot` (ack)", "`{message, include_my_data?}`",
    "A question to the medical assistant; the answer streams as `chatbot:chunk`, ends with `chatbot:reply` "
    "(also the ack's data). 429 `rate_limited` beyond CHATBOT_RATE_LIMIT.")
CHATBOT_CHUNK = event(
    "chatbot:chunk", OUT, "the asking socket (`/chatbot`)", "`{reply_id, index, text}`",
    "A piece of the answer as it is produced (the red-flag warning, when there is one, is always index 0).")
CHATBOT_REPLY = event(
    "chatbot:reply", OUT, "the asking socket (`/chatbot`)",
    "`{reply_id, text, mode: gemini|offline, red_flags, grounded, lang, at}`",
    "The whole answer, the one to keep (after a Gemini failure it replaces the chunks sent before).")
CHATBOT_ERROR = event(
    "chatbot:error", OUT, "the asking socket (`/chatbot`)", "`{reply_id?, code, message}`",
    "`gemini_unavailable` (Gemini failed or timed out: the offline answer follows), `rate_limited`, `invalid`.")
CHATBOT_CLEAR = event(
    "chatbot:clear", IN, "namespace `/chatbot` (ack)", "`{}`",
    "Forget the caller's chatbot history (same as DELETE /api/chatbot/history/); ack `{ok, data: {deleted}}`.")
CHAT_SEND = event(
    "chat:send", IN, "(ack)", "`{conversation_id, text, client_id?}`",
    "Send a message in an open conversation; ack `{ok, data: message}` once stored. A repeated `client_id` "
    "returns the stored message (no duplicate); 403 `conversation_closed` when the care relation ended.")
CHAT_MESSAGE = event(
    "chat:message", OUT, "`user:<each participant>`",
    "`{id, conversation_id, seq, sender_id, text, client_id, created_at}`",
    "A stored message; `seq` is per conversation and strictly increasing. On connect with "
    "`auth: {token, chat: {<conversation_id>: last_seq}}` the missed ones are sent first to that socket, then "
    "`chat:synced`. Delivery is at least once: drop a `(conversation_id, seq)` already shown. Also an inbox item "
    "when the recipient is offline.")
CHAT_SYNCED = event(
    "chat:synced", OUT, "the connecting socket only", "`{conversations: {<id>: last_seq}, replayed}`",
    "End of the chat replay asked for in `auth.chat`.")
CHAT_TYPING = event(
    "chat:typing", IN, "(ack)", "`{conversation_id, typing}`", "The caller is typing (or stopped).")
CHAT_TYPING_CHANGED = event(
    "chat:typing_changed", OUT, "`user:<other participant>`", "`{conversation_id, user_id, typing, at}`",
    "The other party started or stopped typing (live only, not stored).")
CHAT_MARK_READ = event(
    "chat:mark_read", IN, "(ack)", "`{conversation_id, seq}`",
    "Read receipt: everything up to `seq` was read (same as POST /api/chat/conversations/{id}/read/).")
CHAT_READ = event(
    "chat:read", OUT, "`user:<each participant>`", "`{conversation_id, user_id, seq, at}`",
    "A participant read up to `seq` (the other party's receipt; the reader's other devices update too).")
CHAT_PRESENCE = event(
    "chat:presence", OUT, "`user:<each person with a conversation with them>`", "`{user_id, online, at}`",
    "Someone came online (first socket, on any server process) or went offline (last socket closed, or its "
    "process stopped refreshing presence for CHAT_PRESENCE_TTL_S).")


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
        update_readme(Path(__file__).resolve().parents[2] / "README.md")  # the repository root
    else:
        sys.stdout.write(markdown())
