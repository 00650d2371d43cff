#!/bin/sh
# Rebuilds the benchmark workloads: every <name>.wat here into <name>.wasm (needs wabt's wat2wasm).
set -eu
cd "$(dirname "$0")"
for wat in *.wat; do
  wat2wasm "$wat" -o "${wat%.wat}.wasm"
done
