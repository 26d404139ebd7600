#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL 15 server for the tests: a fresh data directory under
# $TMPDIR, bound to 127.0.0.1 on a free port, trust authentication for the test role; the role
# sluice_password (which tests create) must give a password, so that refused logins can be tested.
# `start` prints `export SLUICE_TEST_POSTGRES=...` for the caller to eval; `stop DIR` removes it.
# `pause DIR` stops the server and keeps its data, `resume DIR` starts it again on the same port:
# tests of a database outage use them.
set -euo pipefail

pg_bin=${SLUICE_PG_BIN:-/usr/lib/postgresql/15/bin}

server_start() {
  local dir=$1 run=()
  [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
  "${run[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $(cat "$dir/port") -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
}

case "${1:-}" in
  start)
    [ -x "$pg_bin/initdb" ] || { echo "sluice test: PostgreSQL 15 server not found in $pg_bin; run ./build.sh deps (installs postgresql-15)" >&2; exit 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-pg.XXXXXX")
    chmod 755 "$dir"
    run=()
    # PostgreSQL refuses to run as root: run it as the postgres system user the package created.
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; run=(runuser -u postgres --); fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    "${run[@]}" "$pg_bin/initdb" -D "$dir/data" -U sluice --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    sed -i '1i host all sluice_password 127.0.0.1/32 scram-sha-256' "$dir/data/pg_hba.conf"
    echo "$port" >"$dir/port"
    server_start "$dir"
    echo "export SLUICE_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=sluice;Database=postgres'"
    echo "export SLUICE_TEST_POSTGRES_DIR='$dir'"
    ;;
  stop)
    dir=${2:?usage: pg-test-server.sh stop DIR}
    run=(); [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  pause)
    dir=${2:?usage: pg-test-server.sh pause DIR}
    run=(); [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  resume)
    server_start "${2:?usage: pg-test-server.sh resume DIR}"
    ;;
  *) echo "usage: pg-test-server.sh start | stop DIR | pause DIR | resume DIR" >&2; exit 2 ;;
esac
