#!/bin/sh
# Builds files.wasm from files.c and links.wasm from links.c for wasm32-wasi (WASI preview 1), as examples/c/build.sh builds its programs.
# Needs the Debian packages clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32; commit the .wasm files with their sources.
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang-14}
if [ -z "${SYSROOT:-}" ]; then
    if [ -d /usr/share/wasi-sysroot ]; then SYSROOT=/usr/share/wasi-sysroot; else SYSROOT=/usr; fi
fi
"$CC" --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -Wall -Wextra -Werror -Wl,--strip-all -o files.wasm files.c
chmod -x files.wasm
"$CC" --target=wasm32-wasi --sysroot="$SYSROOT" -O2 -Wall -Wextra -Werror -Wl,--strip-all -o links.wasm links.c
chmod -x links.wasm
