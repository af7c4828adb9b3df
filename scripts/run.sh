#!/usr/bin/env bash
# README command 1: set up and run the server with the embedded database.
# Extra arguments go to the server (e.g. --demo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m server "$@"
