#!/usr/bin/env bash
# Installs what Goblet needs on a machine with Rust and Node.js: VideoJS and tus-js-client (from the
# npm registry, into assets/videojs/ and assets/tus/) and the release binary. Safe to run again at any time.
#   ./install.sh              everything
#   ./install.sh --assets     only the browser client's third-party files (no Rust build)
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

assets_only=false
case "${1:-}" in
  --assets) assets_only=true ;;
  "") ;;
  *) fail "unknown option '$1' (try --assets)" ;;
esac

command -v npm >/dev/null 2>&1 ||
  fail "npm is not installed. On Debian or Ubuntu: sudo apt-get install nodejs npm"

say "Installing VideoJS from the npm registry"
npm ci --prefix client --no-audit --no-fund --loglevel=error
mkdir -p assets/videojs
cp client/node_modules/video.js/dist/video.min.js client/node_modules/video.js/dist/video-js.min.css assets/videojs/
say "VideoJS $(node -p "require('./client/node_modules/video.js/package.json').version") is in assets/videojs/"
mkdir -p assets/tus
cp client/node_modules/tus-js-client/dist/tus.min.js assets/tus/
say "tus-js-client $(node -p "require('./client/node_modules/tus-js-client/package.json').version") is in assets/tus/"

if [ "$assets_only" = true ]; then
  exit 0
fi

command -v cargo >/dev/null 2>&1 ||
  fail "cargo is not installed. Install Rust from your package manager or with rustup, then run this again."

say "Building the server (release); the first build takes a few minutes"
cargo build --release --locked
mkdir -p .video .data
# Optional: without ffmpeg only files browsers play as they are can be uploaded.
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  say "ffmpeg is not installed: MKV/AVI/HEVC/AC-3 uploads will be refused until it is (sudo apt-get install ffmpeg)"
fi
say "Done. Start Goblet with ./run.sh"
