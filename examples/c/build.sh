#!/bin/sh
# Builds hello.wasm from hello.c and fib.wasm from fib.c for wasm32-wasi (WASI preview 1).
# Needs the Debian packages clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32.
# Optional: wasm-opt (Debian package binaryen) to shrink the result.
# Another clang (15+, or wasi-sdk's) works too: set CC, and SYSROOT to the directory holding the WASI libc
# (by default /usr/share/wasi-sysroot when it exists, else /usr, where Debian 12's wasi-libc puts
# include/wasm32-wasi and lib/wasm32-wasi).
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang-14}
if [ -z "${SYSROOT:-}" ]; then
    if [ -d /usr/share/wasi-sysroot ]; then SYSROOT=/usr/share/wasi-sysroot; else SYSROOT=/usr; fi
fi
for name in hello fib; do
    "$CC" --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -Wall -Wextra -Werror -Wl,--strip-all -o $name.wasm $name.c
    if command -v wasm-opt >/dev/null 2>&1; then
        wasm-opt -O2 --strip-debug --strip-producers $name.wasm -o $name.wasm
    fi
    chmod -x $name.wasm
done
