;; poll-spin (from review): fills 4 096 fd_write subscriptions on stdout (each ready at once), then polls them 5 000
;; times and exits 0. 689 324 fuel before polls paid per subscription (~400 ms on a developer VM); now
;; + 5 000 x 4 096 x 2 (FuelCosts.POLL_PER_SUBSCRIPTION) = 41 649 324.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 8)
  (func $start (export "_start")
    (local $i i32)
    (block $done (loop $fill
      (br_if $done (i32.ge_u (local.get $i) (i32.const 4096)))
      (i32.store8 (i32.add (i32.const 65544) (i32.mul (local.get $i) (i32.const 48))) (i32.const 2))
      (i32.store (i32.add (i32.const 65552) (i32.mul (local.get $i) (i32.const 48))) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (local.set $i (i32.const 0))
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (i32.const 5000)))
      (drop (call $poll (i32.const 65536) (i32.const 327680) (i32.const 4096) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $exit (i32.const 0))))
