#!/usr/bin/env bash
# Fetches the npm packages in eng/web-packages.tsv into OUT/<name>/ (the dashboard embeds them at build time).
# Each tarball is checked against its sha512 integrity before anything is extracted; a package already in OUT at
# the same version is not fetched again. Needs curl (or wget), tar and openssl or sha512sum; not Node.js.
# The registry is $SLUICE_NPM_REGISTRY, else npm's configured one, else https://registry.npmjs.org.
set -euo pipefail
out=${1:?usage: fetch-web-assets.sh OUT_DIR}
manifest="$(dirname "$0")/web-packages.tsv"
registry=${SLUICE_NPM_REGISTRY:-}
if [ -z "$registry" ] && command -v npm >/dev/null 2>&1; then registry=$(npm config get registry 2>/dev/null || true); fi
registry=${registry:-https://registry.npmjs.org/}
registry=${registry%/}

sha512_base64() {
  if command -v openssl >/dev/null 2>&1; then openssl dgst -sha512 -binary "$1" | base64 -w0
  else sha512sum "$1" | cut -d' ' -f1 | xxd -r -p | base64 -w0; fi
}

download() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 2 -o "$2" "$1"
  else wget -q -O "$2" "$1"; fi
}

grep -v '^#' "$manifest" | while IFS=$'\t' read -r name version integrity files; do
  [ -n "$name" ] || continue
  dest="$out/$name"
  if [ -f "$dest/.version" ] && [ "$(cat "$dest/.version")" = "$version" ]; then continue; fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  url="$registry/$name/-/${name##*/}-$version.tgz"
  if ! download "$url" "$tmp/package.tgz"; then
    echo "fetch-web-assets: cannot download $name $version from $url; set SLUICE_NPM_REGISTRY to a reachable npm registry" >&2
    exit 1
  fi
  actual="sha512-$(sha512_base64 "$tmp/package.tgz")"
  if [ "$actual" != "$integrity" ]; then
    echo "fetch-web-assets: $name $version from $url does not match eng/web-packages.tsv (got $actual)" >&2
    exit 1
  fi
  tar -xzf "$tmp/package.tgz" -C "$tmp"
  rm -rf "$dest" && mkdir -p "$dest"
  for f in $files; do cp "$tmp/package/$f" "$dest/"; done
  echo "$version" > "$dest/.version"
  echo "fetch-web-assets: $name $version" >&2
  rm -rf "$tmp"
done
