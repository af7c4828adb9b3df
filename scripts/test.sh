#!/usr/bin/env bash
# README command 2: set up everything the tests need, lint, build and test the web app, and run every test.
# pytest's exit code 5 (no test collected) is a failure here, not a success.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh || { echo "could not install system packages" >&2; exit 1; }
scripts/setup.sh --dev || { echo "could not install Python packages" >&2; exit 1; }
.venv/bin/ruff check . || exit 1
.venv/bin/lint-imports --no-cache || exit 1  # the import contracts in .importlinter
# The web app: built (the end-to-end tests in tests/web drive it) and its Vitest suite run.
scripts/build-web.sh --test || { echo "web app build or Vitest failed" >&2; exit 1; }
.venv/bin/python -m pytest "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit $rc
