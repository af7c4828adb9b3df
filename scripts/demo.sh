#!/usr/bin/env bash
# The live demo: server + embedded database + demo users, three simulated bedside devices over
# Socket.IO, WebSocket and MQTT (HTTP without mosquitto), patient.ba deteriorating so that alerts
# fire and escalate within two minutes. Options: --duration S (default 900), --port P, --onset S.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The web app, to watch it as dr.fall (a no-op when the build is up to date).
scripts/build-web.sh || echo "warning: the web app could not be built; the API and the terminal view still run" >&2
exec .venv/bin/python -m firmware.sim.demo "$@"
