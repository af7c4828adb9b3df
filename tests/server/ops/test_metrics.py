"""`/metrics`: off (404) unless configured, guarded by token and address; and the numbers an operator reads
after a ward scenario (sockets by role, events in and out, ingest, rejections, alert states, escalations,
errors by code, logged exceptions), with no patient id anywhere in the scrape or in the log lines."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.app import create_app
from server.keys import ALERT_ENGINE, ALERTS, INGEST, NOTIFIER
from tests.support.alerting import alerting_settings, cast, feed
from tests.support.helpers import Recorder, until

pytestmark = pytest.mark.ward
TOKEN = "metrics-token-0123456789"
SPO2_CRITICAL = {"heart_rate": 72, "spo2": 88, "temperature": 36.8}


@pytest.fixture
def settings(settings):
    return alerting_settings(settings, metrics_token=TOKEN, alert_escalation_critical_s=300)


def samples(text: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, *sorted(s.labels.items()))] = s.value
    return out


async def scrape(api) -> tuple[str, dict]:
    resp = await api.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain")
    text = await resp.text()
    return text, samples(text)


async def test_metrics_are_404_unless_configured(aiohttp_client, settings, clock):
    client = await aiohttp_client(create_app(dataclasses.replace(settings, metrics_token=None), clock))
    resp = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"


async def test_a_token_is_required_when_set(api):
    assert (await api.client.get("/metrics")).status == 401
    assert (await api.client.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"})).status == 401
    await scrape(api)


@pytest.mark.parametrize(("allow", "status"), [(("10.0.0.0/8",), 404), (("127.0.0.1/32",), 200)])
async def test_the_address_allow_list(aiohttp_client, settings, clock, allow, status):
    config = dataclasses.replace(settings, metrics_token=None, metrics_allow=allow)
    client = await aiohttp_client(create_app(config, clock))  # the test client connects from 127.0.0.1
    assert (await client.get("/metrics")).status == status


async def test_two_apps_in_one_process_count_apart(aiohttp_client, settings, clock, api):
    other = await aiohttp_client(create_app(settings, clock))
    for _ in range(3):
        await other.get("/api/me")
    _, mine = await scrape(api)
    assert ("fadjma_errors_total", ("code", "token_missing"), ("transport", "http")) not in mine


async def test_a_ward_scenario_is_counted(api, app, clock, caplog):
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="server")
    people = await cast(api)
    pid = people["pid"]
    doctor = await Recorder(api, people["doctor"][1]).connect()
    await Recorder(api, people["patient"][1]).connect()
    assert (await doctor.call("notification:mark_all_read", {}))["ok"] is True
    assert (await doctor.call("no:such_event", {}))["ok"] is False
    assert (await api.call("GET", "/api/me"))[0] == 401

    await feed(app, people["device"], SPO2_CRITICAL, times=8)          # 8 reading sets, one alert raised
    bad = await app[INGEST].submit(people["device"], {"seq": 1, "ts": "soon", "readings": {}}, "test")
    assert bad["status"] == "rejected"
    alert = await app[ALERTS].coll.find_one({"patient_id": pid, "type": "spo2_low"})
    clock.advance(300)
    assert len(await app[ALERT_ENGINE].escalation.run_once()) == 1
    status, _ = await api.call("POST", f"/api/iot/alerts/{alert['_id']}/acknowledge", people["ward"][1], json={})
    assert status == 200

    async def broken(_stored):
        raise RuntimeError("a subscriber bug")

    app[INGEST].subscribe(broken)
    await feed(app, people["device"], {"heart_rate": 70}, times=1)
    await until(lambda: any(r.name == "server.iot.ingest" and r.exc_info for r in caplog.records))

    text, got = await scrape(api)
    assert got[("fadjma_sockets", ("namespace", "/"), ("role", "doctor"))] == 1
    assert got[("fadjma_sockets", ("namespace", "/"), ("role", "patient"))] == 1
    assert got[("fadjma_socket_connections_total", ("kind", "new"))] == 2
    assert got[("fadjma_socket_events_in_total", ("event", "notification:mark_all_read"), ("namespace", "/"),
                ("outcome", "ok"))] == 1
    assert got[("fadjma_socket_events_in_total", ("event", "(unknown)"), ("namespace", "/"), ("outcome", "error"))] == 1
    assert got[("fadjma_errors_total", ("code", "unknown_event"), ("transport", "socket"))] == 1
    assert got[("fadjma_errors_total", ("code", "token_missing"), ("transport", "http"))] == 1
    assert got[("fadjma_http_responses_total", ("method", "GET"), ("status", "401"))] == 1
    assert got[("fadjma_readings_stored_total",)] == 9
    assert got[("fadjma_ingest_batch_size_count",)] == 9 and got[("fadjma_ingest_batch_size_sum",)] == 9
    assert got[("fadjma_ingest_write_seconds_count",)] == 9
    assert got[("fadjma_readings_rejected_total", ("code", "invalid"))] == 1
    assert got[("fadjma_alerts_total", ("state", "active_unacknowledged"))] == 1
    assert got[("fadjma_alerts_total", ("state", "active_acknowledged"))] == 1
    assert got[("fadjma_alert_escalations_total",)] == 1
    assert got[("fadjma_socket_emits_total", ("event", "alert:escalated"))] == 1  # one emit to the room list
    assert got[("fadjma_exceptions_total", ("logger", "server.iot.ingest"))] == 1
    assert got[("fadjma_buffer_depth", ("buffer", "ingest"))] == 0
    assert ("fadjma_buffer_depth", ("buffer", "write_behind")) in got
    assert pid not in text and people["device"]["_id"] not in text  # bounded labels: no ids
    # No log line names the patient beside a condition or a value: the alert id does.
    lines = [r.getMessage() for r in caplog.records if r.name.startswith(("server.alerting", "server.iot"))]
    assert any(alert["_id"] in line for line in lines)
    assert [line for line in lines if pid in line] == []


async def test_reconnections_replays_and_the_time_to_read(api, app, clock):
    user, token = await api.user("fatou", "patient")
    title = {"fr": "Bonjour", "en": "Hello"}
    first = await Recorder(api, token).connect()
    await first.disconnect()
    (doc,) = await app[NOTIFIER].notify([user["id"]], "test:ping", title=title, body=title)
    await app[NOTIFIER].notify([user["id"]], "test:ping", title=title, body=title)
    back = await Recorder(api, token).connect(last_seq=0)                 # comes back: both replayed
    await until(lambda: len(back.new) == 2)
    clock.advance(42)
    assert (await api.call("POST", f"/api/notifications/{doc['_id']}/read", token))[0] == 200
    _, got = await scrape(api)
    assert got[("fadjma_socket_connections_total", ("kind", "new"))] == 1
    assert got[("fadjma_socket_connections_total", ("kind", "reconnect"))] == 1
    assert got[("fadjma_notifications_total",)] == 2
    assert got[("fadjma_notifications_replayed_total",)] == 2
    assert got[("fadjma_notification_read_seconds_count",)] == 1
    assert got[("fadjma_notification_read_seconds_sum",)] == 42
    await back.disconnect()
