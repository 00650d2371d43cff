#!/bin/sh
# Rebuilds every *.wasm fixture from its *.wat source. The .wasm files are committed so that builds and CI need
# no WebAssembly toolchain; run this only after editing a .wat file, and commit both.
#
# Needs wat2wasm from WABT (Debian/Ubuntu package `wabt`, tested with 1.0.32: `apt-get install wabt`).
set -eu
cd "$(dirname "$0")"
command -v wat2wasm >/dev/null 2>&1 || { echo "wat2wasm not found: install the 'wabt' package" >&2; exit 1; }
for wat in *.wat; do
    wat2wasm --enable-tail-call "$wat" -o "${wat%.wat}.wasm"
done
