#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (label pg): Debian's PostgreSQL, a temporary data
# directory, a free loopback port, no Unix socket, trust auth on 127.0.0.1 only, fsync off.
#   scripts/pg-cluster.sh start STATE_DIR   → starts it; writes STATE_DIR/url (postgresql://…)
#   scripts/pg-cluster.sh stop STATE_DIR    → stops it and removes its data directory
#   scripts/pg-cluster.sh pause|resume STATE_DIR → stops / starts the same cluster (fault tests)
# Runs the server as the `postgres` user when started as root (PostgreSQL refuses to run as root).
set -euo pipefail

cmd="${1:-}"
state="${2:-}"
if [ -z "$cmd" ] || [ -z "$state" ]; then
  echo "usage: $0 start|stop|pause|resume STATE_DIR" >&2
  exit 2
fi

bindir=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bindir="$d"
done

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_start() {
  local data="$1" port="$2" log="$3"
  as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
}

case "$cmd" in
  start)
    if [ -z "$bindir" ]; then
      echo "pg-cluster: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2
      exit 1
    fi
    if [ -f "$state/data-dir" ]; then
      "$0" stop "$state" || true
    fi
    mkdir -p "$state"
    tmp="$(mktemp -d /tmp/pictor-pg.XXXXXX)"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$tmp"
    chmod 700 "$tmp"
    echo "$tmp" >"$state/data-dir"
    as_owner "$bindir/initdb" -D "$tmp/data" -U pictor --auth=trust --no-instructions \
      --encoding=UTF8 --locale=C >"$tmp/initdb.log" 2>&1 ||
      { echo "pg-cluster: initdb failed:" >&2; cat "$tmp/initdb.log" >&2; exit 1; }
    # Loopback TCP only: nothing else can reach this cluster.
    echo "host all all 127.0.0.1/32 trust" >"$tmp/data/pg_hba.conf"
    started=""
    for _ in $(seq 1 20); do
      port=$((20000 + RANDOM % 30000))
      port_in_use "$port" && continue
      if pg_start "$tmp/data" "$port" "$tmp/server.log"; then
        started=1
        break
      fi
    done
    if [ -z "$started" ]; then
      echo "pg-cluster: the server did not start; its log:" >&2
      tail -n 20 "$tmp/server.log" >&2 || true
      exit 1
    fi
    echo "$port" >"$state/port"
    echo "postgresql://pictor@127.0.0.1:$port/postgres" >"$state/url"
    echo "pg-cluster: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($tmp)"
    ;;
  pause)
    tmp="$(cat "$state/data-dir")"
    as_owner "$bindir/pg_ctl" -D "$tmp/data" -m fast -w stop >/dev/null
    ;;
  resume)
    tmp="$(cat "$state/data-dir")"
    pg_start "$tmp/data" "$(cat "$state/port")" "$tmp/server.log"
    ;;
  stop)
    [ -f "$state/data-dir" ] || exit 0
    tmp="$(cat "$state/data-dir")"
    if [ -d "$tmp/data" ] && [ -n "$bindir" ]; then
      as_owner "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    case "$tmp" in /tmp/pictor-pg.*) rm -rf "$tmp" ;; esac
    rm -f "$state/data-dir" "$state/url" "$state/port"
    echo "pg-cluster: stopped and removed $tmp"
    ;;
  *)
    echo "pg-cluster: unknown command '$cmd' (start, stop, pause, resume)" >&2
    exit 2
    ;;
esac
