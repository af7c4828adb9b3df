"""`python -m server [--demo]`: run the server with settings from the environment."""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys

from aiohttp import web

from server.app import create_app
from server.keys import CLOCK, DB, DEVICE_LINKS, DEVICES, INGEST, USERS
from server.logs import configure_logging
from server.settings import SettingsError, load_settings, secure_data_dir

log = logging.getLogger("server")


def install_event_loop() -> str:
    """Use uvloop when installed (measured in bench: more events/s per CPU second)."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    uvloop.install()
    return "uvloop"


def raise_open_files_limit() -> int:
    """Every socket is a file descriptor: lift the soft limit to the hard one (often 1024 -> 1M)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 1 << 20, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="Run the Fadjma server.")
    parser.add_argument("--demo", action="store_true",
                        help="seed demo users (idempotent) and print their credentials")
    parser.add_argument("--no-simulator", action="store_true",
                        help="with --demo: no in-process device feed (external devices, e.g. firmware/sim, feed it)")
    args = parser.parse_args(argv)
    configure_logging("INFO")
    # Owner-only, whatever the umask the server was started with: DATA_DIR holds the database files
    # (health data), the JWT secret and the symptom model; the embedded database inherits the umask.
    os.umask(0o077)
    try:
        settings = load_settings(demo=args.demo)
    except SettingsError as exc:
        log.error("configuration error: %s", exc)
        return 2
    secure_data_dir(settings.data_dir)
    configure_logging(settings.log_level, settings.log_format)
    raise_open_files_limit()
    loop = install_event_loop()
    log.debug("event loop: %s", loop)
    app = create_app(settings)
    if settings.demo:
        from server.demo.seed import Demo, demo_ctx
        app.cleanup_ctx.append(demo_ctx(Demo(settings, app[DB], app[CLOCK], app[USERS], app[DEVICES], app[INGEST],
                                             app[DEVICE_LINKS], simulate=not args.no_simulator)))
    # shutdown_timeout bounds SIGTERM whatever the clients do (sockets are closed in on_shutdown; a
    # request whose body never comes would otherwise hold it for aiohttp's default 60 s).
    web.run_app(app, host=settings.host, port=settings.port, access_log=None,
                shutdown_timeout=settings.shutdown_grace_s,
                print=lambda msg: log.info("%s", msg.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
