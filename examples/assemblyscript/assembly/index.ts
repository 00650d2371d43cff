// hello: a WAGI function for Sluice, in AssemblyScript (WASI preview 1 through @assemblyscript/wasi-shim).
//
// Responds "Content-Type: text/plain", then the body "hello <name>\nyou sent <N> bytes\n", where <name> is the
// `name` query parameter ("world" when absent) and <N> the number of bytes of the request body (stdin).
//
// The query rules, shared by every example: QUERY_STRING is split on '&'; the first field whose key (the text
// before the first '=', not decoded) is exactly "name" wins; its value is what follows that '=' (empty without
// one), with '+' read as a space and "%XX" (two hex digits) as that byte; any other '%' is kept as is.
// The query is handled as bytes straight from the WASI calls (not as a JavaScript string), so a name that is not
// UTF-8 comes back unchanged, as in the other languages.
//
// The top-level code below is the program: asconfig.json (through the shim's config) exports it as `_start`.

import {
  environ_get,
  environ_sizes_get,
  fd_read,
  fd_write,
} from "@assemblyscript/wasi-shim/assembly/bindings/wasi_snapshot_preview1";

const STDIN: u32 = 0;
const STDOUT: u32 = 1;
const BUFFER_SIZE: usize = 4096;

// One iovec (pointer, length) followed by the count of bytes the call transferred.
const iov = memory.data(12);
const buffer = memory.data(<i32>BUFFER_SIZE);

function put(ptr: usize, len: usize): void {
  while (len > 0) {
    store<u32>(iov, <u32>ptr);
    store<u32>(iov, <u32>len, 4);
    if (fd_write(STDOUT, iov, 1, iov + 8) != 0) return;
    const n = <usize>load<u32>(iov, 8);
    if (n == 0) return;
    ptr += n;
    len -= n;
  }
}

function putString(s: string): void {
  const bytes = String.UTF8.encode(s);
  put(changetype<usize>(bytes), <usize>bytes.byteLength);
}

/** Bytes read from stdin until end of file (or a read error). */
function bodyLength(): u64 {
  let total: u64 = 0;
  while (true) {
    store<u32>(iov, <u32>buffer);
    store<u32>(iov, <u32>BUFFER_SIZE, 4);
    if (fd_read(STDIN, iov, 1, iov + 8) != 0) return total;
    const n = load<u32>(iov, 8);
    if (n == 0) return total;
    total += n;
  }
}

/** The address of QUERY_STRING's NUL-terminated value (never 0: it lies in the heap), or 0 when it is unset. */
function queryString(): usize {
  if (environ_sizes_get(iov, iov + 4) != 0) return 0;
  const count = <usize>load<u32>(iov);
  const size = <usize>load<u32>(iov, 4);
  const pointers = heap.alloc(count * 4 + size);
  if (environ_get(pointers, pointers + count * 4) != 0) return 0;
  const prefix = "QUERY_STRING=";
  for (let i: usize = 0; i < count; i++) {
    const entry = <usize>load<u32>(pointers + i * 4);
    let k = 0;
    while (k < prefix.length && <i32>load<u8>(entry + k) == prefix.charCodeAt(k)) k++;
    if (k == prefix.length) return entry + k;
  }
  return 0;
}

function hex(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Writes the decoded value at [start, end). Decoding never makes it longer, so one buffer of its size is enough. */
function putDecoded(start: usize, end: usize): void {
  const out = heap.alloc(end - start);
  let used: usize = 0;
  for (let p = start; p < end; p++) {
    let c = <u32>load<u8>(p);
    if (c == 0x2b) {
      c = 0x20;
    } else if (c == 0x25 && p + 2 < end && hex(load<u8>(p + 1)) >= 0 && hex(load<u8>(p + 2)) >= 0) {
      c = <u32>(hex(load<u8>(p + 1)) * 16 + hex(load<u8>(p + 2)));
      p += 2;
    }
    store<u8>(out + used++, <u8>c);
  }
  put(out, used);
}

/** Writes the name: the first "name" field of the query string at [query, NUL), or "world". */
function putName(query: usize): void {
  if (query != 0) {
    let field = query;
    while (load<u8>(field) != 0) {
      let end = field;
      while (load<u8>(end) != 0 && load<u8>(end) != 0x26) end++;
      let key = field;
      while (key < end && load<u8>(key) != 0x3d) key++;
      if (key - field == 4 && load<u32>(field) == 0x656d616e) { // "name", little-endian
        putDecoded(key < end ? key + 1 : end, end);
        return;
      }
      field = load<u8>(end) == 0x26 ? end + 1 : end;
    }
  }
  putString("world");
}

const received = bodyLength();
putString("Content-Type: text/plain\n\nhello ");
putName(queryString());
putString("\nyou sent " + received.toString() + " bytes\n");
