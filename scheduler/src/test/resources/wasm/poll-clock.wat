;; poll-clock: what poll_oneoff answers for clock subscriptions Sluice blocks on itself. Exit code 0 when all hold:
;; 1. an absolute MONOTONIC subscription 20 ms ahead (userdata 7) beside a relative one 10 s ahead (userdata 9)
;;    returns 0 with one event: userdata 7, error 0, type clock;
;; 2. an absolute REALTIME subscription 1 ms in the past returns at once with its event (userdata 11);
;; 3. an absolute timeout whose distance from now overflows 64 bits is EINVAL (28);
;; 4. events written over the subscriptions themselves (out == in, which WASI allows) still carry each
;;    subscription's userdata (21 and 22).
;; Exit codes 1-8 name the first check that failed.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; now at 0, nevents at 8, subscriptions at 256 (48 bytes each), events at 1024 (32 bytes each)
  (func $sub (param $at i32) (param $userdata i64) (param $id i32) (param $timeout i64) (param $flags i32)
    (i64.store (local.get $at) (local.get $userdata))
    (i32.store8 offset=8 (local.get $at) (i32.const 0))
    (i32.store offset=16 (local.get $at) (local.get $id))
    (i64.store offset=24 (local.get $at) (local.get $timeout))
    (i64.store offset=32 (local.get $at) (i64.const 0))
    (i32.store16 offset=40 (local.get $at) (local.get $flags)))
  (func $now (param $id i32) (result i64)
    (drop (call $clock (local.get $id) (i64.const 0) (i32.const 0)))
    (i64.load (i32.const 0)))
  (func $fail_unless (param $ok i32) (param $code i32)
    (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $code)))))
  (func (export "_start")
    (local $now i64)
    ;; 1
    (call $sub (i32.const 256) (i64.const 7) (i32.const 1)
      (i64.add (call $now (i32.const 1)) (i64.const 20000000)) (i32.const 1))
    (call $sub (i32.const 304) (i64.const 9) (i32.const 1) (i64.const 10000000000) (i32.const 0))
    (call $fail_unless (i32.eqz (call $poll (i32.const 256) (i32.const 1024) (i32.const 2) (i32.const 8)))
      (i32.const 1))
    (call $fail_unless (i32.eq (i32.load (i32.const 8)) (i32.const 1)) (i32.const 2))
    (call $fail_unless (i64.eq (i64.load (i32.const 1024)) (i64.const 7)) (i32.const 3))
    (call $fail_unless (i32.eqz (i32.or (i32.load16_u (i32.const 1032)) (i32.load8_u (i32.const 1034))))
      (i32.const 3))
    ;; 2
    (call $sub (i32.const 256) (i64.const 11) (i32.const 0)
      (i64.sub (call $now (i32.const 0)) (i64.const 1000000)) (i32.const 1))
    (call $fail_unless (i32.eqz (call $poll (i32.const 256) (i32.const 1024) (i32.const 1) (i32.const 8)))
      (i32.const 4))
    (call $fail_unless (i32.and (i32.eq (i32.load (i32.const 8)) (i32.const 1))
      (i64.eq (i64.load (i32.const 1024)) (i64.const 11))) (i32.const 5))
    ;; 3: MIN - now overflows when now > 0, MAX - now when now < 0
    (local.set $now (call $now (i32.const 1)))
    (call $sub (i32.const 256) (i64.const 13) (i32.const 1)
      (select (i64.const 0x8000000000000000) (i64.const 0x7fffffffffffffff) (i64.gt_s (local.get $now) (i64.const 0)))
      (i32.const 1))
    (call $fail_unless (i32.eq (call $poll (i32.const 256) (i32.const 1024) (i32.const 1) (i32.const 8))
      (i32.const 28)) (i32.const 6))
    ;; 4
    (call $sub (i32.const 256) (i64.const 21) (i32.const 1) (i64.const 1000000) (i32.const 0))
    (call $sub (i32.const 304) (i64.const 22) (i32.const 1) (i64.const 1000000) (i32.const 0))
    (call $fail_unless (i32.eqz (call $poll (i32.const 256) (i32.const 256) (i32.const 2) (i32.const 8)))
      (i32.const 7))
    (call $fail_unless (i32.and (i32.eq (i32.load (i32.const 8)) (i32.const 2))
      (i32.and (i64.eq (i64.load (i32.const 256)) (i64.const 21)) (i64.eq (i64.load (i32.const 288)) (i64.const 22))))
      (i32.const 8))
    (call $exit (i32.const 0))))
