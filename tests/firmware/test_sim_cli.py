"""`python -m firmware.sim` end to end (in-process, against the test server): it provisions its
devices through the admin API, runs them for a bounded time over three transports at once and
every reading it took is stored exactly once."""

from __future__ import annotations

import pytest

from firmware.sim.__main__ import main_async, parse_args
from tests.conftest import DEMO_PASSWORD
from tests.firmware.server_api import DB, stored_readings


async def test_the_cli_runs_a_small_fleet_over_three_transports(api, capsys):
    await api.user("fleet-admin", "admin")
    args = parse_args(["--url", api.base_url, "--admin", "fleet-admin", "--password", DEMO_PASSWORD,
                       "--devices", "3", "--transport", "socketio,websocket,http", "--scenario", "normal,sepsis",
                       "--interval", "0.2", "--duration", "2", "--rate", "100", "--seed", "1", "--prefix", "cli"])
    assert await main_async(args) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("cli-") and
            line.split()[1].isdigit()}
    assert sorted(rows) == ["cli-0", "cli-1", "cli-2"], out
    for device_id, row in rows.items():
        sampled, accepted, duplicate, rejected, dropped, buffered = map(int, row[1:7])
        assert sampled >= 5 and buffered == 0 and dropped == 0, row
        assert accepted + rejected == sampled and duplicate == 0, row
        docs = await stored_readings(api.client.app[DB], device_id=device_id)
        assert sorted(d["seq"] for d in docs) == list(range(accepted)), row


def test_the_cli_refuses_unbounded_or_unknown_settings():
    for bad in (["--duration", "0"], ["--duration", "100000"], ["--transport", "carrier-pigeon"],
                ["--scenario", "zombie"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
