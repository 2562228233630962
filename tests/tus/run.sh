#!/usr/bin/env bash
# Drives a real resumable upload with tuspy, the official tus Python client (from PyPI, into a
# throw-away virtual environment), against the debug binary on a free port with temporary folders:
# an upload cut half-way by killing its client, then resumed by a new one (tests/tus/resume.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/server.sh

work="$(mktemp -d)"
trap 'server_stop; rm -rf "$work"' EXIT

echo "Installing tuspy from PyPI into a temporary virtual environment"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check tuspy

server_start "$work" GOBLET_LOG=info
server_room "$work"

status=0
"$work/venv/bin/python" tests/tus/resume.py "$SERVER_BASE" "$ROOM" "$COOKIE" "$SERVER_LOG" "$work" || status=$?
[ "$status" -eq 0 ] || server_log_tail
exit "$status"
