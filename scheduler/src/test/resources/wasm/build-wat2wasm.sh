#!/bin/sh
# Rebuilds wat2wasm.wasm, a real program for the tests: wabt 1.0.32's wat2wasm (Apache-2.0, WebAssembly/wabt),
# compiled for WASI preview 1 from Debian bookworm's source package with Debian's clang 14, wasi-libc and
# libc++ for wasm32, at -O0. -O0 is the point: the LLVM wasm backend then gives every virtual register its own
# local, so the binary has functions with up to 21 380 locals (7 over 1 024), the shape that the old 1 024-locals
# cap refused. Debug sections are stripped (wasm-strip).
#
# Needs (Debian bookworm): apt-get install clang-14 lld-14 wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32
#   libclang-rt-14-dev-wasm32 cmake dpkg-dev wabt, and a deb-src line for bookworm main (apt-get source wabt).
set -eu
out="$(cd "$(dirname "$0")" && pwd)/wat2wasm.wasm"
work=$(mktemp -d)
cd "$work"
apt-get source -q --download-only wabt=1.0.32-1
dpkg-source -x wabt_1.0.32-1.dsc
cmake -S wabt-1.0.32 -B build -DCMAKE_SYSTEM_NAME=WASI -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_C_COMPILER_TARGET=wasm32-wasi -DCMAKE_CXX_COMPILER_TARGET=wasm32-wasi -DCMAKE_CXX_FLAGS=-fno-exceptions \
    -DCMAKE_C_FLAGS_RELEASE=-O0 -DCMAKE_CXX_FLAGS_RELEASE=-O0 -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_TESTS=OFF -DBUILD_LIBWASM=OFF -DUSE_INTERNAL_SHA256=ON -DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY
make -C build -j2 wat2wasm
wasm-strip build/wat2wasm -o "$out"
