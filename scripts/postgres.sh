#!/usr/bin/env bash
# Ensures a private PostgreSQL server for the tests (own data directory and port) and prints its URL.
# Installs PostgreSQL from apt when it is missing and we are root.
# Usage: scripts/postgres.sh [start|stop|status]  (status: exit 0 when the private server is running)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${ONESTOP_PG_PORT:-}
base=${ONESTOP_PG_DIR:-$root/.pg}
data=$base/data
action=${1:-start}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "postgres.sh: installing PostgreSQL (apt)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  else
    echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql, as root)" >&2
    exit 1
  fi
fi

# PostgreSQL refuses to run as root: run it as the 'postgres' account then.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "$action" = status ]; then
  [ -f "$data/PG_VERSION" ] && as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1
  exit $?
fi
if [ "$action" = stop ]; then
  [ -f "$data/PG_VERSION" ] && as_owner "$pgbin/pg_ctl" -D "$data" -m fast stop >&2 || true
  exit 0
fi

mkdir -p "$base"
if [ "$(id -u)" = 0 ]; then chown postgres "$base"; fi
if [ ! -f "$data/PG_VERSION" ]; then
  as_owner "$pgbin/initdb" -D "$data" -A trust -U onestop -E UTF8 --locale=C.UTF-8 >&2
fi
port_free() { ! (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  # Our own port, else the first free one from 54329 (another server may hold the default).
  if [ -z "$port" ]; then
    port=54329
    while ! port_free "$port"; do port=$((port + 1)); done
  fi
  echo "$port" > "$base/port"
  as_owner "$pgbin/pg_ctl" -D "$data" -l "$base/server.log" -w \
    -o "-p $port -k $base -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2
fi
[ -n "$port" ] || port=$(cat "$base/port")
for db in onestop_test; do
  if ! "$pgbin/psql" -h 127.0.0.1 -p "$port" -U onestop -d postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
    "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U onestop "$db"
  fi
done
echo "postgresql+psycopg://onestop@127.0.0.1:$port/onestop_test"
