;; proc-exit: reads up to 4 bytes of stdin into a zeroed word and calls proc_exit with it (little-endian u32), so
;; the caller picks any exit code: "\00\00\00\00" exits 0, "\ff\ff\ff\ff" exits 0xFFFFFFFF.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $at i32)
    ;; read until 4 bytes or end of file: iovec at 0 points at 64 + what we have
    (block $full
      (loop $more
        (br_if $full (i32.ge_u (local.get $at) (i32.const 4)))
        (i32.store (i32.const 0) (i32.add (i32.const 64) (local.get $at)))
        (i32.store (i32.const 4) (i32.sub (i32.const 4) (local.get $at)))
        (br_if $full (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $full (i32.eqz (i32.load (i32.const 8))))
        (local.set $at (i32.add (local.get $at) (i32.load (i32.const 8))))
        (br $more)))
    (call $proc_exit (i32.load (i32.const 64)))))
