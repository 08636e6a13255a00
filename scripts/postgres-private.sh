#!/usr/bin/env bash
# A throw-away PostgreSQL server of its own (data directory DIR, port PORT, loopback only) for the fault harness
# and the load benchmark: stopping or crashing it disturbs no one else. Commits are durable (synchronous_commit
# on), so a crash of the server loses nothing it acknowledged.
# Usage: scripts/postgres-private.sh DIR PORT start|stop|crash|status
#   start  creates the cluster when DIR is empty, starts it, prints postgresql+psycopg://onestop@127.0.0.1:PORT
#   stop   fast shutdown (sessions are ended, a checkpoint is written)
#   crash  immediate shutdown (no checkpoint: crash recovery runs at the next start)
set -euo pipefail
dir=${1:?usage: $0 DIR PORT start|stop|crash|status}
port=${2:?usage: $0 DIR PORT start|stop|crash|status}
action=${3:-start}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "postgres-private.sh: PostgreSQL is not installed (scripts/postgres.sh installs it when run as root)" >&2
  exit 1
fi
# PostgreSQL refuses to run as root: run it as the 'postgres' account then.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
data=$dir/data
case "$action" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$pgbin/initdb" -D "$data" -A trust -U onestop -E UTF8 --locale=C.UTF-8 -N >/dev/null
    fi
    if ! as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$pgbin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
    fi
    echo "postgresql+psycopg://onestop@127.0.0.1:$port"
    ;;
  stop) as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null ;;
  crash) as_owner "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null ;;
  status) as_owner "$pgbin/pg_ctl" -D "$data" status ;;
  *) echo "usage: $0 DIR PORT start|stop|crash|status" >&2; exit 2 ;;
esac
