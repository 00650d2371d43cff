//! hello: a WAGI function for Sluice, in Rust (std, wasm32-wasi).
//!
//! Responds "Content-Type: text/plain", then the body "hello <name>\nyou sent <N> bytes\n", where <name> is the
//! `name` query parameter ("world" when absent) and <N> the number of bytes of the request body (stdin).
//!
//! The query rules, shared by every example: QUERY_STRING is split on '&'; the first field whose key (the text
//! before the first '=', not decoded) is exactly "name" wins; its value is what follows that '=' (empty without
//! one), with '+' read as a space and "%XX" (two hex digits) as that byte; any other '%' is kept as is.
//! Everything is handled as bytes, so a name that is not UTF-8 comes back unchanged.

use std::io::{self, ErrorKind, Read, Write};
use std::os::wasi::ffi::OsStrExt;

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn decode(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < value.len() => match (hex(value[i + 1]), hex(value[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fn name(query: &[u8]) -> Vec<u8> {
    for field in query.split(|&c| c == b'&') {
        let mut parts = field.splitn(2, |&c| c == b'=');
        if parts.next() == Some(&b"name"[..]) {
            return decode(parts.next().unwrap_or(b""));
        }
    }
    b"world".to_vec()
}

/// Bytes read from stdin until end of file (or a read error).
fn body_length() -> u64 {
    let mut stdin = io::stdin().lock();
    let mut buf = [0u8; 4096];
    let mut total = 0u64;
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return total,
        }
    }
}

fn main() {
    let received = body_length();
    let query = std::env::var_os("QUERY_STRING").unwrap_or_default();
    let mut response = b"Content-Type: text/plain\n\nhello ".to_vec();
    response.extend(name(query.as_bytes()));
    response.extend(format!("\nyou sent {received} bytes\n").as_bytes());
    // A failed write means the gateway is gone: nothing left to tell anyone, so exit quietly.
    let _ = io::stdout().lock().write_all(&response);
}
