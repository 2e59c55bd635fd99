#!/usr/bin/env bash
# The whole test suite, on a fresh machine: makes sure Postgres (and the
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

export TEST_DATABASE_URL="$PGURL"
exec cargo test --workspace --locked "$@"
