#!/bin/sh
# Builds hello.wasm from hello.wat with wat2wasm (Debian/Ubuntu package `wabt`).
set -eu
cd "$(dirname "$0")"
wat2wasm hello.wat -o hello.wasm
