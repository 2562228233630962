#!/usr/bin/env bash
# Benchmarks. Builds the release server and the load generator (bench/load), then for each
# measurement starts a fresh server with temporary folders (and Debian's nginx, for the streaming
# comparison; goblet-load's bare WebSocket relay, the floor for fan-out), runs `goblet-load`
# against it and stops everything again. Prints a figure block per measurement and a results
# table at the end, ready for the README. Figures only: nothing here fails on a timing.
#
#   ./bench.sh           the full run (10,000 sockets, a 2 GiB upload raw and with tus, a 1 GiB
#                        file, a 1 GiB remux): ~4-5 minutes
#   ./bench.sh --quick   small sizes, a few seconds: test.sh runs it so the tool keeps working
#   --only fanout,memory,storm,streaming,tus,remux,sync,cluster   just those measurements (while working on one figure)
#
# cluster: fan-out with the viewers split across two nodes joined by a real redis-server (installed
# with apt-get when missing), next to the same crowd on one node.
#
# sync runs bench/sync-bench.mjs: real Chromium pages behind relays that add delay, jitter, bandwidth
# caps and stalls (its own table; about 6 minutes, 1.5 in quick mode).
set -euo pipefail
cd "$(dirname "$0")"

usage() { echo "usage: ./bench.sh [--quick] [--only fanout,memory,storm,streaming,tus,remux,sync,cluster]"; }
quick=0
only=fanout,memory,storm,streaming,tus,remux,sync,cluster
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only)
      [ $# -ge 2 ] || { usage >&2; exit 2; }
      only=$2
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
for section in ${only//,/ }; do
  case "$section" in
    fanout | memory | storm | streaming | tus | remux | sync | cluster) ;;
    *) echo "unknown measurement: $section" >&2; usage >&2; exit 2 ;;
  esac
done
wanted() { [[ ",$only," == *",$1,"* ]]; }

if [ "$quick" -eq 1 ]; then
  fanout_viewers=(10 100)
  cluster_viewers=100
  memory_viewers=(200)
  storm_viewers=(200)
  rounds=10
  range_clients=1,4
  range_seconds=0.5
  range_mib=16
  upload_mib=32
  upload_runs=1
  tus_chunk_mib=4
  remux_mib=16
  remux_runs=1
else
  fanout_viewers=(10 100 1000 10000)
  cluster_viewers=1000
  memory_viewers=(1000 10000)
  storm_viewers=(100 1000 10000)
  # 20: the burst of the default play/pause/seek limit per client, which the bench leaves on.
  rounds=20
  range_clients=1,16,128
  # Even, so Goblet and nginx each go first in half of the one-second slices.
  range_seconds=6
  range_mib=1024
  upload_mib=2048
  upload_runs=2
  tus_chunk_mib=64
  remux_mib=1024
  remux_runs=2
fi

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# Every socket is a file: a viewer costs one descriptor in the server and one in goblet-load.
most_viewers=$(printf '%s\n' "${fanout_viewers[@]}" "${memory_viewers[@]}" "${storm_viewers[@]}" | sort -n | tail -n 1)
needed_files=$((most_viewers + 100))
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$needed_files" ]; then
  echo "The open-file limit is $(ulimit -n); $needed_files are needed. Raise the hard limit (ulimit -Hn) as root." >&2
  exit 1
fi

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  step "Installing nginx-light with apt-get (the streaming comparison)"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

step "Building the release server and the load generator"
cargo build --release --locked -p goblet -p goblet-load
server_bin=target/release/goblet
load_bin=target/release/goblet-load

work=$(mktemp -d "${TMPDIR:-/tmp}/goblet-bench.XXXXXX")
server_pid=""
floor_pid=""
nginx_pid=""
redis_pid=""
second_pid=""
cleanup() {
  [ -n "$second_pid" ] && kill "$second_pid" 2>/dev/null && wait "$second_pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$floor_pid" ] && kill "$floor_pid" 2>/dev/null && wait "$floor_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/assets" "$work/media" "$work/files"
rows="$work/rows"
: >"$rows"

# A port nothing listens on (loopback only; the pick is random so reruns do not meet old
# TIME_WAIT sockets).
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 20000))
    if [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
      echo "$port"
      return
    fi
  done
  echo "no free port found" >&2
  return 1
}

# Every viewer the load generator makes comes from one address: the limits per address are raised
# for the bench; every other limit stays at its default (the fan-out host's commands fit the default
# burst per client). Printed, so every run says so.
bench_limits=(
  GOBLET_CLIENT_RATE_COUNT=1000000 GOBLET_ROOM_RATE_COUNT=1000000
  GOBLET_CHAT_RATE_ADDRESS_MESSAGES=1000000 GOBLET_MAX_CONNECTIONS_PER_ADDRESS=1000000
  GOBLET_UPLOADS_PER_ADDRESS=1000
)
echo "Limits per address raised for the load generator (one address): ${bench_limits[*]}"

# Starts a fresh server with a new database; the media folder is shared so nginx can serve it.
# Extra NAME=VALUE arguments go into its environment (a cluster's node settings).
start_server() {
  server_port=$(free_port)
  rm -rf "$work/data"
  # A config file that does not exist: defaults, then these variables, never the repo's config.toml.
  env "${bench_limits[@]}" "$@" \
    GOBLET_BIND="127.0.0.1:$server_port" GOBLET_MEDIA_DIR="$work/media" GOBLET_DATA_DIR="$work/data" \
    GOBLET_ASSETS_DIR="$work/assets" GOBLET_LOG=warn RUST_LOG="" \
    "$server_bin" --config "$work/none.toml" >>"$work/server.log" 2>&1 &
  server_pid=$!
  wait_until_up "http://127.0.0.1:$server_port/api/me" "$server_pid" "the server" "$work/server.log"
}

# Waits up to 10 s for URL to answer while PID lives; otherwise shows LOG and stops the script.
wait_until_up() {
  local url=$1 pid=$2 what=$3 log=$4
  for _ in $(seq 1 200); do
    curl -sS -o /dev/null "$url" 2>/dev/null && return
    kill -0 "$pid" 2>/dev/null || { echo "$what did not start:" >&2; tail "$log" >&2; exit 1; }
    sleep 0.05
  done
  echo "$what did not answer within 10 s" >&2
  exit 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# The fan-out floor: goblet-load's bare WebSocket relay, in its own process like the server.
start_floor() {
  floor_port=$(free_port)
  "$load_bin" floor-server --bind "127.0.0.1:$floor_port" >>"$work/floor.log" 2>&1 &
  floor_pid=$!
  # It speaks WebSocket only: wait for the port to accept a connection.
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$floor_port") 2>/dev/null && return
    kill -0 "$floor_pid" 2>/dev/null || { echo "the floor server did not start:" >&2; tail "$work/floor.log" >&2; exit 1; }
    sleep 0.05
  done
  echo "the floor server did not answer within 10 s" >&2
  exit 1
}

stop_floor() {
  kill "$floor_pid" 2>/dev/null || true
  wait "$floor_pid" 2>/dev/null || true
  floor_pid=""
}

start_nginx() {
  nginx_port=$(free_port)
  mkdir -p "$work/nginx/tmp"
  # Run by root, nginx would hand requests to "nobody", who may not read the server's 0600 files.
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
  cat >"$work/nginx/nginx.conf" <<EOF
# Debian's defaults where they matter for throughput (sendfile, tcp_nopush, a worker per core).
daemon off;
$user_line
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  types { video/webm webm; }
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/media;
  }
}
EOF
  "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  nginx_pid=$!
  wait_until_up "http://127.0.0.1:$nginx_port/" "$nginx_pid" nginx "$work/nginx/error.log"
}

stop_nginx() {
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
}

# Runs goblet-load, showing its figure blocks and keeping its @row lines for the table.
load() {
  local status=0
  "$load_bin" "$@" >"$work/out" || status=$?
  grep -v '^@row|' "$work/out" || true
  grep '^@row|' "$work/out" >>"$rows" || true
  return "$status"
}

started=$(date +%s)
# Other work on the machine moves every figure: say how busy it was.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

if wanted fanout; then
  step "Fan-out latency, Goblet and the floor (a bare tokio-tungstenite relay) in turns"
  for n in "${fanout_viewers[@]}"; do
    start_server
    start_floor
    load fanout --server "127.0.0.1:$server_port" --viewers "$n" --rounds "$rounds" --pid "$server_pid" \
      --floor "127.0.0.1:$floor_port" --floor-pid "$floor_pid"
    stop_floor
    stop_server
  done
fi

if wanted memory; then
  step "Memory per idle viewer (named viewers, a room with about 8 KB of chat history)"
  for n in "${memory_viewers[@]}"; do
    start_server
    load memory --server "127.0.0.1:$server_port" --viewers "$n" --pid "$server_pid"
    stop_server
  done
fi

if wanted storm; then
  step "Join storm (named viewers, about 8 KB of chat history; done when the history arrives)"
  for n in "${storm_viewers[@]}"; do
    start_server
    load join-storm --server "127.0.0.1:$server_port" --viewers "$n" --pid "$server_pid"
    stop_server
  done
fi

if wanted streaming; then
  step "Upload and range streaming"
  "$load_bin" make-file --size $((upload_mib * 1024 * 1024)) "$work/files/upload.webm"
  "$load_bin" make-file --size $((range_mib * 1024 * 1024)) "$work/files/range.webm"
  start_server
  load upload --server "127.0.0.1:$server_port" --pid "$server_pid" --file "$work/files/upload.webm" \
    --scratch "$work/files" --runs "$upload_runs"
  start_nginx
  load range --server "127.0.0.1:$server_port" --nginx "127.0.0.1:$nginx_port" \
    --pid "$server_pid" --nginx-pid "$nginx_pid" --file "$work/files/range.webm" --clients "$range_clients" --seconds "$range_seconds"
  stop_nginx
  stop_server
fi

if wanted tus; then
  step "Resumable (tus) upload against the raw POST; one cut half-way and resumed"
  [ -f "$work/files/upload.webm" ] || "$load_bin" make-file --size $((upload_mib * 1024 * 1024)) "$work/files/upload.webm"
  start_server
  load tus --server "127.0.0.1:$server_port" --pid "$server_pid" --file "$work/files/upload.webm" \
    --chunk $((tus_chunk_mib * 1024 * 1024)) --runs "$upload_runs"
  stop_server
fi

if wanted cluster; then
  step "Fan-out across two nodes over Redis (half the viewers on each, the host on the first), and on one node"
  if ! command -v redis-server >/dev/null 2>&1; then
    step "Installing redis-server with apt-get (the two-node fan-out)"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  fi
  start_server
  load fanout --server "127.0.0.1:$server_port" --viewers "$cluster_viewers" --rounds "$rounds" --pid "$server_pid"
  stop_server
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
    sleep 0.05
  done
  cluster_env=(GOBLET_REDIS_URL="redis://127.0.0.1:$redis_port/")
  start_server "${cluster_env[@]}" GOBLET_NODE_NAME=bench-a
  # The second node shares the first one's database, media folder and cookie key.
  second_port=$(free_port)
  env "${bench_limits[@]}" "${cluster_env[@]}" GOBLET_NODE_NAME=bench-b \
    GOBLET_BIND="127.0.0.1:$second_port" GOBLET_MEDIA_DIR="$work/media" GOBLET_DATA_DIR="$work/data" \
    GOBLET_ASSETS_DIR="$work/assets" GOBLET_LOG=warn RUST_LOG="" \
    "$server_bin" --config "$work/none.toml" >>"$work/second.log" 2>&1 &
  second_pid=$!
  wait_until_up "http://127.0.0.1:$second_port/api/me" "$second_pid" "the second node" "$work/second.log"
  load fanout --server "127.0.0.1:$server_port" --second-server "127.0.0.1:$second_port" \
    --viewers "$cluster_viewers" --rounds "$rounds"
  kill "$second_pid" 2>/dev/null || true
  wait "$second_pid" 2>/dev/null || true
  second_pid=""
  stop_server
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  redis_pid=""
fi

# Seconds since the epoch, with nanoseconds; arithmetic on such figures (awk: bc may be missing).
now_s() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
less() { awk "BEGIN { exit !($1 < $2) }"; }

if wanted remux; then
  step "Remux of an H.264/AAC MKV to MP4: through Goblet (upload answered 202 -> the room plays the MP4) and the plain ffmpeg -c copy command"
  command -v ffmpeg >/dev/null 2>&1 || { echo "ffmpeg is not installed (sudo apt-get install ffmpeg)" >&2; exit 1; }
  # A short high-bitrate clip, then repeated by copying up to the size wanted: quick to make.
  ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30:duration=4 \
    -f lavfi -i sine=frequency=440:duration=4 -c:v libx264 -preset ultrafast -qp 0 -pix_fmt yuv420p \
    -c:a aac -shortest "$work/files/clip.mkv"
  ffmpeg -nostdin -hide_banner -loglevel error -y -stream_loop -1 -i "$work/files/clip.mkv" -c copy \
    -fs $((remux_mib * 1024 * 1024)) "$work/files/remux.mkv"
  remux_bytes=$(stat -c %s "$work/files/remux.mkv")
  plain_best=""
  synced_best=""
  goblet_best=""
  for run in $(seq 1 "$remux_runs"); do
    # The input as an upload leaves it: just written and synced (its first read is slower then).
    cp "$work/files/remux.mkv" "$work/files/input.mkv"
    sync "$work/files/input.mkv"
    # The same streams and options Goblet uses (src/media/convert.rs), without the progress report.
    t0=$(now_s)
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$work/files/input.mkv" -map 0:v:0 -map 0:a:0 \
      -c:v copy -c:a copy -sn -dn -movflags +faststart -f mp4 "$work/files/plain.mp4"
    plain=$(calc "$(now_s) - $t0")
    # The same with its output on disk (Goblet's database writes are synced, which may flush it).
    sync "$work/files/plain.mp4"
    synced=$(calc "$(now_s) - $t0")
    rm -f "$work/files/plain.mp4" "$work/files/input.mkv"
    start_server
    jar="$work/cookies"
    rm -f "$jar"
    api="http://127.0.0.1:$server_port/api"
    code=$(curl -sS -c "$jar" -b "$jar" -X POST "$api/rooms" | sed -n 's/.*"code":"\([A-Z]*\)".*/\1/p')
    t_up=$(now_s)
    # -T streams the file (--data-binary would read it whole into memory first).
    answer=$(curl -sS -c "$jar" -b "$jar" -H 'Content-Type: application/octet-stream' -X POST \
      -T "$work/files/remux.mkv" -w ' %{http_code}' "$api/rooms/$code/video?name=remux.mkv")
    t0=$(now_s)
    case "$answer" in *' 202') ;; *) echo "the upload was not taken for a remux: $answer" >&2; exit 1 ;; esac
    until curl -sS -b "$jar" "$api/rooms/$code" | grep -q '"mime":"video/mp4"'; do
      kill -0 "$server_pid" 2>/dev/null || { echo "the server stopped:" >&2; tail "$work/server.log" >&2; exit 1; }
      sleep 0.02
    done
    goblet=$(calc "$(now_s) - $t0")
    upload=$(calc "$t0 - $t_up")
    stop_server
    printf 'run %d: plain ffmpeg %.2f s (%.2f s with its output synced), Goblet %.2f s (the upload itself took %.2f s before)\n' \
      "$run" "$plain" "$synced" "$goblet" "$upload"
    if [ -z "$plain_best" ] || less "$plain" "$plain_best"; then plain_best=$plain; fi
    if [ -z "$synced_best" ] || less "$synced" "$synced_best"; then synced_best=$synced; fi
    if [ -z "$goblet_best" ] || less "$goblet" "$goblet_best"; then goblet_best=$goblet; fi
  done
  ratio=$(awk "BEGIN { printf \"%.2f\", $goblet_best / $plain_best }")
  synced_ratio=$(awk "BEGIN { printf \"%.2f\", $goblet_best / $synced_best }")
  mib=$((remux_bytes / 1024 / 1024))
  echo "Remux of $mib MiB: Goblet ${goblet_best} s, plain ffmpeg ${plain_best} s: ${ratio}x; ${synced_ratio}x the command with its output synced (best of $remux_runs)"
  printf '@row|Remux, %d MiB H.264/AAC MKV|%s× ffmpeg -c copy|Goblet %.2f s (202 to the room playing the MP4: the job, ffmpeg, the poster meanwhile, storing), plain command %.2f s, %.2f s with its output synced (%s×); best of %d|≤ 1.1×\n' \
    "$mib" "$ratio" "$goblet_best" "$plain_best" "$synced_best" "$synced_ratio" "$remux_runs" >>"$rows"
fi

if wanted sync; then
  step "Sync between Chromium pages, on loopback and behind relays with delay, jitter, skewed clocks and stalls"
  if ! command -v chromium >/dev/null 2>&1 || ! command -v ffmpeg >/dev/null 2>&1; then
    step "Installing chromium and ffmpeg with apt-get (the sync benchmark)"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium ffmpeg >/dev/null
  fi
  [ -d tests/browser/node_modules/playwright-core ] || npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
  ./install.sh --assets
  sync_args=()
  [ "$quick" -eq 1 ] && sync_args+=(--quick)
  GOBLET_BIN="$PWD/$server_bin" node bench/sync-bench.mjs "${sync_args[@]}" | tee "$work/sync.out"
fi

command_line="./bench.sh"
[ "$quick" -eq 1 ] && command_line+=" --quick"
[ "$only" = fanout,memory,storm,streaming,tus,remux,sync,cluster ] || command_line+=" --only $only"
cores=$(nproc)
memory_gib=$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
step "Results"
echo "$(date -u +%Y-%m-%d), $cores cores ($cpu), $memory_gib GiB, $(uname -sr), $("$nginx_bin" -v 2>&1 | sed 's/.*: //')"
echo "Command: $command_line (took $(($(date +%s) - started)) s; load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after)"
echo
echo "| Measure | Figure | Details | Target |"
echo "|---|---|---|---|"
awk -F'|' '{ printf "| %s | %s | %s | %s |\n", $2, $3, $4, $5 }' "$rows"
echo
if [ -s "$work/sync.out" ]; then
  # The sync benchmark's own table (from its report line on).
  sed -n '/^Sync benchmark/,$p' "$work/sync.out"
  echo
fi
echo "(The README's Benchmarks section takes this line and table; docs/benchmarks.md says how each row is made.)"
