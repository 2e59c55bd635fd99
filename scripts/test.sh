#!/usr/bin/env bash
# The whole test suite, on a fresh machine: makes sure Postgres, Redis (and the
# browser the playground test drives) are there, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

PGURL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
    echo "starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  if ! pg_up; then
    echo "error: PostgreSQL is not reachable at 127.0.0.1:5432 (needed: trust auth, user postgres, database test)." >&2
    echo "       Install and start it (Debian: apt-get install postgresql), or set TEST_DATABASE_URL." >&2
    exit 1
  fi
fi

# cluster: the clustering tests (cluster/tests/redis.rs, tests/server/cluster.rs)
# need Redis at 127.0.0.1:6379; each uses keys under a prefix of its own.
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if ! redis_up; then
  if ! command -v redis-server >/dev/null && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing Redis for the clustering tests…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  fi
  if command -v redis-server >/dev/null; then
    echo "starting Redis…"
    redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null || true
  fi
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  if ! redis_up; then
    echo "error: Redis is not reachable at 127.0.0.1:6379 (needed by the clustering tests)." >&2
    echo "       Install and start it (Debian: apt-get install redis-server; redis-server --daemonize yes)." >&2
    exit 1
  fi
fi

# The playground browser test (tests/server/playground_browser.rs) drives headless
# Chromium through chromedriver.
missing=()
command -v chromium >/dev/null || missing+=("chromium (Debian package chromium)")
command -v chromedriver >/dev/null || missing+=("chromedriver (Debian package chromium-driver)")
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing Chromium and chromedriver for the browser test…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
    for cmd in chromium chromedriver; do
      command -v "$cmd" >/dev/null || { echo "error: $cmd is still missing after apt-get install" >&2; exit 1; }
    done
  else
    echo "error: the browser test needs what is missing here:" >&2
    printf '         %s\n' "${missing[@]}" >&2
    echo "       install it (Debian: sudo apt-get install chromium chromium-driver) or run this script as root." >&2
    exit 1
  fi
fi

# Databases a crashed earlier run left behind (each test drops its own).
psql "$PGURL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'dianabot_test_%'" 2>/dev/null |
  while read -r stale; do psql "$PGURL" -qc "DROP DATABASE IF EXISTS $stale WITH (FORCE)" >/dev/null 2>&1 || true; done

export TEST_DATABASE_URL="$PGURL"
# Lints and formatting are part of the suite: a warning fails it.
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
exec cargo test --workspace --locked "$@"
