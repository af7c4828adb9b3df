"""The doctor's monitoring wall under load: 50 patients, one reading per second each.

    .venv/bin/python -m bench.web_wall [--patients 50] [--seconds 20]

Starts `python -m server --demo` (throw-away embedded SecantusDB) serving the built web app,
creates a doctor, N patients with a vitals grant and a device each, opens the wall in Debian's
Chromium (headless, Playwright's driver), then sends one reading per patient per second over
HTTP for `--seconds` while the page counts animation frames and long tasks (> 50 ms). Prints
frames/s, long tasks and the share of readings the wall showed. Not a test: numbers depend on
the machine (see README "Benchmarks").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import sync_playwright

from server.storage.embedded_db import EmbeddedDB
from tests.web.flows import NORMAL, ensure_grant, provision_device
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, PASSWORD, Http, ServerProcess

PROBE = """() => {
  window.__m = {frames: 0, long: 0, longMs: 0, maxLong: 0};
  const tick = () => { window.__m.frames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => list.getEntries().forEach((e) => {
    window.__m.long++; window.__m.longMs += e.duration; window.__m.maxLong = Math.max(window.__m.maxLong, e.duration);
  })).observe({entryTypes: ['longtask']});
}"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fadjma-wall-"))
    db = EmbeddedDB(tmp / "db")
    server = ServerProcess(db.start(), "wall", tmp / "data", tmp / "server.log")
    server.start()
    http = Http(server.base)
    try:
        admin = http.login("admin", DEMO_PASSWORD)
        http.call("POST", "/api/users/", admin, {"username": "dr.wall", "password": PASSWORD, "role": "doctor",
                                                 "speciality": "icu"}, expect=201)
        doctor = http.login("dr.wall", PASSWORD)
        devices = []
        for i in range(args.patients):
            user = http.call("POST", "/api/register/", body={"username": f"wall.p{i}", "password": PASSWORD,
                                                             "birth_date": "1960-01-01", "gender": "male"}, expect=201)
            ensure_grant(http, doctor, http.login(f"wall.p{i}", PASSWORD), user["id"])
            devices.append(provision_device(http, admin, user["id"])[1])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(server.base + "/")
            page.locator("input[name=username]").fill("dr.wall")
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("button[type=submit]").click()
            page.wait_for_selector("[data-testid=conn][data-status=connected]")
            page.wait_for_function(f"document.querySelectorAll('[data-testid=wall-tile]').length === {args.patients}",
                                   timeout=60_000)
            page.evaluate(PROBE)
            stop = threading.Event()
            sent = [0]

            def feed() -> None:
                seq = 0
                with ThreadPoolExecutor(8) as pool:
                    while not stop.is_set():
                        t0 = time.monotonic()
                        seq += 1
                        for tok in devices:
                            pool.submit(http.call, "POST", "/api/iot/data", tok,
                                        {"seq": seq, "readings": {**NORMAL, "heart_rate": 60 + seq % 40}})
                        sent[0] += len(devices)
                        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))

            feeder = threading.Thread(target=feed, daemon=True)
            start = time.monotonic()
            feeder.start()
            page.wait_for_timeout(args.seconds * 1000)
            stop.set()
            feeder.join()
            elapsed = time.monotonic() - start
            m = page.evaluate("() => window.__m")
            page.wait_for_timeout(2000)
            last = 60 + (sent[0] // len(devices)) % 40
            shown = page.evaluate(f"""() => [...document.querySelectorAll('[data-testid=wall-latest]')]
                .filter(e => e.textContent.includes(' {last}')).length""")
            print(f"patients {args.patients}, readings sent {sent[0]} in {elapsed:.1f} s "
                  f"({sent[0] / elapsed:.0f}/s)")
            print(f"frames/s {m['frames'] / elapsed:.1f}; long tasks {m['long']} "
                  f"(total {m['longMs']:.0f} ms, longest {m['maxLong']:.0f} ms)")
            print(f"tiles showing the last reading: {shown}/{args.patients}")
            browser.close()
    finally:
        server.stop()
        db.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
