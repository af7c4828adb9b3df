#!/usr/bin/env bash
# Build the web app (web/ -> web/dist/) only when it is out of date: `npm ci` when the lock file
# changed since the last install, `npm run build` when any web source changed since the last
# build (a stamp over web/src, index.html, package files and configs is kept in web/dist/.stamp).
# Usage: scripts/build-web.sh [--test]   (--test: also run the Vitest suite, failing on failure)
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: install Node.js 20+ to build the web app (the server still runs; / says how to build)" >&2
  exit 3
fi
lock_sum=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "node_modules/.fadjma-$lock_sum" ]; then
  echo "web: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  touch "node_modules/.fadjma-$lock_sum"
fi
src_sum=$( (find src -type f -print0 | sort -z | xargs -0 sha256sum; sha256sum index.html package.json package-lock.json \
  vite.config.ts tsconfig.json) | sha256sum | cut -c1-16)
if [ "$(cat dist/.stamp 2>/dev/null || true)" != "$src_sum" ]; then
  echo "web: npm run build" >&2
  npm run build --silent
  echo "$src_sum" > dist/.stamp
fi
if [ "${1:-}" = "--test" ]; then
  npm test --silent
fi
