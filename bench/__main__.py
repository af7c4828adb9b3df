"""`python -m bench <name> [options]`: run one benchmark, print its table, write bench/results/<name>.json.

Names: see BENCHMARKS below or `python -m bench --help`; `python -m bench <name> --help` for options.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from bench.common import raise_fd_limit

BENCHMARKS = {
    "reference": ("bench.b_reference", "protocol layer vs the Node socket.io reference (ingest + fan-out)"),
    "connections": ("bench.b_connections", "1k/5k/10k idle authenticated sockets: memory per connection"),
    "ingest": ("bench.b_ingest", "devices send vitals with acks (Socket.IO, HTTP batch, MQTT): durable msgs/s"),
    "fanout": ("bench.b_fanout", "one patient watched by 1..5,000 dashboards: send to last receive"),
    "replay": ("bench.b_replay", "reconnect with 1,000 missed notifications: time to deliver all in order"),
    "e2e-alert": ("bench.b_alert", "a reading that fires an alert: time until the doctor has alert:raised"),
    "scaleout": ("bench.b_scaleout", "one vs two server processes over Redis, ingest with live fan-out"),
    "fhir": ("bench.b_fhir", "one FHIR Observation page from a day of 1 Hz readings, vs reading the whole day"),
    "sweep": ("bench.b_sweep", "open-loop offered-load sweep: Socket.IO ack p50/p99 against offered rate, PNG chart"),
    "shapes": ("bench.b_shapes", "the vitals store alone: rows and packs by commit shape vs one document per reading"),
    "fleet": ("bench.b_fleet", "1k..10k devices each sending every 5 s, 200 dashboards: RSS, CPU, ack p99"),
}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="name", required=True)
    for name, (module, help_text) in BENCHMARKS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
        p.set_defaults(module=module)
        try:
            importlib.import_module(module).add_arguments(p)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            p.set_defaults(missing=f"benchmark {name!r} is not built on this branch yet")
    args = parser.parse_args(argv)
    if getattr(args, "missing", None):
        parser.error(args.missing)
    raise_fd_limit()
    importlib.import_module(args.module).run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
