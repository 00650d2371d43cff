#!/bin/sh
# Builds files-wagi.wasm from files-wagi.c for wasm32-wasi (WASI preview 1), as examples/c/build.sh builds its programs.
# Needs the Debian packages clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32; commit files-wagi.wasm with files-wagi.c.
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang-14}
if [ -z "${SYSROOT:-}" ]; then
    if [ -d /usr/share/wasi-sysroot ]; then SYSROOT=/usr/share/wasi-sysroot; else SYSROOT=/usr; fi
fi
"$CC" --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -Wall -Wextra -Werror -Wl,--strip-all -o files-wagi.wasm files-wagi.c
chmod -x files-wagi.wasm
