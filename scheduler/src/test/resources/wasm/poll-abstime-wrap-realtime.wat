;; poll-abstime-wrap-realtime: as poll-abstime-wrap, with a REALTIME absolute clock subscription at now + 2^63 + k (k from 20 ms down
;; by 5 us), beside 4 095 reads of the empty stdin, polled 4 000 times. Before the fix Sluice priced the wait as
;; negative (free) and Chicory, subtracting its own later clock reading, wrapped to ~2^63 ns and slept until the
;; watchdog. Exit code 0 when every poll returns.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 8)
  ;; subscriptions at 65536 (N*48 bytes), events at 327680, time at 0, nevents at 8
  (func $start (export "_start")
    (local $k i64) (local $i i32) (local $n i32)
    (local.set $n (i32.const 4096))
    ;; sub 0: clock REALTIME (id 0), abstime flag
    (i32.store8 (i32.const 65544) (i32.const 0))
    (i32.store (i32.const 65552) (i32.const 0))
    (i32.store16 (i32.const 65576) (i32.const 1))
    ;; subs 1..n-1: fd_read on fd 0 (empty stdin)
    (local.set $i (i32.const 1))
    (block $done (loop $fill
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (i32.const 65544) (i32.mul (local.get $i) (i32.const 48))) (i32.const 1))
      (i32.store (i32.add (i32.const 65552) (i32.mul (local.get $i) (i32.const 48))) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (local.set $k (i64.const 20000000)) ;; 20 ms, stepping down 5 us
    (block $out (loop $try
      (br_if $out (i64.le_s (local.get $k) (i64.const 0)))
      (drop (call $clock (i32.const 0) (i64.const 0) (i32.const 0)))
      ;; timeout = t0 + MIN + k
      (i64.store (i32.const 65560)
        (i64.add (i64.add (i64.load (i32.const 0)) (i64.const 0x8000000000000000)) (local.get $k)))
      (drop (call $poll (i32.const 65536) (i32.const 327680) (local.get $n) (i32.const 8)))
      (local.set $k (i64.sub (local.get $k) (i64.const 5000)))
      (br $try)))
    (call $exit (i32.const 0)))
)
