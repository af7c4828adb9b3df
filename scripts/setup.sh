#!/usr/bin/env bash
# Set up everything the server needs on a fresh machine: a virtualenv with the pinned
# packages. Idempotent: a second run only checks. Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
req=requirements.txt
[ "${1:-}" = "--dev" ] && req=requirements-dev.txt
stamp=".venv/.installed-$(sha256sum requirements*.txt | sha256sum | cut -c1-16)-$(basename $req)"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install --disable-pip-version-check -q -r "$req"
  touch "$stamp"
fi
