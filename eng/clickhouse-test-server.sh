#!/usr/bin/env bash
# Starts (or stops) a throwaway ClickHouse server for the tests: Debian's clickhouse-server (18.16) as the current
# user, no systemd, a fresh data directory under $TMPDIR with a generated config, HTTP bound to 127.0.0.1 on a free
# port (the native TCP port on another, loopback too). Users: `default` without a password, and `sluice_password`
# with the password `right-password`, so that refused logins can be tested.
# `start` prints `export SLUICE_TEST_CLICKHOUSE=http://127.0.0.1:PORT` (and the directory) for the caller to eval,
# once `SELECT 1` answers over HTTP; `stop DIR` stops the server and removes the directory.
set -euo pipefail

ch_server=${SLUICE_CLICKHOUSE_SERVER:-/usr/sbin/clickhouse-server}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

write_config() {
  local dir=$1 http=$2 tcp=$3
  cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/server.log</log>
        <errorlog>$dir/server.err.log</errorlog>
        <size>10M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <max_connections>256</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
</yandex>
EOF
  cat >"$dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <sluice_password>
            <password>right-password</password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </sluice_password>
    </users>
    <quotas>
        <default>
            <interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>
        </default>
    </quotas>
</yandex>
EOF
}

case "${1:-}" in
  start)
    [ -x "$ch_server" ] || { echo "sluice test: ClickHouse server not found at $ch_server; run ./build.sh deps (installs clickhouse-server)" >&2; exit 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-ch.XXXXXX")
    http=$(free_port)
    tcp=$(free_port)
    while [ "$tcp" = "$http" ]; do tcp=$(free_port); done
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
    write_config "$dir" "$http" "$tcp"
    echo "$http" >"$dir/port"
    # --daemon would double-fork; in the background with its pid kept, `stop` ends exactly this server.
    "$ch_server" --config-file="$dir/config.xml" >"$dir/stdout.log" 2>&1 &
    echo $! >"$dir/pid"
    url="http://127.0.0.1:$http"
    for _ in $(seq 1 300); do
      if [ "$(curl -s --max-time 2 --data-binary 'SELECT 1' "$url/" 2>/dev/null)" = "1" ]; then
        echo "export SLUICE_TEST_CLICKHOUSE='$url'"
        echo "export SLUICE_TEST_CLICKHOUSE_DIR='$dir'"
        exit 0
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
      sleep 0.1
    done
    echo "sluice test: the ClickHouse server did not answer SELECT 1 at $url within 30 s" >&2
    tail -n 20 "$dir/server.err.log" "$dir/stdout.log" >&2 2>/dev/null || true
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    exit 1
    ;;
  stop)
    dir=${2:?usage: clickhouse-test-server.sh stop DIR}
    if [ -f "$dir/pid" ]; then
      pid=$(cat "$dir/pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: clickhouse-test-server.sh start | stop DIR" >&2; exit 2 ;;
esac
