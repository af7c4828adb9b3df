"""A real Mosquitto for the tests (password file + %u ACL from mqtt/), the bridge's login, device clients."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import aiomqtt

from server.storage.embedded_db import free_port
from tests.support.processes import mosquitto_config, mqtt_login

BRIDGE_PASSWORD = "bridge-password-for-tests"


class Broker:
    def __init__(self) -> None:
        # Not under pytest's 0700 tmp dir: run as root, mosquitto drops to user `mosquitto`.
        self.dir = Path(tempfile.mkdtemp(prefix="fadjma-mqtt-"))
        self.dir.chmod(0o755)
        self.port = free_port()
        self.passwd = mosquitto_config(self.dir, self.port)
        self.proc: subprocess.Popen | None = None
        self.add("fadjma-server", BRIDGE_PASSWORD)

    def add(self, user: str, password: str) -> None:
        mqtt_login(self.passwd, user, password, self.proc.pid if self.proc else None)

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.dir / "mosquitto.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


def bridge_url(broker: Broker) -> str:
    """MQTT_URL for the server's bridge on this broker."""
    return f"mqtt://fadjma-server:{BRIDGE_PASSWORD}@127.0.0.1:{broker.port}"


def device_client(broker: Broker, device_id: str, token: str) -> aiomqtt.Client:
    return aiomqtt.Client("127.0.0.1", broker.port, username=device_id, password=token, identifier=device_id)


async def reloaded(broker: Broker, device_id: str, token: str) -> None:
    """Mosquitto re-reads its password file on SIGHUP, asynchronously: wait until a login works."""
    async with asyncio.timeout(30):  # generous: a loaded CI machine
        while True:
            try:
                async with device_client(broker, device_id, token):
                    return
            except aiomqtt.MqttError:
                await asyncio.sleep(0.05)
