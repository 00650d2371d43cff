#!/bin/sh
# Builds hello.wasm from assembly/index.ts with the AssemblyScript compiler, for WASI preview 1.
# Needs Node.js 18+ and npm (Debian packages nodejs npm); `npm ci` fetches the npm packages pinned in
# package-lock.json: assemblyscript and @assemblyscript/wasi-shim (which routes abort/trace/seed to WASI, so the
# module imports nothing from "env", and exports the program as `_start`).
set -eu
cd "$(dirname "$0")"
[ -d node_modules ] || npm ci --no-audit --no-fund
npx asc assembly/index.ts --config asconfig.json
