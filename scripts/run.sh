#!/usr/bin/env bash
# README command 1: set up and run the server with the embedded database.
# Extra arguments go to the server (e.g. --demo). The web app is built first when out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
rc=0
scripts/build-web.sh || rc=$?
if [ $rc -ne 0 ]; then
  echo "warning: the web app could not be built (exit $rc); the API runs without it" >&2
fi
exec .venv/bin/python -m server "$@"
