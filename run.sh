#!/usr/bin/env bash
# Starts Goblet with config.toml (GOBLET_* variables override it) and prints where to open it.
set -euo pipefail
cd "$(dirname "$0")"

binary=target/release/goblet
if [ ! -x "$binary" ]; then
  echo "The server is not built yet: run ./install.sh first." >&2
  exit 1
fi

bind="${GOBLET_BIND:-$(sed -n 's/^[[:space:]]*bind[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p' config.toml 2>/dev/null | head -n 1)}"
bind="${bind:-127.0.0.1:5000}"
host="${bind%:*}"
port="${bind##*:}"
case "$host" in 0.0.0.0 | "[::]") host=localhost ;; esac
echo "Goblet is starting: open http://$host:$port in your browser (Ctrl-C stops it)."
echo "To share it over the internet, run ./ngrok.sh in another terminal."
exec "$binary" --config config.toml
