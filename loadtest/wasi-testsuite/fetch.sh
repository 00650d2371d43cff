#!/usr/bin/env bash
# Fetches the built WebAssembly wasi-testsuite (branch prod/testsuite-base: the .wasm tests with their .json
# expectations, rebuilt by the suite's CI) into DIR, for `loadtest/run WasiTestsuite --suite DIR`.
#   loadtest/wasi-testsuite/fetch.sh DIR [REPOSITORY]
# REPOSITORY defaults to https://github.com/WebAssembly/wasi-testsuite; a local clone or mirror (a path) works too.
# Prints the commit fetched: quote it with the numbers. Never commit the suite into Sluice (only the fixture subset
# under loadtest/src/test/resources/wasi-testsuite/).
set -euo pipefail
dir=${1:?usage: fetch.sh DIR [REPOSITORY]}
repo=${2:-https://github.com/WebAssembly/wasi-testsuite}
case $repo in /*) repo=file://$repo ;; esac
if [ -e "$dir" ]; then
  echo "fetch.sh: $dir exists; remove it or pick another directory" >&2
  exit 1
fi
git clone -q --depth 1 -b prod/testsuite-base "$repo" "$dir"
echo "wasi-testsuite prod/testsuite-base at $(git -C "$dir" rev-parse HEAD) in $dir"
