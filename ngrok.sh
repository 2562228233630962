#!/usr/bin/env bash
# Shares a running Goblet over the internet with ngrok and prints the public link.
#
# Every visitor then reaches Goblet through the ngrok agent, which connects from 127.0.0.1 and names
# the visitor in X-Forwarded-For. Goblet believes that header only from `trusted_proxies`, which
# holds 127.0.0.1 and ::1 by default: keep them there, or every visitor counts as one address and
# shares one address's limits (new rooms, uploads, chat, password tries).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v ngrok >/dev/null 2>&1; then
  cat >&2 <<'MSG'
ngrok is not installed, so Goblet cannot be shared this way yet.
  1. Download ngrok for your system from https://ngrok.com/download (or your package manager).
  2. Sign up (free) and run: ngrok config add-authtoken <your token>
  3. Run ./ngrok.sh again.
Or forward a port on your router to this machine and set bind = "0.0.0.0:5000" in config.toml.
MSG
  exit 1
fi

bind="${GOBLET_BIND:-$(sed -n 's/^[[:space:]]*bind[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p' config.toml 2>/dev/null | head -n 1)}"
port="${bind##*:}"
port="${port:-5000}"

if grep -Eq '^[[:space:]]*trusted_proxies[[:space:]]*=' config.toml 2>/dev/null &&
  ! grep -Eq '^[[:space:]]*trusted_proxies[[:space:]]*=.*127\.0\.0\.1' config.toml; then
  echo "Note: trusted_proxies in config.toml leaves out 127.0.0.1, where ngrok connects from:" >&2
  echo "every visitor will count as one address. Add \"127.0.0.1\" to it and restart Goblet." >&2
fi

if ! curl -fsS -o /dev/null "http://127.0.0.1:$port/api/me" 2>/dev/null; then
  echo "Nothing answers on port $port: start Goblet with ./run.sh first." >&2
  exit 1
fi

ngrok http "$port" --log=stdout --log-level=warn >/dev/null &
ngrok_pid=$!
trap 'kill $ngrok_pid 2>/dev/null' EXIT INT TERM

# ngrok's local API lists the tunnel once it is up.
for _ in $(seq 1 50); do
  url=$(curl -fsS http://127.0.0.1:4040/api/tunnels 2>/dev/null |
    sed -n 's/.*"public_url":"\(https:[^"]*\)".*/\1/p' | head -n 1) || true
  if [ -n "${url:-}" ]; then
    echo "Goblet is shared at: $url"
    # Goblet answers only for its own host names. It learns this one from ngrok's X-Forwarded-Host
    # (ngrok connects from 127.0.0.1, a trusted proxy); the server is already running, so the name
    # cannot go into its configuration now. Check that it answers through the tunnel.
    answer=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$url/api/me" 2>/dev/null) || true
    if [ "$answer" = 421 ]; then
      echo "Goblet refuses the tunnel's host name. Add it to config.toml and restart Goblet:" >&2
      echo "  allowed_origins = [\"$url\"]" >&2
    fi
    echo "Send that link to your friends. Ctrl-C stops sharing (Goblet keeps running)."
    echo "(With a fixed ngrok domain you can also set allowed_origins = [\"$url\"] in config.toml.)"
    wait "$ngrok_pid"
    exit $?
  fi
  if ! kill -0 "$ngrok_pid" 2>/dev/null; then
    echo "ngrok stopped before the tunnel was up. Has its authtoken been set? (ngrok config add-authtoken ...)" >&2
    exit 1
  fi
  sleep 0.2
done
echo "ngrok did not report a public URL within 10 s." >&2
exit 1
