;; spin: a CPU-bound function for load and scale-out measurements. _start runs 2 000 000 steps of a 64-bit linear
;; congruential generator (the result feeds the output, so no compiler can drop the loop), then writes "spun X\n"
;; to stdout, X a letter from the final state. No input, no other WASI calls; exit code 0.
;; Fuel: about 12 per step, about 24 000 000 in all (well under the default 1 000 000 000 per call).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "spun ?\n")
  (func (export "_start")
    (local $i i32)
    (local $x i64)
    (local.set $x (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 2000000)))
        (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005))
                               (i64.const 1442695040888963407)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    ;; "a" + (x >>> 59) % 26: a letter that depends on every step.
    (i32.store8 (i32.const 69) (i32.add (i32.const 97)
        (i32.rem_u (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 59))) (i32.const 26))))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 7))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
