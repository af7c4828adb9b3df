"""The embedded database: data survives a restart and a crash of the database process."""

from __future__ import annotations

import dataclasses

from pymongo import MongoClient

from server.app import create_app
from server.storage.embedded_db import EmbeddedDB
from tests.conftest import Api


async def test_restart_with_same_data_dir_keeps_users(aiohttp_client, settings, clock, tmp_path):
    embedded = dataclasses.replace(settings, mongodb_uri=None, data_dir=tmp_path / "data")
    first = await aiohttp_client(create_app(embedded, clock))
    await Api(first).register_patient("persistent")
    await first.close()  # runs the cleanup contexts: the child DB is stopped cleanly
    assert (tmp_path / "data" / "db" / "wiredtiger").is_dir()
    second = Api(await aiohttp_client(create_app(embedded, clock)))
    tokens = await second.login("persistent")
    status, me = await second.call("GET", "/api/me", tokens["access"])
    assert status == 200 and me["username"] == "persistent"


def test_acknowledged_write_survives_a_crash(tmp_path):
    db = EmbeddedDB(tmp_path / "db")
    with MongoClient(db.start()) as client:
        client.fadjma.probe.insert_many([{"n": i} for i in range(100)])
    db.kill()  # SIGKILL: no checkpoint, no clean close
    again = EmbeddedDB(tmp_path / "db")
    try:
        with MongoClient(again.start()) as client:
            assert client.fadjma.probe.count_documents({}) == 100
    finally:
        again.stop()


def test_second_server_on_same_storage_fails_clearly(tmp_path):
    import pytest

    from server.storage.embedded_db import EmbeddedDBError
    first = EmbeddedDB(tmp_path / "db")
    first.start()
    try:
        with pytest.raises(EmbeddedDBError, match="exited"):
            EmbeddedDB(tmp_path / "db").start(timeout=20)
    finally:
        first.stop()


def test_orphan_of_a_killed_server_is_stopped_on_next_start(tmp_path):
    """A server killed with SIGKILL leaves its database running; the next start takes over."""
    import subprocess
    import sys
    import textwrap
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from pymongo import MongoClient
        from server.storage.embedded_db import EmbeddedDB
        db = EmbeddedDB(Path({str(tmp_path / "db")!r}))
        with MongoClient(db.start()) as c:
            c.fadjma.probe.insert_one({{"kept": True}})
        os._exit(0)  # like SIGKILL: no cleanup, the child database lives on
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    again = EmbeddedDB(tmp_path / "db")
    try:
        with MongoClient(again.start()) as client:
            assert client.fadjma.probe.count_documents({"kept": True}) == 1
    finally:
        again.stop()


def test_ttl_sweep_period_reaches_the_database(tmp_path):
    """`ttl_sweep_s` is the database's own TTL sweep period (the test session turns it off, since its
    clock lives months in the past): at 0.5 s an expired document goes within seconds, and a fresh one
    stays; with sweeps off the expired one is still there after several of those periods."""
    import time
    from datetime import UTC, datetime, timedelta

    old, fresh = datetime.now(UTC) - timedelta(days=3), datetime.now(UTC)
    for period, expired_kept in ((0.5, False), (0, True)):
        db = EmbeddedDB(tmp_path / f"db-{period}", ttl_sweep_s=period)
        try:
            with MongoClient(db.start()) as client:
                coll = client.fadjma.probe
                coll.create_index("at", expireAfterSeconds=86400)
                coll.insert_many([{"_id": "old", "at": old}, {"_id": "fresh", "at": fresh}])
                deadline = time.monotonic() + (30 if not expired_kept else 3)
                while time.monotonic() < deadline and coll.count_documents({"_id": "old"}) == 1:
                    time.sleep(0.1)
                assert sorted(d["_id"] for d in coll.find()) == (["fresh", "old"] if expired_kept else ["fresh"])
        finally:
            db.stop()
