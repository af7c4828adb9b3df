"""The administrator's device screen end to end: provision (the token is shown once), a device
connects with that token over Socket.IO (`/devices`), the row goes online, a command sent from
the screen is acknowledged by the device and the screen shows the ack live (`device:command_acked`,
with a toast); the session is listed."""

from __future__ import annotations

import asyncio
import threading
import uuid

import socketio
from playwright.sync_api import expect


class DeviceSocket:
    """A device on `/devices` in a thread of its own; acknowledges every command it receives."""

    def __init__(self, base: str, device_id: str, token: str) -> None:
        self.base, self.device_id, self.token = base, device_id, token
        self.commands: list[dict] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sio = socketio.AsyncClient(reconnection=False)

        @self.sio.on("device:command", namespace="/devices")
        async def command(data):
            self.commands.append(data)
            await self.sio.emit("command:ack", {"command_id": data["id"], "ok": True, "result": {"blinked": True}},
                                namespace="/devices")

    def run(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connect(self) -> None:
        self.run(self.sio.connect(self.base, namespaces=["/devices"], transports=["websocket"],
                                  auth={"device_id": self.device_id, "token": self.token}))

    def close(self) -> None:
        self.run(self.sio.disconnect())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_provision_connect_command_ack(login, people, server):
    admin = login(people["admin"])
    name = f"Moniteur {uuid.uuid4().hex[:6]}"
    admin.get_by_test_id("device-name").fill(name)
    admin.get_by_test_id("device-mac").fill("aa:bb:cc:" + ":".join(uuid.uuid4().hex[i:i + 2] for i in (0, 2, 4)))
    admin.get_by_test_id("device-patient").fill(people["patient2_id"])
    admin.get_by_test_id("device-provision").click()
    shown = admin.get_by_test_id("device-token")
    expect(shown).to_contain_text("affiché une seule fois")
    token = shown.inner_text().rsplit(": ", 1)[1].strip()
    row = admin.get_by_test_id("device-row").filter(has_text=name)
    expect(row).to_contain_text("Hors ligne")
    device_id = row.get_attribute("data-device")

    device = DeviceSocket(server.base, device_id, token)
    try:
        device.connect()
        expect(row).to_contain_text("En ligne")  # device:status, live
        row.get_by_role("button", name="Commandes").click()
        admin.get_by_test_id("device-send-command").click()
        # live (device:command_acked): well before the screen's 30 s fallback poll
        expect(admin.locator("[data-testid=device-command][data-status=acked]")).to_have_count(1, timeout=5_000)
        expect(admin.get_by_test_id("toast").filter(has_text="Commande identify acquittée par " + name)).to_be_visible()
        assert [c["command"] for c in device.commands] == ["identify"]

        admin.get_by_role("tab", name="Sessions des appareils").click()
        expect(admin.get_by_test_id("session-row").filter(has_text=device_id)).to_contain_text("socketio")
    finally:
        device.close()

    admin.get_by_role("tab", name="Appareils", exact=True).click()
    expect(admin.get_by_test_id("device-row").filter(has_text=name)).to_be_visible()
    expect(admin.get_by_test_id("device-token")).to_have_count(0)  # shown once only
