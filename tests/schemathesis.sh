#!/usr/bin/env bash
# Checks the REST API against its own OpenAPI document with schemathesis (every check, about a
# minute): answers must match the documented schemas, statuses and headers; data the document
# allows must be accepted and data it forbids refused. Schemathesis comes from PyPI into a
# throw-away virtual environment; the server is the debug binary, on a free port, with temporary
# folders. Usage: tests/schemathesis.sh [seconds] (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."

source tests/lib/server.sh

budget="${1:-60}"
work="$(mktemp -d)"
trap 'server_stop; rm -rf "$work"' EXIT

echo "Installing schemathesis from PyPI into a temporary virtual environment"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check schemathesis
"$work/venv/bin/schemathesis" --version

# Limits a fuzzer would trip on purpose are raised: this run is about the document, not flooding.
server_start "$work" GOBLET_LOG=warn \
  GOBLET_ROOM_RATE_COUNT=1000000 GOBLET_CLIENT_RATE_COUNT=1000000 \
  GOBLET_COMMAND_RATE_COUNT=1000000 GOBLET_REFRESH_RATE_COUNT=1000000
base="$SERVER_BASE"

# One real room, so that the room operations get past 404 (the code goes in through the config),
# owned by the client whose cookie schemathesis sends, so the owner's operations are reached too.
server_room "$work"
export GOBLET_ROOM="$ROOM"
cookie="$COOKIE"

status=0
# From the temporary folder, where schemathesis leaves its cache.
config="$PWD/tests/schemathesis.toml"
cd "$work"
"$work/venv/bin/schemathesis" --config-file "$config" run "$base/api/openapi.json" \
  --url "$base/api" --header "Cookie: $cookie" --checks all --workers 1 --max-examples 25 \
  --max-time "$budget" --no-color || status=$?
[ "$status" -eq 0 ] || server_log_tail
exit "$status"
