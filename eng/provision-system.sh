#!/usr/bin/env bash
# Installs the Debian packages Sluice's tests need, when they are missing. The native libraries come
# from NuGet packages (librdkafka.redist, DuckDB.NET.Data.Full), so building and running need none.
# Needs root for apt-get; otherwise prints the command to run.
set -euo pipefail

# the PostgreSQL 15 and ClickHouse (Debian's 18.16) servers the tests start; Chromium and its WebDriver for the
# dashboard tests.
packages=(postgresql-15 postgresql-client-15 clickhouse-server clickhouse-client chromium chromium-driver)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  printf '  %-10s %s\n' debian "all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "sluice deps: missing Debian packages: ${missing[*]}" >&2
  echo "  install them with: sudo apt-get install -y -t bookworm ${missing[*]}" >&2
  exit 1
fi

printf '  %-10s %s\n' debian "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# An old or empty package list makes apt-get fail to find packages: refresh it once.
if ! apt-get install -y -q -t bookworm "${missing[@]}" >/tmp/sluice-apt.log 2>&1; then
  apt-get update -q >/dev/null 2>&1 || true
  apt-get install -y -q -t bookworm "${missing[@]}" >/tmp/sluice-apt.log 2>&1 \
    || { tail -n 20 /tmp/sluice-apt.log >&2; echo "sluice deps: apt-get install failed (log: /tmp/sluice-apt.log)" >&2; exit 1; }
fi
