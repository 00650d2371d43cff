;; cookies: stdout is "Set-Cookie: a=1\nSet-Cookie: b=2\nContent-Type: text/plain\n\nok\n": one header given twice. Exit 0.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; Writes the NUL-terminated string at $p to file descriptor $fd (0..12 holds the iovec and the count).
  (func $puts (param $fd i32) (param $p i32)
    (local $len i32) (local $n i32)
    (block $end
      (loop $next
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $len)))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $next)))
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $p))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $p (i32.add (local.get $p) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (br $again))))
  (data (i32.const 64) "Set-Cookie: a=1\nSet-Cookie: b=2\nContent-Type: text/plain\n\nok\n\00")
  (func (export "_start") (call $puts (i32.const 1) (i32.const 64))))
