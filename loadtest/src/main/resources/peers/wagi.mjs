// WAGI on a JavaScript engine: runs a WASI preview 1 module as a CGI program, the way Sluice runs it, for the peers
// that PeerRatio measures Sluice against (workerd.mjs, node.mjs). The same file runs on both, so they differ only in
// their engine and HTTP server.
//
// Every request gets a FRESH instance of the compiled WebAssembly.Module (as Sluice does): the request body is stdin,
// the CGI variables are the environment (the same set as Sluice's WagiEnvironment), stdout is parsed as a CGI
// response (header lines, a blank line, the body; Status sets the code; output without a header block is a
// text/plain body). stderr is discarded. No files, no sockets: other WASI calls answer ENOSYS (52), or EBADF (8) for
// a descriptor other than 0, 1 and 2. The clock and random calls are real, as the engines give them.

const ESUCCESS = 0;
const EBADF = 8;
const ENOSYS = 52;
const WITHHELD = new Set(["authorization", "proxy-authorization", "connection", "keep-alive", "upgrade",
  "http2-settings", "te", "transfer-encoding", "content-type", "content-length"]);
const DROPPED = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te",
  "trailer", "proxy-authenticate", "proxy-connection", "status"]);
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** Thrown by proc_exit to unwind the guest; carries the exit code. */
class Exit {
  constructor(code) { this.code = code; }
}

/** The CGI variables for a request (request: {method, path, query, headers: [[name, value]...], contentLength}). */
export function cgiEnvironment(request, scriptName, serverName, serverPort) {
  const env = new Map([
    ["GATEWAY_INTERFACE", "CGI/1.1"], ["SERVER_PROTOCOL", "HTTP/1.1"], ["SERVER_SOFTWARE", "peer"],
    ["REQUEST_METHOD", request.method], ["SCRIPT_NAME", scriptName], ["PATH_INFO", "/"],
    ["QUERY_STRING", request.query], ["CONTENT_TYPE", request.contentType ?? ""],
    ["CONTENT_LENGTH", String(request.contentLength)], ["SERVER_NAME", serverName],
    ["SERVER_PORT", String(serverPort)], ["REMOTE_ADDR", "127.0.0.1"]]);
  for (const [name, value] of request.headers) {
    if (!WITHHELD.has(name.toLowerCase()) && /^[A-Za-z0-9-]+$/.test(name)) {
      const key = "HTTP_" + name.toUpperCase().replaceAll("-", "_");
      env.set(key, env.has(key) ? env.get(key) + ", " + value : value);
    }
  }
  return [...env].map(([k, v]) => k + "=" + v);
}

/**
 * Runs `module` (a WebAssembly.Module) once in a fresh instance with `stdin` (Uint8Array) and `env` (["K=V"...]);
 * returns {exitCode, stdout: Uint8Array}. A trap propagates as the engine's exception.
 */
export async function runWasi(module, stdin, env) {
  let memory;
  let stdinOffset = 0;
  const out = [];
  let outLength = 0;
  const envBytes = env.map((e) => encoder.encode(e + "\0"));
  const view = () => new DataView(memory.buffer);
  const bytes = () => new Uint8Array(memory.buffer);
  const wasi = {
    fd_write(fd, iovs, count, written) {
      if (fd !== 1 && fd !== 2) return EBADF;
      const v = view();
      let total = 0;
      for (let i = 0; i < count; i++) {
        const ptr = v.getUint32(iovs + i * 8, true);
        const len = v.getUint32(iovs + i * 8 + 4, true);
        if (fd === 1 && len > 0) {
          out.push(bytes().slice(ptr, ptr + len));
          outLength += len;
        }
        total += len;
      }
      v.setUint32(written, total, true);
      return ESUCCESS;
    },
    fd_read(fd, iovs, count, read) {
      if (fd !== 0) return EBADF;
      const v = view();
      let total = 0;
      for (let i = 0; i < count && stdinOffset < stdin.length; i++) {
        const ptr = v.getUint32(iovs + i * 8, true);
        const len = v.getUint32(iovs + i * 8 + 4, true);
        const n = Math.min(len, stdin.length - stdinOffset);
        bytes().set(stdin.subarray(stdinOffset, stdinOffset + n), ptr);
        stdinOffset += n;
        total += n;
      }
      v.setUint32(read, total, true);
      return ESUCCESS;
    },
    environ_sizes_get(countPtr, sizePtr) {
      const v = view();
      v.setUint32(countPtr, envBytes.length, true);
      v.setUint32(sizePtr, envBytes.reduce((n, e) => n + e.length, 0), true);
      return ESUCCESS;
    },
    environ_get(pointers, buffer) {
      const v = view();
      let at = buffer;
      envBytes.forEach((e, i) => {
        v.setUint32(pointers + i * 4, at, true);
        bytes().set(e, at);
        at += e.length;
      });
      return ESUCCESS;
    },
    args_sizes_get(countPtr, sizePtr) {
      const v = view();
      v.setUint32(countPtr, 0, true);
      v.setUint32(sizePtr, 0, true);
      return ESUCCESS;
    },
    args_get() { return ESUCCESS; },
    fd_fdstat_get(fd, stat) {
      if (fd > 2) return EBADF;
      bytes().fill(0, stat, stat + 24);
      view().setUint8(stat, 2); // character device, as a pipe looks to wasi-libc's isatty
      return ESUCCESS;
    },
    fd_close(fd) { return fd > 2 ? EBADF : ESUCCESS; },
    fd_seek() { return 70; }, // ESPIPE: standard streams do not seek
    fd_prestat_get() { return EBADF; }, // no preopened directories
    clock_time_get(id, precision, time) {
      const nanos = id === 0 ? BigInt(Date.now()) * 1000000n : BigInt(Math.round(performance.now() * 1e6));
      view().setBigUint64(time, nanos, true);
      return ESUCCESS;
    },
    random_get(buf, len) {
      crypto.getRandomValues(bytes().subarray(buf, buf + len));
      return ESUCCESS;
    },
    sched_yield() { return ESUCCESS; },
    proc_exit(code) { throw new Exit(code); },
  };
  const imports = { wasi_snapshot_preview1: {} };
  for (const imported of WebAssembly.Module.imports(module)) {
    if (imported.kind !== "function") continue;
    const table = imports[imported.module] ??= {};
    table[imported.name] = (imported.module === "wasi_snapshot_preview1" && wasi[imported.name]) || (() => ENOSYS);
  }
  const instance = await WebAssembly.instantiate(module, imports);
  memory = instance.exports.memory;
  let exitCode = 0;
  try {
    instance.exports._start();
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    exitCode = e.code;
  }
  const stdout = new Uint8Array(outLength);
  let at = 0;
  for (const chunk of out) {
    stdout.set(chunk, at);
    at += chunk.length;
  }
  return { exitCode, stdout };
}

/** stdout read as a CGI response: {status, headers: [[name, value]...], body: Uint8Array}. */
export function cgiResponse(stdout) {
  let end = -1;
  let bodyStart = -1;
  for (let i = 0; i < stdout.length; i++) {
    if (stdout[i] === 10 && stdout[i + 1] === 10) { end = i; bodyStart = i + 2; break; }
    if (stdout[i] === 13 && stdout[i + 1] === 10 && stdout[i + 2] === 13 && stdout[i + 3] === 10) {
      end = i; bodyStart = i + 4; break;
    }
  }
  const plain = { status: 200, headers: [["content-type", "text/plain; charset=utf-8"]], body: stdout };
  if (end < 0) return plain;
  let status = 200;
  let location = false;
  let contentType = false;
  const headers = [];
  for (const line of latin1.decode(stdout.subarray(0, end)).split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(line.substring(0, colon))) return plain;
    const name = line.substring(0, colon);
    const value = line.substring(colon + 1).trim();
    const lower = name.toLowerCase();
    if (lower === "status") status = parseInt(value, 10) || 500;
    if (lower === "location") location = true;
    if (lower === "content-type") contentType = true;
    if (!DROPPED.has(lower)) headers.push([name, value]);
  }
  if (location && status === 200) status = 302;
  if (!contentType) headers.push(["content-type", "text/plain; charset=utf-8"]);
  return { status, headers, body: stdout.subarray(bodyStart) };
}

/** One request through `module`: the CGI response, or 500 with the reason when the guest trapped or failed. */
export async function serve(module, request, stdin, scriptName, serverName, serverPort) {
  try {
    const { exitCode, stdout } = await runWasi(module, stdin,
      cgiEnvironment(request, scriptName, serverName, serverPort));
    if (exitCode !== 0) {
      return { status: 500, headers: [["content-type", "text/plain"]], body: encoder.encode("exit " + exitCode) };
    }
    return cgiResponse(stdout);
  } catch (e) {
    return { status: 500, headers: [["content-type", "text/plain"]], body: encoder.encode(String(e)) };
  }
}
