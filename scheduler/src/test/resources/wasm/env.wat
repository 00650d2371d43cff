;; env: a WAGI function that shows what it was given.
;; stdout is "Content-Type: text/plain\n\n", then every environment entry as "NAME=value\n" in the order the host
;; passed them, then "argv0=" + the first argument + "\n". Exit code 0.
;;
;; Memory map: 0..12 fd_write iovec+count, 32..40 sizes, 64.. constants, 1024..16384 pointers, 16384.. strings.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (memory (export "memory") 4)
  (data (i32.const 64) "Content-Type: text/plain\n\n\00")
  (data (i32.const 112) "\n\00")
  (data (i32.const 128) "argv0=\00")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

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

  (func (export "_start")
    (local $count i32) (local $i i32)
    (call $puts (i32.const 64))
    (if (call $environ_sizes_get (i32.const 32) (i32.const 36)) (then (return)))
    (local.set $count (i32.load (i32.const 32)))
    (if (i32.gt_u (local.get $count) (i32.const 3840)) (then (return)))
    (if (i32.gt_u (i32.load (i32.const 36)) (i32.const 180000)) (then (return)))
    (if (call $environ_get (i32.const 1024) (i32.const 16384)) (then (return)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (call $puts (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
        (call $puts (i32.const 112))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (if (call $args_sizes_get (i32.const 32) (i32.const 36)) (then (return)))
    (if (i32.gt_u (i32.load (i32.const 36)) (i32.const 4096)) (then (return)))
    (if (call $args_get (i32.const 1024) (i32.const 200000)) (then (return)))
    (call $puts (i32.const 128))
    (call $puts (i32.load (i32.const 1024)))
    (call $puts (i32.const 112))))
