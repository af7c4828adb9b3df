#!/bin/sh
# Add or replace one MQTT login in the broker's password file, then make mosquitto reload it.
#   mqtt/add-device.sh <device_id> <device_token> [password_file]
#   mqtt/add-device.sh fadjma-server <bridge_password> [password_file]   (the server's own login)
# After a token rotation run it again; after a revocation remove the line (mosquitto_passwd -D).
set -eu
if [ $# -lt 2 ]; then
    echo "usage: $0 <device_id> <token> [password_file (default /etc/mosquitto/fadjma.passwd)]" >&2
    exit 2
fi
user=$1 token=$2 file=${3:-/etc/mosquitto/fadjma.passwd}
case $user in
    *[!A-Za-z0-9_-]*|"") echo "device id must be letters, digits, _ or -" >&2; exit 2 ;;
esac
[ -f "$file" ] || { touch "$file"; chmod 0644 "$file"; }
mosquitto_passwd -b "$file" "$user" "$token"
chmod 0644 "$file"   # mosquitto reads it after dropping root
# SIGHUP makes a running mosquitto reload its password and ACL files.
if [ -n "${MOSQUITTO_PID:-}" ]; then
    kill -HUP "$MOSQUITTO_PID"
elif command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
    systemctl reload mosquitto
else
    echo "reload the broker to apply: kill -HUP <mosquitto pid> (or set MOSQUITTO_PID)" >&2
fi
echo "added MQTT login for $user in $file"
