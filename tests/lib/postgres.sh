# A throwaway PostgreSQL server for tests and benchmarks. Source this file, then:
#   postgres_install            # the Debian package, when no PostgreSQL is installed
#   postgres_start [-c k=v ...] # a new cluster in a temp folder on a free loopback port; sets and
#                               # exports POSTGRES_URL (user goblet, trust auth, database postgres)
#   postgres_stop               # stops it and deletes its folder (safe to call twice)
# Extra arguments go to the server: test.sh turns fsync off, as nothing here must survive a crash.

postgres_bin_dir() {
  local dirs=(/usr/lib/postgresql/*/bin)
  [ -x "${dirs[-1]}/initdb" ] && printf '%s\n' "${dirs[-1]}"
}

postgres_install() {
  postgres_bin_dir >/dev/null && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# Runs a PostgreSQL program as the cluster's owner: initdb refuses root, so root runs them as the
# `postgres` user the Debian package creates.
postgres_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

postgres_start() {
  local bin port
  bin="$(postgres_bin_dir)" || { echo "PostgreSQL is not installed" >&2; return 1; }
  POSTGRES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/goblet-postgres.XXXXXX")"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$POSTGRES_DIR"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  postgres_as_owner "$bin/initdb" -D "$POSTGRES_DIR/data" -U goblet --auth=trust -E UTF8 \
    --no-instructions >/dev/null
  # Loopback TCP only, its socket file in its own folder: nothing else on the machine is touched.
  postgres_as_owner "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $POSTGRES_DIR -c max_connections=300 $*" \
    start >/dev/null
  POSTGRES_BIN="$bin"
  POSTGRES_URL="postgres://goblet@127.0.0.1:$port/postgres"
  export POSTGRES_URL
}

postgres_stop() {
  [ -n "${POSTGRES_DIR:-}" ] || return 0
  postgres_as_owner "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$POSTGRES_DIR"
  POSTGRES_DIR=""
}
