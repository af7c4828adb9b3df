"""Typed application keys: every shared object an aiohttp app carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

import socketio
from aiohttp import web

from server.clock import Clock
from server.settings import Settings

if TYPE_CHECKING:
    pass

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
SIO = web.AppKey("sio", socketio.AsyncServer)
DB = web.AppKey("db", "Database")
RIGHTS = web.AppKey("rights", "Rights")  # rooms.access bound to the database: who may see whom
AUTH = web.AppKey("auth", "AuthService")
SOCKET_AUTH = web.AppKey("socket_auth", "SocketAuth")
USERS = web.AppKey("users", "Users")
NOTIFIER = web.AppKey("notifier", "Notifier")
ALERTS = web.AppKey("alerts", "Alerts")
ALERT_ENGINE = web.AppKey("alert_engine", "AlertEngine")
CARE_UNITS = web.AppKey("care_units", "CareUnits")
ONCALL = web.AppKey("oncall", "OnCallRota")
INGEST = web.AppKey("ingest", "Ingest")
WRITE_BEHIND = web.AppKey("write_behind", "WriteBehind")
DEVICES = web.AppKey("devices", "Devices")
DEVICE_LINKS = web.AppKey("device_links", "DeviceLinks")
MQTT_BRIDGE = web.AppKey("mqtt_bridge", "MqttBridge")
VITALS_HISTORY = web.AppKey("vitals_history", "VitalsHistory")
ACCESS = web.AppKey("access_requests", "AccessRequests")
PRESCRIPTIONS = web.AppKey("prescriptions", "Prescriptions")
INVENTORY = web.AppKey("inventory", "Inventory")
RECORDS = web.AppKey("records", "Records")
AUDIT = web.AppKey("audit", "Audit")
SYMPTOMS = web.AppKey("symptoms", "SymptomChecker")
# Chatbot and chat between people (server/chatbot/, server/chat/).
CHATBOT = web.AppKey("chatbot", "Chatbot")
CHAT = web.AppKey("chat", "Chat")
# -- scheduling and treatments --
SLOTS = web.AppKey("slots", "Slots")
APPOINTMENTS = web.AppKey("appointments", "Appointments")
TREATMENTS = web.AppKey("treatments", "Treatments")
INTAKES = web.AppKey("intakes", "Intakes")
THROTTLE = web.AppKey("throttle", "Throttle")  # server/ops/throttle.py: rate limits and lockouts
FHIR = web.AppKey("fhir", "Fhir")  # server/fhir/service.py: the FHIR facade's reads
METRICS = web.AppKey("metrics", "Metrics")  # server/ops/metrics.py: the registry and the /metrics gate
