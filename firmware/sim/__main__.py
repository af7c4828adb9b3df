"""`python -m firmware.sim`: N virtual devices against a running server, for a bounded time.

Example (the server from `scripts/run.sh --demo` on port 8000):
    python -m firmware.sim --devices 6 --transport socketio,websocket,http --scenario normal,sepsis \\
        --duration 120 --interval 2
Devices are provisioned through the admin API (created, or taken over with a rotated token), one
per patient; without --patients new patients are registered. MQTT needs a broker the server is
bridged to (MQTT_URL) and the devices' logins (--mqtt-passwd runs mqtt/add-device.sh);
LoRaWAN needs the server's LORAWAN_WEBHOOK_SECRET (--lorawan-secret).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys

from firmware.sim.device import RateLimit
from firmware.sim.fleet import Admin, Spec, dev_eui_of, make_device, mqtt_login, run_fleet
from firmware.sim.links import TRANSPORTS
from firmware.sim.vitals import SCENARIOS

MAX_DURATION_S = 24 * 3600


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m firmware.sim", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:8000", help="server base URL")
    p.add_argument("--admin", default="admin", help="admin username (provisioning)")
    p.add_argument("--password", default="fadjma-demo-2026", help="admin password")
    p.add_argument("--devices", type=int, default=3, help="number of virtual devices")
    p.add_argument("--transport", default="socketio", help=f"comma list, cycled over devices: {', '.join(TRANSPORTS)}")
    p.add_argument("--scenario", default="normal", help=f"comma list, cycled: {', '.join(SCENARIOS)}")
    p.add_argument("--patients", default="", help="comma list of patient usernames (default: register new ones)")
    p.add_argument("--prefix", default="sim", help="device ids are <prefix>-<n>")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    p.add_argument("--duration", type=float, default=60.0, help=f"seconds to run (at most {MAX_DURATION_S})")
    p.add_argument("--rate", type=float, default=200.0, help="fleet-wide messages per second (0: unlimited)")
    p.add_argument("--speed", type=float, default=1.0, help="scenario seconds per real second")
    p.add_argument("--onset", type=float, default=600.0, help="scenario seconds for sepsis/hypoglycaemia to develop")
    p.add_argument("--no-http-fallback", action="store_true", help="socket links do not replay over HTTP batch")
    p.add_argument("--mqtt-broker", default="127.0.0.1:1883")
    p.add_argument("--mqtt-passwd", default="", help="broker password file to add the devices' logins to")
    p.add_argument("--mqtt-broker-pid", type=int, default=0, help="send the broker SIGHUP after adding logins")
    p.add_argument("--lorawan-secret", default="", help="the server's LORAWAN_WEBHOOK_SECRET")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION_S:
        p.error(f"--duration must be in (0, {MAX_DURATION_S}]")
    if args.devices < 1 or args.interval <= 0:
        p.error("--devices must be ≥ 1 and --interval > 0")
    for t in args.transport.split(","):
        if t not in TRANSPORTS:
            p.error(f"unknown transport {t!r}")
    for s in args.scenario.split(","):
        if s not in SCENARIOS:
            p.error(f"unknown scenario {s!r}")
    return args


async def main_async(args: argparse.Namespace) -> int:
    transports, scenarios = args.transport.split(","), args.scenario.split(",")
    admin = Admin(args.url)
    try:
        await admin.login(args.admin, args.password)
        wanted = [u for u in args.patients.split(",") if u]
        known = await admin.patient_ids() if wanted else {}
        missing = [u for u in wanted if u not in known]
        if missing:
            print(f"no such patient: {', '.join(missing)}", file=sys.stderr)
            return 2
        devices, rate = [], RateLimit(args.rate)
        for n in range(args.devices):
            if wanted:
                patient_id = known[wanted[n % len(wanted)]]
            else:
                # Registered for an id only: nobody signs in as it, so a random password.
                patient_id = await admin.register_patient(f"{args.prefix}-patient-{n}", secrets.token_urlsafe(18))
            spec = Spec(f"{args.prefix}-{n}", patient_id, transports[n % len(transports)],
                        scenarios[n % len(scenarios)], args.interval, not args.no_http_fallback,
                        None if args.seed is None else args.seed + n, args.onset)
            token = await admin.device(spec.device_id, patient_id, max(1, round(args.interval)),
                                       dev_eui_of(spec.device_id))
            if spec.transport == "mqtt" and args.mqtt_passwd:
                mqtt_login(args.mqtt_passwd, spec.device_id, token, args.mqtt_broker_pid or None)
            devices.append(make_device(spec, args.url, token, rate, args.speed, mqtt_broker=args.mqtt_broker,
                                       lorawan_secret=args.lorawan_secret))
            print(f"{spec.device_id:<14} {spec.transport:<19} {spec.scenario:<14} patient {patient_id}", flush=True)
    finally:
        await admin.close()
    stats = await run_fleet(devices, args.duration)
    print(f"{'device':<14} sampled accepted duplicate rejected dropped buffered reconnects")
    for d, s in zip(devices, stats, strict=True):
        print(f"{d.device_id:<14} {s.sampled:>7} {s.settled['accepted']:>8} {s.settled['duplicate']:>9} "
              f"{s.settled['rejected']:>8} {d.outbox.dropped:>7} {len(d.outbox):>8} {s.reconnects:>10}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(main_async(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
