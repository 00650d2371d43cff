#!/bin/sh
# Builds hello.wasm from hello.rs for wasm32-wasi (WASI preview 1) with rustc alone (no cargo, no crates).
# Needs the Debian packages rustc libstd-rust-dev-wasm32 (the latter provides the wasm32-wasi standard library).
# Optional: wasm-opt (Debian package binaryen) to shrink the result.
# A rustup toolchain works too: `rustup target add wasm32-wasip1`, then RUSTC=rustc TARGET=wasm32-wasip1 ./build.sh
set -eu
cd "$(dirname "$0")"
RUSTC=${RUSTC:-/usr/bin/rustc}
TARGET=${TARGET:-wasm32-wasi}
"$RUSTC" --edition 2021 --target "$TARGET" -C opt-level=s -C lto -C codegen-units=1 -C panic=abort \
    -C strip=symbols -o hello.wasm hello.rs
if command -v wasm-opt >/dev/null 2>&1; then
    wasm-opt -Oz --strip-debug --strip-producers hello.wasm -o hello.wasm
fi
chmod -x hello.wasm
