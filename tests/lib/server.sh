# The goblet binary for the scripts that test it from outside (schemathesis, tuspy). Source this
# file from the repository's root, then:
#   server_start WORK [KEY=value ...] # the binary ($GOBLET_BIN, else target/debug/goblet) on a free
#                                     # loopback port, its folders and server.log in WORK, the extra
#                                     # GOBLET_* settings given; sets SERVER_BASE once it answers
#   server_room WORK                  # a room made by a new client: sets ROOM and COOKIE (name=value)
#   server_log_tail                   # the end of the server's log, on stderr (after a failure)
#   server_stop                       # stops it (safe to call twice)

server_start() {
  local work="$1" bin port
  shift
  bin="${GOBLET_BIN:-$PWD/target/debug/goblet}"
  [ -x "$bin" ] || { echo "No server binary at $bin: run cargo build first" >&2; return 1; }
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  SERVER_BASE="http://127.0.0.1:$port"
  SERVER_LOG="$work/server.log"
  # GOBLET_BIN is the script's, not the server's: the server refuses a GOBLET_* setting it does not know.
  env -u GOBLET_BIN \
    GOBLET_BIND="127.0.0.1:$port" GOBLET_MEDIA_DIR="$work/media" GOBLET_DATA_DIR="$work/data" \
    GOBLET_ASSETS_DIR="$PWD/assets" "$@" \
    "$bin" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$SERVER_BASE/api/me" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; return 1; }
    sleep 0.1
  done
  echo "The server did not answer at $SERVER_BASE" >&2
  return 1
}

server_room() {
  local work="$1"
  ROOM="$(curl -fsS -c "$work/cookies" -X POST "$SERVER_BASE/api/rooms" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["code"])')"
  COOKIE="$(awk '$6 == "goblet_client" { print $6 "=" $7 }' "$work/cookies")"
  [ -n "$COOKIE" ] || { echo "The server set no goblet_client cookie" >&2; return 1; }
}

server_log_tail() {
  echo "Server log (last lines):" >&2
  tail -n 20 "$SERVER_LOG" >&2
}

server_stop() {
  [ -n "${SERVER_PID:-}" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
