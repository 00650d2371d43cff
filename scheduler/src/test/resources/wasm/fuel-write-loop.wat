;; fuel-write-loop: writes "ab\n" to stdout 5 times with fd_write, in a loop.
;;   loop block: i32.const x 4, call (5), drop, local.get, i32.const, i32.add, local.set, local.get, i32.const,
;;               i32.lt_u, br_if                                        = 18
;;   host: fd_write (100) + 3 bytes written                             = 103
;; Fuel: 5 x 121 = 605.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "\08\00\00\00\03\00\00\00")
  (data (i32.const 8) "ab\n")
  (func (export "_start")
    (local $i i32)
    (loop $again
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 5))))))
