;; hello: a WAGI function.
;; stdout is exactly: "Content-Type: text/plain\n\nhello " + value of env QUERY_STRING + "\n" + all of stdin.
;; An unset QUERY_STRING counts as empty. Example: QUERY_STRING=name=ada, stdin "xyz" gives
;; "Content-Type: text/plain\n\nhello name=ada\nxyz" (so the HTTP body is "hello name=ada\nxyz"). Exit code 0.
;;
;; Memory map: 0..12 fd_write iovec+count, 16..28 fd_read iovec+count, 32..40 environ sizes, 64.. constants,
;; 256..1024 stdin buffer, 1024..16384 environ pointers, 16384..131072 environ strings.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "Content-Type: text/plain\n\nhello \00")
  (data (i32.const 112) "\n\00")
  (data (i32.const 128) "QUERY_STRING=\00")

  (func $write (param $ptr i32) (param $len i32)
    (local $n i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (br $again))))

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $end
      (loop $next
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  (func $puts (param $p i32)
    (call $write (local.get $p) (call $strlen (local.get $p))))

  (func $copy_stdin
    (local $n i32)
    (block $eof
      (loop $more
        (i32.store (i32.const 16) (i32.const 256))
        (i32.store (i32.const 20) (i32.const 768))
        (br_if $eof (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (local.set $n (i32.load (i32.const 24)))
        (br_if $eof (i32.eqz (local.get $n)))
        (call $write (i32.const 256) (local.get $n))
        (br $more))))

  ;; 1 when the NUL-terminated string at $p starts with "QUERY_STRING=".
  (func $is_query_string (param $p i32) (result i32)
    (local $k i32)
    (block $mismatch
      (loop $cmp
        (if (i32.eq (local.get $k) (i32.const 13)) (then (return (i32.const 1))))
        (br_if $mismatch (i32.ne (i32.load8_u (i32.add (local.get $p) (local.get $k)))
                                 (i32.load8_u (i32.add (i32.const 128) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $cmp)))
    (i32.const 0))

  ;; Address of QUERY_STRING's NUL-terminated value, or 0 when unset (or the environment is too big for our map).
  (func $query_string (result i32)
    (local $count i32) (local $i i32) (local $p i32)
    (if (call $environ_sizes_get (i32.const 32) (i32.const 36)) (then (return (i32.const 0))))
    (local.set $count (i32.load (i32.const 32)))
    (if (i32.gt_u (local.get $count) (i32.const 3840)) (then (return (i32.const 0))))
    (if (i32.gt_u (i32.load (i32.const 36)) (i32.const 114688)) (then (return (i32.const 0))))
    (if (call $environ_get (i32.const 1024) (i32.const 16384)) (then (return (i32.const 0))))
    (block $notfound
      (loop $each
        (br_if $notfound (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $p (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
        (if (call $is_query_string (local.get $p)) (then (return (i32.add (local.get $p) (i32.const 13)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.const 0))

  (func (export "_start")
    (local $value i32)
    (call $puts (i32.const 64))
    (local.set $value (call $query_string))
    (if (local.get $value) (then (call $puts (local.get $value))))
    (call $puts (i32.const 112))
    (call $copy_stdin)))
