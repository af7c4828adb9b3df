#!/usr/bin/env bash
# Debian packages the tests need (real services started by the tests themselves):
# redis-server for scale-out tests, mosquitto for the MQTT bridge, g++/make/doctest for the
# firmware core's host tests, chromium (+ fonts) for the web app's end-to-end tests (Playwright
# drives /usr/bin/chromium; no browser is downloaded), nginx + openssl to validate deploy/nginx.conf with
# TLS. Installs only what is missing.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
[ -f /usr/include/doctest/doctest.h ] || need+=(doctest-dev)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/liberation ] || need+=(fonts-liberation)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)   # tests/deploy: `nginx -t` validates deploy/nginx.conf
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages: ${need[*]}" >&2
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
