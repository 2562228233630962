#!/usr/bin/env bash
# Every check CI runs. Installs what it needs on a fresh Debian machine with Rust and Node.js:
# chromium, ffmpeg, redis-server (the two-node tests) and nginx (apt; nginx is bench.sh's reference),
# postgresql (apt), VideoJS and playwright-core (npm), schemathesis and tuspy (PyPI, into temporary
# virtual environments).
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

install_system_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  [ ${#missing[@]} -eq 0 ] && return
  step "Installing ${missing[*]} with apt-get"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

step "Formatting"
cargo fmt --check

step "Lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

# ffmpeg and redis-server before the Rust tests: they make a video with a subtitle stream, and
# tests/cluster runs two nodes over a real Redis.
install_system_packages

step "Rust unit and integration tests"
cargo test --workspace --locked

step "The API and two-node tests again, against PostgreSQL (a throwaway server on a free loopback port)"
source tests/lib/postgres.sh
postgres_install
trap postgres_stop EXIT
# Nothing in it must survive a crash, so it need not wait for the disk.
postgres_start -c fsync=off -c synchronous_commit=off -c full_page_writes=off
GOBLET_TEST_DATABASE_URL="$POSTGRES_URL" cargo test --locked --test api
# The two nodes again, sharing one PostgreSQL database as docs/deploy.md recommends.
GOBLET_TEST_DATABASE_URL="$POSTGRES_URL" cargo test --locked --test cluster
postgres_stop

step "Browser-client unit tests"
node --test tests/js/

step "Browser tests in headless Chromium"
./install.sh --assets
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
cargo build --locked
GOBLET_BIN="$PWD/target/debug/goblet" npm test --prefix tests/browser

step "The API against its OpenAPI document (schemathesis, about a minute)"
GOBLET_BIN="$PWD/target/debug/goblet" tests/schemathesis.sh

step "A resumable upload with tuspy, the official tus Python client, cut and resumed"
GOBLET_BIN="$PWD/target/debug/goblet" tests/tus/run.sh

step "Benchmarks, quick mode (figures only; nothing here fails on a timing)"
./bench.sh --quick

step "All checks passed"
