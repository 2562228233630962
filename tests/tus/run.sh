#!/usr/bin/env bash
# Drives a real resumable upload with tuspy, the official tus Python client (from PyPI, into a
# throw-away virtual environment), against the debug binary on a free port with temporary folders:
# an upload cut half-way by killing its client, then resumed by a new one (tests/tus/resume.py).
set -euo pipefail
cd "$(dirname "$0")/../.."

bin="${GOBLET_BIN:-$PWD/target/debug/goblet}"
[ -x "$bin" ] || { echo "No server binary at $bin: run cargo build first" >&2; exit 1; }

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "Installing tuspy from PyPI into a temporary virtual environment"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check tuspy

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# GOBLET_BIN is this script's, not the server's: the server refuses a GOBLET_* setting it does not know.
env -u GOBLET_BIN \
  GOBLET_BIND="127.0.0.1:$port" GOBLET_MEDIA_DIR="$work/media" GOBLET_DATA_DIR="$work/data" \
  GOBLET_ASSETS_DIR="$PWD/assets" GOBLET_LOG=info \
  "$bin" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$base/api/me" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

room="$(curl -fsS -c "$work/cookies" -X POST "$base/api/rooms" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["code"])')"
cookie="$(awk '$6 == "goblet_client" { print $6 "=" $7 }' "$work/cookies")"
[ -n "$cookie" ] || { echo "The server set no goblet_client cookie" >&2; exit 1; }

status=0
"$work/venv/bin/python" tests/tus/resume.py "$base" "$room" "$cookie" "$work/server.log" "$work" || status=$?
if [ "$status" -ne 0 ]; then
  echo "Server log (last lines):" >&2
  tail -n 20 "$work/server.log" >&2
fi
exit "$status"
