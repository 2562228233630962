#!/usr/bin/env bash
# Checks the REST API against its own OpenAPI document with schemathesis (every check, about a
# minute): answers must match the documented schemas, statuses and headers; data the document
# allows must be accepted and data it forbids refused. Schemathesis comes from PyPI into a
# throw-away virtual environment; the server is the debug binary, on a free port, with temporary
# folders. Usage: tests/schemathesis.sh [seconds] (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."

budget="${1:-60}"
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

echo "Installing schemathesis from PyPI into a temporary virtual environment"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check schemathesis
"$work/venv/bin/schemathesis" --version

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# Limits a fuzzer would trip on purpose are raised: this run is about the document, not flooding.
# GOBLET_BIN is this script's, not the server's: the server refuses a GOBLET_* setting it does not know.
env -u GOBLET_BIN \
  GOBLET_BIND="127.0.0.1:$port" GOBLET_MEDIA_DIR="$work/media" GOBLET_DATA_DIR="$work/data" \
  GOBLET_ASSETS_DIR="$PWD/assets" GOBLET_LOG=warn \
  GOBLET_ROOM_RATE_COUNT=1000000 GOBLET_CLIENT_RATE_COUNT=1000000 \
  GOBLET_COMMAND_RATE_COUNT=1000000 GOBLET_REFRESH_RATE_COUNT=1000000 \
  "$bin" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$base/api/me" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

# One real room, so that the room operations get past 404 (the code goes in through the config),
# owned by the client whose cookie schemathesis sends, so the owner's operations are reached too.
GOBLET_ROOM="$(curl -fsS -c "$work/cookies" -X POST "$base/api/rooms" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["code"])')"
export GOBLET_ROOM
cookie="$(awk '$6 == "goblet_client" { print $6 "=" $7 }' "$work/cookies")"
[ -n "$cookie" ] || { echo "The server set no goblet_client cookie" >&2; exit 1; }

status=0
# From the temporary folder, where schemathesis leaves its cache.
config="$PWD/tests/schemathesis.toml"
cd "$work"
"$work/venv/bin/schemathesis" --config-file "$config" run "$base/api/openapi.json" \
  --url "$base/api" --header "Cookie: $cookie" --checks all --workers 1 --max-examples 25 \
  --max-time "$budget" --no-color || status=$?
if [ "$status" -ne 0 ]; then
  echo "Server log (last lines):" >&2
  tail -n 20 "$work/server.log" >&2
fi
exit "$status"
