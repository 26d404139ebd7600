#!/usr/bin/env bash
# Sluice's one entry point. Verbs:
#   deps          install the Debian packages the tests need (PostgreSQL, ClickHouse; idempotent)
#   build         build the solution (Release)
#   test [ARGS]   build, start a throwaway PostgreSQL and ClickHouse on 127.0.0.1, run every test (ARGS go to dotnet test)
#   test-faults   build, then the fault tests at full size (1M events; SLUICE_FAULT_EVENTS=N for another size)
#   demo [ARGS]   build, then `sluice demo ARGS` (embedded broker, nothing else to install)
#   bench [ARGS]  build, then `sluice bench ARGS`
#   run ARGS      build if needed, then `sluice ARGS`
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
config=Release
cli_dll="$root/src/Sluice.Cli/bin/$config/net10.0/sluice.dll"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

deps() {
  step "deps"
  bash eng/provision-system.sh >&2
}

build() {
  step "build ($config)"
  command -v dotnet >/dev/null || { echo "build.sh: the .NET 10 SDK is required (dotnet not found on PATH)" >&2; exit 1; }
  dotnet build Sluice.slnx -c "$config" -nologo -v quiet -clp:NoSummary -p:WarningLevel=4 >&2 \
    || { echo "build failed" >&2; exit 1; }
}

# Builds only when a source or build file is newer than the CLI assembly.
build_if_needed() {
  if [ -f "$cli_dll" ] && [ -z "$(find src Directory.Build.props Directory.Packages.props -newer "$cli_dll" \
        \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]; then
    return
  fi
  build
}

run_cli() {
  command -v dotnet >/dev/null || { echo "build.sh: the .NET 10 SDK is required (dotnet not found on PATH)" >&2; exit 1; }
  build_if_needed
  exec dotnet "$cli_dll" "$@"
}

test_all() {
  deps
  build
  step "PostgreSQL test server"
  eval "$(bash eng/pg-test-server.sh start)"
  trap 'bash eng/pg-test-server.sh stop "$SLUICE_TEST_POSTGRES_DIR"' EXIT
  echo "  started on ${SLUICE_TEST_POSTGRES}" >&2
  step "ClickHouse test server"
  eval "$(bash eng/clickhouse-test-server.sh start)"
  trap 'bash eng/clickhouse-test-server.sh stop "$SLUICE_TEST_CLICKHOUSE_DIR"; bash eng/pg-test-server.sh stop "$SLUICE_TEST_POSTGRES_DIR"' EXIT
  echo "  started on ${SLUICE_TEST_CLICKHOUSE}" >&2
  step "tests"
  local log; log=$(mktemp)
  local rc=0
  # The full-size fault tests are their own verb (test-faults), not skipped tests of this one; a --filter of the caller's replaces this.
  local filter=(--filter "Category!=FullSizeFaults")
  case " $* " in *" --filter "*) filter=() ;; esac
  dotnet test Sluice.slnx -c "$config" --no-build -nologo "${filter[@]}" "$@" 2>&1 | tee "$log" || rc=$?
  # One plain closing line over all test projects.
  awk '/(Passed|Failed)! +- +Failed:/ { gsub(/,/, ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
       END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
  rm -f "$log"
  return $rc
}

# The fault tests the issues size at 1M events: minutes each, so not part of `test`.
test_faults() {
  build
  step "fault tests at full size (${SLUICE_FAULT_EVENTS:=1000000} events)"
  export SLUICE_FAULT_EVENTS
  dotnet test tests/Sluice.IntegrationTests -c "$config" --no-build -nologo --filter "Category=FullSizeFaults" \
    --logger "console;verbosity=detailed" "$@"
}

verb=${1:-help}
[ $# -gt 0 ] && shift
case "$verb" in
  deps) deps ;;
  build) build ;;
  test) test_all "$@" ;;
  test-faults) test_faults "$@" ;;
  demo) run_cli demo "$@" ;;
  bench) run_cli bench "$@" ;;
  run) run_cli "$@" ;;
  help|-h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) echo "build.sh: unknown verb '$verb'; use deps, build, test, test-faults, demo, bench or run" >&2; exit 2 ;;
esac
