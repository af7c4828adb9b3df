"""SecantusDB's own daemon (`secantus.cli.main`, what `secantusd-py` runs), with the TTL sweep
period of its config file honoured.

SecantusDB 0.7.0b3's launcher reads `[storage] ttl_sweep_seconds` from `--config` but never hands
it to the server it builds, so the sweep always runs every 60 s. The test session needs it off:
its injected clock lives months behind the wall clock the sweep compares with, so a sweep between
a test's write and its read deleted what the test had just stored (server.storage.embedded_db).
Everything else (flags, config, signals) is the upstream launcher's.

Run as `python server/storage/secantusd_launch.py <secantusd-py flags> --config <file>` (it imports
only SecantusDB, so it runs by path from any directory).
"""

from __future__ import annotations

import functools
import sys

from secantus import cli
from secantus.config import load_config


def main(argv: list[str] | None = None) -> int:
    args = cli.build_parser().parse_args(argv)
    cfg, _ = load_config(args.config)
    # The one thing the upstream launcher drops: the server it builds gets the configured period.
    cli.SecantusDBServer = functools.partial(cli.SecantusDBServer, ttl_sweep_seconds=cfg.ttl_sweep_seconds)
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
