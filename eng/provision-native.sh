#!/usr/bin/env bash
# Provisions the native libraries Sluice needs into a versioned cache outside the repository.
# The NuGet mirror these machines reach lacks librdkafka.redist and DuckDB's packages, so:
#   - librdkafka 2.15.1 is built from the source Confluent ships in the npm package
#     @confluentinc/kafka-javascript@1.10.1 (deps/librdkafka), matching Confluent.Kafka 2.15.1;
#   - libduckdb.so 1.5.6 is taken from the npm package @duckdb/node-bindings-linux-x64@1.5.6-r.1.
# Each library lands in its own folder with a stamp file that records what was built and the
# file's sha256; a folder whose stamp is missing or does not match is rebuilt.
# Idempotent: with a warm cache it only checks the stamps.
set -euo pipefail

cache_root="${SLUICE_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice/native}"
rdkafka_version=2.15.1
rdkafka_npm="@confluentinc/kafka-javascript@1.10.1"
duckdb_version=1.5.6
duckdb_npm="@duckdb/node-bindings-linux-x64@1.5.6-r.1"

rdkafka_dir="$cache_root/librdkafka-$rdkafka_version"
duckdb_dir="$cache_root/duckdb-$duckdb_version"

say() { printf '  %-10s %s\n' "$1" "$2"; }
die() { printf 'sluice deps: %s\n' "$*" >&2; exit 1; }

# A stamp is "source=<npm spec> sha256=<hash of the library file>"; valid only if both match.
stamp_ok() {
  local dir=$1 lib=$2 source=$3
  [ -f "$dir/$lib" ] && [ -f "$dir/STAMP" ] || return 1
  local want; want="source=$source sha256=$(sha256sum "$dir/$lib" | cut -d' ' -f1)"
  [ "$(cat "$dir/STAMP")" = "$want" ]
}

write_stamp() {
  local dir=$1 lib=$2 source=$3
  echo "source=$source sha256=$(sha256sum "$dir/$lib" | cut -d' ' -f1)" > "$dir/STAMP"
}

# install_into DIR FILE SOURCE SRCFILE: copies SRCFILE to DIR/FILE through DIR.tmp, stamps it, then swaps
# the folder in, so a cache folder is either complete and stamped or absent.
install_into() {
  local dir=$1 lib=$2 source=$3 srcfile=$4
  shift 4
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  cp "$srcfile" "$dir.tmp/$lib"
  [ $# -gt 0 ] && cp "$@" "$dir.tmp/"
  write_stamp "$dir.tmp" "$lib" "$source"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

fetch_npm() { # fetch_npm SPEC DEST_DIR: unpacks the npm tarball's package/ into DEST_DIR
  local spec=$1 dest=$2 tmp
  command -v npm >/dev/null || die "npm is required to fetch $spec; install Node.js and npm (apt-get install -t bookworm nodejs npm)"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>"$tmp/npm.err") \
    || die "could not fetch $spec from the npm registry: $(tail -n 3 "$tmp/npm.err")"
  mkdir -p "$dest"
  tar xzf "$tmp"/*.tgz -C "$dest"
  rm -rf "$tmp"
}

provision_rdkafka() {
  if stamp_ok "$rdkafka_dir" librdkafka.so "$rdkafka_npm"; then
    say librdkafka "$rdkafka_version cached ($rdkafka_dir)"; return
  fi
  say librdkafka "building $rdkafka_version from $rdkafka_npm (about 75 s on 2 cores)"
  local work; work=$(mktemp -d)
  fetch_npm "$rdkafka_npm" "$work"
  local src="$work/package/deps/librdkafka"
  [ -x "$src/configure" ] || die "$rdkafka_npm has no deps/librdkafka/configure"
  (
    cd "$src"
    ./configure --prefix="$work/install" --enable-ssl --enable-gssapi --enable-zstd --enable-lz4-ext --disable-curl \
      > "$work/configure.log" 2>&1 || { tail -n 20 "$work/configure.log" >&2; exit 1; }
    make -j"$(nproc)" -C src librdkafka.so > "$work/make.log" 2>&1 || { tail -n 30 "$work/make.log" >&2; exit 1; }
  ) || die "building librdkafka failed (logs in $work)"
  install_into "$rdkafka_dir" librdkafka.so "$rdkafka_npm" "$src/src/librdkafka.so.1" "$src/src/rdkafka.h" "$src/src/rdkafka_mock.h"
  rm -rf "$work"
  say librdkafka "built into $rdkafka_dir"
}

provision_duckdb() {
  if stamp_ok "$duckdb_dir" libduckdb.so "$duckdb_npm"; then
    say duckdb "$duckdb_version cached ($duckdb_dir)"; return
  fi
  say duckdb "fetching $duckdb_version from $duckdb_npm"
  local work; work=$(mktemp -d)
  fetch_npm "$duckdb_npm" "$work"
  [ -f "$work/package/libduckdb.so" ] || die "$duckdb_npm has no libduckdb.so"
  install_into "$duckdb_dir" libduckdb.so "$duckdb_npm" "$work/package/libduckdb.so"
  rm -rf "$work"
  say duckdb "installed into $duckdb_dir"
}

mkdir -p "$cache_root"
provision_rdkafka
provision_duckdb
